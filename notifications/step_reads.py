"""What an alert reads once per step (one transaction) and keeps until the step ends: each person's channel
choices. A step that alerts twenty people, or raises several alerts, reads each once (or takes them from the
on-duty roster kept per process, notifications.rota, with the templates in force: engine.config_cache). Unlike
``engine.db.per_transaction`` the answers outlive the step's flushes: none of them is written by a step."""

from sqlalchemy import event
from sqlalchemy.orm import Session

from engine.db import db

_KEY = "keydesk_notification_reads"  # session.info: what this transaction's alerts read


def kept(name: str, read):
    """``read()``'s answer, read once per transaction under ``name``."""
    known = db.session.info.setdefault(_KEY, {})
    if name not in known:
        known[name] = read()
    return known[name]


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_KEY, None)

"""How many queued messages per second the delivery worker hands to real peers on loopback.

For each channel in turn, on a fresh database: ``--messages`` (10,000) rows are queued in the outbox (bulk
insert, not timed), the peer is started on 127.0.0.1, and ``notifications.delivery.deliver_due`` runs, batch
after batch as the scheduler's delivery job does, until nothing is due. That loop is timed. Then every row
is checked to be `sent` with one `sent` line in its delivery record, and the peer to have received exactly
that many messages; the figures mean nothing if the check fails.

Peers (the ones the tests use): an aiosmtpd SMTP server (email, plain SMTP; the worker keeps one
connection), an HTTP server standing in for a cloud SMS gateway (one request per message),
and the ``smpp34`` package's SMSC (SMPP 3.4; the worker keeps one bound session; each text is Chinese, sent
as UCS-2 in two concatenated parts, so parts/s is twice messages/s).

Reading the figures: msgs/s is messages marked sent per second of wall time; ms/msg is its inverse. Each
message is one transaction (claim the row, send, mark it and write its delivery line, commit), so the disk
counts: SQLite syncs on every commit. Compare runs on the same machine, not against a fixed number.

Before delivery, the cost of raising an alert inside an engine step: ``--alerts`` (200) alerts to the supervisor
role, each in a step of its own on a ticket read afresh (as the engine runs one), then the same alerts five to a
step, for a role of 1 and of 20 members (each with an email and a phone, no preferences). Statements/alert counts
every SQL statement the alert sends, up to and with the step's commit (the audience, its rota and preferences,
the templates, the dedupe, the rows; the step itself writes nothing else); ms/alert is its wall time (each
recipient's message is rendered in the template sandbox). What matters: statements/alert does not grow with
the audience.

    .venv/bin/python bench/notifications.py
    .venv/bin/python bench/notifications.py --messages 1000          # a quick look
    .venv/bin/python bench/notifications.py --database postgresql+psycopg://postgres@127.0.0.1:5432/keydesk_bench_n
"""

import common  # noqa: F401  (first: it puts the project root on the import path)  # isort: skip
from common import expect, fresh_app, table  # isort: skip

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

from sqlalchemy import event, func, insert, select  # noqa: E402

from engine import clock, deployments, tickets  # noqa: E402
from engine.db import db  # noqa: E402
from engine.directory import users  # noqa: E402
from engine.models import Ticket  # noqa: E402
from engine.services import ServiceCall  # noqa: E402
from notifications import delivery, mail, smpp  # noqa: E402
from notifications.outbox import DeliveryAttempt, OutboxMessage  # noqa: E402
from tests.bpmn_samples import simple  # noqa: E402
from tests.smpp_peer import SmscPeer  # noqa: E402
from tests.test_delivery import SmsGateway, SmtpPeer  # noqa: E402

BATCH = 500  # as engine.scheduler.delivery_job
SUBJECT = "[R-2026-000042] 一级故障 SLA 超时"
BODY = ("工单 R-2026-000042：上海港物流集团专线中断，已超过 45 分钟未到场，"
        "已升级至值班主管。请立即处理并在系统中更新进展。")


@contextmanager
def smtp_peer():
    peer = SmtpPeer()
    peer.start()
    yield {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(peer.port), "SMTP_TLS": "none"}, lambda: len(peer.received)
    mail.close()
    peer.stop()


@contextmanager
def http_gateway():
    server = SmsGateway()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield {"SMS_GATEWAY": "http", "SMS_HTTP_URL": server.url}, lambda: len(server.accepted())
    server.shutdown()
    server.server_close()


@contextmanager
def smsc():
    peer = SmscPeer()
    peer.start()
    yield ({"SMS_GATEWAY": "smpp", "SMPP_HOST": "127.0.0.1", "SMPP_PORT": str(peer.port),
            "SMPP_SYSTEM_ID": "keydesk", "SMPP_PASSWORD": "bench", "SMPP_SOURCE_ADDR": "10086"},
           lambda: len(peer.messages()))
    smpp.close()
    peer.stop()


PHASES = [("email / SMTP (aiosmtpd)", "email", "bench@keydesk.example", smtp_peer),
          ("sms / HTTP gateway", "sms", "+8613800000001", http_gateway),
          ("sms / SMPP 3.4 (smpp34 SMSC)", "sms", "+8613800000001", smsc)]


def queue(count: int, channel: str, address: str) -> None:
    now = clock.now()
    rows = [{"event": "sla_breached", "channel": channel, "address": address, "subject": SUBJECT, "body": BODY,
             "state": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
             "dedupe_key": f"bench:{i}:{channel}"} for i in range(count)]
    for start in range(0, count, 1000):
        db.session.execute(insert(OutboxMessage), rows[start:start + 1000])
    db.session.commit()


def run_phase(url: str, count: int, channel: str, address: str, peer) -> tuple[float, int]:
    app = fresh_app(url)
    with app.app_context():
        queue(count, channel, address)
    with peer() as (settings, received):
        os.environ.update(settings)
        started = time.perf_counter()
        while True:
            with app.app_context():
                tried = delivery.deliver_due(limit=BATCH)
                db.session.remove()
            if tried == 0:
                break
        elapsed = time.perf_counter() - started
        with app.app_context():
            sent = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                     .where(OutboxMessage.state == "sent"))
            lines = db.session.scalar(select(func.count()).select_from(DeliveryAttempt)
                                      .where(DeliveryAttempt.outcome == "sent"))
            db.session.remove()
            db.engine.dispose()
        expect(sent == count and lines == count, f"{channel}: {sent} of {count} rows sent, {lines} delivery lines")
        expect(received() == count, f"{channel}: the peer received {received()} of {count} messages")
        for name in settings:
            os.environ.pop(name, None)
    return elapsed, sent


def alert_costs(url: str, audience: int, alerts: int, per_step: int) -> tuple[float, float, float]:
    """(statements per alert, messages per alert, ms per alert) of ``alerts`` role alerts, ``per_step`` a step."""
    app = fresh_app(url)
    with app.app_context():
        supervisor = users.by_username("supervisor")
        for i in range(audience - 1):
            users.create_user(f"sup{i}", "bench", ["supervisor"], f"Supervisor {i}", f"sup{i}@keydesk.example",
                              f"+86138000100{i:02d}", supervisor.branch)
        deployments.deploy(supervisor, simple(key="bench_alerts"))
        ticket_id = tickets.start_ticket(users.by_username("agent"), "bench_alerts", "Alerts").id
        sent, elapsed = [], 0.0
        listener = lambda *args: sent.append(args[2])  # noqa: E731
        for first in range(0, alerts, per_step):
            db.session.expunge_all()
            with tickets.step():
                ticket = db.session.get(Ticket, ticket_id)
                expect(ticket.process_version is not None, "the step reads its ticket's process version")
                event.listen(db.engine, "before_cursor_execute", listener)
                started = time.perf_counter()
                for i in range(first, first + per_step):
                    ServiceCall(ticket, "step", {}, {}, f"bench:{i}", None).notify_role("supervisor", "Fault", "Down")
            elapsed += time.perf_counter() - started  # with the commit, which writes what the alerts left pending
            event.remove(db.engine, "before_cursor_execute", listener)
        queued = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        expect(queued == alerts * audience * 2, f"{queued} messages queued for {alerts} alerts to {audience}")
        db.session.remove()
        db.engine.dispose()
    return len(sent) / alerts, queued / alerts, elapsed / alerts * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file)")
    parser.add_argument("--alerts", type=int, default=200)
    args = parser.parse_args()
    logging.getLogger("smpp").setLevel(logging.ERROR)  # smpplib's per-PDU chatter
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "SMS_GATEWAY"):
        os.environ.pop(name, None)
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.setdefault("KEYDESK_INSTANCE", scratch)
        url = args.database or f"sqlite:///{Path(scratch) / 'bench.db'}"
        costs = []
        for audience in (1, 20):
            for per_step in (1, 5):
                statements, messages, ms = alert_costs(url, audience, args.alerts, per_step)
                costs.append([f"{audience}", f"{per_step}", f"{statements:.1f}", f"{messages:.0f}", f"{ms:.2f}"])
                print(f"alerts to a role of {audience}, {per_step} a step: {statements:.1f} statements/alert",
                      flush=True)
        rows = []
        for title, channel, address, peer in PHASES:
            elapsed, sent = run_phase(url, args.messages, channel, address, peer)
            rows.append([title, f"{sent:,}", f"{elapsed:.1f}", f"{sent / elapsed:,.0f}",
                         f"{elapsed / sent * 1000:.2f}"])
            print(f"{title}: {sent:,} messages in {elapsed:.1f} s", flush=True)
    print(f"\nRaising alerts inside engine steps, {args.alerts} alerts to the supervisor role "
          f"({'SQLite' if not args.database else args.database.split(':')[0]})\n")
    print(table(["role's members", "alerts a step", "statements/alert", "messages/alert", "ms/alert"], costs))
    print(f"\nOutbox delivery to loopback peers, {args.messages:,} queued messages per channel "
          f"({'SQLite' if not args.database else args.database.split(':')[0]}); check: every row sent once\n")
    print(table(["channel / peer", "messages", "seconds", "msgs/s", "ms/msg"], rows))


if __name__ == "__main__":
    main()

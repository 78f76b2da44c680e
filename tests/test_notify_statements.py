"""An alert costs a fixed, small number of SQL statements whatever its audience (issue 17): the audience with its
rota and preferences in one read, every message in one INSERT … ON CONFLICT DO NOTHING; the templates in force,
the branches above the ticket's and the role's on-duty roster are kept per process (engine.config_cache), read by
the process's first alert.

The fake clock starts on Monday 2026-11-23 at 01:00 UTC, 09:00 at the desk (Asia/Shanghai).
"""

import pytest
from sqlalchemy import event, func, select

from engine import tickets
from engine.db import db
from engine.directory import users
from engine.models import Ticket
from engine.services import ServiceCall
from notifications import notify, preferences, rota
from notifications.outbox import OutboxMessage
from tests.test_sla import open_ticket, staff

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])


def supervisors(count: int) -> None:
    """``count`` supervisors in all (the demo has one), each with an email and a phone, in the demo's branch."""
    branch = staff("supervisor").branch
    for i in range(count - 1):
        users.create_user(f"sup{i}", "demo", ["supervisor"], f"Supervisor {i}", f"sup{i}@keydesk.example",
                          f"+86138000100{i:02d}", branch)
    db.session.commit()


class Statements:
    """The SQL statements sent while the block runs (its first word and table are enough to tell them apart)."""

    def __init__(self):
        self.sent: list[str] = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc):
        event.remove(db.engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, *_args):
        self.sent.append(" ".join(statement.split()))

    def kinds(self) -> list[str]:
        return [_kind(sql) for sql in self.sent]


def _kind(sql: str) -> str:
    if sql.startswith("INSERT INTO outbox_messages"):
        return "insert outbox" + (" on conflict" if "ON CONFLICT" in sql else "")
    for table in ("notification_preferences", "message_templates", "users"):
        if f"FROM {table}" in sql:
            return f"read {table}"
    return sql[:80]


def a_step_on(ticket_id: int):
    """A step on a ticket as the engine runs one: a fresh session, the ticket and its process version read."""
    db.session.expunge_all()
    ticket = db.session.get(Ticket, ticket_id)
    assert ticket.process_version is not None
    return ticket


@BOTH
@pytest.mark.parametrize("audience", [1, 20])
def test_an_alert_to_a_role_costs_one_statement_whatever_the_audience(app, fake_clock, audience):
    supervisors(audience)
    ticket_id = open_ticket().ticket.id
    with tickets.step(), Statements() as process_first:
        ServiceCall(a_step_on(ticket_id), "step", {}, {}, "service:warm", None).notify_role("supervisor", "", "")
    with tickets.step():
        ticket = a_step_on(ticket_id)
        with Statements() as first:
            call = ServiceCall(ticket, "step", {}, {}, "service:first", None)
            assert call.notify_role("supervisor", "Level-1 fault", "Port office offline") == audience
        with Statements() as second:
            call = ServiceCall(ticket, "step", {}, {}, "service:second", None)
            call.notify_role("supervisor", "Level-1 fault", "Port office offline", event="sla_warning")
    assert "read message_templates" in process_first.kinds()
    [roster] = [sql for sql in process_first.sent if "FROM users" in sql]  # the members, their rota and choices
    assert "duty_rotas" in roster and "notification_preferences" in roster
    assert first.kinds() == second.kinds() == ["insert outbox on conflict"]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3 * 2 * audience  # email, sms


@pytest.mark.parametrize("audience", [1, 20])
def test_an_alert_to_named_people_reads_their_choices_in_one_statement(app, fake_clock, audience):
    supervisors(audience)
    people = rota.members("supervisor")
    preferences.save(people[-1], people[-1], {"channels": {"task_assigned": ["sms"]}})
    ticket_id = open_ticket().ticket.id
    with tickets.step():
        ticket = a_step_on(ticket_id)
        people = rota.members("supervisor")
        with Statements() as sent:
            queued = notify.people("task_assigned", people, "assigned:1", ticket, task={"name": "Work"})
    assert sent.kinds() == ["read notification_preferences", "read message_templates", "insert outbox on conflict"]
    assert [m.channel for m in queued].count("email") == audience - 1  # the last one chose SMS only
    assert len(queued) == 2 * audience - 1


def test_a_repeated_alert_queues_nothing_more_and_reads_nothing_first(app, fake_clock):
    agent, ticket = staff("agent"), open_ticket().ticket
    assert len(notify.people("sla_breached", [agent], "sla:7:sla_breached:1", ticket, sla={"kind": "response"})) == 2
    db.session.commit()
    with Statements() as sent:
        again = notify.people("sla_breached", [agent], "sla:7:sla_breached:1", ticket, sla={"kind": "response"})
    assert again == [] and not [kind for kind in sent.kinds() if kind.startswith("read outbox")]
    assert sent.kinds()[-1] == "insert outbox on conflict"

"""Schema changes go through migrations: upgrading an empty database yields exactly what the models describe."""

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, inspect, select, text

from engine.db import db
from engine.models import (
    TICKET_FILLFACTOR,
    Branch,
    Customer,
    HumanTask,
    ProcessModel,
    ProcessVersion,
    SlaClock,
    SlaFact,
    TaskFact,
    Ticket,
    TicketFact,
    User,
)
from tests.conftest import postgres_url
from web import create_app

FIRST_RELEASE = "04c41451dfa7"


BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])


@pytest.fixture
def empty_database(tmp_path, backend, monkeypatch):
    """An app context on a database with no tables at all, as a new installation has."""
    monkeypatch.setenv("KEYDESK_INSTANCE", str(tmp_path))
    uri = f"sqlite:///{tmp_path / 'm.db'}" if backend == "sqlite" else postgres_url()
    with create_app({"SQLALCHEMY_DATABASE_URI": uri}).app_context():
        if backend == "postgres":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        yield
        db.session.remove()
        db.engine.dispose()


@BOTH
def test_migrations_build_the_schema_the_models_describe(empty_database):
    upgrade()
    upgrade()  # a second run on an up-to-date database is a no-op
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []
        assert "alembic_version" in inspect(conn).get_table_names()


@BOTH
def test_a_database_of_the_first_release_upgrades_in_place_with_its_data(empty_database):
    upgrade(revision=FIRST_RELEASE)
    when = {"t": "2026-01-01 00:00:00+00:00"}
    db.session.execute(text(
        "INSERT INTO process_models (id, key, name, channel, created_at) VALUES (1, 'old', 'Old', 'red', :t)"), when)
    db.session.execute(text(
        "INSERT INTO process_versions (id, model_id, version, bpmn_xml, dmn_xml, forms, comment, deployed_at) "
        "VALUES (1, 1, 1, '<x/>', '[]', '{}', 'first', :t)"), when)
    db.session.commit()
    upgrade()
    version = db.session.get(ProcessVersion, 1)
    assert (version.model.key, version.comment, version.properties, version.called_xml) == ("old", "first", {}, [])


@BOTH
def test_an_upgrade_places_existing_users_customers_and_tickets_at_headquarters(empty_database):
    """Until an admin places them, everyone keeps seeing what they saw before branches existed."""
    upgrade(revision="a6_web_0001")
    when = {"t": "2026-01-01 00:00:00+00:00"}
    db.session.execute(text("INSERT INTO users (id, username, display_name, password_hash, active, created_at) "
                            "VALUES (1, 'old', 'Old', 'x', true, :t)"), when)
    db.session.execute(text("INSERT INTO customers (id, code, name, kind, tier, credit_level, status, points, "
                            "created_at) VALUES (1, 'C1', 'Old Co.', 'group', 'A', 'red', 'active', 0, :t)"), when)
    db.session.commit()
    upgrade()
    hq = db.session.scalar(select(Branch).where(Branch.code == "HQ"))
    assert (hq.level, hq.parent_id) == ("hq", None)
    assert db.session.get(User, 1).branch_id == hq.id and db.session.get(Customer, 1).branch_id == hq.id


@BOTH
def test_an_upgrade_writes_the_report_facts_of_what_happened_before_it(empty_database):
    """A complaint closed before the report facts existed: its ticket, completed task and decided clocks get their
    facts from the rows as they are; a clock still running gets none."""
    upgrade(revision="a8_reports_0001")
    opened = datetime(2026, 11, 16, 2, tzinfo=UTC)
    at = {minutes: opened + timedelta(minutes=minutes) for minutes in (10, 12, 30, 60)}
    rows = [
        (User, {"id": 1, "username": "old", "display_name": "Old", "password_hash": "x", "created_at": opened}),
        (ProcessModel, {"id": 1, "key": "yellow_complaint", "name": "Complaint", "channel": "yellow",
                        "created_at": opened}),
        (ProcessVersion, {"id": 1, "model_id": 1, "version": 1, "bpmn_xml": "<x/>", "deployed_at": opened}),
        (Ticket, {"id": 1, "number": "Y-2026-000001", "channel": "yellow", "process_version_id": 1, "title": "Bill",
                  "status": "closed", "creator_id": 1, "created_at": opened, "closed_at": at[30],
                  "data": {"satisfaction": 4, "reopened": True}}),
        (HumanTask, {"id": 1, "ticket_id": 1, "spiff_task_id": "t1", "element_id": "work", "name": "Do the work",
                     "role": "manager", "assignee_id": 1, "state": "completed", "created_at": opened,
                     "claimed_at": at[12], "completed_at": at[30], "completed_by_id": 1}),
    ]
    clock = {"ticket_id": 1, "task_id": 1, "target_seconds": 600, "started_at": opened, "due_at": at[10]}
    rows += [(SlaClock, {**clock, "id": 1, "kind": "response", "state": "breached", "breached_at": at[10],
                         "met_at": at[12]}),
             (SlaClock, {**clock, "id": 2, "kind": "resolution", "state": "met", "met_at": at[30]}),
             (SlaClock, {**clock, "id": 3, "kind": "resolution", "state": "pending", "due_at": at[60]})]
    for model, values in rows:
        db.session.execute(insert(model), values)
    db.session.commit()
    upgrade()
    ticket = db.session.get(TicketFact, 1)
    assert (ticket.process_key, ticket.complaint, ticket.status, ticket.closed_at, ticket.satisfaction,
            ticket.reopened) == ("yellow_complaint", True, "closed", at[30], 4.0, True)
    task = db.session.get(TaskFact, 1)
    assert (task.step, task.completed_by_id, task.response_seconds, task.duration_seconds) == ("work", 1, 720, 1800)
    decided = db.session.execute(select(SlaFact.clock_id, SlaFact.breached, SlaFact.decided_at, SlaFact.member_id)
                                 .order_by(SlaFact.clock_id)).all()
    assert [tuple(r) for r in decided] == [(1, True, at[10], 1), (2, False, at[30], 1)]


DERIVED = {"ticket_facts": 4, "task_facts": 4, "sla_facts": 4, "live_events": 3}  # their foreign keys before f_facts


def foreign_keys(tables) -> dict[str, int]:
    with db.engine.connect() as conn:
        schema = inspect(conn)
        return {table: len(schema.get_foreign_keys(table)) for table in tables}


def autoincrement(backend: str) -> bool:
    """Whether SQLite's live_events still never reuses an id (PostgreSQL's sequence never does)."""
    if backend == "postgres":
        return True
    return "AUTOINCREMENT" in db.session.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'live_events'"))


@BOTH
def test_the_rows_a_step_derives_name_their_rows_without_foreign_keys_and_a_downgrade_restores_them(empty_database,
                                                                                                   backend):
    """Report facts and live events are checked by the step that writes them, not looked up again by the database
    (engine/report_facts.py); the history, tasks, clocks and outbox keep their foreign keys."""
    upgrade()
    assert foreign_keys(DERIVED) == dict.fromkeys(DERIVED, 0)
    assert foreign_keys(["ticket_events", "human_tasks", "sla_clocks", "timers", "outbox_messages"]) == {
        "ticket_events": 3, "human_tasks": 3, "sla_clocks": 2, "timers": 2, "outbox_messages": 2}
    assert autoincrement(backend)
    downgrade(revision="e_inboxrole_0001")
    assert foreign_keys(DERIVED) == DERIVED
    assert autoincrement(backend)


@BOTH
def test_an_upgrade_copies_into_each_task_the_columns_of_its_ticket_the_task_list_shows(empty_database):
    upgrade(revision="f_facts_0001")
    opened = datetime(2026, 11, 16, 2, tzinfo=UTC)
    rows = [
        (User, {"id": 1, "username": "old", "display_name": "Old", "password_hash": "x", "created_at": opened}),
        (Branch, {"id": 7, "code": "PD", "name": "Pudong", "level": "city", "active": True, "created_at": opened}),
        (ProcessModel, {"id": 1, "key": "red_fault", "name": "Fault", "channel": "red", "created_at": opened}),
        (ProcessVersion, {"id": 1, "model_id": 1, "version": 1, "bpmn_xml": "<x/>", "deployed_at": opened}),
        (Ticket, {"id": 1, "number": "R-2026-000001", "channel": "red", "process_version_id": 1, "branch_id": 7,
                  "title": "Line down", "status": "open", "creator_id": 1, "created_at": opened, "data": {}}),
        (Ticket, {"id": 2, "number": "R-2026-000002", "channel": "red", "process_version_id": 1, "title": "No branch",
                  "status": "open", "creator_id": 1, "created_at": opened, "data": {}}),
    ]
    rows += [(HumanTask, {"id": i, "ticket_id": i, "spiff_task_id": f"t{i}", "element_id": "accept",
                          "name": "Accept", "role": "agent", "state": "open", "created_at": opened}) for i in (1, 2)]
    for model, values in rows:
        db.session.execute(insert(model), values)
    db.session.commit()
    upgrade()
    copies = db.session.execute(select(HumanTask.id, HumanTask.ticket_number, HumanTask.ticket_title,
                                       HumanTask.ticket_channel, HumanTask.ticket_branch_id).order_by(HumanTask.id))
    assert [tuple(row) for row in copies] == [(1, "R-2026-000001", "Line down", "red", 7),
                                              (2, "R-2026-000002", "No branch", "red", None)]


def storage_options(table: str) -> list[str] | None:
    return db.session.scalar(text("SELECT reloptions FROM pg_class WHERE relname = :t"), {"t": table})


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_tickets_leave_room_on_their_pages_for_a_step_s_update_and_a_downgrade_gives_it_back(empty_database):
    """A step updates its ticket; with room on the page PostgreSQL keeps the new version there without new index
    entries (a HOT update; bench/load.py prints the share). Built by migrations or by the models alike."""
    upgrade()
    assert storage_options("tickets") == [f"fillfactor={TICKET_FILLFACTOR}"]
    downgrade(revision="g_tasklist_0001")
    assert storage_options("tickets") is None
    db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.session.commit()
    db.create_all()
    assert storage_options("tickets") == [f"fillfactor={TICKET_FILLFACTOR}"]

"""Engine operations on the red-channel fault process: every path, every rule, every error changes nothing."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import runtime, tickets
from engine.db import db
from engine.directory import branches, users
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound, ProcessError
from engine.models import Customer, HumanTask, ImmutableRecordError, ProcessModel, ProcessVersion, Ticket, TicketEvent
from tests.bpmn_samples import simple

REPORT = {"service": "leased_line", "description": "Link down at the port office"}
ACCEPT = {"impact": "outage", "impact_details": "All branches offline", "customer_answered": True}  # level 1
ON_SITE = {"engineer": "Zhang Lei", "arrived_at": "2026-11-23T01:40:00Z"}
REPAIRED = {"cause": "Fibre cut", "action": "Spliced the fibre", "restored": True}
NOT_REPAIRED = {"cause": "Fibre cut", "action": "Crew on the way", "restored": False}
SATISFIED = {"revisit_done": True, "satisfaction": 4, "compensation_due": False}
COMPENSATE = {"revisit_done": True, "satisfaction": 3, "compensation_due": True, "notes": "Four hours down"}
COMPENSATION = {"amount": 500, "method": "bill_credit"}


def staff(name: str):
    return users.by_username(name)


def open_fault(**kwargs) -> Ticket:
    return tickets.start_ticket(staff("agent"), "red_fault", "Leased line down", data=REPORT, **kwargs)


def open_task(ticket: Ticket) -> HumanTask:
    task, = [t for t in ticket.tasks if t.state in ("open", "claimed")]
    return task


def work(ticket: Ticket, username: str, data: dict) -> HumanTask:
    return tickets.complete(staff(username), open_task(ticket).id, data)


def snapshot(ticket_id: int) -> tuple:
    """Everything a failed step must leave as it was."""
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket_id)
    tasks = [(t.id, t.state, t.assignee_id) for t in ticket.tasks]
    events = db.session.scalar(select(func.count()).where(TicketEvent.ticket_id == ticket_id))
    return ticket.status, ticket.lock_version, ticket.workflow_state, ticket.data, tasks, events


def test_a_new_fault_gets_a_red_number_and_waits_for_an_agent(app, fake_clock):
    ticket = open_fault(customer_id=1, priority="urgent")
    assert ticket.number == "R-2026-000001"
    assert (ticket.channel, ticket.status, ticket.priority) == ("red", "open", "urgent")
    task = open_task(ticket)
    assert (task.element_id, task.role, task.state, task.form_key) == ("accept_fault", "agent", "open",
                                                                      "red_fault.accept")
    assert task.due_at == fake_clock.now() + timedelta(minutes=10)
    # the customer heard of it (red_fault asks for the opening notice: ticket number, promises, whom to call)
    assert [e.kind for e in tickets.history(ticket)] == ["created", "task_created", "customer_notified"]
    assert open_fault().number == "R-2026-000002"


def test_ticket_numbers_follow_the_desk_year(app, fake_clock):
    fake_clock.current = fake_clock.current.replace(year=2026, month=12, day=31, hour=16, minute=30)
    assert open_fault().number == "R-2027-000001"  # already 2027 in Asia/Shanghai


def test_the_fault_restored_first_time_closes_after_the_revisit(app):
    ticket = open_fault()
    assert ticket.lock_version == 1
    task_id = open_task(ticket).id
    db.session.expire_all()  # as in a new request: nothing loaded yet
    tickets.complete(staff("agent"), task_id, ACCEPT)
    assert ticket.lock_version == 2  # one write of the ticket row per step
    assert open_task(ticket).element_id == "dispatch_on_site" and open_task(ticket).role == "tech"
    work(ticket, "tech", ON_SITE)
    work(ticket, "tech", REPAIRED)
    assert (open_task(ticket).element_id, open_task(ticket).role) == ("revisit_customer", "manager")
    work(ticket, "manager", SATISFIED)
    assert ticket.status == "closed" and ticket.closed_at is not None
    assert [t.element_id for t in ticket.tasks] == ["accept_fault", "dispatch_on_site", "repair_fault",
                                                    "revisit_customer"]
    assert all(t.state == "completed" for t in ticket.tasks)
    assert tickets.history(ticket)[-1].kind == "closed"


def test_an_unrestored_fault_goes_back_to_repair_and_a_compensation_is_carried_out(app):
    ticket = open_fault()
    work(ticket, "agent", ACCEPT)
    work(ticket, "tech", ON_SITE)
    work(ticket, "tech", NOT_REPAIRED)
    assert open_task(ticket).element_id == "repair_fault"
    work(ticket, "tech", REPAIRED)
    work(ticket, "manager", COMPENSATE)
    assert open_task(ticket).element_id == "compensate_customer"
    work(ticket, "manager", COMPENSATION)
    assert ticket.status == "closed"
    assert [t.element_id for t in ticket.tasks] == [
        "accept_fault", "dispatch_on_site", "repair_fault", "repair_fault", "revisit_customer",
        "compensate_customer"]
    completed = [e for e in tickets.history(ticket) if e.kind == "completed"]
    assert completed[-1].data == {"data": COMPENSATION} and completed[-1].actor.username == "manager"


def test_the_decision_table_ran_in_the_process(app):
    ticket = open_fault()
    work(ticket, "agent", ACCEPT)
    workflow = runtime.load(ticket)
    assert runtime.ready_human_tasks(workflow)[0].data["fault_level"] == 1


def test_claim_rules(app):
    ticket = open_fault(customer_id=db.session.scalar(select(Customer.id).where(Customer.code == "G0001")))
    task = open_task(ticket)
    with pytest.raises(Forbidden, match="role 'agent'"):  # G0001's account manager sees it; the agents' step
        tickets.claim(staff("manager"), task.id)
    with pytest.raises(Forbidden, match="not one of yours"):  # maintenance has no part in this ticket yet
        tickets.claim(staff("tech"), task.id)
    tickets.claim(staff("agent"), task.id)
    assert (task.state, task.assignee.username) == ("claimed", "agent")
    users.create_user("agent2", "pw", ["agent"], branch=branches.by_code("SH"))
    db.session.commit()
    with pytest.raises(Conflict, match="is claimed by agent"):
        tickets.claim(staff("agent2"), task.id)
    with pytest.raises(Conflict, match="claimed by agent"):
        tickets.complete(staff("agent2"), task.id, ACCEPT)
    with pytest.raises(Forbidden):
        tickets.unclaim(staff("agent2"), task.id)
    tickets.unclaim(staff("agent"), task.id)
    assert (task.state, task.assignee) == ("open", None)
    kinds = [e.kind for e in tickets.history(ticket)]
    assert kinds[-2:] == ["claimed", "unclaimed"]


def test_assign_is_for_supervisors_and_only_to_people_with_the_role(app):
    task = open_task(open_fault())
    with pytest.raises(Forbidden, match="assign needs"):
        tickets.assign(staff("agent"), task.id, "agent")
    with pytest.raises(InvalidInput, match="does not have the role"):
        tickets.assign(staff("supervisor"), task.id, "tech")
    with pytest.raises(InvalidInput, match="no active user"):
        tickets.assign(staff("supervisor"), task.id, "nobody")
    tickets.assign(staff("supervisor"), task.id, "agent")
    assert (task.state, task.assignee.username) == ("claimed", "agent")
    assert tickets.history(task.ticket)[-1].data == {"assignee": "agent", "previous": None}


def test_a_wrong_form_value_names_the_field_and_changes_nothing(app):
    ticket = open_fault()
    before = snapshot(ticket.id)
    task_id = open_task(ticket).id
    with pytest.raises(InvalidInput) as caught:
        tickets.complete(staff("agent"), task_id, {"impact": "flood", "extra": 1})
    fields = {d["field"] for d in caught.value.details}
    assert fields == {"impact", "customer_answered", "extra"}
    assert snapshot(ticket.id) == before


def test_a_bad_start_form_creates_no_ticket(app):
    with pytest.raises(InvalidInput) as caught:
        tickets.start_ticket(staff("agent"), "red_fault", "x", data={"service": "carrier pigeon"})
    assert {d["field"] for d in caught.value.details} == {"service", "description"}
    with pytest.raises(InvalidInput, match="title, priority, customer_id"):
        tickets.start_ticket(staff("agent"), "red_fault", " ", priority="asap", customer_id=999, data=REPORT)
    with pytest.raises(NotFound, match="no process model 'nope'"):
        tickets.start_ticket(staff("agent"), "nope", "x")
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    assert open_fault().number.endswith("000001")  # no number was used up


def test_a_finished_task_cannot_be_completed_again(app):
    ticket = open_fault()
    task = work(ticket, "agent", ACCEPT)
    before = snapshot(ticket.id)
    with pytest.raises(Conflict, match="already completed"):
        tickets.complete(staff("agent"), task.id, ACCEPT)
    assert snapshot(ticket.id) == before


def test_cancel_needs_a_supervisor_and_a_reason_and_keeps_the_history(app):
    ticket = open_fault()
    with pytest.raises(Forbidden):
        tickets.cancel(staff("agent"), ticket.id, "duplicate")
    with pytest.raises(InvalidInput, match="needs a reason"):
        tickets.cancel(staff("supervisor"), ticket.id, "  ")
    tickets.cancel(staff("supervisor"), ticket.id, "Duplicate of R-2026-000007")
    assert ticket.status == "cancelled" and open_task_states(ticket) == ["cancelled"]
    assert tickets.history(ticket)[-1].data == {"reason": "Duplicate of R-2026-000007"}
    with pytest.raises(Conflict, match="already cancelled"):
        tickets.cancel(staff("supervisor"), ticket.id, "again")
    with pytest.raises(NotFound):
        tickets.cancel(staff("supervisor"), 999, "x")


def open_task_states(ticket: Ticket) -> list[str]:
    return [t.state for t in ticket.tasks]


def test_comments_go_into_the_history(app):
    ticket = open_fault()
    tickets.comment(staff("agent"), ticket.id, "Crew dispatched")
    entry = tickets.history(ticket)[-1]
    assert (entry.kind, entry.actor.username, entry.data) == ("comment", "agent", {"body": "Crew dispatched"})
    with pytest.raises(InvalidInput):
        tickets.comment(staff("agent"), ticket.id, "")


BOTH_DATABASES = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


@BOTH_DATABASES
def test_a_crash_in_the_middle_of_a_step_leaves_the_ticket_as_it_was(app, monkeypatch):
    ticket = open_fault()
    before = snapshot(ticket.id)
    task_id = open_task(ticket).id

    def crash(*_args):
        raise RuntimeError("power cut")

    monkeypatch.setattr(runtime, "save", crash)  # after the workflow moved and new task rows were added
    with pytest.raises(RuntimeError, match="power cut"):
        tickets.complete(staff("agent"), task_id, ACCEPT)
    assert snapshot(ticket.id) == before
    monkeypatch.undo()
    db.session.expire_all()
    tickets.complete(staff("agent"), task_id, ACCEPT)  # and the step works once the fault is gone
    assert open_task(db.session.get(Ticket, ticket.id)).element_id == "dispatch_on_site"


def test_history_and_customers_are_never_deleted_or_rewritten(app):
    ticket = open_fault()
    entry = tickets.history(ticket)[0]
    entry.data = {"forged": True}
    with pytest.raises(ImmutableRecordError, match="never changed"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(TicketEvent, entry.id))
    with pytest.raises(ImmutableRecordError, match="never deleted"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(Customer, 1))
    with pytest.raises(ImmutableRecordError, match="never deleted"):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(Customer, 1) is not None


@BOTH_DATABASES
def test_two_people_completing_the_same_task_exactly_one_wins(app, monkeypatch):
    ticket = open_fault()
    task_id = open_task(ticket).id
    users.create_user("agent2", "pw", ["agent"], branch=branches.by_code("SH"))
    db.session.commit()
    barrier = threading.Barrier(2)
    original = runtime.run_task

    def run_together(*args):
        barrier.wait(timeout=10)  # both have loaded the same state before either writes
        return original(*args)

    monkeypatch.setattr(runtime, "run_task", run_together)
    outcomes = {}

    def attempt(username: str) -> None:
        with app.app_context():
            try:
                tickets.complete(users.by_username(username), task_id, ACCEPT)
                outcomes[username] = "won"
            except Conflict:
                outcomes[username] = "conflict"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(name,)) for name in ("agent", "agent2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["conflict", "won"]
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert [t.element_id for t in ticket.tasks] == ["accept_fault", "dispatch_on_site"]
    assert [e.kind for e in tickets.history(ticket)].count("completed") == 1


def smuggle(xml: bytes, key: str) -> None:
    """Store a version without the deploy-time check, as if an older KeyDesk had let it in."""
    model = ProcessModel(key=key, name=key, channel="yellow")
    db.session.add(ProcessVersion(model=model, version=1, bpmn_xml=xml.decode(), forms={}))
    db.session.commit()


@pytest.mark.parametrize("script", [
    "__import__('os').system('touch {marker}')",
    "open('{marker}', 'w').write('pwned')",
    "x = [c for c in ().__class__.__base__.__subclasses__()]",
    "for i in range(10 ** 9):\n    x = i",
])
def test_diagram_code_that_got_past_deploy_is_stopped_at_run_time(app, tmp_path, script):
    marker = tmp_path / "pwned"
    smuggle(simple(key="smuggled", script=script.replace("{marker}", str(marker))), "smuggled")
    with pytest.raises(ProcessError) as caught:
        tickets.start_ticket(staff("agent"), "smuggled", "try")
    assert caught.value.details["element_id"] == "step"
    assert not marker.exists()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0

"""The yellow channel complaint process (000 §4.4, 004 §四.2.2): every path from the complaint to its close, as the
desk works it: the key-account check, the hotline's word to the account manager, the key-account desk's answer at
once, the departments, branch tech and HQ; the customer's reply-by date as the ticket's promise."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine import customers, demo, scheduler, tickets
from engine.db import db
from engine.errors import InvalidInput
from engine.models import Customer, ProcessModel
from notifications.outbox import OutboxMessage
from tests.process_library import (
    completed,
    kinds,
    layout_problems,
    messages,
    open_tasks,
    problems,
    staff,
    task,
    walk,
    work,
)

PORT_GROUP, PORT_PHONE = 1, "+8613911110001"  # G0001, an A+ group customer, and its primary contact (Gao Feng)
COMPLAINT = {"source": "hotline_1001", "business_type": "leased_line", "category": "network_quality",
             "content": "The leased line drops every evening", "deadline": "2026-11-26",
             "complainant": "Gao Feng", "contact_phone": "+86 139 1111 0001"}
HANDLED = {"cause": "Faulty port", "action_taken": "Port replaced", "department_solved": True}
SOLVED, REDO, ESCALATE = ({"verdict": v} for v in ("solved", "redo", "escalate"))
NOT_AT_ONCE = {"solved_at_once": False}
AT_ONCE = {"solved_at_once": True, "reply": "Your port was reset; the line is stable again", "reply_channel": "phone"}
TECH = {"analysis": "Card firmware bug", "action_taken": "Firmware rolled back"}
REPLY = {"reply": "The line is stable again since the port was replaced", "reply_channel": "phone"}
REPLIED = ("customer_notice", "sms", PORT_PHONE)
OPENED, CLOSED = ("notice_opened", "sms", PORT_PHONE), ("notice_closed", "sms", PORT_PHONE)
MANAGER_TOLD = [("process_message", "email", "manager"), ("process_message", "sms", "manager")]  # hotline intake
ALERTS = {role: [(event, "email", role), (event, "sms", role)]
          for role, event in (("tech", "complaint_escalated"), ("hq", "complaint_escalated"),
                              ("supervisor", "process_message"))}


def by_department(department: str, opener: str = "agent", first: bool = True) -> list:
    """The key-account desk cannot solve it at once (on a first pass), so the department does."""
    desk = [("first_line", opener, NOT_AT_ONCE)] if first else []
    return [*desk, (f"handle_{department}", department, HANDLED), ("supervise_handling", "supervisor", SOLVED)]


def answered(owner: str, satisfaction: int) -> list:
    return [("reply_customer", owner, REPLY), ("record_satisfaction", owner, {"satisfaction": satisfaction})]


def dissatisfied_once(owner: str, reopen: bool) -> list:
    return [*by_department("business", owner), *answered(owner, 2),
            ("offer_reopen", owner, {"reopened": reopen, "reopen_reason": "Line still drops at night"})]


def told(*middle, hotline: bool = True) -> list:
    """The ticket's whole outbox: the account manager hears of a hotline complaint at intake (004 §四.2.2), the
    customer gets the opening notice, then what the path sends, then the closing notice."""
    return [*(MANAGER_TOLD if hotline else []), OPENED, *middle, CLOSED]


TO_TECH = [("first_line", "agent", NOT_AT_ONCE), ("handle_business", "business", HANDLED),
           ("supervise_handling", "supervisor", ESCALATE)]
TO_HQ = [*TO_TECH, ("handle_tech", "tech", {**TECH, "branch_solved": False})]
PATHS = {
    # name: (category, who opens it, steps, the ticket's messages, ticket data at the end)
    "the key-account desk solves it and replies at once": (
        "network_quality", "agent", [("first_line", "agent", AT_ONCE), ("record_satisfaction", "agent",
                                                                          {"satisfaction": 5})],
        told(REPLIED), {"satisfaction": 5, "solved_at_once": True}),
    "the business department solves it": (
        "network_quality", "agent", [*by_department("business"), *answered("agent", 5)],
        told(REPLIED), {"satisfaction": 5, "solved_at_once": False}),
    "billing solves a billing dispute": (
        "billing_dispute", "agent", [*by_department("billing"), *answered("agent", 4)],
        told(REPLIED), {"satisfaction": 4}),
    "the supervisor sends it back once": (
        "charges_refund", "agent",
        [("first_line", "agent", NOT_AT_ONCE), ("handle_billing", "billing", {**HANDLED, "department_solved": False}),
         ("supervise_handling", "supervisor", REDO), *by_department("billing", first=False), *answered("agent", 3)],
        told(REPLIED), {"satisfaction": 3}),
    "the branch technical department solves it": (
        "network_quality", "agent", [*TO_TECH, ("handle_tech", "tech", {**TECH, "branch_solved": True}),
                                     *answered("agent", 4)],
        told(*ALERTS["tech"], REPLIED), {"branch_solved": True}),
    "headquarters solves what the branch cannot": (
        "network_quality", "agent",
        [*TO_HQ, ("handle_hq", "hq", {"resolution": "Vendor patch rolled out nationwide"}), *answered("agent", 5)],
        told(*ALERTS["tech"], *ALERTS["hq"], REPLIED), {"branch_solved": False}),
    "a dissatisfied customer declines to reopen": (
        "network_quality", "agent", dissatisfied_once("agent", reopen=False),
        told(REPLIED), {"satisfaction": 2, "reopened": False}),
    "a reopened complaint satisfies the customer": (
        "network_quality", "agent", [*dissatisfied_once("agent", reopen=True),
                                     *by_department("business", first=False), *answered("agent", 4)],
        told(REPLIED, REPLIED), {"satisfaction": 4, "reopened": True}),
    "dissatisfied again after reopening: closed anyway and reported": (
        "network_quality", "agent", [*dissatisfied_once("agent", reopen=True),
                                     *by_department("business", first=False), *answered("agent", 1)],
        told(REPLIED, REPLIED, *ALERTS["supervisor"]), {"satisfaction": 1, "reopened": True}),
    "the account manager who took it keeps it": (
        "service_attitude", "manager", [*by_department("business", "manager"), *answered("manager", 5)],
        told(REPLIED, hotline=False), {"satisfaction": 5, "source": "account_manager"}),
}


def open_complaint(opener: str = "agent", **fields):
    return tickets.start_ticket(staff(opener), "yellow_complaint", "Leased line drops", customer_id=PORT_GROUP,
                                data={**COMPLAINT, **fields})


LONGEST = "dissatisfied again after reopening: closed anyway and reported"  # also walked on PostgreSQL


@pytest.mark.parametrize("path, backend", [*((path, "sqlite") for path in PATHS),
                                           pytest.param(LONGEST, "postgres", marks=pytest.mark.postgres)])
def test_every_path_from_complaint_to_close(app, path, backend):
    category, opener, steps, expected_messages, expected_data = PATHS[path]
    ticket = open_complaint(opener, category=category,
                            **({"source": "account_manager"} if opener == "manager" else {}))
    assert ticket.number.startswith("Y-")
    walk(ticket, steps)

    assert (ticket.status, open_tasks(ticket)) == ("closed", [])
    assert completed(ticket) == [(element, who) for element, who, _ in steps]
    assert kinds(ticket)[0] == "created" and kinds(ticket)[-2:] == ["customer_notified", "closed"]
    assert messages(ticket) == expected_messages
    assert {key: ticket.data[key] for key in expected_data} == expected_data


def test_the_first_responder_gets_the_reply_and_the_satisfaction_call(app):
    ticket = open_complaint("agent")
    walk(ticket, by_department("business"))
    reply = task(ticket, "reply_customer")
    assert (reply.state, reply.assignee.username) == ("claimed", "agent")
    created = [e.data for e in tickets.history(ticket) if e.kind == "task_created"][-1]
    assert created == {"name": "Reply to the customer", "role": "agent", "assignee": "agent"}
    work(ticket, "reply_customer", "agent", REPLY)
    assert task(ticket, "record_satisfaction").assignee.username == "agent"


OVERRUNS = {
    # task: (steps that lead to it, its role, resolution target in hours, warning point, its form, what follows)
    "handle_business": ([("first_line", "agent", NOT_AT_ONCE)], "business", 24, 0.75, HANDLED, "supervise_handling"),
    "handle_tech": (TO_TECH, "tech", 48, 0.8, {**TECH, "branch_solved": True}, "reply_customer"),
    "handle_hq": (TO_HQ, "hq", 72, 0.8, {"resolution": "Vendor patch"}, "reply_customer"),
}


@pytest.mark.parametrize("element", OVERRUNS)
def test_a_level_that_overruns_is_escalated_to_the_supervisor(app, fake_clock, element):
    steps, role, hours, warn, data, following = OVERRUNS[element]
    ticket = open_complaint()
    walk(ticket, steps)
    before = len(messages(ticket))
    handling = task(ticket, element)
    tickets.claim(staff(role), handling.id)  # answered in time: only the resolution promise runs on
    fake_clock.advance(hours=hours * warn, minutes=1)
    scheduler.sweep()
    assert messages(ticket)[before:] == [("sla_warning", "email", role), ("sla_warning", "sms", role)]
    fake_clock.advance(hours=hours * (1 - warn))
    scheduler.sweep()
    db.session.refresh(handling)
    assert (handling.sla_state, handling.priority) == ("breached", "high")
    assert messages(ticket)[before + 2:] == [("sla_breached", "email", "supervisor"),
                                             ("sla_breached", "sms", "supervisor")]
    assert [k for k in kinds(ticket) if k.startswith("sla_")] == ["sla_warned", "sla_breached"]
    work(ticket, element, role, data)  # late, but the breach stays on record
    assert open_tasks(ticket) == [following]


@pytest.mark.parametrize("data, field", [
    ({**COMPLAINT, "source": "fax"}, "source"),
    ({**COMPLAINT, "deadline": "next week"}, "deadline"),
    ({key: value for key, value in COMPLAINT.items() if key != "content"}, "content"),
])
def test_a_wrong_complaint_form_opens_nothing_and_names_the_field(app, data, field):
    with pytest.raises(InvalidInput) as caught:
        tickets.start_ticket(staff("agent"), "yellow_complaint", "x", customer_id=PORT_GROUP, data=data)
    assert [d["field"] for d in caught.value.details] == [field]
    assert caught.value.details[0]["message_zh"]


def test_satisfaction_must_be_one_to_five(app):
    ticket = open_complaint()
    walk(ticket, [*by_department("business"), ("reply_customer", "agent", REPLY)])
    with pytest.raises(InvalidInput) as caught:
        work(ticket, "record_satisfaction", "agent", {"satisfaction": 7})
    assert caught.value.details[0]["message"].startswith("Customer satisfaction must be one of")
    assert caught.value.details[0]["message_zh"].startswith("“客户满意度”必须是以下之一")
    assert open_tasks(ticket) == ["record_satisfaction"]


def test_the_diagram_validates_and_the_demo_deploys_it(app):
    assert problems("yellow_complaint") == []
    assert layout_problems("yellow_complaint") == []
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "yellow_complaint"))
    assert (model.channel, len(model.versions)) == ("yellow", 1)
    assert demo.load() == []  # already there: loading again adds nothing


def reply_promise(ticket):
    return next((c for c in tickets.sla_clocks(ticket) if c.kind == "reply"), None)


def test_the_reply_by_date_is_the_tickets_promise_on_the_office_calendar(app, fake_clock):
    ticket = open_complaint()  # Monday 2026-11-23 09:00 in Shanghai; the customer wants a reply by Thursday
    promise = reply_promise(ticket)
    thursday_close = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai, the office day's end
    assert (promise.until, promise.calendar, promise.due_at.replace(tzinfo=UTC)) == (
        "send_reply", "office", thursday_close)
    opened = [m for m in messages(ticket) if m == OPENED]
    assert opened and "2026-11-26 17:30 前答复您的投诉" in db.session.scalar(
        select(OutboxMessage.body).where(OutboxMessage.event == "notice_opened"))
    walk(ticket, [("first_line", "agent", AT_ONCE)])
    assert reply_promise(ticket).state == "met"  # kept when the reply went out


def test_an_overdue_reply_climbs_to_the_supervisor_then_the_account_manager(app, fake_clock):
    ticket = open_complaint("agent", deadline="2026-11-23")  # a reply promised for today, 17:30
    walk(ticket, [("first_line", "agent", NOT_AT_ONCE)])
    tickets.claim(staff("business"), task(ticket, "handle_business").id)  # the department works on it (a day)
    fake_clock.advance(hours=7, minutes=10)  # 16:10: 80 % of the 7 office hours from the call
    scheduler.sweep()
    assert reply_promise(ticket).state == "warned"
    fake_clock.advance(hours=1, minutes=21)  # 17:31 in Shanghai
    scheduler.sweep()
    assert reply_promise(ticket).state == "breached"
    fake_clock.advance(hours=7)  # one more target's length: the next rung
    scheduler.sweep()
    escalated = [(e.kind, e.data.get("role")) for e in tickets.history(ticket) if e.data.get("clock") == "reply"]
    assert escalated == [("sla_warned", None), ("sla_breached", None), ("sla_escalated", "account_manager")]
    assert [m for m in messages(ticket) if m[0] == "sla_breached"] == [
        ("sla_breached", "email", "supervisor"), ("sla_breached", "sms", "supervisor"),
        ("sla_breached", "email", "manager"), ("sla_breached", "sms", "manager")]


def test_a_hotline_complaint_tells_the_account_manager_who_called_and_what(app):
    ticket = open_complaint("agent", source="hotline_10018")
    body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.ticket_id == ticket.id,
                                                              OutboxMessage.event == "process_message",
                                                              OutboxMessage.channel == "email"))
    assert body == "Gao Feng (+86 139 1111 0001): The leased line drops every evening\n答复时限 / reply by: 2026-11-26"
    first_line = task(ticket, "first_line")
    assert (first_line.state, first_line.assignee.username) == ("claimed", "agent")  # the first responder's


@pytest.mark.parametrize("customer_id, status", [(None, None), (3, "departed"), (3, "prospect")])
def test_a_complaint_of_no_key_account_goes_to_the_ordinary_queue_with_a_closing_note(app, customer_id, status):
    if status:
        customers.change(db.session.get(Customer, customer_id), {"status": status}, "left the network")
        db.session.commit()
    ticket = tickets.start_ticket(staff("agent"), "yellow_complaint", "Someone complains", customer_id=customer_id,
                                  data=COMPLAINT)
    hand_over = task(ticket, "hand_over")
    assert (open_tasks(ticket), hand_over.assignee.username) == (["hand_over"], "agent")
    assert reply_promise(ticket) is None  # the key-account desk promised nothing
    assert [m for m in messages(ticket) if m[0] == "process_message"] == []  # no account manager to tell
    note = "Passed to the ordinary complaint desk as C-1182"
    work(ticket, "hand_over", "agent", {"handover_note": note})
    assert (ticket.status, ticket.data["handover_note"]) == ("closed", note)
    assert completed(ticket) == [("hand_over", "agent")]


@pytest.mark.parametrize("missing", ["complainant", "contact_phone"])
def test_a_complaint_names_the_complainant_and_their_phone(app, missing):
    with pytest.raises(InvalidInput) as caught:
        open_complaint(**{missing: ""}) if missing == "complainant" else tickets.start_ticket(
            staff("agent"), "yellow_complaint", "x", customer_id=PORT_GROUP,
            data={k: v for k, v in COMPLAINT.items() if k != missing})
    assert [d["field"] for d in caught.value.details] == [missing]


def test_solved_at_once_needs_the_reply(app):
    ticket = open_complaint()
    with pytest.raises(InvalidInput) as caught:
        work(ticket, "first_line", "agent", {"solved_at_once": True})
    assert sorted(d["field"] for d in caught.value.details) == ["reply", "reply_channel"]
    assert open_tasks(ticket) == ["first_line"]


def test_a_new_reply_by_date_moves_the_promise_with_its_warning_and_rungs(app, fake_clock):
    """The supervisor agrees a later reply-by date with the customer (004 §五.10): the promise is due at the close of
    the new day on the office calendar; a warning that came for the old date comes again for the new one, and
    the breach and rungs follow the new date."""
    ticket = open_complaint("agent", deadline="2026-11-23")  # today, 17:30 in Shanghai (7 office hours)
    walk(ticket, [("first_line", "agent", NOT_AT_ONCE), ("handle_business", "business", HANDLED)])
    fake_clock.advance(hours=7, minutes=10)  # 16:10: the warning for today's date
    scheduler.sweep()
    assert reply_promise(ticket).state == "warned"
    walk(ticket, [("supervise_handling", "supervisor", {**REDO, "deadline": "2026-11-25"})])
    promise = reply_promise(ticket)
    wednesday_close = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # 17:30 on Wednesday: 7 + 7.5 + 7.5 office hours
    assert (promise.state, promise.due_at.replace(tzinfo=UTC), promise.target_seconds) == (
        "pending", wednesday_close, 22 * 3600)
    moved = [e.data for e in tickets.history(ticket) if e.kind == "sla_moved"]
    assert moved == [{"clock": "reply", "due_at": wednesday_close.isoformat(),
                      "was_due_at": datetime(2026, 11, 23, 9, 30, tzinfo=UTC).isoformat()}]
    fake_clock.current = datetime(2026, 11, 23, 9, 31, tzinfo=UTC)  # past the old date: nothing happens
    scheduler.sweep()
    assert reply_promise(ticket).state == "pending"
    fake_clock.current = datetime(2026, 11, 25, 3, 37, tzinfo=UTC)  # 80 % of 22 h: Wednesday 11:36 at the desk
    scheduler.sweep()
    assert reply_promise(ticket).state == "warned"
    fake_clock.current = wednesday_close + timedelta(minutes=1)
    scheduler.sweep()
    assert reply_promise(ticket).state == "breached"
    fake_clock.current = datetime(2026, 11, 26, 7, 31, tzinfo=UTC)  # 22 h after the breach: the next rung
    scheduler.sweep()
    ladder = [(e.kind, e.data.get("role")) for e in tickets.history(ticket) if e.data.get("clock") == "reply"]
    assert ladder == [("sla_warned", None), ("sla_moved", None), ("sla_warned", None), ("sla_breached", None),
                      ("sla_escalated", "account_manager")]


def test_a_step_that_leaves_the_reply_by_date_alone_leaves_the_promise(app, fake_clock):
    ticket = open_complaint("agent")
    due = reply_promise(ticket).due_at
    walk(ticket, [("first_line", "agent", NOT_AT_ONCE), ("handle_business", "business", HANDLED),
                  ("supervise_handling", "supervisor", REDO)])
    assert reply_promise(ticket).due_at == due
    assert not [e for e in tickets.history(ticket) if e.kind == "sla_moved"]

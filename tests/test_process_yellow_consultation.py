"""Consultations and suggestions (bpmn/yellow_consultation.bpmn; 004 §三.4.6, §二.2(4)): every path (answered by the
recorder, by each department; a suggestion accepted or declined), the answer sent to the customer, the rating, what
is filed for the reports, and the checks on the forms."""

import pytest

from engine import tickets
from engine.errors import InvalidInput
from tests.process_library import completed, layout_problems, messages, problems, staff
from tests.process_walk import customer, open_task, sweep, work

ANSWER = {"answer": "Your line can be upgraded to 1 Gbit/s without a new contract."}


def record(kind: str, answered_by: str, opener: str = "agent", source: str = "hotline_10018"):
    return tickets.start_ticket(staff(opener), "yellow_consultation", "Upgrade question",
                                customer_id=customer("G0002").id,
                                data={"source": source, "kind": kind, "content": "Can we get more bandwidth?",
                                      "answered_by": answered_by})


def test_the_diagram_validates_and_is_laid_out(app):
    assert problems("yellow_consultation") == [] and layout_problems("yellow_consultation") == []


@pytest.mark.parametrize("kind, answered_by, element, who, answer, accepted", [
    ("consultation", "recorder", "answer_myself", "agent", ANSWER, False),  # first responder answers (首问负责制)
    ("consultation", "billing", "answer_billing", "billing", {**ANSWER, "accepted": False}, False),
    ("suggestion", "tech", "answer_tech", "tech",
     {**ANSWER, "accepted": True, "action_plan": "Offer 1 Gbit/s to every A customer"}, True),
    ("suggestion", "business", "answer_business", "business", {**ANSWER, "accepted": False}, False),
])
def test_every_path_answers_the_customer_and_files_the_rating(app, kind, answered_by, element, who, answer, accepted):
    ticket = record(kind, answered_by)
    task = open_task(ticket, element)
    if answered_by == "recorder":
        assert (task.assignee.username, task.state) == ("agent", "claimed")
        tickets.complete(staff("agent"), task.id, answer)
    else:
        work(ticket, element, who, answer)
    assert ("customer_notice", "sms", "+8613911110003") in messages(ticket)  # G0002's primary contact
    rating = open_task(ticket, "rate_answer")
    assert rating.assignee.username == "agent"  # back to whoever took the call
    tickets.complete(staff("agent"), rating.id, {"rating": 4, "rating_comment": "Quick and clear"})
    assert ticket.status == "closed"
    assert (ticket.data["suggestion_accepted"], ticket.data["satisfaction"]) == (accepted, 4)
    assert [e for e, _ in completed(ticket)] == [element, "rate_answer"]


@pytest.mark.parametrize("data, fields", [
    ({"source": "web", "kind": "suggestion", "content": "x", "answered_by": "recorder"}, ["answered_by"]),
    ({"source": "fax", "kind": "consultation", "content": "", "answered_by": "tech"}, ["content", "source"]),
])
def test_a_wrong_record_is_refused(app, data, fields):
    with pytest.raises(InvalidInput) as caught:
        tickets.start_ticket(staff("agent"), "yellow_consultation", "x", customer_id=customer("G0002").id, data=data)
    assert sorted(d["field"] for d in caught.value.details) == fields


def test_an_accepted_suggestion_says_what_will_be_done(app):
    ticket = record("suggestion", "tech")
    with pytest.raises(InvalidInput) as caught:
        work(ticket, "answer_tech", "tech", {**ANSWER, "accepted": True})
    assert [d["field"] for d in caught.value.details] == ["action_plan"]


def test_an_unanswered_department_climbs_to_the_supervisor(app, fake_clock):
    ticket = record("suggestion", "billing")
    task = open_task(ticket, "answer_billing")
    fake_clock.current = task.due_at
    fake_clock.advance(seconds=1)
    sweep()
    assert ("sla_breached", "email", "supervisor") in messages(ticket)

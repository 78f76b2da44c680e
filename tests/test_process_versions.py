"""Running tickets of the previous shipped version move to this one (the engine's migration, docs in README
"Migrating running tickets"): the red_fault diagram changed compatibly (new prioritise step, promise clocks,
the account manager's after-care, labelled notices), so a ticket waiting at the repair moves without a mapping
and finishes on the new flow. tests/previous_versions/ holds the diagrams as shipped before (red_fault: commit
577a883; yellow_complaint: commit 7e99356)."""

from pathlib import Path

from engine import deployments, migration, tickets
from tests.process_library import diagram, forms, staff
from tests.process_walk import customer, open_task, work

PREVIOUS = Path(__file__).resolve().parent / "previous_versions"
COMPLAINT = {"source": "web", "business_type": "leased_line", "category": "network_quality", "content": "Drops",
             "deadline": "2026-11-26", "complainant": "Gao Feng", "contact_phone": "+86 139 1111 0001"}
REPORT = {"service": "leased_line", "description": "Link down at the port office", "contact_phone": "+86 21 5555"}


def test_a_fault_waiting_at_the_repair_moves_to_the_new_red_fault_and_closes_on_it(app, fake_clock):
    deployments.deploy(staff("admin"), (PREVIOUS / "red_fault.bpmn").read_bytes(), diagram("red_fault")[1],
                       "as shipped before", forms("red_fault"))
    old = deployments.latest_version("red_fault").version
    ticket = tickets.start_ticket(staff("agent"), "red_fault", "Fault", data=REPORT, customer_id=customer("G0001").id)
    work(ticket, "accept_fault", "agent", {"impact": "outage", "customer_answered": True})
    work(ticket, "dispatch_on_site", "tech", {"engineer": "Zhang Lei", "arrived_at": "2026-11-23T01:40:00Z"})
    waiting = open_task(ticket, "repair_fault")
    bpmn, dmns = diagram("red_fault")
    deployments.deploy(staff("admin"), bpmn, dmns, "this branch", forms("red_fault"))
    new = deployments.latest_version("red_fault").version

    result = migration.migrate(staff("supervisor"), "red_fault", old, new)
    assert [t["id"] for t in result["migrated"]] == [ticket.id] and result["refused"] == []
    assert open_task(ticket, "repair_fault").id == waiting.id  # the same task row, its clocks kept
    work(ticket, "repair_fault", "tech", {"cause": "Fibre cut", "action": "Spliced", "restored": True})
    revisit = open_task(ticket, "revisit_customer")
    assert (revisit.assignee.username, revisit.state) == ("manager", "claimed")  # the new flow's owner
    work(ticket, "revisit_customer", "manager", {"revisit_done": True, "satisfaction": 5, "compensation_due": False})
    assert ticket.status == "closed"
    assert not [c for c in tickets.sla_clocks(ticket) if c.until]  # no promise started after the fact


def test_a_complaint_waiting_at_the_department_moves_to_the_new_yellow_complaint_and_closes_on_it(app, fake_clock):
    """yellow_complaint gained the key-account check, the hotline's word to the account manager, the key-account
    desk's answer at once and the reply promise (issue 16): a complaint already with the department moves without
    a mapping, gets no promise after the fact, and closes on the new flow with its closing notice."""
    deployments.deploy(staff("admin"), (PREVIOUS / "yellow_complaint.bpmn").read_bytes(), [],
                       "as shipped before", forms("yellow_complaint"))
    old = deployments.latest_version("yellow_complaint").version
    ticket = tickets.start_ticket(staff("agent"), "yellow_complaint", "Line drops", customer_id=customer("G0001").id,
                                  data=COMPLAINT)
    waiting = open_task(ticket, "handle_business")
    bpmn, dmns = diagram("yellow_complaint")
    deployments.deploy(staff("admin"), bpmn, dmns, "this branch", forms("yellow_complaint"))
    new = deployments.latest_version("yellow_complaint").version

    result = migration.migrate(staff("supervisor"), "yellow_complaint", old, new)
    assert [t["id"] for t in result["migrated"]] == [ticket.id] and result["refused"] == []
    assert open_task(ticket, "handle_business").id == waiting.id
    work(ticket, "handle_business", "business",
         {"cause": "Port", "action_taken": "Replaced", "department_solved": True})
    work(ticket, "supervise_handling", "supervisor", {"verdict": "solved"})
    work(ticket, "reply_customer", "agent", {"reply": "Stable again", "reply_channel": "phone"})
    work(ticket, "record_satisfaction", "agent", {"satisfaction": 5})
    assert ticket.status == "closed"
    assert not [c for c in tickets.sla_clocks(ticket) if c.until]  # no reply promise started after the fact
    assert [e.data["event"] for e in tickets.history(ticket) if e.kind == "customer_notified"] == [
        "customer_notice", "notice_closed"]

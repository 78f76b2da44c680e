"""Running tickets of the previous shipped version move to this one (the engine's migration, docs in README
"Migrating running tickets"): the red_fault diagram changed compatibly (new prioritise step, promise clocks,
the account manager's after-care, labelled notices), so a ticket waiting at the repair moves without a mapping
and finishes on the new flow. tests/previous_versions/ holds the diagrams as shipped before (red_fault: commit
577a883; yellow_complaint, contract_approval and its sign form, yellow_dunning and its decision table: commit
7e99356)."""

import json
from pathlib import Path

import run
from engine import contracts, deployments, migration, scheduler, tickets, timers
from engine.contracts import old_reminders
from tests.process_library import diagram, forms, staff
from tests.process_walk import customer, open_task, work
from tests.test_process_contract_approval import PATHS as CONTRACT_PATHS
from tests.test_process_contract_approval import SIGN
from tests.walk import reload, walk

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
def deploy_previous_contract_approval() -> int:
    """contract_approval as shipped before the contracts table (commit 7e99356): a timer kept a signed contract's
    ticket open until its expiry reminder."""
    old_forms = {**forms("contract_approval"), "contract_approval.sign":
                 json.loads((PREVIOUS / "contract_approval.sign.form.json").read_text())}
    deployments.deploy(staff("admin"), (PREVIOUS / "contract_approval.bpmn").read_bytes(),
                       diagram("contract_approval")[1], "as shipped before", old_forms)
    return deployments.latest_version("contract_approval").version


def deploy_current_contract_approval() -> int:
    bpmn, dmns = diagram("contract_approval")
    deployments.deploy(staff("admin"), bpmn, dmns, "this branch", forms("contract_approval"))
    return deployments.latest_version("contract_approval").version


def test_a_contract_in_approval_moves_to_the_new_version_and_is_filed_when_signed(app, fake_clock):
    """The contract_approval diagram changed compatibly up to the signature: a ticket waiting for the director moves
    without a mapping, and its signed contract lands in the customer's contracts; the ticket closes."""
    old = deploy_previous_contract_approval()
    ticket = start_contract()
    walk(ticket.id, CONTRACT_PATHS["signed within the director's authority"][0][:-2])
    new = deploy_current_contract_approval()

    result = migration.migrate(staff("supervisor"), "contract_approval", old, new)
    assert [t["id"] for t in result["migrated"]] == [ticket.id] and result["refused"] == []
    walk(ticket.id, [("director_approval", {"director_decision": "approve"}), ("sign_contract", SIGN)])
    assert reload(ticket).status == "closed"
    assert [c.number for c in contracts.of(customer("G0002")) if c.ticket_id == ticket.id] == ["HT-2026-0101"]


def signed_on_the_old_version():
    """A contract signed on the old version: its ticket waits at the old expiry timer (30 days before the end)."""
    old = deploy_previous_contract_approval()
    ticket = start_contract()
    walk(ticket.id, [*CONTRACT_PATHS["signed within the director's authority"][0][:-1],
                     ("sign_contract", {**SIGN, "reminder_days": 30})])
    return old, ticket


def test_the_migration_check_says_why_a_signed_contract_waiting_for_its_old_expiry_timer_stays_and_what_to_do(
        app, fake_clock):
    """Its expiry timer has no counterpart in the new version (the reminders come from the contracts table): the
    migration refuses it with one reason in both languages that names the one-off command, and changes nothing."""
    old, ticket = signed_on_the_old_version()
    new = deploy_current_contract_approval()

    for report in (migration.check(staff("supervisor"), "contract_approval", old, new),
                   migration.migrate(staff("supervisor"), "contract_approval", old, new)):
        reason, = report["refused"][0]["reasons"]
        assert (reason["element_id"], reason["code"]) == ("expiry_reminder", "signed_contract_waits")
        assert "migrate-signed-contracts --as USER" in reason["reason"] and "nothing was changed" in reason["reason"]
        assert "migrate-signed-contracts" in reason["reason_zh"] and "未做任何更改" in reason["reason_zh"]
    ticket = reload(ticket)
    assert (ticket.status, ticket.process_version.version) == ("open", old)
    assert [t.element_id for t in timers.armed(ticket, "bpmn")] == ["expiry_reminder"]


def test_migrate_signed_contracts_lists_them_then_files_each_contract_and_closes_its_ticket(app, fake_clock, capsys):
    """The dry run lists the ticket and changes nothing; --apply moves it to the current version at the filing
    step: the contract lands in the customer's contracts (reminded from there), the ticket closes, its old timer
    is gone, and its history says so."""
    old, ticket = signed_on_the_old_version()
    new = deploy_current_contract_approval()

    assert run.migrate_signed_contracts(app, "supervisor", apply=False) == 0
    out = capsys.readouterr().out
    assert f"{ticket.number} (version {old}, customer G0002, contract HT-2026-0101)" in out and "dry run" in out
    assert (reload(ticket).status, filed(ticket)) == ("open", [])

    fake_clock.advance(days=2)
    assert run.migrate_signed_contracts(app, "supervisor", apply=True) == 0
    assert f"{ticket.number}: moved to version {new}, contract filed, ticket closed" in capsys.readouterr().out
    ticket = reload(ticket)
    assert (ticket.status, ticket.process_version.version) == ("closed", new)
    assert filed(ticket) == [("HT-2026-0101", "2026-11-30", "2027-06-30")]
    assert timers.armed(ticket, "bpmn") == []
    line, = [e for e in tickets.history(ticket) if e.kind == "migrated"]
    assert (line.data["from_version"], line.data["to_version"], line.data["mapping"]["expiry_reminder"]) == (
        old, new, "file_signed_contract")
    assert "migrate-signed-contracts" in line.data["why"] and line.actor.username == "supervisor"
    assert old_reminders.move(staff("supervisor"))["waiting"] == []  # nothing left to move


def test_a_signed_contract_whose_number_is_on_file_already_is_not_moved(app, fake_clock, capsys):
    """The contract was entered by hand meanwhile: filing it again would fail, so the ticket stays as it was and
    the command says why in both languages."""
    old, ticket = signed_on_the_old_version()
    deploy_current_contract_approval()
    contracts.add(staff("manager"), customer("G0002").id, {"number": "HT-2026-0101", "title": "Entered by hand",
                                                           "start_date": "2026-11-30"}, "entered by hand")
    assert run.migrate_signed_contracts(app, "supervisor", apply=True) == 1
    err = capsys.readouterr().err
    assert f"{ticket.number}: not moved" in err and "HT-2026-0101" in err and "已被使用" in err
    ticket = reload(ticket)
    assert (ticket.status, ticket.process_version.version) == ("open", old)
    assert [t.element_id for t in timers.armed(ticket, "bpmn")] == ["expiry_reminder"]


def test_only_a_supervisor_or_admin_moves_them(app, fake_clock, capsys):
    signed_on_the_old_version()
    deploy_current_contract_approval()
    assert run.migrate_signed_contracts(app, "agent", apply=True) == 1
    assert capsys.readouterr().err
    assert len(old_reminders.move(staff("supervisor"))["waiting"]) == 1


def filed(ticket) -> list[tuple[str, str, str]]:
    return [(c.number, c.start_date.isoformat(), c.end_date.isoformat())
            for c in contracts.of(customer("G0002")) if c.ticket_id == ticket.id]


def start_contract():
    return tickets.start_ticket(staff("manager"), "contract_approval", "Leased line contract",
                                customer_id=customer("G0002").id,
                                data={"service": "leased_line", "requirement": "Two 1 Gbit/s lines to the port"})


def test_dunning_tickets_of_the_previous_version_move_and_go_on_with_the_step_up_and_the_promised_date(app, fake_clock):
    """yellow_dunning changed compatibly for tickets past the method's choice (the review, the arrears on the record
    and the promise's wait are new elements on the way): a ticket waiting for its voice call and one waiting at the
    three-day timer move without a mapping; the timer keeps its due time, and the next failure steps up."""
    deployments.deploy(staff("admin"), (PREVIOUS / "yellow_dunning.bpmn").read_bytes(),
                       [(PREVIOUS / "yellow_dunning.dmn").read_bytes()], "as shipped before", forms("yellow_dunning"))
    old = deployments.latest_version("yellow_dunning").version
    calling, waiting = (tickets.start_ticket(staff("billing"), "yellow_dunning", "Arrears",
                                             customer_id=customer(code).id,
                                             data={"billing_period": "2026-10", "overdue_since": "2026-11-15",
                                                   "arrears_amount": amount})
                        for code, amount in (("G0004", 8000), ("P0003", 300)))
    for ticket, amount in ((calling, 8000), (waiting, 300)):
        work(ticket, "check_account", "billing", {"contract_number": "HT-2025-0042", "contract_status": "valid",
                                                  "arrears_amount": amount, "arrears_confirmed": True})
    bpmn, dmns = diagram("yellow_dunning")
    deployments.deploy(staff("admin"), bpmn, dmns, "this branch", forms("yellow_dunning"))
    new = deployments.latest_version("yellow_dunning").version

    result = migration.migrate(staff("supervisor"), "yellow_dunning", old, new)
    assert sorted(t["id"] for t in result["migrated"]) == sorted([calling.id, waiting.id]) and result["refused"] == []
    work(calling, "voice_reminder", "billing", {"contact_result": "promised_to_pay", "promised_date": "2026-12-05"})
    fake_clock.advance(days=3, minutes=1)
    scheduler.sweep()
    assert (open_task_ids(calling), open_task_ids(waiting)) == ([], ["check_payment"])  # the promise; the old timer
    work(waiting, "check_payment", "billing", {"paid": False, "paid_amount": 0})
    assert open_task_ids(waiting) == ["voice_reminder"]  # the SMS failed: it steps up


def open_task_ids(ticket) -> list[str]:
    return [t.element_id for t in reload(ticket).tasks if t.state in ("open", "claimed")]

"""Contract approval (bpmn/contract_approval.bpmn), run alone: every path, each loop; a signed contract filed in the
customer's contracts, a refused or withdrawn one told to the supervisors and the customer (004 §四.1.4, §四.1.6)."""

import itertools
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import contacts, contracts, customers, deployments, runtime, tickets
from engine.db import db
from engine.directory import users
from engine.errors import InvalidInput, ProcessError
from engine.models import Customer
from notifications.outbox import OutboxMessage
from tests.process_library import completed, messages
from tests.walk import open_steps, reload, walk, work

BPMN = Path(__file__).resolve().parent.parent / "bpmn"
DRAFT = {"template": "standard_service", "contract_no": "HT-2026-0101", "amount": 200000, "term_months": 24,
         "discount_percent": 5, "departments": ["business", "billing", "tech"]}
SIGN = {"signed_on": "2026-11-30", "contract_end": "2027-06-30"}
SUPERVISOR_ALERT = [("contract_refused", "email", "supervisor"), ("contract_refused", "sms", "supervisor")]


def approve(who: str) -> dict:
    return {f"{who}_decision": "approve"}


def reject(who: str) -> dict:
    return {f"{who}_decision": "reject", f"{who}_comment": "Clause 7 must change"}


WORKED_BY = {"countersign_business": "business", "countersign_billing": "billing", "countersign_tech": "tech",
             "director_approval": "director", "vp_approval": "vp"}  # the account manager works the rest
COUNTERSIGNED = [(f"countersign_{d}", approve(d)) for d in DRAFT["departments"]]
REVIEWED = [("customer_review", {"customer_answer": "accepted"})]
TO_DIRECTOR = [("draft_contract", DRAFT), *COUNTERSIGNED, *REVIEWED]

PATHS = {
    "signed within the director's authority": (
        [*TO_DIRECTOR, ("director_approval", approve("director")), ("sign_contract", SIGN)], "signed"),
    "countersign rejected and changes asked, then signed by the vp": (
        [("draft_contract", {**DRAFT, "departments": ["business", "billing"]}),
         ("countersign_business", approve("business")), ("countersign_billing", reject("billing")),
         ("draft_contract", {**DRAFT, "departments": ["billing"]}), ("countersign_billing", approve("billing")),
         ("customer_review", {"customer_answer": "change_requested", "customer_comment": "Lower the price"}),
         ("draft_contract", {**DRAFT, "amount": 800000, "departments": ["tech"]}),
         ("countersign_tech", approve("tech")), *REVIEWED,
         ("director_approval", approve("director")), ("vp_approval", approve("vp")), ("sign_contract", SIGN)],
        "signed"),
    "the customer withdraws": (
        [("draft_contract", DRAFT), *COUNTERSIGNED,
         ("customer_review", {"customer_answer": "withdrawn", "customer_comment": "Budget cut"})], "withdrawn"),
    "the director rejects": ([*TO_DIRECTOR, ("director_approval", reject("director"))], "rejected"),
    "the vp rejects": (
        [("draft_contract", {**DRAFT, "term_months": 48}), *COUNTERSIGNED, *REVIEWED,
         ("director_approval", approve("director")), ("vp_approval", reject("vp"))], "rejected"),
}


@pytest.fixture
def customer(app):
    return db.session.scalar(select(Customer).where(Customer.code == "G0002"))


def start(customer: Customer):
    return tickets.start_ticket(users.by_username("manager"), "contract_approval", "Leased line contract",
                                customer_id=customer.id,
                                data={"service": "leased_line", "requirement": "Two 1 Gbit/s lines to the port"})


def filed(ticket, customer: Customer) -> list[str]:
    """The numbers of the customer's contracts signed through the ticket."""
    return [c.number for c in contracts.of(customer) if c.ticket_id == ticket.id]


def outcome(ticket) -> str:
    """What the process hands back to a caller when it ends (its data output contract_status)."""
    return runtime.load(ticket).data["contract_status"]


@pytest.mark.parametrize("steps, status", PATHS.values(), ids=PATHS.keys())
def test_each_path_ends_as_the_decisions_say(fake_clock, customer, steps, status):
    ticket = start(customer)
    assert ticket.channel == "green" and ticket.number.startswith("G-")
    walk(ticket.id, steps)
    ticket = reload(ticket)
    assert completed(ticket) == [(element, WORKED_BY.get(element, "manager")) for element, _ in steps]
    assert open_steps(ticket.id) == []
    assert (ticket.status, outcome(ticket)) == ("closed", status)  # a signed contract no longer keeps it open
    told = [] if status == "signed" else [*SUPERVISOR_ALERT, ("contract_refused_notice", "sms", primary(customer))]
    assert messages(ticket) == told
    assert filed(ticket, customer) == (["HT-2026-0101"] if status == "signed" else [])
    kinds = [e.kind for e in tickets.history(ticket)]
    assert kinds[0] == "created" and kinds[-1] == "closed"


def test_the_signed_contract_is_filed_in_the_customers_contracts_with_a_link_to_the_ticket(app, customer):
    ticket = start(customer)
    walk(ticket.id, PATHS["signed within the director's authority"][0])
    contract, = [c for c in contracts.of(customer) if c.number == "HT-2026-0101"]
    assert (contract.title, contract.amount, contract.start_date, contract.end_date, contract.status,
            contract.ticket_id) == ("Leased line contract", Decimal("200000.00"), date(2026, 11, 30),
                                    date(2027, 6, 30), "active", ticket.id)
    line = customers.history(customer)[-1]
    assert (line.field, line.new, line.contract_id, line.ticket_id, line.actor.username) == (
        "contract", "HT-2026-0101", contract.id, ticket.id, "manager")
    assert ticket.number in line.reason


def test_a_contract_number_in_use_stops_the_signing_and_a_new_number_files_it(app, customer):
    contracts.add(users.by_username("manager"), customer.id, {"number": "HT-2026-0101", "title": "Older contract",
                                                              "start_date": "2025-01-01"}, "entered by hand")
    ticket = start(customer)
    walk(ticket.id, PATHS["signed within the director's authority"][0][:-1])
    with pytest.raises(ProcessError) as caught:
        work(ticket.id, "sign_contract", SIGN)
    assert "HT-2026-0101" in caught.value.message and "已被使用" in caught.value.details["message_zh"]
    assert open_steps(ticket.id) == [("sign_contract", "manager")]  # nothing changed
    work(ticket.id, "sign_contract", {**SIGN, "contract_no": "HT-2026-0101-A"})
    assert reload(ticket).status == "closed"
    assert filed(ticket, customer) == ["HT-2026-0101-A"]


@pytest.mark.parametrize("path, staff_text, customer_text", [
    ("the director rejects", "refused by the director", "合同 HT-2026-0101 按现有条款未能获批"),
    ("the vp rejects", "refused by the vice-president", "合同 HT-2026-0101 按现有条款未能获批"),
    ("the customer withdraws", "withdrawn by the customer", "合同 HT-2026-0101 已按您的要求撤回"),
])
def test_a_refused_or_withdrawn_contract_says_who_and_why_to_the_supervisor_and_tells_the_customer(
        app, customer, path, staff_text, customer_text):
    ticket = start(customer)
    walk(ticket.id, PATHS[path][0])
    sent = {m.event: m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id,
                                                                               OutboxMessage.channel == "sms"))}
    alert, notice = sent["contract_refused"], sent["contract_refused_notice"]
    assert staff_text in alert.body and customer.name in alert.body
    assert ("Clause 7 must change" if "refused" in staff_text else "Budget cut") in alert.body
    assert customer_text in notice.body and "客户经理将与您联系" in notice.body  # in the desk's language
    assert notice.address == primary(customer)


def test_only_the_departments_concerned_countersign_each_round(app, customer):
    ticket = start(customer)
    work(ticket.id, "draft_contract", {**DRAFT, "departments": ["billing", "tech"]})
    assert open_steps(ticket.id) == [("countersign_billing", "billing"), ("countersign_tech", "tech")]
    work(ticket.id, "countersign_billing", approve("billing"))
    assert open_steps(ticket.id) == [("countersign_tech", "tech")]  # the join waits for every branch
    work(ticket.id, "countersign_tech", reject("tech"))
    assert open_steps(ticket.id) == [("draft_contract", "manager")]
    work(ticket.id, "draft_contract", {**DRAFT, "departments": ["business"]})
    work(ticket.id, "countersign_business", approve("business"))  # tech's earlier rejection no longer counts
    assert open_steps(ticket.id) == [("customer_review", "manager")]


DEPARTMENTS = ("business", "billing", "tech")


@pytest.mark.parametrize("rejecting", [*DEPARTMENTS, None])
@pytest.mark.parametrize("order", list(itertools.permutations(DEPARTMENTS)), ids="-".join)
def test_a_rejection_stands_whichever_department_answers_last(app, customer, order, rejecting):
    """Regression: the parallel countersignatures (会签) merged at the join; a later branch's empty decision
    overwrote an earlier rejection. Each department's decision and comment now reach the join untouched."""
    ticket = start(customer)
    work(ticket.id, "draft_contract", DRAFT)
    for department in order:
        work(ticket.id, f"countersign_{department}", reject(department) if department == rejecting
             else approve(department))
    expected = ("draft_contract", "manager") if rejecting else ("customer_review", "manager")
    assert open_steps(ticket.id) == [expected]
    decisions = runtime.load(reload(ticket)).get_tasks(spec_name="draft_contract" if rejecting else "customer_review")
    data = decisions[-1].data
    assert {d: data[f"{d}_decision"] for d in DEPARTMENTS} == {
        d: "reject" if d == rejecting else "approve" for d in DEPARTMENTS}
    if rejecting:
        assert data[f"{rejecting}_comment"] == "Clause 7 must change"


@pytest.mark.parametrize("amount, term, discount, next_step", [
    (500000, 36, 10, ("sign_contract", "manager")),
    (500000.01, 12, 0, ("vp_approval", "vp")),
    (100000, 37, 0, ("vp_approval", "vp")),
    (100000, 12, 10.5, ("vp_approval", "vp")),
])
def test_the_decision_table_sends_contracts_above_the_directors_authority_to_the_vp(
        app, customer, amount, term, discount, next_step):
    ticket = start(customer)
    walk(ticket.id, [("draft_contract", {**DRAFT, "amount": amount, "term_months": term,
                                         "discount_percent": discount}),
                     *COUNTERSIGNED, *REVIEWED, ("director_approval", approve("director"))])
    assert open_steps(ticket.id) == [next_step]


@pytest.mark.parametrize("before, element, data, field, message_zh", [
    ([], "draft_contract", {**DRAFT, "departments": []}, "departments", "“会签部门”至少需要 1 项"),
    ([], "draft_contract", {**DRAFT, "term_months": 0}, "term_months", "“合同期限（月）”不能小于 1"),
    (TO_DIRECTOR[:1], "countersign_business", {"business_decision": "reject"}, "business_comment", "“说明”为必填项"),
    ([*TO_DIRECTOR, ("director_approval", approve("director"))], "sign_contract",
     {**SIGN, "contract_end": "2026-11-29"}, "contract_end", "“合同到期日”必须晚于“签署日期”"),
])
def test_a_wrong_form_value_is_refused_by_its_label_and_changes_nothing(app, customer, before, element, data, field,
                                                                         message_zh):
    ticket = start(customer)
    walk(ticket.id, before)
    waiting = open_steps(ticket.id)
    with pytest.raises(InvalidInput) as caught:
        work(ticket.id, element, data)
    assert [(d["field"], d["message_zh"]) for d in caught.value.details] == [(field, message_zh)]
    assert open_steps(ticket.id) == waiting


def test_the_shipped_diagram_validates_and_the_demo_deployed_it(app):
    dmn = [(BPMN / "contract_approval.authority.dmn").read_bytes()]
    assert deployments.validate((BPMN / "contract_approval.bpmn").read_bytes(), dmn) == []
    version = deployments.latest_version("contract_approval")
    assert (version.model.channel, version.version, len(version.dmn_xml)) == ("green", 1, 1)
    assert "timerEventDefinition" not in version.bpmn_xml  # nothing keeps a ticket open until the contract ends


def test_the_customer_record_links_the_filed_contract_to_its_ticket(api, customer):
    ticket = start(customer)
    walk(ticket.id, PATHS["signed within the director's authority"][0])
    answer = api("get", f"/customers/{customer.id}/contracts", "manager").json
    rows = answer["contracts"] if isinstance(answer, dict) else answer
    assert [(c["number"], c["ticket"]) for c in rows if c["number"].startswith("HT-2026")] == [
        ("HT-2026-0101", ticket.number)]
    assert {c["ticket"] for c in rows if not c["number"].startswith("HT-2026")} == {None}  # the hand-entered one


def test_a_contract_of_no_customer_cannot_be_filed_and_the_signing_waits(app):
    ticket = tickets.start_ticket(users.by_username("manager"), "contract_approval", "Contract without a customer",
                                  data={"service": "leased_line", "requirement": "Two lines"})
    walk(ticket.id, PATHS["signed within the director's authority"][0][:-1])
    with pytest.raises(ProcessError) as caught:
        work(ticket.id, "sign_contract", SIGN)
    assert "has no customer to file the contract on" in caught.value.message
    assert "未关联客户，无法归档合同" in caught.value.details["message_zh"]
    assert open_steps(ticket.id) == [("sign_contract", "manager")]


def test_the_customer_page_shows_the_filed_contract_with_its_ticket(staff, customer):
    ticket = start(customer)
    walk(ticket.id, PATHS["signed within the director's authority"][0])
    page = staff("manager").get(f"/customers/{customer.id}").get_data(as_text=True)
    row = page[page.index('data-contract="HT-2026-0101"'):]
    assert f'href="/tickets/{ticket.id}"' in row[:row.index("</tr>")]


def primary(customer) -> str:
    """Customer notices go to the customer's primary contact (engine.notices.recipients)."""
    return contacts.of(customer)[0].phone

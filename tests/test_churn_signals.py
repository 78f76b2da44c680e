"""Pre-churn signals open retention plans by themselves (issue 20; 004 §三.2.6 "离网预警", §五.8): the API and the
import weigh a customer at once with the decision table churn_signal_weight; the nightly pass (bpmn/churn_watch.bpmn)
derives complaints and dissatisfied answers; over the threshold exactly one retention_plan ticket opens for the
account manager, under it the customer is on the supervisors' at-risk list; all within the caller's branches."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import deployments, scheduler, tickets
from engine.churn.models import ChurnScore, ChurnSignal
from engine.db import db
from engine.directory import branches, users
from engine.imports import batches
from engine.models import ProcessModel, ProcessVersion, Ticket
from tests.process_library import layout_problems, messages, problems, staff
from tests.process_walk import customer, open_task, work

BPMN = Path(__file__).resolve().parent.parent / "bpmn"
NIGHTLY_DUE = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)  # 1 December 01:30 at the desk
STRONG = [("call_forwarding", "All calls forwarded to a 139 number since Monday"),
          ("competitor_calls", "Forty calls a day to a competitor's sales line"),
          ("bill_anomaly", "November bill 60 % under the average of the year")]


@pytest.fixture(autouse=True)
def desk_clock(fake_clock):
    """Set before the demo deploys (autouse comes before ``app``): the nightly schedule plans 1 December 01:30."""
    return fake_clock


def signal(api, code: str, kind: str, details: str = "seen by the billing analysis", username: str = "agent",
           **extra):
    return api("post", f"/customers/{customer(code).id}/signals", username,
               json={"kind": kind, "details": details, **extra})


def plans(code: str) -> list[Ticket]:
    return list(db.session.scalars(select(Ticket).join(ProcessVersion).join(ProcessModel).where(
        ProcessModel.key == "retention_plan", Ticket.customer_id == customer(code).id).order_by(Ticket.id)))


def at_risk(api, username: str = "supervisor", query: str = "") -> list[tuple[str, int]]:
    answer = api("get", f"/churn/at-risk{query}", username)
    assert answer.status_code == 200, answer.get_json()
    return [(row["customer"]["code"], row["score"]) for row in answer.get_json()["at_risk"]]


def redeploy(threshold: int) -> None:
    """A supervisor lowers the threshold in the modeller: the rule book is the newest churn_watch version."""
    xml = (BPMN / "churn_watch.bpmn").read_bytes().replace(b'name="churn.threshold" value="100"',
                                                           f'name="churn.threshold" value="{threshold}"'.encode())
    deployments.deploy(staff("supervisor"), xml, [(BPMN / "churn_watch.dmn").read_bytes()])


def test_the_watch_validates_and_the_demo_deployed_it_with_its_nightly_schedule(app):
    assert problems("churn_watch") == [] and layout_problems("churn_watch") == []
    assert deployments.latest_version("churn_watch").properties["churn.threshold"] == "100"


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_three_strong_signals_on_a_key_account_open_exactly_one_plan_for_its_account_manager(app, api):
    outcomes = [signal(api, "G0002", kind, details).get_json()["outcome"] for kind, details in STRONG]
    assert outcomes == ["at_risk", "at_risk", "opened"]  # 40, 75, then 105 against 100
    [plan] = plans("G0002")
    assert (plan.priority, plan.data["signal"], plan.data["churn_score"]) == ("high", "call_forwarding", 105)
    assert "Forty calls a day" in plan.data["details"] and "阈值 100" in plan.data["details"]
    task = open_task(plan, "choose_plan")
    assert (task.assignee.username, task.state) == ("manager", "claimed")
    assert ("retention_alert", "sms", "manager") in messages(plan)
    again = signal(api, "G0002", "rising_complaints", "Two complaints this week", count=2)
    assert again.get_json()["outcome"] == "plan_open" and len(plans("G0002")) == 1
    assert again.get_json()["score"]["score"] == 115
    assert at_risk(api) == []  # over the threshold: a plan, not the list


def test_a_kind_counts_once_and_a_b_customer_stays_at_risk_until_a_supervisor_acts(app, api):
    for kind, details in STRONG + STRONG[:1]:
        signal(api, "G0003", kind, details)
    assert at_risk(api) == [("G0003", 75)] and plans("G0003") == []  # 30 + 25 + 20; forwarding twice counts once
    assert at_risk(api, query="?tier=A") == []
    opened = api("post", f"/churn/at-risk/{customer('G0003').id}/plan", "supervisor")
    assert opened.status_code == 201, opened.get_json()
    [plan] = plans("G0003")
    assert plan.creator.username == "supervisor" and plan.data["churn_score"] == 75
    twice = api("post", f"/churn/at-risk/{customer('G0003').id}/plan", "supervisor")
    assert twice.status_code == 409 and len(plans("G0003")) == 1
    assert api("post", f"/churn/at-risk/{customer('G0003').id}/plan", "agent").status_code == 403


def test_a_closed_plan_lets_the_next_signals_open_a_new_one(app, api):
    for kind, details in STRONG:
        signal(api, "G0002", kind, details)
    tickets.cancel(staff("supervisor"), plans("G0002")[0].id, "duplicate of a phone call")
    assert signal(api, "G0002", "bill_anomaly", "December bill too").get_json()["outcome"] == "opened"
    assert [t.status for t in plans("G0002")] == ["cancelled", "open"]


def test_the_threshold_is_the_deployed_diagrams_to_change(app, api):
    redeploy(threshold=50)
    assert signal(api, "G0003", "call_forwarding").get_json()["outcome"] == "at_risk"  # 30
    assert signal(api, "G0003", "competitor_calls").get_json()["outcome"] == "opened"  # 30 + 25 = 55
    assert len(plans("G0003")) == 1


def test_a_signal_counts_for_the_window_only(app, api, fake_clock):
    signal(api, "G0002", "call_forwarding", observed_on="2026-08-24")  # 91 days before 23 November
    answer = signal(api, "G0002", "competitor_calls", observed_on="2026-08-25")
    assert answer.get_json()["score"]["score"] == 35 and answer.get_json()["score"]["weights"] == {
        "competitor_calls": 35}


@pytest.mark.parametrize("body, fields", [
    ({"kind": "gossip", "details": "x"}, ["kind"]),
    ({"kind": "call_forwarding", "details": "  "}, ["details"]),
    ({"kind": "call_forwarding", "details": "x", "observed_on": "2026-13-01"}, ["observed_on"]),
    ({"kind": "call_forwarding", "details": "x", "observed_on": "2026-11-24"}, ["observed_on"]),  # tomorrow
    ({"kind": "dissatisfied_revisits", "details": "x"}, ["kind"]),  # the desk derives that one itself
    ({"details": "x", "count": -1}, ["count", "kind"]),
])
def test_a_wrong_signal_is_refused_naming_its_fields_and_changes_nothing(app, api, body, fields):
    answer = api("post", f"/customers/{customer('G0002').id}/signals", "agent", json=body)
    assert answer.status_code == 422
    details = answer.get_json()["error"]["details"]
    assert sorted(d["field"] for d in details) == fields and all(d["message_zh"] for d in details)
    assert db.session.scalar(select(func.count()).select_from(ChurnSignal)) == 0


def test_signals_and_the_list_keep_to_the_callers_branches(app, api):
    """G0001 is Pudong's, G0004 Minhang's: a Minhang agent cannot report on G0001 (404, as if it did not exist),
    and a Pudong supervisor's at-risk list holds Pudong's customers only."""
    assert signal(api, "G0001", "call_forwarding", username="minhang").status_code == 404
    assert signal(api, "G0004", "call_forwarding", username="minhang").status_code == 201
    assert signal(api, "G0001", "call_forwarding", username="pudong").status_code == 201
    users.create_user("pdsuper", "demo", ["supervisor"], "Pudong supervisor", branch=branches.by_code("SH-PD"))
    db.session.commit()
    assert at_risk(api, "pdsuper") == [("G0001", 40)]
    assert sorted(at_risk(api)) == [("G0001", 40), ("G0004", 30)]
    assert api("get", "/churn/at-risk", "pudong").status_code == 403  # account managers work the plans, not the list
    assert api("get", f"/customers/{customer('G0001').id}/signals", "minhang").status_code == 404
    seen = api("get", f"/customers/{customer('G0001').id}/signals", "pudong").get_json()
    assert [s["kind"] for s in seen["signals"]] == ["call_forwarding"] and seen["score"]["score"] == 40


def complaint(code: str) -> Ticket:
    return tickets.start_ticket(staff("agent"), "yellow_complaint", "Line drops", customer_id=customer(code).id,
                                data={"source": "hotline_1001", "business_type": "leased_line",
                                      "category": "network_quality", "content": "The line drops every evening",
                                      "deadline": "2026-11-26", "complainant": "Gao Feng",
                                      "contact_phone": "+86 139 1111 0001"})


def dissatisfied(code: str, fake_clock) -> Ticket:
    """A ticket closed this week whose customer answered the satisfaction question with 1."""
    ticket = complaint(code)
    ticket.status, ticket.closed_at, ticket.data = "closed", fake_clock.now(), {**ticket.data, "satisfaction": 1}
    db.session.commit()
    return ticket


def run_nightly_pass(fake_clock, due: datetime = NIGHTLY_DUE) -> Ticket:
    fake_clock.current = due.replace(second=1)
    scheduler.sweep()
    found = db.session.scalars(select(Ticket).join(ProcessVersion).join(ProcessModel)
                               .where(ProcessModel.key == "churn_watch").order_by(Ticket.id.desc())).first()
    assert found is not None and found.status == "closed", found and found.status
    return found


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_the_nightly_pass_derives_complaints_and_dissatisfaction_and_opens_the_plan_they_complete(
        app, api, fake_clock):
    signal(api, "G0001", "call_forwarding")
    signal(api, "G0001", "competitor_calls")  # 75: at risk
    for _ in range(3):
        complaint("G0001")  # three complaints this week: +25
    dissatisfied("G0003", fake_clock)  # one unhappy answer at a B customer: +20, and one complaint: +10
    watch = run_nightly_pass(fake_clock)
    assert [t.status for t in plans("G0001")] == ["open"]
    assert (watch.data["plans_opened"], watch.data["at_risk"], watch.data["customers_scored"]) == (1, 1, 2)
    assert db.session.get(ChurnScore, customer("G0001").id).weights == {
        "call_forwarding": 40, "competitor_calls": 35, "rising_complaints": 25}
    assert at_risk(api) == [("G0003", 30)]
    derived = db.session.scalars(select(ChurnSignal).where(ChurnSignal.source == "derived")
                                 .order_by(ChurnSignal.customer_id, ChurnSignal.kind)).all()
    assert [(s.customer.code, s.kind, s.count) for s in derived] == [
        ("G0001", "rising_complaints", 3), ("G0003", "dissatisfied_revisits", 1), ("G0003", "rising_complaints", 1)]
    # the next night: same data, the derived signals are renewed, not added; still one plan
    run_nightly_pass(fake_clock, NIGHTLY_DUE + timedelta(days=1))
    assert len(plans("G0001")) == 1
    assert db.session.scalar(select(func.count()).select_from(ChurnSignal).where(ChurnSignal.source == "derived")) == 6


def test_a_derived_signal_lapses_when_the_data_no_longer_shows_it(app, api, fake_clock):
    dissatisfied("G0003", fake_clock)
    run_nightly_pass(fake_clock)
    assert at_risk(api) == [("G0003", 30)]
    run_nightly_pass(fake_clock, NIGHTLY_DUE + timedelta(days=31))  # the complaint is 38 days old now
    assert at_risk(api) == []
    assert db.session.get(ChurnScore, customer("G0003").id).score == 0


CSV = ("reference,customer,kind,details,observed_on\n"
       "BI-1,G0002,call_forwarding,Forwarded to a 139 number,2026-11-20\n"
       "BI-2,G0002,competitor_calls,Calls to a competitor,2026-11-21\n"
       "BI-3,G0002,bill_anomaly,Bill down 60 %,2026-11-22\n"
       "BI-4,G0003,bill_anomaly,Bill down 30 %,2026-11-22\n")


def test_an_import_of_signals_weighs_each_customer_once_and_again_adds_nothing(app):
    supervisor = staff("supervisor")
    batch = batches.preview(supervisor, "signals", "bi.csv", CSV.encode())
    assert batch.problems == [] and batch.summary == {"new": 4, "changed": 0, "unchanged": 0}
    batches.commit(supervisor, batch.id)
    assert len(plans("G0002")) == 1 and plans("G0003") == []
    assert db.session.get(ChurnScore, customer("G0003").id).score == 20
    again = batches.preview(supervisor, "signals", "bi.csv", CSV.encode())
    assert again.summary == {"new": 0, "changed": 0, "unchanged": 4}
    batches.commit(supervisor, again.id)
    assert len(plans("G0002")) == 1
    assert db.session.scalar(select(func.count()).select_from(ChurnSignal)) == 4


def test_a_wrong_import_row_is_named_by_row_and_column(app):
    rows = ("reference,customer,kind,details\n"
            "BI-9,G9999,call_forwarding,x\n"
            "BI-10,G0002,gossip,x\n"
            "BI-1,G0002,call_forwarding,x\n")
    minhang = batches.preview(staff("minhang"), "signals", "bi.csv", rows.encode())
    found = [(p["row"], p["column"]) for p in minhang.problems]
    assert found == [(2, "customer"), (3, "customer"), (3, "kind"), (4, "customer")]  # G0002 is not Minhang's
    assert all(p["message_zh"] for p in minhang.problems)


def test_the_at_risk_page_lists_and_opens_a_plan_for_supervisors_only(app, api, staff):
    signal(api, "G0003", "call_forwarding")
    users.by_username("supervisor").locale = "zh_CN"
    db.session.commit()
    supervisor = staff("supervisor")
    page = supervisor.get("/churn/at-risk").get_data(as_text=True)
    assert 'data-customer="G0003"' in page and "30 / 100" in page and "呼叫转移 +30" in page
    assert 'data-customer="G0003"' not in supervisor.get("/churn/at-risk?tier=A").get_data(as_text=True)
    assert staff("agent").get("/churn/at-risk").status_code == 403
    assert supervisor.client.post(f"/churn/at-risk/{customer('G0003').id}/plan").status_code == 400  # no CSRF token
    opened = supervisor.post(f"/churn/at-risk/{customer('G0003').id}/plan")
    [plan] = plans("G0003")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/tickets/{plan.id}")
    again = supervisor.post(f"/churn/at-risk/{customer('G0003').id}/plan")
    assert again.status_code == 409 and "已有进行中的挽留工单" in again.get_data(as_text=True)


def test_closed_plans_report_their_outcomes_lessons_and_churn_reasons(app, api):
    """004 §五.8.6–7: what each library plan achieved, at what cost, the lessons, and why customers left."""
    for code, outcome in (("G0002", "retained"), ("G0003", "lost")):
        for kind, details in STRONG:
            signal(api, code, kind, details)
        if code == "G0003":  # B: under the threshold, a supervisor opens the plan
            api("post", f"/churn/at-risk/{customer(code).id}/plan", "supervisor")
        [plan] = plans(code)
        work(plan, "choose_plan", "manager", {"plan": "loyalty_discount", "budget": 3000})
        work(plan, "carry_out", "manager", {"attempt_on": "2026-11-24", "attempt_channel": "visit",
                                            "attempt_result": "Met them", "attempt_cost": 500, "next_step": "close"})
        closing = {"outcome": "retained"} if outcome == "retained" else {
            "outcome": "lost", "churn_reason": "competitor_offer", "customer_leaves": False}
        work(plan, "close_plan", "manager", closing)
        work(plan, "evaluate_plan", "supervisor", {"retention_cost": 800 if outcome == "retained" else 400,
                                                   "effectiveness": "effective", "lessons": f"{code}: call early"})
    body = api("get", "/churn/outcomes?start=2026-11-23&end=2026-11-23", "supervisor").get_json()
    assert body["plans"]["loyalty_discount"] == {
        "closed": 2, "retained": 1, "lost": 1, "average_cost": 600.0,
        "lessons": [{"ticket": plans("G0002")[0].number, "effectiveness": "effective", "lessons": "G0002: call early"},
                    {"ticket": plans("G0003")[0].number, "effectiveness": "effective", "lessons": "G0003: call early"}]}
    assert body["churn_reasons"] == {"competitor_offer": 1}
    assert api("get", "/churn/outcomes", "agent").status_code == 403

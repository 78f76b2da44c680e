"""The proactive-service reports on the report pages and under /api/v1/reports: revisits planned against done per
account manager and branch with the satisfaction per tier (000 §二.3, 004 §五.7), and the suggestions filed,
accepted or not, per department, branch and month (004 §三.4.6, §二.2(4)); in both languages, within the reader's
branches."""

import pytest

from engine import tickets
from engine.db import db
from engine.directory import users
from engine.models import Ticket
from tests.process_library import staff as user
from tests.process_walk import customer, open_task, work
from tests.test_process_revisits import revisits_of

REACHED = {"outcome": "reached", "satisfaction": 4, "problems": "None", "suggestions": "None"}
ANSWER = {"answer": "We will look into it."}


@pytest.fixture(autouse=True)
def desk_clock(fake_clock):
    return fake_clock


def revisits_planned(**criteria) -> dict[str, Ticket]:
    plan = tickets.start_ticket(user("supervisor"), "revisit_query", "Key accounts revisit",
                                data={"plan_name": "Key accounts", "due_days": 7, **criteria})
    return revisits_of(plan)


def rows(api, name: str, table: str, username: str = "supervisor", span: str = "start=2026-11-01&end=2026-12-31"):
    answer = api("get", f"/reports/{name}?{span}", username)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["tables"][table]["rows"]


def test_the_revisit_report_counts_planned_and_done_per_manager_and_branch_and_satisfaction_per_tier(
        app, api, staff, pudong_supervisor):
    pudong = revisits_planned(branch="SH-PD")  # G0001, G0003, P0002
    key = revisits_planned(tier="A")  # G0002 (Shanghai), P0001 (Minhang)
    work(pudong["G0001"], "revisit_customer", "manager", {**REACHED, "satisfaction": 5})
    work(key["G0002"], "revisit_customer", "manager", {**REACHED, "satisfaction": 3})
    assert rows(api, "revisits", "by_manager") == [
        {"username": "manager", "planned": 5, "done": 2, "not_reached": 0, "open": 3}]
    assert rows(api, "revisits", "by_branch") == [
        {"branch": "SH", "planned": 1, "done": 1, "not_reached": 0, "open": 0},
        {"branch": "SH-MH", "planned": 1, "done": 0, "not_reached": 0, "open": 1},
        {"branch": "SH-PD", "planned": 3, "done": 1, "not_reached": 0, "open": 2}]
    tiers = {r["tier"]: (r["satisfaction_count"], r["satisfaction_avg"])
             for r in rows(api, "revisits", "satisfaction_by_tier")}
    assert tiers == {"A+": (1, 5.0), "A": (1, 3.0)}  # G0001 is A+, G0002 A
    assert [r["branch"] for r in rows(api, "revisits", "by_branch", pudong_supervisor)] == ["SH-PD"]
    assert api("get", "/reports/revisits", "agent").status_code == 403
    users.by_username("supervisor").locale = "zh_CN"
    db.session.commit()
    page = staff("supervisor").get("/reports/revisits?start=2026-11-01&end=2026-12-31").get_data(as_text=True)
    assert "客户回访" in page and "按客户经理" in page and "各等级满意度" in page
    assert 'data-testid="chart-by_manager"' in page and "SH-MH" in page
    assert "SH-MH" not in staff(pudong_supervisor).get(
        "/reports/revisits?start=2026-11-01&end=2026-12-31").get_data(as_text=True)


def suggestion(code: str, department: str, accepted: bool) -> None:
    ticket = tickets.start_ticket(user("agent"), "yellow_consultation", "A suggestion", customer_id=customer(code).id,
                                  data={"source": "web", "kind": "suggestion", "content": "Open on Sundays",
                                        "answered_by": department})
    work(ticket, f"answer_{department}", department,
         {**ANSWER, "accepted": accepted} | ({"action_plan": "Sunday hours from January"} if accepted else {}))
    tickets.complete(user("agent"), open_task(ticket, "rate_answer").id, {"rating": 4})
    assert ticket.status == "closed"


def test_suggestions_are_counted_accepted_or_not_per_department_branch_and_month(
        app, api, staff, fake_clock, pudong_supervisor):
    suggestion("G0002", "tech", True)
    suggestion("G0002", "tech", False)
    suggestion("G0001", "business", True)  # Pudong
    consultation = tickets.start_ticket(user("agent"), "yellow_consultation", "A question",
                                        customer_id=customer("G0002").id,
                                        data={"source": "web", "kind": "consultation", "content": "Price?",
                                              "answered_by": "recorder"})
    tickets.complete(user("agent"), open_task(consultation, "answer_myself").id, ANSWER)
    tickets.complete(user("agent"), open_task(consultation, "rate_answer").id, {"rating": 5})  # not a suggestion
    fake_clock.advance(days=10)  # December
    suggestion("G0002", "billing", False)
    assert rows(api, "suggestions", "by_month") == [
        {"month": "2026-11", "branch": "SH", "department": "tech", "suggestions": 2, "accepted": 1, "not_accepted": 1},
        {"month": "2026-11", "branch": "SH-PD", "department": "business", "suggestions": 1, "accepted": 1,
         "not_accepted": 0},
        {"month": "2026-12", "branch": "SH", "department": "billing", "suggestions": 1, "accepted": 0,
         "not_accepted": 1}]
    assert rows(api, "suggestions", "by_department") == [
        {"department": "billing", "suggestions": 1, "accepted": 0, "not_accepted": 1},
        {"department": "business", "suggestions": 1, "accepted": 1, "not_accepted": 0},
        {"department": "tech", "suggestions": 2, "accepted": 1, "not_accepted": 1}]
    assert rows(api, "suggestions", "by_branch") == [
        {"branch": "SH", "suggestions": 3, "accepted": 1, "not_accepted": 2},
        {"branch": "SH-PD", "suggestions": 1, "accepted": 1, "not_accepted": 0}]
    assert rows(api, "suggestions", "by_branch", span="start=2026-12-01&end=2026-12-31") == [
        {"branch": "SH", "suggestions": 1, "accepted": 0, "not_accepted": 1}]
    assert rows(api, "suggestions", "by_branch", pudong_supervisor) == [
        {"branch": "SH-PD", "suggestions": 1, "accepted": 1, "not_accepted": 0}]
    assert api("get", "/reports/suggestions", "agent").status_code == 403
    users.by_username("supervisor").locale = "zh_CN"
    db.session.commit()
    page = staff("supervisor").get("/reports/suggestions?start=2026-11-01&end=2026-12-31").get_data(as_text=True)
    assert "已采纳" in page and "未采纳" in page and "技术部门" in page and "按月" in page
    export = staff("supervisor").get("/reports/suggestions/export?start=2026-11-01&end=2026-12-31&format=csv"
                                     "&table=by_department&lang=zh")
    assert export.status_code == 200 and "部门" in export.get_data(as_text=True)

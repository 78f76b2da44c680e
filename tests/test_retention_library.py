"""The retention plan library (engine/retention_library; 004 §五.8.5-8.7): supervisors keep the plans as data, the
choose form of retention_plan offers the active ones of the ticket's branch, a closed plan is recorded against its
entry (used, kept, lesson), entries are retired and never deleted, and the churn reasons are reported; everything
within the reader's branches (a Pudong supervisor sees neither Shanghai's entries nor its results)."""

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import tickets
from engine.checks import bundle as bundle_check
from engine.db import db
from engine.directory import users
from engine.errors import InvalidInput
from engine.retention_library.models import RetentionPlan, RetentionResult
from tests.process_library import staff as user
from tests.process_walk import customer, open_task, work

BPMN = Path(__file__).resolve().parent.parent / "bpmn"
SIGNAL = {"signal": "competitor_calls", "details": "Forty calls a day to a competitor", "detected_on": "2026-11-20"}
NEW_PLAN = {"code": "fibre_at_cost", "name_en": "Fibre at cost", "name_zh": "光纤成本价",
            "description_en": "Dedicated fibre at cost for a year", "description_zh": "一年内专线按成本价提供"}


@pytest.fixture(autouse=True)
def desk_clock(fake_clock):
    return fake_clock


def open_plan(code: str):
    return tickets.start_ticket(user("agent"), "retention_plan", "Churn risk", customer_id=customer(code).id,
                                data=SIGNAL)


def offered(api, ticket, username: str = "manager") -> list[str]:
    task = open_task(ticket, "choose_plan")
    return api("get", f"/tasks/{task.id}", username).get_json()["form"]["properties"]["plan"]["enum"]


def close(ticket, plan: str, outcome: str, lessons: str, reason: str = "price") -> None:
    work(ticket, "choose_plan", "manager", {"plan": plan, "budget": 1000}
         | ({"custom_plan": "Our own idea"} if plan == "custom" else {}))
    work(ticket, "carry_out", "manager", {"attempt_on": "2026-11-24", "attempt_channel": "visit",
                                          "attempt_result": "Met them", "attempt_cost": 100, "next_step": "close"})
    work(ticket, "close_plan", "manager", {"outcome": outcome} if outcome == "retained" else
         {"outcome": "lost", "churn_reason": reason, "customer_leaves": False})
    work(ticket, "evaluate_plan", "supervisor", {"retention_cost": 300, "effectiveness": "partly",
                                                 "lessons": lessons})


def listed(api, username: str = "supervisor") -> dict[str, dict]:
    return {p["code"]: p for p in api("get", "/retention-plans", username).get_json()["retention_plans"]}


def test_the_choose_form_offers_the_librarys_active_plans_a_new_one_at_once_a_retired_one_no_more(app, api):
    ticket = open_plan("G0002")
    shipped = ["bundle_upgrade", "contract_bonus", "executive_visit", "loyalty_discount", "service_recovery"]
    assert offered(api, ticket) == [*shipped, "custom"]
    created = api("post", "/retention-plans", "supervisor", json={**NEW_PLAN, "branch": "SH"})
    assert created.status_code == 201 and created.get_json()["branch"] == "SH"
    loyalty = listed(api)["loyalty_discount"]["id"]
    retired = api("post", f"/retention-plans/{loyalty}/retire", "supervisor").get_json()
    assert retired["active"] is False
    form = api("get", f"/tasks/{open_task(ticket, 'choose_plan').id}", "manager").get_json()["form"]
    assert form["properties"]["plan"]["enum"] == ["bundle_upgrade", "contract_bonus", "executive_visit",
                                                  "service_recovery", "fibre_at_cost", "custom"]
    assert form["properties"]["plan"]["x-enum-labels"]["zh"][-2:] == ["光纤成本价 — 一年内专线按成本价提供", "自拟方案"]
    with pytest.raises(InvalidInput) as refused:
        work(ticket, "choose_plan", "manager", {"plan": "loyalty_discount", "budget": 1000})
    assert [d["field"] for d in refused.value.details] == ["plan"]
    work(ticket, "choose_plan", "manager", {"plan": "fibre_at_cost", "budget": 1000})
    assert ticket.data["plan"] == "fibre_at_cost"


def test_a_branchs_plan_is_offered_on_its_tickets_only_and_kept_from_the_other_branches(app, api, pudong_supervisor):
    made = api("post", "/retention-plans", pudong_supervisor, json={**NEW_PLAN, "branch": "SH-PD"})
    assert made.status_code == 201
    assert "fibre_at_cost" in offered(api, open_plan("G0003"))  # a Pudong customer
    assert "fibre_at_cost" not in offered(api, open_plan("G0002"))  # the provincial branch's own customer
    api("post", "/retention-plans", "supervisor", json={**NEW_PLAN, "code": "shanghai_gift", "branch": "SH"})
    shanghai = listed(api)["shanghai_gift"]["id"]
    assert "shanghai_gift" not in listed(api, pudong_supervisor)
    assert api("get", f"/retention-plans/{shanghai}", pudong_supervisor).status_code == 404
    assert api("post", f"/retention-plans/{shanghai}/retire", pudong_supervisor).status_code == 404
    company = api("post", "/retention-plans", pudong_supervisor, json={**NEW_PLAN, "code": "mine"})
    assert company.status_code == 422 and company.get_json()["error"]["details"][0]["field"] == "branch"
    loyalty = listed(api, pudong_supervisor)["loyalty_discount"]["id"]
    assert api("patch", f"/retention-plans/{loyalty}", pudong_supervisor, json={"name_en": "X"}).status_code == 409
    assert api("get", "/retention-plans", "manager").status_code == 403


def test_wrong_entries_are_refused_naming_each_field_in_both_languages_and_change_nothing(app, api):
    before = db.session.scalar(select(func.count()).select_from(RetentionPlan))
    bad = api("post", "/retention-plans", "supervisor",
              json={"code": "Bad Code", "name_en": "", "name_zh": "名", "branch": "NOWHERE"})
    body = bad.get_json()["error"]
    assert bad.status_code == 422
    assert {d["field"] for d in body["details"]} == {"code", "name_en", "branch"}
    assert all(d["message_zh"] for d in body["details"])
    taken = api("post", "/retention-plans", "supervisor", json={**NEW_PLAN, "code": "loyalty_discount", "branch": "SH"})
    assert taken.status_code == 409 and taken.get_json()["error"]["message_zh"]
    loyalty = listed(api)["loyalty_discount"]["id"]
    assert api("patch", f"/retention-plans/{loyalty}", "supervisor", json={"active": "no"}).status_code == 422
    assert api("delete", f"/retention-plans/{loyalty}", "supervisor").status_code == 405  # retired, never deleted
    assert db.session.scalar(select(func.count()).select_from(RetentionPlan)) == before
    assert listed(api)["loyalty_discount"]["active"] is True


def test_closed_plans_are_recorded_against_their_entry_and_counted_per_branch(app, api, pudong_supervisor):
    close(open_plan("G0002"), "loyalty_discount", "retained", "Call before the bill")  # provincial branch
    close(open_plan("G0003"), "loyalty_discount", "lost", "Too late", reason="competitor_offer")  # Pudong
    close(open_plan("G0001"), "custom", "lost", "Price was the point")  # Pudong, a plan of one's own
    results = {r.plan_code + ":" + r.outcome: r for r in db.session.scalars(select(RetentionResult))}
    assert set(results) == {"loyalty_discount:retained", "loyalty_discount:lost", "custom:lost"}
    kept = results["loyalty_discount:retained"]
    assert (kept.plan.code, kept.lessons, kept.effectiveness, kept.cost, kept.churn_reason) == (
        "loyalty_discount", "Call before the bill", "partly", 300.0, None)
    assert results["custom:lost"].plan is None and results["custom:lost"].churn_reason == "price"
    assert (listed(api)["loyalty_discount"]["used"], listed(api)["loyalty_discount"]["kept"]) == (2, 1)
    assert (listed(api, pudong_supervisor)["loyalty_discount"]["used"],
            listed(api, pudong_supervisor)["loyalty_discount"]["kept"]) == (1, 0)

    report = api("get", "/reports/churn_reasons?start=2026-11-23&end=2026-11-23", "supervisor").get_json()
    assert report["tables"]["by_reason"]["rows"] == [{"churn_reason": "competitor_offer", "lost": 1},
                                                     {"churn_reason": "price", "lost": 1}]
    assert report["tables"]["by_branch_outcome"]["rows"] == [
        {"branch": "SH", "outcome": "retained", "churn_reason": None, "plans": 1},
        {"branch": "SH-PD", "outcome": "lost", "churn_reason": "competitor_offer", "plans": 1},
        {"branch": "SH-PD", "outcome": "lost", "churn_reason": "price", "plans": 1}]
    mine = api("get", "/reports/churn_reasons?start=2026-11-23&end=2026-11-23", pudong_supervisor).get_json()
    assert {r["branch"] for r in mine["tables"]["by_branch_outcome"]["rows"]} == {"SH-PD"}
    assert api("get", "/reports/churn_reasons?start=2026-11-24&end=2026-11-30", "supervisor").get_json()[
        "tables"]["by_reason"]["rows"] == []
    assert api("get", "/reports/churn_reasons", "agent").status_code == 403


def test_the_library_pages_list_add_change_and_retire_for_supervisors_in_their_language(app, api, staff):
    close(open_plan("G0002"), "loyalty_discount", "retained", "Call early")
    users.by_username("supervisor").locale = "zh_CN"
    db.session.commit()
    supervisor = staff("supervisor")
    page = supervisor.get("/retention-plans/").get_data(as_text=True)
    row = page[page.index('data-plan="loyalty_discount"'):].split("</tr>")[0]
    assert "忠诚折扣" in row and '<td data-testid="used">1</td>' in row and "1 (100 %)" in row
    assert "挽留方案库" in page
    refused = supervisor.post("/retention-plans/", {**NEW_PLAN, "code": "x", "branch": "SH"})
    assert refused.status_code == 422 and "小写字母" in refused.get_data(as_text=True)
    added = supervisor.post("/retention-plans/", {**NEW_PLAN, "branch": "SH"})
    entry = db.session.scalar(select(RetentionPlan).where(RetentionPlan.code == "fibre_at_cost"))
    assert added.status_code == 302 and added.headers["Location"].endswith(f"/retention-plans/{entry.id}")
    assert "光纤成本价" in supervisor.get(f"/retention-plans/{entry.id}").get_data(as_text=True)
    changed = supervisor.post(f"/retention-plans/{entry.id}", {**NEW_PLAN, "name_en": "Fibre below cost",
                                                               "active": "true"})
    assert changed.status_code == 302
    assert supervisor.client.post(f"/retention-plans/{entry.id}/retire").status_code == 400  # no CSRF token
    assert supervisor.post(f"/retention-plans/{entry.id}/retire").status_code == 302
    db.session.refresh(entry)
    assert (entry.name_en, entry.active) == ("Fibre below cost", False)
    assert staff("agent").get("/retention-plans/").status_code == 403
    closed = db.session.scalar(select(RetentionResult)).ticket
    assert "忠诚折扣 — 承诺在网 12 个月" in supervisor.get(f"/tickets/{closed.id}").get_data(as_text=True)
    reasons = supervisor.get("/reports/churn_reasons?start=2026-11-23&end=2026-11-23").get_data(as_text=True)
    assert "离网原因分析" in reasons and 'data-testid="table-by_branch_outcome"' in reasons and "挽留成功" in reasons


def test_a_form_naming_a_list_the_desk_does_not_keep_is_refused_by_the_bundle_check(app):
    form = {"type": "object", "title": "Choose", "x-title-zh": "选择",
            "properties": {"plan": {"type": "string", "title": "Plan", "x-title-zh": "方案", "x-choices": "discounts",
                                    "enum": ["custom"], "x-enum-labels": {"en": ["Own"], "zh": ["自拟"]}}}}
    [found] = bundle_check.form_problems({"x.choose": form})
    assert found.code == "form_choices" and "plan: x-choices" in found.message and "discounts" in found.message_zh
    assert "retention_plans" in found.hint
    assert bundle_check.form_problems({"x.choose": {**form, "properties": {"plan": {
        **form["properties"]["plan"], "x-choices": "retention_plans"}}}}) == []


def test_the_modellers_form_preview_shows_the_companys_plans(app, staff):
    schema = json.loads((BPMN / "retention_plan.choose.form.json").read_text())
    supervisor = staff("supervisor")
    preview = supervisor.client.post("/modeler/form-preview", json={"schema": schema},
                                     headers={"X-CSRFToken": supervisor.csrf_token}).get_json()
    assert "Loyalty discount — 10-20 % off" in preview["en"] and "忠诚折扣" in preview["zh"]
    assert "A plan of my own" in preview["en"]

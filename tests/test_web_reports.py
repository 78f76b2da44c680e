"""The report pages: the dashboard and each report with its charts, drill-down links, range form and exports,
for supervisors, managers and admins only."""

import io
import json
import re

import pytest
from openpyxl import load_workbook

from engine import deployments, tickets
from engine.directory import users
from tests.bpmn_samples import simple

PAGES = ["/reports/", "/reports/sla", "/reports/volumes", "/reports/managers", "/reports/customers",
         "/reports/sla_tickets?by=channel&value=yellow"]


def text(response) -> str:
    return response.get_data(as_text=True)


def charts(page: str) -> dict[str, dict]:
    """Each chart's description, as reports.js reads it from the canvas."""
    found = re.findall(r"data-chart='([^']*)' data-testid=\"chart-(\w+)\"", page)
    return {key: json.loads(spec.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&"))
            for spec, key in found}


@pytest.fixture
def breached_ticket(app, fake_clock):
    """A yellow ticket whose 10-minute response was missed, then answered, on 23 November (local)."""
    deployments.deploy(users.by_username("supervisor"), simple(work_props={"sla.response": "PT10M"}))
    ticket = tickets.start_ticket(users.by_username("agent"), "simple", "Bill query", customer_id=1)
    fake_clock.advance(minutes=11)
    from engine import scheduler
    scheduler.sweep()
    tickets.complete(users.by_username("agent"), ticket.tasks[0].id, {})
    return ticket


@pytest.mark.parametrize("path", PAGES)
def test_each_report_page_shows_for_supervisors_managers_and_admins_only(staff, path):
    for user in ("supervisor", "manager", "admin"):
        page = staff(user).get(path)
        assert page.status_code == 200, (user, text(page)[:300])
        assert 'data-testid="reports-link"' in text(page)
    for user in ("agent", "tech"):
        page = staff(user).get(path)
        assert page.status_code == 403
        assert 'data-testid="reports-link"' not in text(staff(user).get("/inbox"))


def test_the_sla_page_charts_the_figures_and_drills_down_to_the_ticket(staff, breached_ticket):
    supervisor = staff("supervisor")
    page = text(supervisor.get("/reports/sla?start=2026-11-23&end=2026-11-23&by=channel"))
    assert charts(page)["by_channel"]["labels"] == ["yellow"]
    assert [d["data"] for d in charts(page)["by_channel"]["datasets"]] == [[0], [1]]  # met, breached
    link = re.search(r'href="([^"]+)" data-testid="drill"', page).group(1).replace("&amp;", "&")
    assert "outcome=breached" in link and "value=yellow" in link
    drilled = text(supervisor.get(link))
    assert breached_ticket.number in drilled and f'/tickets/{breached_ticket.id}"' in drilled


def test_the_pages_speak_chinese_and_load_chart_js_from_this_server(staff, breached_ticket):
    manager = staff("manager")
    manager.post("/language", data={"locale": "zh_CN"})
    page = text(manager.get("/reports/volumes?start=2026-11-23&end=2026-11-23"))
    assert "工单量与流转" in page and "环节耗时" in page and "导出Excel" in page
    assert charts(page)["by_day"]["datasets"][0] == {"label": "新建", "data": [1]}
    script = re.search(r'<script src="([^"]*chart[^"]*)"', page).group(1)
    assert script.startswith("/vendor/") and manager.get(script).status_code == 200


def test_exports_from_the_pages_follow_the_form(staff, breached_ticket):
    admin = staff("admin")
    page = text(admin.get("/reports/customers?start=2026-11-23&end=2026-11-23"))
    href = re.search(r'href="([^"]+)" data-testid="export-xlsx"', page).group(1).replace("&amp;", "&")
    book = load_workbook(io.BytesIO(admin.get(href).data))
    assert [c.value for c in book["Per customer tier"][2]] == ["A+", 1, 0]  # customer 1 is the A+ group


def test_a_bad_range_on_a_page_says_what_is_wrong(staff):
    page = staff("supervisor").get("/reports/volumes?start=2026-11-20&end=2026-11-19")
    assert page.status_code == 400 and "before the start day" in text(page)

"""The modeller in a real browser (Debian's Chromium through Playwright): open, change a lane, validate, deploy."""

import re
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine import deployments, tickets
from engine.db import db
from engine.directory import users
from tests.live_server import served_in_thread

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HERE = Path(__file__).resolve().parent
BUNDLE = HERE.parent / "web" / "static" / "build" / "modeler.js"
SAMPLE = (HERE / "modeler_sample.bpmn").read_text()  # two lanes, agent then manager, drawn with positions
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (make test installs Debian's)"),
    pytest.mark.skipif(not BUNDLE.exists(), reason=f"the modeller bundle is not built ({BUNDLE}): run make install"),
]


@pytest.fixture
def live_url(app):
    """The app served on a free loopback port for the browser."""
    with served_in_thread(app) as url:
        yield url


@pytest.fixture
def browser_page(live_url):
    """A supervisor signed in, with the sample process deployed as version 1."""
    deployments.deploy(users.by_username("supervisor"), SAMPLE, comment="first draft")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(f"{live_url}/login")
        page.fill("input[name=username]", "supervisor")
        page.fill("input[name=password]", "demo")
        page.locator("form button[type=submit]").last.click()
        page.wait_for_url("**/inbox**")
        yield page
        browser.close()
        assert errors == [], errors


def start_ticket():
    return tickets.start_ticket(users.by_username("agent"), "modeler_demo", "Router swap")


def open_modeller(page) -> None:
    page.goto(page.url.split("/inbox")[0] + "/modeler?key=modeler_demo")
    page.wait_for_selector("[data-testid=modeler][data-ready='1']")


def click_lane(page, lane_id: str) -> None:
    lane = page.locator(f'#kd-canvas [data-element-id="{lane_id}"]').first
    lane.wait_for()
    box = lane.bounding_box()
    lane.click(position={"x": box["width"] - 12, "y": box["height"] - 12})  # its empty bottom-right corner


def set_lane_role(page, role: str) -> None:
    """In the properties panel of the selected lane: open the KeyDesk group, pick the role."""
    header = page.locator('[data-group-id="group-keydesk"] .bio-properties-panel-group-header')
    if "open" not in (header.get_attribute("class") or ""):
        header.click()
    page.select_option("#bio-properties-panel-kd-lane-role", role)


def test_a_supervisor_changes_a_lane_validates_and_deploys(app, browser_page):
    page = browser_page
    old_ticket = start_ticket()
    page.click("[data-testid=modeler-link]")
    page.wait_for_selector("[data-testid=modeler][data-ready='1']")
    page.select_option("[data-testid=model]", "modeler_demo")
    page.click("#kd-open")
    expect(page.locator("[data-testid=opened]")).to_contain_text("modeler_demo")

    click_lane(page, "lane_manager")
    set_lane_role(page, "")  # a lane without a role cannot be deployed
    page.click("[data-testid=validate]")
    problem = page.locator("[data-testid=problems] li[data-element='lane_manager']")
    problem.wait_for()
    assert "not a KeyDesk role" in problem.inner_text()
    assert page.locator(".kd-problem-badge").count() >= 1  # shown at the lane on the diagram
    page.click("[data-testid=deploy]")
    assert "Validate the diagram first" in page.inner_text("[data-testid=status]")

    problem.click()  # selects the lane on the diagram
    set_lane_role(page, "supervisor")
    page.click("[data-testid=validate]")
    expect(page.locator("[data-testid=status]")).to_have_class(re.compile("alert-success"))
    assert page.locator("[data-testid=problems] li").count() == 0
    page.fill("[data-testid=comment]", "supervisors take the after-care")
    page.click("[data-testid=deploy]")
    expect(page.locator("[data-testid=status]")).to_contain_text("version 2")

    db.session.expire_all()
    latest = deployments.latest_version("modeler_demo")
    assert (latest.version, latest.comment, latest.deployed_by.username) == (
        2, "supervisors take the after-care", "supervisor")
    assert 'name="supervisor"' in latest.bpmn_xml and 'id="lane_manager"' in latest.bpmn_xml
    assert old_ticket.process_version.version == 1  # running tickets stay on their version
    new_ticket = start_ticket()
    assert new_ticket.process_version.version == 2  # new ones start on the new one
    tickets.complete(users.by_username("agent"), new_ticket.tasks[0].id, {})
    assert [(t.element_id, t.role) for t in new_ticket.tasks if t.state == "open"] == [("follow_up", "supervisor")]
    assert page.locator("[data-testid=versions] tr").count() == 2


def test_versions_compare_migrate_heat_map_and_roll_back(app, browser_page):
    page = browser_page
    first = deployments.latest_version("modeler_demo")
    waiting = start_ticket()  # waits at "Accept the request" on version 1
    changed = first.bpmn_xml.replace('name="manager"', 'name="supervisor"', 1)
    deployments.deploy(users.by_username("supervisor"), changed, comment="follow-up by supervisors")
    open_modeller(page)
    page.on("dialog", lambda d: d.accept("the old lane was right") if d.type == "prompt" else d.accept())

    page.locator("[data-testid=versions] tr[data-version='2'] [data-testid=compare-version]").click()
    page.wait_for_selector("[data-testid=diff]:not([hidden])")
    assert "name \"manager\" → \"supervisor\"" in page.inner_text("[data-testid=diff-list]")
    page.wait_for_selector("#kd-diff-right .kd-changed")

    page.click("[data-testid=migration-check]")  # version 1 → 2 are the defaults
    expect(page.locator("[data-testid=migration-result]")).to_contain_text(f"{waiting.number}: can move")
    assert db.session.get(type(waiting), waiting.id).process_version.version == 1
    page.click("[data-testid=migration-run]")
    expect(page.locator("[data-testid=migration-result]")).to_contain_text(f"{waiting.number}: moved")
    db.session.expire_all()
    assert waiting.process_version.version == 2
    assert [e.kind for e in tickets.history(waiting)].count("migrated") == 1

    page.click("[data-testid=heatmap]")  # the opened version is 2, where the ticket now waits
    expect(page.locator('.kd-heat-badge[data-element="accept"]')).to_have_text("1")

    page.locator("[data-testid=versions] tr[data-version='1'] [data-testid=rollback-version]").click()
    expect(page.locator("[data-testid=status]")).to_contain_text("Version 1")
    db.session.expire_all()
    latest = deployments.latest_version("modeler_demo")
    assert latest.version == 3 and latest.comment == "rollback to version 1: the old lane was right"
    assert latest.bpmn_xml == first.bpmn_xml


def test_the_modeller_speaks_chinese(app, browser_page):
    page = browser_page
    page.locator("[data-testid=language-form] button[value=zh_CN]").click()
    open_modeller(page)
    expect(page.locator("[data-testid=properties]")).to_contain_text("常规")  # the panel's own words too
    click_lane(page, "lane_manager")
    set_lane_role(page, "")
    page.click("[data-testid=validate]")
    problem = page.locator("[data-testid=problems] li[data-element='lane_manager']")
    expect(problem).to_contain_text("不是 KeyDesk 的角色")
    expect(page.locator("[data-testid=status]")).to_contain_text("个问题")


def test_a_supervisor_gives_a_task_its_chinese_name_and_sees_times_in_their_zone(app, browser_page):
    users.by_username("supervisor").timezone = "Asia/Shanghai"
    db.session.commit()
    page = browser_page
    open_modeller(page)
    deployed_at = deployments.latest_version("modeler_demo").deployed_at
    shown = deployed_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    expect(page.locator("[data-testid=versions] tr").first).to_contain_text(shown)
    page.locator('#kd-canvas [data-element-id="accept"]').first.click()
    header = page.locator('[data-group-id="group-keydesk"] .bio-properties-panel-group-header')
    if "open" not in (header.get_attribute("class") or ""):
        header.click()
    page.fill("#bio-properties-panel-kd-name-zh", "处理请求")
    page.click("[data-testid=validate]")
    expect(page.locator("[data-testid=status]")).to_have_class(re.compile("alert-success"))
    page.fill("[data-testid=comment]", "Chinese name for the first step")
    page.click("[data-testid=deploy]")
    expect(page.locator("[data-testid=status]")).to_contain_text("version 2")
    db.session.expire_all()
    xml = deployments.latest_version("modeler_demo").bpmn_xml
    assert '<spiffworkflow:property name="name_zh" value="处理请求"' in xml
    assert start_ticket().tasks[0].name_zh == "处理请求"


def test_a_supervisor_gives_a_sequence_flow_its_chinese_name(app, browser_page):
    page = browser_page
    open_modeller(page)
    flow = page.locator('#kd-canvas .djs-connection[data-element-id="to_end"]').first
    flow.wait_for(state="attached")  # a straight line is zero pixels high: "hidden" to Playwright
    box = flow.evaluate("e => { const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }")
    page.mouse.click(*box)
    header = page.locator('[data-group-id="group-keydesk"] .bio-properties-panel-group-header')
    if "open" not in (header.get_attribute("class") or ""):
        header.click()
    page.fill("#bio-properties-panel-kd-name-zh", "结束")
    page.click("[data-testid=validate]")
    expect(page.locator("[data-testid=status]")).to_have_class(re.compile("alert-success"))
    page.fill("[data-testid=comment]", "Chinese name for a flow")
    page.click("[data-testid=deploy]")
    expect(page.locator("[data-testid=status]")).to_contain_text("version 2")
    db.session.expire_all()
    xml = deployments.latest_version("modeler_demo").bpmn_xml
    assert re.search(r'<bpmn:sequenceFlow id="to_end".*?<spiffworkflow:property name="name_zh" value="结束"',
                     xml, re.S)

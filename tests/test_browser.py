"""The staff pages in Debian's Chromium, driven by Playwright: what a person at the desk clicks and sees.

The app is served from a thread of this process, so the test's controlled clock is the server's clock.
Set KEYDESK_SCREENSHOTS=docs/screenshots to save pictures of the main pages (`make screenshots`).
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from engine import tickets
from engine.db import db
from tests.live_server import served_in_thread
from tests.web_data import red_ticket

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (make test installs it as root)")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SHOTS = os.environ.get("KEYDESK_SCREENSHOTS")
REFUSED = re.compile(r"^Failed to load resource: the server responded with a status of 422 ")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def server(app):
    """The app on a free local port, in a thread; the list refreshes every second so tests need not wait."""
    app.config["INBOX_REFRESH_SECONDS"] = 1
    with served_in_thread(app) as url:
        yield url


@pytest.fixture
def page(browser, server):
    """A fresh browser page that fails the test on any script error or refused resource (CSP). A 422 is not one:
    it is KeyDesk's answer to wrong input, which the page shows and the test checks."""
    context = browser.new_context(base_url=server, viewport={"width": 1400, "height": 900}, locale="en-US")
    tab = context.new_page()
    problems = []
    tab.on("pageerror", lambda err: problems.append(str(err)))
    tab.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" and not REFUSED.search(msg.text)
           else None)
    yield tab
    context.close()
    assert problems == []


def sign_in(page, username: str = "agent") -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.click("button[type=submit]:has-text('Sign in')")
    page.wait_for_url("**/inbox")


def shoot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_sign_in_claim_and_complete_a_task_through_its_form(page):
    ticket = red_ticket()
    page.goto("/login")
    sign_in(page)
    page.click("a[data-view=queues]")
    row = page.locator(f"tr:has-text('{ticket.number}')")
    row.locator("button[data-action=claim]").click()
    page.wait_for_selector("[data-count=mine]:text-is('1')")  # the list refreshed in place
    assert page.locator(f"tr:has-text('{ticket.number}')").count() == 0  # no longer waiting in the queue
    page.click("a[data-view=mine]")
    row = page.locator(f"tr:has-text('{ticket.number}')")
    assert row.locator("button[data-action=unclaim]").is_visible()
    shoot(page, "inbox")
    row.locator("a[data-action=open]").click()
    page.check("#f-impact-1")  # service down
    page.fill("#f-impact_details", "all cranes offline")
    page.check("#f-customer_answered")
    shoot(page, "task-form")
    page.click("button[value=complete]")
    page.wait_for_selector(".alert:has-text('Task completed.')")
    task = ticket.tasks[0]
    db.session.refresh(task)
    assert (task.state, task.assignee.username) == ("completed", "agent")


def test_the_sla_badge_changes_as_the_clock_moves(page, fake_clock):
    ticket = red_ticket()
    sign_in(page)
    page.click("a[data-view=queues]")
    badge = page.locator(f"tr:has-text('{ticket.number}') [data-sla]")
    assert badge.get_attribute("data-sla") == "on_track"
    fake_clock.advance(minutes=9)
    while tickets.fire_due_timer(set()):
        pass
    page.wait_for_selector(f"tr:has-text('{ticket.number}') [data-sla=warning]")  # no reload: htmx refreshed it
    fake_clock.advance(minutes=2)
    page.wait_for_selector(f"tr:has-text('{ticket.number}') [data-sla=breached]:has-text('late')")


def test_the_ticket_page_shows_the_diagram_with_the_current_step(page):
    ticket = red_ticket()
    sign_in(page)
    page.goto(f"/tickets/{ticket.id}")
    page.wait_for_selector("#diagram[data-ready='1']")
    current = page.locator(".djs-element.kd-current")
    assert current.count() == 1 and current.get_attribute("data-element-id") == "accept_fault"
    assert page.locator(".djs-element.kd-finished[data-element-id=fault_reported]").count() == 1
    shoot(page, "ticket")


def test_switching_the_language(page):
    sign_in(page)
    page.click("[data-testid=language-form] button[value=zh_CN]")
    page.wait_for_selector("a.nav-link:text-is('待办')")
    assert page.locator("a[data-view=queues]").inner_text().startswith("我的队列")
    shoot(page, "inbox-zh")
    page.click("[data-testid=language-form] button[value=en]")
    page.wait_for_selector("a.nav-link:text-is('Inbox')")


def test_new_ticket_and_profile_pages_work_in_the_browser(page):
    sign_in(page)
    page.click("[data-testid=new-ticket-menu]")
    page.click("a.dropdown-item:has-text('New red ticket')")
    page.fill("#customer-search", "port")
    page.wait_for_selector("[data-testid=customer-choices] :text('Shanghai Port Logistics Group')")
    page.fill("#title", "Terminal link down")
    page.select_option("#f-service", "leased_line")
    page.fill("#f-description", "no light")
    shoot(page, "new-ticket")
    page.click("button:has-text('Start the process')")
    page.wait_for_selector(".alert:has-text('started')")
    assert "Terminal link down" in page.inner_text("[data-testid=ticket-header]")
    page.click("[data-testid=profile-link]")
    page.wait_for_selector("[data-testid=profile-form]")
    shoot(page, "profile")


def test_the_navbar_keeps_one_line_and_a_long_title_wraps(page):
    ticket = red_ticket("X" * 300)  # one unbroken word, as pasted from a log
    sign_in(page, "supervisor")
    navbar = page.locator("nav.navbar").bounding_box()
    assert navbar["height"] < 70  # one line of links at 1400 px, reports, notifications and modeller included
    page.goto(f"/tickets/{ticket.id}")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_the_navbar_search_finds_a_ticket_by_phone(page):
    ticket = red_ticket("Leased line down", "G0001")  # contact Gao Feng: +8613911110001
    sign_in(page)
    page.fill("[data-testid=navbar-search]", "139-1111 0001")
    page.press("[data-testid=navbar-search]", "Enter")
    page.wait_for_url(f"**/tickets/{ticket.id}")
    assert ticket.number in page.inner_text("[data-testid=ticket-header]")


def test_the_keyboard_moves_claims_and_opens_tasks(page):
    first, second = red_ticket("First fault"), red_ticket("Second fault")
    sign_in(page)  # nothing is the agent's yet: the inbox opens on My queues
    page.wait_for_selector("a[data-view=queues][aria-current=page]")
    page.keyboard.press("?")
    assert page.locator("[data-testid=inbox-keys]").is_visible()
    page.keyboard.press("j")
    assert page.locator("tr.kd-current-row").get_attribute("data-task") == str(second.tasks[0].id)
    page.keyboard.press("c")
    page.wait_for_selector(f"tr[data-task='{second.tasks[0].id}']", state="detached")  # now Mine, not the queue's
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/tasks/{first.tasks[0].id}")
    db.session.refresh(second.tasks[0])
    assert (second.tasks[0].state, second.tasks[0].assignee.username) == ("claimed", "agent")


def test_a_draft_saves_itself_as_one_types(page):
    ticket = red_ticket()
    sign_in(page)
    page.goto(f"/tasks/{ticket.tasks[0].id}")
    page.locator("#f-impact_details").press_sequentially("cranes offline")
    page.wait_for_selector("[data-testid=draft-saved]")
    page.reload()
    assert page.input_value("#f-impact_details") == "cranes offline"

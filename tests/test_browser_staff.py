"""The staff pages in Chromium for issue 18's later parts: why a ticket is open, Chinese names, phone size."""

from sqlalchemy import select

from engine import deployments, tickets
from engine.db import db
from engine.directory import users
from engine.models import Customer
from tests.bpmn_samples import TIMER_STEP, simple
from tests.test_browser import browser, page, pytestmark, server, sign_in  # noqa: F401  (fixtures, skip rule)
from tests.web_data import red_ticket


def test_the_ticket_page_says_which_timer_it_waits_for_until_it_fires(page, fake_clock):  # noqa: F811
    waits = simple(key="waits", step=TIMER_STEP.replace("{duration}", "PT2H"))
    deployments.deploy(users.by_username("supervisor"), waits)
    ticket = tickets.start_ticket(users.by_username("agent"), "waits", "call back after two hours")
    sign_in(page)
    page.goto(f"/tickets/{ticket.id}")
    line = page.locator("[data-testid=waiting-for] [data-kind=timer]")
    assert "Wait" in line.inner_text() and "2h 00m" in line.inner_text()
    fake_clock.advance(hours=2, seconds=1)
    while tickets.fire_due_timer(set()):
        pass
    page.reload()
    assert page.locator("[data-testid=waiting-for]").count() == 0
    assert "Do the work" in page.locator("[data-testid=open-tasks]").inner_text()


PHONE = {"width": 390, "height": 844}


def fits(tab) -> bool:
    """Nothing sticks out sideways: the page scrolls only up and down, and no table needs a sideways scroll."""
    return tab.evaluate("""document.documentElement.scrollWidth <= window.innerWidth
        && [...document.querySelectorAll('.table-responsive')].every(t => t.scrollWidth <= t.clientWidth)""")


def test_claim_and_complete_a_task_on_a_phone(browser, server):  # noqa: F811
    ticket = red_ticket()
    context = browser.new_context(base_url=server, viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    tab = context.new_page()
    problems = []
    tab.on("pageerror", lambda err: problems.append(str(err)))
    sign_in(tab)
    assert not tab.locator("#inbox-filters").is_visible()  # the filters fold away on a phone
    tab.click("[data-testid=show-filters]")
    tab.locator("#inbox-filters").wait_for(state="visible")
    tab.click("a[data-view=queues]")
    row = tab.locator(f"tr:has-text('{ticket.number}')")
    row.wait_for()  # the view's list has been swapped in before its width is measured
    assert fits(tab) and "Shanghai Port Logistics Group" in row.inner_text()
    row.locator("button[data-action=claim]").click()
    tab.wait_for_selector("[data-count=mine]:text-is('1')")
    tab.click("a[data-view=mine]")
    tab.locator(f"tr:has-text('{ticket.number}') a[data-action=open]").click()
    tab.locator("#f-impact-1").wait_for()  # the task page has loaded before its width is measured
    assert fits(tab)
    tab.check("#f-impact-1")
    tab.fill("#f-impact_details", "all cranes offline")
    tab.check("#f-customer_answered")
    tab.click("button[value=complete]")
    tab.wait_for_selector(".alert:has-text('Task completed.')")
    tab.goto(f"/tickets/{ticket.id}")
    assert fits(tab)
    context.close()
    task = ticket.tasks[0]
    db.session.refresh(task)
    assert task.state == "completed" and problems == []


def test_a_chinese_user_sees_the_chinese_task_and_process_names(page):  # noqa: F811
    customer = db.session.scalar(select(Customer).where(Customer.code == "G0002"))
    tickets.start_ticket(users.by_username("manager"), "contract_approval", "Leased line contract",
                         customer_id=customer.id, data={"service": "leased_line", "requirement": "Two lines"})
    users.by_username("manager").locale = "zh_CN"
    db.session.commit()
    sign_in(page, "manager")
    page.click("a[data-view=mine]")
    row = page.locator("tr:has-text('按模板起草合同')")
    assert "合同审批" in row.inner_text() and "Draft the contract" not in row.inner_text()
    row.locator("a[data-action=open]").click()
    page.wait_for_selector("h2:text-is('按模板起草合同')")


def order_in_its_contract(manager_locale: str = "en_US"):
    """A green order of G0003 that has reached its call activity: the contract approval's draft waits."""
    from tests.test_process_green_order import REQUEST, SOLUTION, VISIT
    from tests.walk import walk

    customer = db.session.scalar(select(Customer).where(Customer.code == "G0003"))
    ticket = tickets.start_ticket(users.by_username("manager"), "green_order", "Warehouse leased line",
                                  customer_id=customer.id, data=REQUEST)
    walk(ticket.id, [("record_visit", VISIT), ("technical_solution", SOLUTION)])
    users.by_username("manager").locale = manager_locale
    db.session.commit()
    return ticket


def scale(page) -> float:  # noqa: F811
    return float(page.locator("#diagram").get_attribute("data-scale"))


def test_the_diagram_zooms_and_opens_the_process_its_call_activity_runs(page):  # noqa: F811
    ticket = order_in_its_contract()
    sign_in(page, "manager")
    page.goto(f"/tickets/{ticket.id}")
    page.wait_for_selector("#diagram[data-ready='1']")
    assert page.locator(".djs-element.kd-current").get_attribute("data-element-id") == "contract_approval"
    fitted = scale(page)
    page.click("[data-zoom=in]")
    assert scale(page) > fitted
    page.click("[data-zoom=out]")
    page.click("[data-zoom=out]")
    assert scale(page) < fitted
    page.click("[data-zoom=fit]")
    assert abs(scale(page) - fitted) < 1e-3

    page.click("button.kd-open-call[data-call=contract_approval]")
    page.wait_for_selector("#diagram[data-ready='1'][data-path=contract_approval]")
    assert page.locator(".djs-element.kd-current").get_attribute("data-element-id") == "draft_contract"
    assert page.locator(".djs-element.kd-finished[data-element-id=contract_requested]").count() == 1
    trail = page.locator("[data-testid=diagram-trail] li").all_inner_texts()
    assert trail == [ticket.process_version.model.name, "Contract approval"]
    assert "Contract approval" in page.locator("#diagram-title").inner_text()

    page.click("[data-testid=diagram-trail] a")
    page.wait_for_selector("#diagram[data-ready='1'][data-path='']")
    assert page.locator(".djs-element.kd-current").get_attribute("data-element-id") == "contract_approval"
    page.click("[data-testid=waiting-for] [data-kind=call] a[data-open-call]")  # the "waiting for" line's link
    page.wait_for_selector("#diagram[data-ready='1'][data-path=contract_approval]")


def test_a_chinese_user_reads_the_called_process_in_chinese(page):  # noqa: F811
    ticket = order_in_its_contract("zh_CN")
    sign_in(page, "manager")
    page.goto(f"/tickets/{ticket.id}")
    page.wait_for_selector("#diagram[data-ready='1']")
    page.locator(".djs-element[data-element-id=contract_approval]").click()
    page.wait_for_selector("#diagram[data-ready='1'][data-path=contract_approval]")
    assert "按模板起草合同" in page.locator(".djs-element[data-element-id=draft_contract]").text_content()
    assert page.locator("[data-testid=diagram-trail] li").last.inner_text() == "合同审批"

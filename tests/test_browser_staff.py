"""The staff pages in Chromium for issue 18's later parts: why a ticket is open, and the pages at phone size."""

from engine import deployments, tickets
from engine.directory import users
from tests.bpmn_samples import TIMER_STEP, simple
from tests.test_browser import browser, page, pytestmark, server, sign_in  # noqa: F401  (fixtures, skip rule)


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

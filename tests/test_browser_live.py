"""Live notices in Chromium: a task another person opens for my queue shows a notice and joins my inbox list, the
page not reloaded and the list's own timed refresh out of the way."""

from tests.test_browser import browser, page, pytestmark, server, sign_in  # noqa: F401  (fixtures, skip rule)
from tests.web_data import red_ticket


def test_a_task_opened_for_my_queue_shows_a_notice_and_joins_the_list_without_reload(page, app):  # noqa: F811
    app.config.update(INBOX_REFRESH_SECONDS=3600, LIVE_POLL_SECONDS=0.2, LIVE_STREAM_SECONDS=3)
    sign_in(page)
    page.goto("/inbox?view=queues")
    page.wait_for_selector("#kd-live[data-connected]", state="attached")  # the stream is open
    page.evaluate("window.notReloaded = true")
    assert page.locator("#inbox-panel tr[data-task]").count() == 0
    ticket = red_ticket(by="manager")  # someone else opens a fault: its first task waits for the agents
    notice = page.locator(f"#kd-live .toast[data-ticket='{ticket.number}']")
    notice.wait_for()
    assert notice.get_attribute("data-kind") == "queued"
    assert "New task in your queue" in notice.inner_text() and "Accept the fault" in notice.inner_text()
    page.wait_for_selector(f"#inbox-panel tr[data-task]:has-text('{ticket.number}')")  # the list re-fetched itself
    assert page.evaluate("window.notReloaded") is True
    notice.locator("a").click()
    page.wait_for_url(f"**/tasks/{ticket.tasks[0].id}")


def test_my_own_ticket_shows_no_notice_but_the_next_one_by_someone_else_does(page, app):  # noqa: F811
    app.config.update(INBOX_REFRESH_SECONDS=3600, LIVE_POLL_SECONDS=0.2, LIVE_STREAM_SECONDS=3)
    sign_in(page)
    page.wait_for_selector("#kd-live[data-connected]", state="attached")
    mine = red_ticket(by="agent")
    theirs = red_ticket(by="manager")
    page.locator(f"#kd-live .toast[data-ticket='{theirs.number}']").wait_for()
    assert page.locator(f"#kd-live .toast[data-ticket='{mine.number}']").count() == 0  # read before theirs


def test_desktop_notifications_and_the_sound_are_settings_of_the_browser(page):  # noqa: F811
    page.context.grant_permissions(["notifications"])  # what the browser's prompt answers when the person allows it
    sign_in(page)
    page.click("[data-testid=live-menu]")
    page.check("#kd-live-desktop")  # the click asks for the permission
    page.check("#kd-live-sound")
    page.reload()
    page.click("[data-testid=live-menu]")
    assert page.is_checked("#kd-live-desktop") and page.is_checked("#kd-live-sound")
    assert page.evaluate("Notification.permission") == "granted"
    page.uncheck("#kd-live-sound")
    assert page.evaluate("localStorage.getItem('kd-live-sound')") == "0"


def test_a_refused_permission_leaves_desktop_notifications_off_and_says_why(page):  # noqa: F811
    sign_in(page)  # no permission granted: headless Chromium refuses the request
    page.click("[data-testid=live-menu]")
    page.click("#kd-live-desktop")
    page.wait_for_selector("#kd-live-blocked", state="visible")
    assert not page.is_checked("#kd-live-desktop")

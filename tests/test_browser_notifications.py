"""An admin edits a message template in a real browser (Debian's Chromium): preview, a refused edit, a save."""

from tests.test_browser import browser, page, pytestmark, server, shoot, sign_in  # noqa: F401  (fixtures, skip rule)


def test_an_admin_previews_fixes_and_saves_a_template(page):  # noqa: F811
    sign_in(page, "admin")
    page.click("nav >> text=Notifications")
    page.click("text=Message templates")
    page.click("tr:has-text('English') >> a:text-is('sla_breached')")
    assert "R-2026-000042" in page.inner_text("[data-testid=preview]")

    page.fill("#body", "Level {{ sla.rung }}\n{% if sla.role %}{{ sla.role }}")
    page.click("button[value=preview]")
    assert "the body template, line 2" in page.inner_text("[data-testid=template-error]")

    page.fill("#body", "Level {{ sla.rung }}: {{ sla.role }} answers for {{ ticket.number }}")
    page.click("button[value=preview]")
    assert page.inner_text("[data-testid=preview] pre") == "Level 1: supervisor answers for R-2026-000042"
    page.fill("#comment", "one line for the pager")
    shoot(page, "notification-template-editor")
    page.click("button[value=save]")
    assert "Template saved as a new version." in page.inner_text("main")
    assert "one line for the pager" in page.inner_text("[data-testid=versions]")

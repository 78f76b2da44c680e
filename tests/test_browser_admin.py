"""In Chromium: an admin creates a branch, a user and a customer; that user signs in and sees only their branch."""

from tests.test_browser import browser, page, pytestmark, server, sign_in  # noqa: F401  (fixtures, skip rule)


def test_an_admin_sets_up_a_branch_a_user_and_a_customer_the_user_then_sees_alone(page):  # noqa: F811
    sign_in(page, "admin")
    page.click("[data-testid=admin-link]")
    new_branch = page.locator("[data-testid=new-branch]")
    new_branch.locator("#code").fill("SH-JD")
    new_branch.locator("#name").fill("Jiading City Branch")
    new_branch.locator("select[name=parent]").select_option("SH")
    new_branch.locator("button[type=submit]").click()
    page.wait_for_selector("tr[data-branch=SH-JD]")

    page.goto("/admin/users")
    new_user = page.locator("[data-testid=new-user]")
    new_user.locator("#username").fill("jiading")
    new_user.locator("#display_name").fill("Xu Lan")
    new_user.locator("#branch").select_option("SH-JD")
    new_user.locator("#locale").select_option("en")
    new_user.locator("#role-agent").check()
    new_user.locator("#role-manager").check()
    new_user.locator("button[type=submit]").click()
    password = page.locator("[data-testid=one-time-password] code").inner_text()

    page.goto("/customers/new")
    form = page.locator("[data-testid=new-customer]")
    form.locator("#new-code").fill("G0300")
    form.locator("#new-name").fill("Jiading Auto Parts")
    form.locator("#new-branch").select_option("SH-JD")
    form.locator("#new-account_manager").select_option("jiading")
    form.locator("#new-reason").fill("new branch opened")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=Jiading Auto Parts")
    page.click("button:has-text('Sign out')")

    page.fill("#username", "jiading")
    page.fill("#password", password)
    page.click("button[type=submit]:has-text('Sign in')")
    page.wait_for_selector("[data-testid=must-change]")
    page.fill("#current", password)
    page.fill("#password", "Harbour2026ok")
    page.fill("#repeat", "Harbour2026ok")
    page.click("button:has-text('Change password')")
    page.wait_for_url("**/inbox")
    page.goto("/customers")
    rows = page.locator("[data-testid=customer-list] tr[data-customer]")
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.customer)") == ["G0300"]

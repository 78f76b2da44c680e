"""The profile page: contact details for alerts, language, time zone, and the API token."""

import re

from engine.directory import users


def text(page) -> str:
    return page.get_data(as_text=True)


def test_contact_details_language_and_time_zone_are_saved(staff):
    agent = staff("agent")
    assert "agent@keydesk.example" in text(agent.get("/profile"))
    response = agent.post("/profile", data={"email": "lina@desk.example", "phone": "+86 138 0000 1111",
                                            "locale": "zh_CN", "timezone": "Asia/Urumqi"})
    assert response.status_code == 302
    user = users.by_username("agent")
    assert (user.email, user.phone, user.locale, user.timezone) == (
        "lina@desk.example", "+86 138 0000 1111", "zh_CN", "Asia/Urumqi")
    assert "个人资料已保存" in text(agent.get("/profile"))


def test_wrong_details_are_named_and_nothing_is_saved(staff):
    agent = staff("agent")
    response = agent.post("/profile", data={"email": "not-an-address", "phone": "call me",
                                            "locale": "fr", "timezone": "Mars/Olympus"})
    assert response.status_code == 422
    page = text(response)
    for field in ("email", "phone", "timezone"):
        assert f'data-error-for="{field}"' in page
    user = users.by_username("agent")
    assert (user.email, user.locale, user.timezone) == ("agent@keydesk.example", "en", "Asia/Shanghai")


def test_a_new_token_works_and_the_old_one_stops(staff, client):
    agent = staff("agent")
    first = re.search(r'data-testid="new-token">([^<]+)<', text(agent.post("/profile/token"))).group(1)
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {first}"}).status_code == 200
    assert "was issued" in text(agent.get("/profile")) and first not in text(agent.get("/profile"))
    second = re.search(r'data-testid="new-token">([^<]+)<', text(agent.post("/profile/token"))).group(1)
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_regenerating_a_token_needs_the_csrf_token(staff):
    agent = staff("agent")
    assert agent.client.post("/profile/token").status_code == 400
    assert "no API token yet" in text(agent.get("/profile"))


def test_front_end_packages_are_served_by_the_app(staff):
    agent = staff("agent")
    for name in ("htmx.min.js", "bootstrap.min.css", "bpmn-viewer.js"):
        assert agent.get(f"/vendor/{name}").status_code == 200, name
    assert agent.get("/vendor/package.json").status_code == 404

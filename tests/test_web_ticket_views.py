"""Saved views on the ticket list: a person saves the list's filters and sort under a name, opens them in one
click, and removes them; the inbox's saved filters stay apart (one store, engine/saved_filters.py)."""

from engine import saved_filters
from engine.directory import users
from tests.web_data import red_ticket


def text(page) -> str:
    return page.get_data(as_text=True)


def views_bar(page) -> str:
    return text(page).split('data-testid="saved-views"', 1)[1].split('data-testid="save-view"', 1)[0]


def test_a_saved_view_keeps_the_filters_and_sort_and_opens_the_same_list(staff):
    red_ticket("Leased line down", "G0001")
    agent = staff("agent")
    saved = agent.post("/tickets/views?channel=red&status=open&sort=opened&dir=asc&page=3",
                       data={"name": "Red, oldest"})
    assert saved.status_code == 302 and "channel=red" in saved.headers["Location"]
    view, = saved_filters.of(users.by_username("agent"), "tickets")
    assert (view.name, view.params) == ("Red, oldest", {"channel": "red", "status": "open", "sort": "opened",
                                                        "dir": "asc"})  # no page: a view opens on its first
    bar = views_bar(agent.get("/tickets"))
    assert 'data-view="Red, oldest"' in bar and "channel=red" in bar and "sort=opened" in bar
    assert saved_filters.of(users.by_username("agent")) == []  # not among the inbox's filters
    assert "Red, oldest" not in text(agent.get("/inbox"))


def test_saving_again_under_the_same_name_replaces_the_view(staff):
    agent = staff("agent")
    agent.post("/tickets/views?channel=red", data={"name": "Mine"})
    agent.post("/tickets/views?channel=green", data={"name": "Mine"})
    view, = saved_filters.of(users.by_username("agent"), "tickets")
    assert view.params == {"channel": "green"}


def test_an_inbox_filter_and_a_ticket_view_may_share_a_name(staff):
    agent = staff("agent")
    agent.post("/inbox/filters", data={"name": "Red", "channel": "red"})
    agent.post("/tickets/views?channel=red", data={"name": "Red"})
    me = users.by_username("agent")
    assert [f.name for f in saved_filters.of(me)] == ["Red"] and [f.name for f in saved_filters.of(me, "tickets")] == [
        "Red"]


def test_a_view_with_wrong_filters_or_no_name_is_refused_and_nothing_is_saved(staff):
    agent = staff("agent")
    assert agent.post("/tickets/views?opened_from=yesterday", data={"name": "Bad"}).status_code == 422
    assert agent.post("/tickets/views?channel=purple", data={"name": "Bad"}).status_code == 422
    assert agent.post("/tickets/views?sort=colour", data={"name": "Bad"}).status_code == 422
    assert agent.post("/tickets/views?channel=red", data={"name": "  "}).status_code == 422
    assert saved_filters.of(users.by_username("agent"), "tickets") == []


def test_only_its_owner_removes_a_view(staff):
    staff("agent").post("/tickets/views?channel=red", data={"name": "Red"})
    view, = saved_filters.of(users.by_username("agent"), "tickets")
    assert staff("manager").post(f"/tickets/views/{view.id}/delete").status_code == 404
    agent = staff("agent")
    assert agent.post(f"/tickets/views/{view.id}/delete").status_code == 302
    assert saved_filters.of(users.by_username("agent"), "tickets") == []


def test_saving_a_view_needs_the_form_s_csrf_token(web_client, staff):
    staff("agent")
    assert web_client.post("/tickets/views?channel=red", data={"name": "Red"}).status_code in (400, 403)
    assert saved_filters.of(users.by_username("agent"), "tickets") == []

"""The ticket list (/tickets) and the navbar's search box: filters, search by phone in any spacing, pages, CSV."""

import pytest

from engine import tickets
from engine.search import tickets as ticket_search
from tests.web_data import red_ticket

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])


def text(page) -> str:
    return page.get_data(as_text=True)


def listed(page) -> list[str]:
    """The ticket ids the list shows, in order."""
    body = text(page)
    return [part.split('"')[0] for part in body.split('data-ticket="')[1:]]


@BOTH
def test_the_search_box_opens_the_ticket_found_by_a_contacts_phone_in_any_spacing(staff):
    port = red_ticket("Leased line down", "G0001")  # contact Gao Feng: +8613911110001
    red_ticket("Bank link slow", "G0002")
    agent = staff("agent")
    found = agent.get("/tickets/find?q=139 1111-0001")
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/tickets/{port.id}")
    assert agent.get(f"/tickets/find?q={port.number}").headers["Location"].endswith(f"/tickets/{port.id}")
    several = agent.get("/tickets/find?q=Leased")
    assert several.headers["Location"].endswith(f"/tickets/{port.id}")
    red_ticket("Leased line flapping", "G0002")
    several = agent.get("/tickets/find?q=leased")
    assert "/tickets?q=leased" in several.headers["Location"]
    assert len(listed(agent.get("/tickets?q=leased"))) == 2


@BOTH
def test_a_search_finds_the_same_tickets_whether_it_names_the_matching_customers_or_asks_for_them(staff,
                                                                                                 monkeypatch):
    port = red_ticket("Leased line down", "G0001")
    red_ticket("Bank link slow", "G0002")
    bank = red_ticket("Shanghai bank link", "G0002")
    agent = staff("agent")
    named = [listed(agent.get(f"/tickets?q={q}")) for q in ("Shanghai", "139 1111-0001", "G000")]
    monkeypatch.setattr(ticket_search, "LISTED_CUSTOMERS", 0)  # more customers match than a search names by id
    asked = [listed(agent.get(f"/tickets?q={q}")) for q in ("Shanghai", "139 1111-0001", "G000")]
    assert named == asked and named[1] == [str(port.id)] and str(bank.id) in named[0] and len(named[2]) == 3


def test_filters_narrow_the_list_and_stay_within_the_users_branches(staff, fake_clock):
    port = red_ticket("Leased line down", "G0001")  # Pudong
    fake_clock.advance(days=2)
    shop = red_ticket("Shop line down", "G0004")  # Minhang
    supervisor = staff("supervisor")
    assert listed(supervisor.get("/tickets")) == [str(shop.id), str(port.id)]
    assert listed(supervisor.get("/tickets?sort=number&dir=asc")) == [str(port.id), str(shop.id)]
    assert listed(supervisor.get("/tickets?customer=G0004")) == [str(shop.id)]
    assert listed(supervisor.get("/tickets?opened_from=2026-11-23&opened_to=2026-11-23")) == [str(port.id)]
    assert listed(supervisor.get("/tickets?channel=green")) == []
    assert listed(supervisor.get("/tickets?process=red_fault&status=open&creator=agent")) == [str(shop.id),
                                                                                               str(port.id)]
    assert listed(staff("minhang").get("/tickets")) == [str(shop.id)]  # Pudong's ticket is not theirs to see
    assert staff("minhang").get("/tickets/find?q=Leased").headers["Location"].endswith("/tickets?q=Leased")


def test_the_sla_filter_follows_the_open_tasks(staff, fake_clock):
    late = red_ticket("Late")
    fake_clock.advance(minutes=11)  # "Accept the fault" answers within 10 minutes
    while tickets.fire_due_timer(set()):
        pass
    fresh = red_ticket("Fresh")
    agent = staff("agent")
    assert listed(agent.get("/tickets?sla=breached")) == [str(late.id)]
    assert listed(agent.get("/tickets?sla=on_track")) == [str(fresh.id)]


def test_wrong_filters_are_named(staff):
    page = staff("agent").get("/tickets?opened_from=yesterday&channel=blue")
    assert page.status_code == 422 and "opened_from" in text(page)
    assert staff("agent").get("/tickets?channel=blue").status_code == 422


def test_pages_and_the_csv_export(staff, monkeypatch):
    from web import ticket_list

    monkeypatch.setattr(ticket_list, "PAGE_ROWS", 2)
    for n in range(3):
        red_ticket(f"=HYPERLINK(\"x\") {n}")
    agent = staff("agent")
    first, second = agent.get("/tickets"), agent.get("/tickets?page=2")
    assert len(listed(first)) == 2 and 'data-action="next"' in text(first)
    assert len(listed(second)) == 1 and 'data-action="previous"' in text(second)
    csv = agent.get("/tickets?format=csv")
    assert csv.mimetype == "text/csv"
    lines = csv.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Number,Title,Channel") and len(lines) == 4
    assert "'=HYPERLINK" in lines[1]  # a title is never run as a formula


@BOTH
def test_the_count_agrees_with_the_list_for_each_filter_a_join_serves(app):
    from engine.directory import users

    red_ticket("Leased line down", "G0001")
    red_ticket("Bank link slow", "G0002")
    supervisor = users.by_username("supervisor")
    for where in (ticket_search.TicketFilter(creator="agent"), ticket_search.TicketFilter(process="red_fault"),
                  ticket_search.TicketFilter(customer="Shanghai"), ticket_search.TicketFilter(q="link")):
        found = ticket_search.find(supervisor, where, limit=500)
        assert ticket_search.count(supervisor, where) == len(found) > 0, where

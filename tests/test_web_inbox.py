"""The inbox: views, counts, claim/unclaim in one click, filters, saved filters, SLA states, one query per list."""

import pytest
from sqlalchemy import event

from engine import saved_filters, tickets
from engine.db import db
from engine.directory import users
from tests.web_data import colleague, open_task, red_ticket

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])


def rows(page) -> str:
    return page.get_data(as_text=True)


def test_a_new_fault_waits_in_the_agents_queue_with_its_customer_and_tier(staff):
    ticket = red_ticket()
    page = rows(staff("agent").get("/inbox?view=queues"))
    assert ticket.number in page and "Accept the fault" in page
    assert "Shanghai Port Logistics Group" in page and ">A+<" in page
    assert 'data-count="queues">1<' in page and 'data-count="mine">0<' in page
    assert ticket.number not in rows(staff("manager").get("/inbox?view=queues"))


@BOTH
def test_claim_and_give_back_in_one_click(staff):
    task = open_task(red_ticket())
    agent = staff("agent")
    response = agent.post(f"/inbox/tasks/{task.id}/claim?view=queues", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in rows(response)  # the list only, swapped in place
    assert 'data-count="mine">1<' in rows(response) and 'data-count="queues">0<' in rows(response)
    db.session.refresh(task)
    assert (task.state, task.assignee.username) == ("claimed", "agent")
    mine = rows(agent.get("/inbox?view=mine"))
    assert 'data-action="unclaim"' in mine
    agent.post(f"/inbox/tasks/{task.id}/unclaim")
    db.session.refresh(task)
    assert (task.state, task.assignee) == ("open", None)


def test_someone_elses_role_cannot_claim(staff):
    task = open_task(red_ticket())
    assert staff("tech").post(f"/inbox/tasks/{task.id}/claim").status_code == 403
    db.session.refresh(task)
    assert task.state == "open"


def test_a_refused_claim_under_htmx_says_why_in_the_list(staff):
    task = open_task(red_ticket())
    colleague()
    other_agent = staff("agent2")
    staff("agent").post(f"/inbox/tasks/{task.id}/claim")
    response = other_agent.post(f"/inbox/tasks/{task.id}/claim?view=queues", headers={"HX-Request": "true"})
    assert "claimed by agent" in rows(response)
    db.session.refresh(task)
    assert task.assignee.username == "agent"


@BOTH
def test_the_team_view_is_for_supervisors_and_shows_who_holds_what(staff):
    task = open_task(red_ticket())
    staff("agent").post(f"/inbox/tasks/{task.id}/claim")
    agent_page = staff("agent").get("/inbox?view=team")
    assert agent_page.status_code == 403
    assert 'data-view="team"' not in rows(staff("agent").get("/inbox"))
    team = rows(staff("supervisor").get("/inbox?view=team"))
    assert "Held by" in team and "Li Na (service agent)" in team


@BOTH
def test_filters_narrow_the_list(staff):
    port, bank = red_ticket("Port line", "G0001"), red_ticket("Bank line", "G0002")
    agent = staff("agent")
    page = rows(agent.get("/inbox/list?view=queues&customer=huadong"))
    assert bank.number in page and port.number not in page
    page = rows(agent.get("/inbox/list?view=queues&customer=G0001"))
    assert port.number in page and bank.number not in page
    assert "Nothing here" in rows(agent.get("/inbox/list?view=queues&channel=green"))
    assert "Nothing here" in rows(agent.get("/inbox/list?view=queues&task=repair"))
    assert port.number in rows(agent.get("/inbox/list?view=queues&task=accept&process=red_fault"))
    assert agent.get("/inbox/list?view=queues&channel=purple").status_code == 422


def test_the_list_is_sorted_by_due_time(staff, fake_clock):
    later = red_ticket("first opened, due later", "G0004")  # no policy: 10 minutes to accept
    fake_clock.advance(minutes=1)
    sooner = red_ticket("opened next", "G0001")
    open_task(sooner).due_at = fake_clock.current  # pretend an earlier promise
    db.session.commit()
    page = rows(staff("agent").get("/inbox/list?view=queues"))
    assert page.index(sooner.number) < page.index(later.number)
    page = rows(staff("agent").get("/inbox/list?view=queues&sort=age"))
    assert page.index(later.number) < page.index(sooner.number)


@BOTH
def test_the_sla_badge_follows_the_clock(staff, fake_clock):
    ticket = red_ticket()
    agent = staff("agent")
    assert 'data-sla="on_track"' in rows(agent.get("/inbox/list?view=queues"))
    fake_clock.advance(minutes=9)  # the warning point of a 10-minute promise is at 8 minutes
    while tickets.fire_due_timer(set()):
        pass
    page = rows(agent.get("/inbox/list?view=queues"))
    assert 'data-sla="warning"' in page and ticket.number in page
    assert ticket.number in rows(agent.get("/inbox/list?view=queues&sla=warning"))
    assert ticket.number not in rows(agent.get("/inbox/list?view=queues&sla=on_track"))
    fake_clock.advance(minutes=2)
    page = rows(agent.get("/inbox/list?view=queues"))
    assert 'data-sla="breached"' in page and "late" in page


@BOTH
def test_saved_filters_belong_to_their_owner(staff):
    agent = staff("agent")
    agent.post("/inbox/filters", data={"name": "Port faults", "view": "queues", "customer": "G0001", "channel": ""})
    page = rows(agent.get("/inbox"))
    assert "Port faults" in page and "customer=G0001" in page
    assert "Port faults" not in rows(staff("manager").get("/inbox"))
    saved = saved_filters.of(users.by_username("agent"))[0]
    assert saved.params == {"view": "queues", "customer": "G0001"}
    assert staff("manager").post(f"/inbox/filters/{saved.id}/delete").status_code == 404
    agent.post(f"/inbox/filters/{saved.id}/delete")
    assert "Port faults" not in rows(agent.get("/inbox"))


def test_a_filter_needs_a_name(staff):
    assert staff("agent").post("/inbox/filters", data={"name": " ", "view": "mine"}).status_code == 422


def test_the_list_costs_the_same_queries_for_two_tickets_or_eight(staff):
    agent = staff("agent")
    for _ in range(2):
        red_ticket()

    def queries_for_list() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert agent.get("/inbox/list?view=queues").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    few = queries_for_list()
    for _ in range(6):
        red_ticket()
    assert queries_for_list() == few


def test_a_supervisor_hands_a_task_to_someone_with_its_role(staff):
    task = open_task(red_ticket())
    supervisor = staff("supervisor")
    team = rows(supervisor.get("/inbox?view=team"))
    assert f'data-assign="{task.id}"' in team and "Li Na (service agent)" in team
    response = supervisor.post(f"/inbox/tasks/{task.id}/assign?view=team", data={"username": "agent"},
                               headers={"HX-Request": "true"})
    assert response.status_code == 200
    db.session.refresh(task)
    assert (task.state, task.assignee.username) == ("claimed", "agent")
    wrong = supervisor.post(f"/inbox/tasks/{task.id}/assign", data={"username": "tech"})
    assert wrong.status_code == 422 and "does not have the role" in rows(wrong)
    assert staff("agent").post(f"/inbox/tasks/{task.id}/assign", data={"username": "agent"}).status_code == 403


def test_the_team_view_offers_only_those_who_may_hold_the_task_and_says_why_not(staff):
    task = open_task(red_ticket())  # G0001 belongs to the Pudong branch
    supervisor = staff("supervisor")
    team = rows(supervisor.get("/inbox?view=team"))
    assert "Zheng Hui (Pudong account manager)" in team
    assert "Feng Yan (Minhang service agent)" not in team  # an agent, but Minhang does not see Pudong's tickets
    refused = rows(supervisor.post(f"/inbox/tasks/{task.id}/assign?view=team", data={"username": "minhang"},
                                   headers={"HX-Request": "true"}))
    assert "The task was not assigned: outside the ticket&#39;s branch" in refused
    db.session.refresh(task)
    assert (task.state, task.assignee) == ("open", None)


def test_the_inbox_opens_on_the_view_with_work_and_remembers_the_last_one(staff):
    ticket = red_ticket()
    agent = staff("agent")
    assert 'data-view="queues" aria-current="page"' in rows(agent.get("/inbox"))  # nothing is mine yet
    tickets.claim(users.by_username("agent"), open_task(ticket).id)
    assert 'data-view="mine" aria-current="page"' in rows(staff("agent").get("/inbox"))  # a new sign-in
    agent.get("/inbox?view=queues")
    assert 'data-view="queues" aria-current="page"' in rows(agent.get("/inbox"))  # the last view, kept


def test_ticked_tasks_are_claimed_given_back_or_assigned_together(staff):
    first, second = open_task(red_ticket("One")), open_task(red_ticket("Two"))
    agent = staff("agent")
    done = agent.post("/inbox/bulk?view=queues", data={"action": "claim", "task": [first.id, second.id]})
    assert done.status_code == 302
    db.session.expire_all()
    assert [(t.state, t.assignee.username) for t in (first, second)] == [("claimed", "agent")] * 2
    agent.post("/inbox/bulk?view=mine", data={"action": "unclaim", "task": [first.id]})
    db.session.expire_all()
    assert (first.state, first.assignee) == ("open", None)

    supervisor = staff("supervisor")
    page = supervisor.post("/inbox/bulk?view=team", data={"action": "assign", "username": "minhang",
                                                          "task": [first.id]}, follow_redirects=True)
    assert "0 of 1 tasks done" in rows(page) and f"Task {first.id}: outside the ticket&#39;s branch" in rows(page)
    supervisor.post("/inbox/bulk?view=team", data={"action": "assign", "username": "pudong", "task": [first.id]})
    db.session.expire_all()
    assert first.assignee.username == "pudong"
    assert agent.post("/inbox/bulk", data={"action": "assign", "username": "agent",
                                           "task": [second.id]}).status_code == 302  # refused per task, not a 500
    db.session.expire_all()
    assert second.assignee.username == "agent"
    assert agent.post("/inbox/bulk", data={"action": "claim"}).status_code == 422


def test_a_supervisor_opens_and_works_any_task_of_their_branches_from_the_team_view(staff):
    task = open_task(red_ticket())  # an agent's task
    supervisor = staff("supervisor")
    team = rows(supervisor.get("/inbox?view=team"))
    row = team[team.index(f'data-task="{task.id}"'):]
    assert f'href="/tasks/{task.id}" data-action="open"' in row[:row.index("</tr>")]
    assert supervisor.get(f"/tasks/{task.id}").status_code == 200
    supervisor.post(f"/inbox/tasks/{task.id}/claim?view=team", headers={"HX-Request": "true"})
    db.session.refresh(task)
    assert (task.state, task.assignee.username) == ("claimed", "supervisor")
    assert staff("minhang").get(f"/tasks/{task.id}").status_code == 404  # another branch's agent sees nothing


def test_supervisors_see_the_tasks_about_to_breach_soonest_first(staff, fake_clock):
    first = red_ticket("First")  # "Accept the fault": due in 10 minutes, warned at 8
    fake_clock.advance(minutes=1)
    second = red_ticket("Second")
    fake_clock.advance(minutes=8, seconds=30)  # both warned, neither due yet
    while tickets.fire_due_timer(set()):
        pass
    fresh = red_ticket("Fresh")
    page = rows(staff("supervisor").get("/inbox"))
    strip = page[page.index('data-testid="about-to-breach"'):]
    strip = strip[:strip.index("</div>")]
    assert strip.index(first.number) < strip.index(second.number) and fresh.number not in strip
    assert 'data-testid="about-to-breach"' not in rows(staff("agent").get("/inbox"))


def test_the_about_to_breach_strip_names_the_task_in_the_readers_language(staff, fake_clock):
    red_ticket()  # "Accept the fault" (受理故障): due in 10 minutes, warned at 8
    fake_clock.advance(minutes=9)
    while tickets.fire_due_timer(set()):
        pass
    users.by_username("supervisor").locale = "zh_CN"
    db.session.commit()
    page = rows(staff("supervisor").get("/inbox?view=team"))
    strip = page[page.index('data-testid="about-to-breach"'):]
    strip = strip[:strip.index("</div>")]
    assert "受理故障" in strip and "Accept the fault" not in strip

"""The task form: rendered from the task's JSON Schema, checked next to its fields, completed or kept as a draft."""

import pytest
from flask import g
from werkzeug.datastructures import MultiDict

from engine import drafts, tickets
from engine.db import db
from engine.directory import users
from tests.web_data import colleague, open_task, red_ticket
from web import schema_form

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])

ACCEPT = {"impact": "outage", "impact_details": "the port's cranes are offline", "customer_answered": "true"}


def text(page) -> str:
    return page.get_data(as_text=True)


def test_the_form_shows_the_schemas_fields_and_the_ticket_beside_it(staff):
    ticket = red_ticket()
    page = text(staff("agent").get(f"/tasks/{open_task(ticket).id}"))
    assert 'name="impact"' in page and "Impact on the customer" in page and "Service down" in page
    assert 'name="impact_details"' in page and 'name="customer_answered"' in page
    assert "Leased line down" in page and "no light on the fibre" in page  # the ticket's data
    assert 'data-kind="created"' in page and 'data-kind="task_created"' in page  # its history


@BOTH
def test_completing_moves_the_ticket_on(staff):
    ticket = red_ticket()
    task = open_task(ticket)
    response = staff("agent").post(f"/tasks/{task.id}", data={**ACCEPT, "action": "complete"})
    assert response.status_code == 302 and response.location == "/inbox"
    db.session.refresh(task)
    assert (task.state, task.completed_by_id) == ("completed", users.by_username("agent").id)
    db.session.refresh(ticket)
    assert ticket.data["impact"] == "outage" and ticket.data["customer_answered"] is True
    assert ticket.data["fault_level"] == 1  # the decision table: an A+ customer's leased line is down
    assert open_task(ticket).element_id == "dispatch_on_site"


def test_missing_values_are_named_next_to_their_fields_and_nothing_changes(staff):
    task = open_task(red_ticket())
    data = {"impact_details": "half the cranes", "action": "complete"}  # no impact
    response = staff("agent").post(f"/tasks/{task.id}", data=data)
    assert response.status_code == 422
    page = text(response)
    assert 'data-error-for="impact"' in page
    assert 'data-error-for="impact_details"' not in page
    assert "half the cranes" in page  # what was entered stays
    db.session.refresh(task)
    assert task.state == "open"


def test_a_chinese_user_reads_the_messages_in_chinese(staff):
    task = open_task(red_ticket())
    agent = staff("agent")
    agent.post("/language", data={"locale": "zh_CN"})
    response = agent.post(f"/tasks/{task.id}", data={"impact_details": "x", "action": "complete"})
    page = text(response)
    assert "为必填项" in page and "请修改标出的字段" in page and "is required" not in page


def test_a_value_that_is_not_one_of_the_choices_is_refused_at_its_field(staff):
    task = open_task(red_ticket())
    response = staff("agent").post(f"/tasks/{task.id}", data={**ACCEPT, "impact": "apocalypse", "action": "complete"})
    assert response.status_code == 422
    assert 'data-error-for="impact"' in text(response)
    db.session.refresh(task)
    assert task.state == "open"


@BOTH
def test_a_draft_is_kept_for_its_author_only(staff):
    task = open_task(red_ticket())
    agent = staff("agent")
    response = agent.post(f"/tasks/{task.id}", data={"impact_details": "half the cranes", "action": "draft"})
    assert response.status_code == 302
    page = text(agent.get(f"/tasks/{task.id}"))
    assert "half the cranes" in page and 'data-testid="draft-saved"' in page
    db.session.refresh(task)
    assert task.state == "open"
    colleague()
    other_agent = staff("agent2").get(f"/tasks/{task.id}")
    assert other_agent.status_code == 200 and "half the cranes" not in text(other_agent)
    agent.post(f"/tasks/{task.id}", data={**ACCEPT, "action": "complete"})
    assert drafts.find(task, users.by_username("agent")) is None


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_roles_task_cannot_be_opened(staff, method):
    task = open_task(red_ticket())
    manager = staff("manager")  # sees the ticket (the customer's account manager), but has not the task's role
    response = (manager.get(f"/tasks/{task.id}") if method == "get"
                else manager.post(f"/tasks/{task.id}", data=ACCEPT))
    assert response.status_code == 403
    assert "agent" in text(response)
    db.session.refresh(task)
    assert task.state == "open"


def test_an_unknown_task_is_not_found(staff):
    assert staff("agent").get("/tasks/999").status_code == 404


def test_a_finished_task_leads_to_its_ticket(staff):
    ticket = red_ticket()
    task = open_task(ticket)
    agent = staff("agent")
    agent.post(f"/tasks/{task.id}", data={**ACCEPT, "action": "complete"})
    assert agent.get(f"/tasks/{task.id}").location == f"/tickets/{ticket.id}"


BILINGUAL = {
    "type": "object", "title": "Complaint", "x-title-zh": "投诉",
    "properties": {
        "category": {"type": "string", "title": "Category", "x-title-zh": "类别", "enum": ["billing", "network"],
                     "x-enum-labels": {"en": ["Billing", "Network"], "zh": ["计费", "网络"]}, "x-widget": "radio"},
        "amount": {"type": "number", "title": "Amount", "x-title-zh": "金额"},
        "details": {"type": "string", "title": "Details", "x-title-zh": "详情", "x-widget": "textarea"},
        "urgent": {"type": "boolean", "title": "Urgent", "x-title-zh": "紧急", "x-widget": "checkbox"},
    },
    "required": ["category"],
}


@pytest.mark.parametrize("language, labels, options", [
    ("en", ["Category", "Amount", "Details", "Urgent"], ["Billing", "Network"]),
    ("zh-CN", ["类别", "金额", "详情", "紧急"], ["计费", "网络"]),
])
def test_fields_speak_the_users_language(app, language, labels, options):
    g.__dict__.clear()
    with app.test_request_context(headers={"Accept-Language": language}):
        fields = schema_form.fields(BILINGUAL, {}, {})
    assert [f.label for f in fields] == labels
    assert [f.widget for f in fields] == ["radio", "number", "textarea", "checkbox"]
    assert [text for _value, text in fields[0].options] == options
    assert fields[0].required and not fields[1].required


def test_submitted_strings_become_the_schemas_types(app):
    with app.test_request_context():
        data, errors = schema_form.parse(BILINGUAL, MultiDict({"category": "network", "amount": "12.5", "details": ""}))
        assert (data, errors) == ({"category": "network", "amount": 12.5, "urgent": False}, {})
        data, errors = schema_form.parse(BILINGUAL, MultiDict({"amount": "lots", "urgent": "on"}))
        assert data["urgent"] is True and errors == {"amount": "Enter a number."}


def test_a_field_that_takes_several_choices_is_a_row_of_checkboxes(staff):
    ticket = tickets.start_ticket(users.by_username("manager"), "contract_approval", "Leased line contract",
                                  data={"service": "leased_line", "requirement": "Two lines"})
    task = open_task(ticket)
    page = text(staff("manager").get(f"/tasks/{task.id}"))
    assert page.count('type="checkbox" id="f-departments-') == 3 and "Billing department" in page
    draft = {"template": "standard_service", "contract_no": "HT-1", "amount": "200000", "term_months": "24",
             "discount_percent": "5", "departments": ["billing", "tech"], "action": "complete"}
    assert staff("manager").post(f"/tasks/{task.id}", data=draft).status_code == 302
    db.session.refresh(ticket)
    assert ticket.data["departments"] == ["billing", "tech"]
    waiting = sorted(t.element_id for t in ticket.tasks if t.state == "open")
    assert waiting == ["countersign_billing", "countersign_tech"]


def test_complete_and_open_next_claims_the_tickets_next_step_for_the_same_person(staff):
    agent = users.by_username("agent")
    users.create_user("allround", "demo", ["agent", "tech"], "Qian Yu", branch=agent.branch)
    colleague("tech", "tech2")
    db.session.commit()
    ticket = red_ticket()
    done = staff("allround").post(f"/tasks/{open_task(ticket).id}", data={**ACCEPT, "action": "complete"})
    db.session.expire_all()
    following = open_task(ticket)
    assert following.name == "Get on site (level 1)"
    assert done.headers["Location"].endswith(f"/tasks/{following.id}")
    assert (following.state, following.assignee.username) == ("claimed", "allround")
    claimed = [e for e in tickets.history(ticket) if e.kind == "claimed"]
    assert [(e.task_id, e.actor.username) for e in claimed] == [(following.id, "allround")]


def test_open_next_leaves_tasks_of_other_roles_and_can_be_turned_off(staff):
    ticket = red_ticket()
    agent = staff("agent")
    done = agent.post(f"/tasks/{open_task(ticket).id}", data={**ACCEPT, "action": "complete"})
    assert done.headers["Location"].endswith("/inbox")  # the next step is the tech's
    db.session.expire_all()
    assert open_task(ticket).assignee is None

    users.create_user("allround", "demo", ["agent", "tech"], "Qian Yu", branch=users.by_username("agent").branch)
    db.session.commit()
    allround = staff("allround")
    assert 'id="open_next" name="open_next" checked' in text(allround.get("/profile"))
    allround.post("/profile", data={"locale": "en", "timezone": "Asia/Shanghai", "email": "", "phone": ""})
    second = red_ticket()
    done = allround.post(f"/tasks/{open_task(second).id}", data={**ACCEPT, "action": "complete"})
    assert done.headers["Location"].endswith("/inbox")
    db.session.expire_all()
    assert open_task(second).assignee is None


def test_the_steps_bpmn_documentation_is_shown_as_guidance(staff):
    page = text(staff("agent").get(f"/tasks/{open_task(red_ticket()).id}"))
    guidance = page[page.index('data-testid="guidance"'):]
    assert "answer the customer within 10 minutes and record the impact" in guidance[:guidance.index("</div>")]


def test_a_draft_is_saved_as_one_types(staff):
    task = open_task(red_ticket())
    agent = staff("agent")
    page = text(agent.get(f"/tasks/{task.id}"))
    assert f'hx-post="/tasks/{task.id}/draft"' in page and "data-unsaved-warning" in page
    saved = agent.post(f"/tasks/{task.id}/draft", data={"impact_details": "cranes offline"},
                       headers={"HX-Request": "true"})
    assert saved.status_code == 200 and 'data-testid="draft-saved"' in text(saved)
    assert drafts.find(task, users.by_username("agent")).data["impact_details"] == "cranes offline"
    assert staff("tech").post(f"/tasks/{task.id}/draft", data={"impact_details": "x"}).status_code == 403

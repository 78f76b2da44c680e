"""Why a ticket is still open: the timers it waits for and when, the message it waits for, its call activity."""

from datetime import timedelta

from engine import deployments, progress, tickets
from engine.db import db
from engine.directory import users
from engine.models import Ticket
from tests.bpmn_samples import TIMER_STEP, guarded, properties, simple
from tests.test_call_activities import CALL, approval

MESSAGE_STEP = """<bpmn:intermediateCatchEvent id="step" name="Customer signs">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:messageEventDefinition id="signed_def" messageRef="signed"/>
    </bpmn:intermediateCatchEvent>"""
MESSAGE = '<bpmn:message id="signed" name="contract_signed"/>\n  <bpmn:process'


def deploy(xml: bytes) -> None:
    deployments.deploy(users.by_username("supervisor"), xml)


def start(process: str) -> Ticket:
    return tickets.start_ticket(users.by_username("agent"), process, "waiting test")


def summary(ticket: Ticket) -> list[tuple]:
    db.session.expire_all()
    return [(w.kind, w.element_id, w.name, w.due_at, w.what)
            for w in progress.waiting_for(db.session.get(Ticket, ticket.id))]


def test_a_ticket_waiting_on_a_timer_says_which_and_when(app, fake_clock):
    deploy(simple(key="waits", step=TIMER_STEP.replace("{duration}", "PT2H")))
    ticket = start("waits")
    assert summary(ticket) == [("timer", "step", "Wait", fake_clock.now() + timedelta(hours=2), None)]


def test_a_boundary_timer_on_a_person_s_task_is_listed_and_goes_when_the_task_is_done(app, fake_clock):
    deploy(guarded())
    ticket = start("guarded")
    assert summary(ticket) == [("timer", "reminder", "Too long", fake_clock.now() + timedelta(minutes=30), None)]
    tickets.complete(users.by_username("agent"), ticket.tasks[0].id, {})
    assert summary(ticket) == []  # closed: nothing keeps it open


def test_a_ticket_waiting_on_a_message_names_the_message(app):
    deploy(simple(key="signs", step=MESSAGE_STEP).replace(b"<bpmn:process", MESSAGE.encode(), 1))
    ticket = start("signs")
    assert summary(ticket) == [("message", "step", "Customer signs", None, "contract_signed")]


def test_a_ticket_inside_a_call_activity_names_it_and_the_called_process(app):
    deploy(approval("Director approves"))
    deploy(simple(key="order", step=CALL))
    ticket = start("order")
    assert summary(ticket) == [("call", "step", "Approve the contract", None, "approval")]
    tickets.complete(users.by_username("supervisor"), ticket.tasks[0].id, {})
    assert summary(ticket) == []  # back in its own process, at a person's task


def waiting_line(page) -> str:
    html = page.get_data(as_text=True)
    assert 'data-testid="waiting-for"' in html
    return html.split('data-testid="waiting-for"', 1)[1].split("</section>", 1)[0]


def test_the_ticket_page_says_when_its_timer_falls_due_in_the_user_s_zone(app, staff, fake_clock):
    zh_timer = TIMER_STEP.replace("{duration}", "PT2H").replace(
        "<bpmn:incoming>", properties({"name_zh": "等待两小时"}) + "<bpmn:incoming>", 1)
    deploy(simple(key="waits", step=zh_timer))
    ticket = start("waits")
    agent = users.by_username("agent")
    agent.timezone = "Asia/Shanghai"
    db.session.commit()
    line = waiting_line(staff("agent").get(f"/tickets/{ticket.id}"))
    assert "Wait" in line and "2026-11-23 11:00" in line and "等待两小时" not in line  # 03:00 UTC is 11:00 there
    agent.locale = "zh_CN"
    db.session.commit()
    assert "等待两小时" in waiting_line(staff("agent").get(f"/tickets/{ticket.id}"))


def test_the_call_activity_links_to_the_called_process_for_those_who_edit_processes(app, staff):
    deploy(approval("Director approves"))
    deploy(simple(key="order", step=CALL))
    ticket = start("order")
    line = waiting_line(staff("supervisor").get(f"/tickets/{ticket.id}"))
    assert "Approve the contract" in line and 'href="/modeler?key=approval"' in line
    line = waiting_line(staff("agent").get(f"/tickets/{ticket.id}"))
    assert "Approve the contract" in line and "/modeler" not in line


def test_a_ticket_waiting_only_on_people_has_no_waiting_line(app, staff):
    deploy(simple(key="plain"))
    ticket = start("plain")
    assert 'data-testid="waiting-for"' not in staff("agent").get(f"/tickets/{ticket.id}").get_data(as_text=True)

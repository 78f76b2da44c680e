"""Chinese throughout: a BPMN element's name_zh is what a Chinese user reads wherever the name is shown (inbox,
task page, ticket page, ticket list), falling back to the name; the engine's refusals reach them in Chinese too.

Every shipped diagram carries name_zh (test_web_catalog checks each named element); a diagram drawn without them
falls back to its English names."""

from sqlalchemy import select

from engine import deployments, tickets
from engine.db import db
from engine.directory import users
from engine.models import Customer, ProcessModel
from tests.bpmn_samples import simple
from tests.web_data import colleague, open_task, red_ticket


def contract_ticket():
    customer = db.session.scalar(select(Customer).where(Customer.code == "G0002"))
    return tickets.start_ticket(users.by_username("manager"), "contract_approval", "Leased line contract",
                                customer_id=customer.id, data={"service": "leased_line", "requirement": "Two lines"})


def speaks_chinese(username: str) -> None:
    users.by_username(username).locale = "zh_CN"
    db.session.commit()


def html(response) -> str:
    return response.get_data(as_text=True)


def test_a_chinese_user_reads_the_chinese_names_of_task_and_process_everywhere(staff):
    ticket = contract_ticket()
    task = open_task(ticket)
    assert (task.name, task.name_zh) == ("Draft the contract from a template", "按模板起草合同")
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "contract_approval"))
    assert model.name_zh == "合同审批"
    english = staff("manager")
    inbox = html(english.get("/inbox?view=mine"))
    assert "Draft the contract from a template" in inbox and "按模板起草合同" not in inbox
    speaks_chinese("manager")
    chinese = staff("manager")
    inbox = html(chinese.get("/inbox?view=mine"))
    assert "按模板起草合同" in inbox and "合同审批" in inbox and "Draft the contract from a template" not in inbox
    assert "<title>按模板起草合同" in html(chinese.get(f"/tasks/{task.id}"))
    page = html(chinese.get(f"/tickets/{ticket.id}"))
    assert "合同审批" in page and "按模板起草合同" in page
    listed = html(chinese.get("/tickets?process=contract_approval"))
    assert "<td>合同审批</td>" in listed


def test_a_step_without_a_chinese_name_shows_its_name(staff):
    deployments.deploy(users.by_username("supervisor"), simple(key="plain"))
    ticket = tickets.start_ticket(users.by_username("agent"), "plain", "internal chore")
    speaks_chinese("agent")
    inbox = html(staff("agent").get("/inbox?view=queues"))
    assert "Do the work" in inbox and open_task(ticket).name_zh is None


def test_a_refusal_from_the_engine_reaches_a_chinese_user_in_chinese(staff):
    ticket = red_ticket()
    task = open_task(ticket)
    colleague()
    tickets.claim(users.by_username("agent2"), task.id)
    db.session.commit()
    refused = staff("agent").post(f"/inbox/tasks/{task.id}/claim")
    assert refused.status_code == 409 and f"task {task.id} is claimed by agent2" in html(refused)
    speaks_chinese("agent")
    refused = staff("agent").post(f"/inbox/tasks/{task.id}/claim")
    assert refused.status_code == 409 and f"任务 {task.id} 已被 agent2 认领" in html(refused)

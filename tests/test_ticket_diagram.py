"""The ticket page's diagram: the ticket's own process, or the process one of its call activities runs, with the
ticket's steps marked in the process that passed them, in the reader's language, and only for a reader who may
see the ticket."""

from sqlalchemy import select

from engine import deployments, progress, tickets
from engine.db import db
from engine.directory import users
from engine.models import Customer
from engine.progress import diagram
from tests.bpmn_samples import simple
from tests.test_call_activities import CALL, approval


def started_order():
    """An order of a Pudong customer inside its call activity 'step', whose 'work' waits for a supervisor."""
    deployments.deploy(users.by_username("supervisor"), approval("Director approves"))
    deployments.deploy(users.by_username("supervisor"), simple(key="order", step=CALL))
    customer = db.session.scalar(select(Customer).where(Customer.code == "G0001"))
    return tickets.start_ticket(users.by_username("agent"), "order", "New leased line", customer_id=customer.id)


def test_the_own_process_marks_the_running_call_activity_and_not_the_called_process_steps(app, staff):
    ticket = started_order()
    shown = staff("agent").get(f"/tickets/{ticket.id}/diagram").json
    assert 'process id="order"' in shown["xml"] and shown["diagram"] is None
    # the called process's 'work' and 'start' share their ids with the order's own: only the order's are marked
    assert shown["current"] == ["step"] and shown["finished"] == ["start"] and shown["breached"] == []
    assert shown["calls"] == {"step": "Approve the contract"}
    assert [t["label"] for t in shown["trail"]] == ["Test process"]
    assert [w.calls for w in progress.waiting_for(ticket)] == [("step",)]  # its "waiting for" line opens it


def test_a_call_activity_opens_the_called_process_as_deployed_with_the_ticket_state(app, staff):
    ticket = started_order()
    deployments.deploy(users.by_username("supervisor"), approval("VP approves"))  # the ticket keeps version 1
    shown = staff("agent").get(f"/tickets/{ticket.id}/diagram?call=step").json
    assert 'process id="approval"' in shown["xml"] and "Director approves" in shown["xml"]
    assert "VP approves" not in shown["xml"] and shown["title"].endswith("version 1")
    assert shown["current"] == ["work"] and shown["finished"] == ["start", "step"]
    assert shown["trail"] == [{"label": "Test process", "calls": []},
                              {"label": "Approve the contract", "calls": ["step"]}]
    task, = [t for t in ticket.tasks if t.state == "open"]
    tickets.complete(users.by_username("supervisor"), task.id, {})
    db.session.expire_all()
    done = staff("agent").get(f"/tickets/{ticket.id}/diagram?call=step").json
    assert done["current"] == [] and set(done["finished"]) == {"start", "step", "work", "end"}
    own = staff("agent").get(f"/tickets/{ticket.id}/diagram").json
    assert own["current"] == ["work"] and "step" in own["finished"]


def test_a_path_that_names_no_call_activity_is_not_found(app, staff):
    ticket = started_order()
    page = staff("agent")
    assert page.get(f"/tickets/{ticket.id}/diagram?call=work").status_code == 404
    assert page.get(f"/tickets/{ticket.id}/diagram?call=step&call=step").status_code == 404


def test_the_called_process_of_a_ticket_of_another_branch_is_not_found(app, staff):
    ticket = started_order()
    for path in ("", "?call=step"):
        assert staff("minhang").get(f"/tickets/{ticket.id}/diagram{path}").status_code == 404
        assert staff("supervisor").get(f"/tickets/{ticket.id}/diagram{path}").status_code == 200


def test_a_chinese_reader_gets_the_chinese_names_where_the_diagram_has_them():
    named = simple().replace(b'name="Do the work">', b'name="Do the work"><bpmn:extensionElements>'
                             b'<spiffworkflow:properties><spiffworkflow:property name="name_zh" value="\xe5\x8a\x9e\xe7'
                             b'\x90\x86"/></spiffworkflow:properties></bpmn:extensionElements>').decode()
    chinese = diagram.localized(named, chinese=True)
    assert 'name="办理"' in chinese and 'name="Compute"' in chinese and 'name="Do the work"' not in chinese
    assert diagram.localized(named, chinese=False) == named

"""Checking and walking a shipped process: its diagram validates and is laid out cleanly; complete each task
as the role's demo user, then read what the desk sees (open tasks, history, outbox). Shared by the tests of
the process library."""

from pathlib import Path

from lxml import etree
from sqlalchemy import select

from engine import deployments, tickets
from engine.db import db
from engine.diagrams import NS
from engine.directory import users
from engine.forms import files as form_files
from engine.models import HumanTask, Ticket, User
from notifications.outbox import OutboxMessage

SIDES = ("x", "y", "width", "height")
BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"


def diagram(key: str) -> tuple[bytes, list[bytes]]:
    """A shipped diagram and its decision tables, as `demo` deploys them."""
    return (BPMN_DIR / f"{key}.bpmn").read_bytes(), [p.read_bytes() for p in sorted(BPMN_DIR.glob(f"{key}*.dmn"))]


def forms(key: str) -> dict[str, dict]:
    """The forms shipped with a diagram (``bpmn/<key>.*.form.json``), as `demo` deploys them."""
    return form_files.read_all([(p.name, p.read_bytes()) for p in BPMN_DIR.glob(f"{key}.*.form.json")])


def problems(key: str) -> list:
    bpmn, dmns = diagram(key)
    return deployments.validate(bpmn, dmns, forms(key))


def layout_problems(key: str) -> list[str]:
    """What would make the diagram hard to read in the modeler: a flow node or flow without a shape, a shape
    outside its lane's band, two shapes on top of each other."""
    root = etree.fromstring(diagram(key)[0])
    ns = {**NS, "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI", "dc": "http://www.omg.org/spec/DD/20100524/DC"}
    bounds = {shape.get("bpmnElement"): [float(shape.find("dc:Bounds", ns).get(side)) for side in SIDES]
              for shape in root.iterfind(".//bpmndi:BPMNShape", ns)}
    edges = {edge.get("bpmnElement") for edge in root.iterfind(".//bpmndi:BPMNEdge", ns)}
    found = [f"flow {f.get('id')} has no edge" for f in root.iterfind(".//bpmn:sequenceFlow", ns)
             if f.get("id") not in edges]
    nodes = {}
    for lane in root.iterfind(".//bpmn:lane", ns):
        _, top, _, height = bounds[lane.get("id")]
        for ref in lane.iterfind("bpmn:flowNodeRef", ns):
            if ref.text not in bounds:
                found.append(f"{ref.text} has no shape")
                continue
            nodes[ref.text] = x, y, w, h = bounds[ref.text]
            if not top <= y <= y + h <= top + height:
                found.append(f"{ref.text} lies outside the band of lane {lane.get('name')}")
    placed = sorted(nodes.items())
    attached = {(e.get("id"), e.get("attachedToRef")) for e in root.iterfind(".//bpmn:boundaryEvent", ns)}
    for i, (a, (ax, ay, aw, ah)) in enumerate(placed):
        for b, (bx, by, bw, bh) in placed[i + 1:]:
            on_its_border = (a, b) in attached or (b, a) in attached  # a boundary event sits on its activity
            if not on_its_border and ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah:
                found.append(f"{a} and {b} overlap")
    return found


def staff(username: str) -> User:
    return users.by_username(username)


def open_tasks(ticket: Ticket) -> list[str]:
    db.session.refresh(ticket)
    return [t.element_id for t in ticket.tasks if t.state in ("open", "claimed")]


def task(ticket: Ticket, element_id: str) -> HumanTask:
    found = [t for t in ticket.tasks if t.element_id == element_id and t.state in ("open", "claimed")]
    assert found, f"{element_id} is not waiting; open tasks: {open_tasks(ticket)}"
    return found[0]


def work(ticket: Ticket, element_id: str, username: str, data: dict) -> HumanTask:
    """Complete the waiting task of that element as the user."""
    return tickets.complete(staff(username), task(ticket, element_id).id, data)


def walk(ticket: Ticket, steps) -> None:
    for element_id, username, data in steps:
        work(ticket, element_id, username, data)


def completed(ticket: Ticket) -> list[tuple[str, str]]:
    """(element id, who) of each completed task, in the order of the ticket's history."""
    return [(e.task.element_id, e.actor.username) for e in tickets.history(ticket) if e.kind == "completed"]


def kinds(ticket: Ticket) -> list[str]:
    return [e.kind for e in tickets.history(ticket)]


def messages(ticket: Ticket) -> list[tuple[str, str, str]]:
    """(event, channel, recipient: a username, or the address of someone who is no user) of the ticket's outbox."""
    rows = db.session.execute(select(OutboxMessage.event, OutboxMessage.channel, User.username, OutboxMessage.address)
                              .outerjoin(User, User.id == OutboxMessage.recipient_id)
                              .where(OutboxMessage.ticket_id == ticket.id).order_by(OutboxMessage.id))
    return [(event, channel, username or address) for event, channel, username, address in rows]

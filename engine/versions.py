"""A process model's versions: list, compare two of them, roll back, and where its open tickets are.

Versions never change; a rollback deploys an older version's content as the newest version, so the
history of what ran when stays whole. The heat map is two aggregate queries on the task and SLA
tables: it never loads a workflow.
"""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine import bundle_diff, diagrams
from engine.db import db
from engine.diagrams import NS
from engine.directory import permissions
from engine.errors import Conflict, NotFound
from engine.models import (
    ACTIVE_TASK_STATES,
    HumanTask,
    ProcessModel,
    ProcessVersion,
    SlaClock,
    Ticket,
    Timer,
    User,
)

BPMN = "{" + NS["bpmn"] + "}"
CONTAINERS = {f"{BPMN}process", f"{BPMN}subProcess", f"{BPMN}transaction", f"{BPMN}adHocSubProcess"}
SKIPPED = {f"{BPMN}{tag}" for tag in ("laneSet", "extensionElements", "ioSpecification", "documentation")}


def versions_of(actor: User, key: str) -> list[ProcessVersion]:
    permissions.require(actor, "deploy")
    model = _model(key)
    return list(model.versions)


def get_version(actor: User, key: str, number: int) -> ProcessVersion:
    permissions.require(actor, "deploy")
    version = db.session.scalar(select(ProcessVersion).where(ProcessVersion.model_id == _model(key).id,
                                                             ProcessVersion.version == number))
    if version is None:
        raise NotFound(f"process model {key!r} has no version {number}")
    return version


def _model(key: str) -> ProcessModel:
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == key))
    if model is None:
        raise NotFound(f"no process model {key!r} is deployed")
    return model


def elements(bpmn_xml: str, key: str) -> dict[str, dict]:
    """What KeyDesk reads of each element of the process, by id: the things a supervisor edits."""
    root = diagrams.read_xml(bpmn_xml)
    process = next(p for p in root.iterfind(".//bpmn:process", NS) if p.get("id") == key)
    found = {lane.get("id"): {"type": "lane", "name": lane.get("name")}
             for lane in process.iterfind(".//bpmn:lane", NS)}
    for node in process.iter():
        if node.getparent() is None or node.getparent().tag not in CONTAINERS or node.tag in SKIPPED:
            continue
        if not isinstance(node.tag, str) or not node.get("id"):
            continue
        found[node.get("id")] = _describe(process, node)
    return found


def _describe(process, node) -> dict:
    """An element's type, name, lane, properties, condition, timer, script and service operation."""
    described = {"type": node.tag.removeprefix(BPMN), "name": node.get("name"),
                 "lane": diagrams.lane_of(process, node), "properties": diagrams.process_properties(node)}
    if node.get("sourceRef"):
        described.update(source=node.get("sourceRef"), target=node.get("targetRef"))
    condition = node.find("bpmn:conditionExpression", NS)
    if condition is not None:
        described["condition"] = (condition.text or "").strip()
    if node.get("default"):
        described["default"] = node.get("default")
    timer = node.find("bpmn:timerEventDefinition", NS)
    if timer is not None:
        described["timer"] = " ".join(f"{child.tag.removeprefix(BPMN)}={(child.text or '').strip()}"
                                      for child in timer if isinstance(child.tag, str))
    script = node.find("bpmn:script", NS)
    if script is not None:
        described["script"] = (script.text or "").strip()
    operator = node.find(".//spiffworkflow:serviceTaskOperator", NS)
    if operator is not None:
        described["operation"] = operator.get("id")
        described["parameters"] = {p.get("id"): p.get("value") for p in operator.iterfind(".//spiffworkflow:parameter",
                                                                                           NS)}
    return described


def diff(actor: User, key: str, old: int, new: int) -> dict:
    """Elements added, removed and changed (by id) from version `old` to `new`, each change named; then the forms
    (field by field) and the decision tables (rule by rule)."""
    old_version, new_version = get_version(actor, key, old), get_version(actor, key, new)
    before, after = elements(old_version.bpmn_xml, key), elements(new_version.bpmn_xml, key)
    changed = []
    for element_id in before.keys() & after.keys():
        changes = _changes(before[element_id], after[element_id])
        if changes:
            changed.append({"id": element_id, "type": after[element_id]["type"], "name": after[element_id]["name"],
                            "changes": changes})
    return {
        "key": key, "from": old, "to": new,
        "added": [_summary(i, after[i]) for i in sorted(after.keys() - before.keys())],
        "removed": [_summary(i, before[i]) for i in sorted(before.keys() - after.keys())],
        "changed": sorted(changed, key=lambda c: c["id"]),
        "forms": bundle_diff.forms(old_version.forms, new_version.forms),
        "decisions": bundle_diff.decisions(old_version.dmn_xml, new_version.dmn_xml),
    }


def _summary(element_id: str, described: dict) -> dict:
    return {"id": element_id, "type": described["type"], "name": described["name"]}


def _changes(before: dict, after: dict) -> list[dict]:
    """Field by field; properties and parameters one by one, so `sla.response` shows as itself."""
    changes = []
    for field in sorted(before.keys() | after.keys()):
        old, new = before.get(field), after.get(field)
        if field in ("properties", "parameters"):
            prefix = "property" if field == "properties" else "parameter"
            changes += [{"field": f"{prefix} {name}", "from": (old or {}).get(name), "to": (new or {}).get(name)}
                        for name in sorted((old or {}).keys() | (new or {}).keys())
                        if (old or {}).get(name) != (new or {}).get(name)]
        elif old != new:
            changes.append({"field": field, "from": old, "to": new})
    return changes


def rollback(actor: User, key: str, number: int, comment: str = "") -> ProcessVersion:
    """Deploy version `number`'s content (diagram, decision tables, called diagrams, forms) as the newest."""
    permissions.require(actor, "deploy")
    old = get_version(actor, key, number)
    model = old.model
    latest = max(v.version for v in model.versions)
    note = f"rollback to version {number}" + (f": {comment.strip()}" if comment and comment.strip() else "")
    version = ProcessVersion(model=model, version=latest + 1, bpmn_xml=old.bpmn_xml, dmn_xml=list(old.dmn_xml),
                             called_xml=list(old.called_xml), digest=old.digest, forms=dict(old.forms),
                             properties=dict(old.properties), comment=note, deployed_by=actor)
    model.channel = old.properties.get("channel", model.channel)
    db.session.add(version)
    try:
        db.session.commit()
    except IntegrityError as err:
        db.session.rollback()
        raise Conflict("another deployment of this process finished first; roll back again",
                       message_zh="该流程的另一次部署先完成了；请重新回滚") from err
    return version


def heatmap(actor: User, key: str, number: int) -> dict:
    """Per element of a version: open tickets waiting there now (tasks, timers) and SLA clocks breached there."""
    version = get_version(actor, key, number)
    of_version = Ticket.process_version_id == version.id
    counts: dict[str, dict] = {}

    def add(rows, field):
        for element_id, count in rows:
            counts.setdefault(element_id, {"open_tickets": 0, "waiting_timers": 0, "breached": 0})[field] = count

    add(db.session.execute(
        select(HumanTask.element_id, func.count(func.distinct(HumanTask.ticket_id))).join(Ticket)
        .where(of_version, Ticket.status == "open", HumanTask.state.in_(ACTIVE_TASK_STATES))
        .group_by(HumanTask.element_id)), "open_tickets")
    add(db.session.execute(
        select(Timer.element_id, func.count(func.distinct(Timer.ticket_id))).join(Ticket, Timer.ticket_id == Ticket.id)
        .where(of_version, Ticket.status == "open", Timer.kind == "bpmn", Timer.state == "armed")
        .group_by(Timer.element_id)), "waiting_timers")
    add(db.session.execute(
        select(HumanTask.element_id, func.count(SlaClock.id)).join(HumanTask, SlaClock.task_id == HumanTask.id)
        .join(Ticket, SlaClock.ticket_id == Ticket.id)
        .where(of_version, SlaClock.breached_at.is_not(None))
        .group_by(HumanTask.element_id)), "breached")
    promised = db.session.execute(  # a ticket's promise counts at the element that keeps it
        select(SlaClock.until, func.count(SlaClock.id)).join(Ticket, SlaClock.ticket_id == Ticket.id)
        .where(of_version, SlaClock.until.is_not(None), SlaClock.breached_at.is_not(None)).group_by(SlaClock.until))
    for element_id, count in promised:
        entry = counts.setdefault(element_id, {"open_tickets": 0, "waiting_timers": 0, "breached": 0})
        entry["breached"] += count
    return {"key": key, "version": number,
            "elements": [{"element_id": element_id, **values} for element_id, values in sorted(counts.items())]}

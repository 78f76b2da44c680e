"""Moving running tickets from one version of a process to another.

SpiffWorkflow's diff utilities align the ticket's tasks with the new version's elements by id (and by
structure where ids changed). A ticket can move when every task it has run or waits at has an aligned
element of the same type, or the supervisor maps the old element id to a new one. A waiting task takes the new
version's form; the check notes the fields that form now requires. Each ticket moves
in its own transaction: its waiting tasks keep their ids, so their rows (assignments), SLA clocks and
timer rows stay attached, and timers keep their due times.
"""

from copy import deepcopy

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import audit, deployments, runtime, tickets, versions
from engine.db import db
from engine.directory import permissions
from engine.errors import Conflict, InvalidInput, ProcessError
from engine.models import ACTIVE_TASK_STATES, ProcessVersion, Ticket, User

WAITING = TaskState.READY | TaskState.WAITING | TaskState.STARTED
CHECKED = WAITING | TaskState.FINISHED_MASK  # tasks that happened or are happening; predicted ones are redrawn


class _Plan:
    """A ticket's workflow with its tasks aligned to the target version, or the reasons it cannot move."""

    def __init__(self, ticket: Ticket, target: ProcessVersion, mapping: dict[str, str],
                 retyped: frozenset[str] = frozenset()):
        """``retyped``: old elements whose waiting task may go on at a mapped step of another type, a decision a
        one-off command takes explicitly (engine.contracts.old_reminders); the supervisor's mapping may not."""
        self.key, self.retyped = ticket.process_version.model.key, retyped
        self.workflow = runtime.load(ticket)
        self.to_version = target.version
        self.spec, self.dependencies = deployments.specs.get(target)
        self.top, self.subprocesses = diff_workflow(runtime.registry(), self.workflow, self.spec, self.dependencies)
        self.forms = (ticket.process_version.forms, target.forms)
        self.mapped: dict[str, str] = {}
        self.reasons: list[dict] = []
        self.notes: list[dict] = []
        self._align(self.top, self.workflow, self.spec, mapping)
        for sp_id, sp_diff in self.subprocesses.items():
            sub = self.workflow.subprocesses[sp_id]
            if sp_diff is None:
                self._refuse(sub.spec.name, "subprocess_missing")
            else:
                self._align(sp_diff, sub, self.dependencies[sub.spec.name], mapping)
        if one_off := [r for r in self.reasons if r["code"] in ONE_OFF.values()]:
            self.reasons = one_off  # the generic advice (map it) cannot work here: only the one-off path says what does

    def _align(self, wf_diff, workflow, new_spec, mapping: dict[str, str]) -> None:
        for task in workflow.get_tasks(state=CHECKED, skip_subprocesses=True):
            old = task.task_spec
            target = wf_diff.alignment.get(task) if task not in wf_diff.removed else None
            if old.bpmn_id is None:  # SpiffWorkflow's own step around an element (boundary events, joins)
                self._align_internal(task, wf_diff, new_spec, target, mapping)
                continue
            if old.name in mapping:
                target = new_spec.task_specs.get(mapping[old.name])
                if target is None:
                    self._refuse(old.name, "mapping_unknown", to=mapping[old.name])
                    continue
                self.mapped[old.name] = target.name
            if target is None and task.has_state(WAITING) and (self.key, old.name) in ONE_OFF:
                self._refuse(old.name, ONE_OFF[self.key, old.name])
            elif target is None:
                self._refuse(old.name, "waits_at_removed" if task.has_state(WAITING) else "passed_removed")
            elif task.has_state(WAITING) and target.name != old.name and old.name not in mapping:
                # SpiffWorkflow matched a differently named element by position: the supervisor confirms it
                self._refuse(old.name, "waits_at_replaced", candidate=target.name)
            elif task.has_state(WAITING) and type(target) is not type(old) and old.name not in self.retyped:
                self._refuse(old.name, "type_changed", was=type(old).__name__, now=type(target).__name__)
            else:
                wf_diff.alignment[task] = target
                if task.has_state(WAITING):
                    self._note_new_required(old, target)

    def _note_new_required(self, old, new) -> None:
        """A waiting task keeps its place and takes the new version's form; say which fields it now requires,
        since whoever works it must fill them before completing it."""
        before, after = (forms.get(_form_key(spec)) or {} for forms, spec in zip(self.forms, (old, new), strict=True))
        gained = [name for name in after.get("required", []) if name not in before.get("required", [])]
        if gained:
            fields = ", ".join(gained)
            self.notes.append({"element_id": new.bpmn_id, "code": "form_requires_more", "fields": gained,
                               "note": f"the task {new.bpmn_id} stays open with the form of version "
                                       f"{self.to_version}, which now requires: {fields}",
                               "note_zh": f"任务 {new.bpmn_id} 保持打开，改用版本 {self.to_version} 的表单，"
                                          f"该表单新增必填字段：{fields}"})

    def _align_internal(self, task, wf_diff, new_spec, target, mapping: dict[str, str]) -> None:
        """`work.BoundaryEventSplit` follows `work`: to its mapped element's, or it must still exist."""
        owner, _, suffix = task.task_spec.name.partition(".")
        if owner in mapping:
            target = new_spec.task_specs.get(f"{mapping[owner]}.{suffix}") if suffix else None
        if target is None:
            self._refuse(owner, "structure_changed")
        else:
            wf_diff.alignment[task] = target

    def _refuse(self, element_id: str, code: str, **values) -> None:
        if not any((r["element_id"], r["code"]) == (element_id, code) for r in self.reasons):
            english, chinese = REASONS[code]
            values = {"element": element_id, "to_version": self.to_version, **values}
            self.reasons.append({"element_id": element_id, "code": code, "reason": english.format(**values),
                                 "reason_zh": chinese.format(**values)})

    def apply(self) -> None:
        """Point every task at its new element, redraw what lies ahead, keep what waits as it was."""
        kept = {}
        for task in self.workflow.get_tasks(state=WAITING):
            if task.task_spec.name in self.retyped:  # it goes on at a step of another type: no event to wait for
                self.workflow.event_manager.remove_task(task)
            else:
                kept[task.id] = (deepcopy(task.internal_data), deepcopy(task.data))
        migrate_workflow(self.top, self.workflow, self.spec)
        self.workflow.subprocess_specs = self.dependencies
        for sp_id, sp_diff in self.subprocesses.items():
            sub = self.workflow.subprocesses[sp_id]
            migrate_workflow(sp_diff, sub, self.dependencies[sub.spec.name])
        for task in self.workflow.get_tasks(state=WAITING):
            if task.id in kept:  # a reset timer would start counting again: give back its due time
                task.internal_data, task.data = kept[task.id]


def _form_key(spec) -> str | None:
    return getattr(spec, "extensions", {}).get("properties", {}).get("form")


# Removed elements a one-off command moves tickets on from, with the reason the check gives: (process, element) ->
# reason code.
ONE_OFF = {("contract_approval", "expiry_reminder"): "signed_contract_waits"}

REASONS = {
    "signed_contract_waits": (
        "the contract of this ticket is signed and the ticket waits at {element}, the expiry reminder of its old "
        "version, which version {to_version} does not have (expiry reminders now come from the customer's "
        "contracts); nothing was changed. Run `python run.py migrate-signed-contracts --as USER` to list these "
        "tickets, then again with --apply: each goes on at the filing step of the current version, which files the "
        "contract in the customer's contracts and closes the ticket",
        "此工单的合同已签署，工单正停在旧版本的到期提醒 {element}，而版本 {to_version} 中没有该步骤（到期提醒现由"
        "客户合同发出）；未做任何更改。请运行 `python run.py migrate-signed-contracts --as 用户名` 列出此类工单，"
        "再加 --apply 执行：每张工单从当前版本的合同归档步骤继续，将合同归入客户合同并结案"),
    "waits_at_removed": ("the ticket waits at {element}, which version {to_version} does not have: map it to a "
                         "step of version {to_version}",
                         "工单正停在 {element}，而版本 {to_version} 中没有该步骤："
                         "请将它映射到版本 {to_version} 的某个步骤"),
    "passed_removed": ("the ticket has passed {element}, which version {to_version} does not have: map it to a "
                       "step of version {to_version}",
                       "工单已经过 {element}，而版本 {to_version} 中没有该步骤："
                       "请将它映射到版本 {to_version} 的某个步骤"),
    "waits_at_replaced": ("the ticket waits at {element}, which version {to_version} does not have ({candidate} "
                          "takes its place): map {element} to {candidate} or to another step",
                          "工单正停在 {element}，而版本 {to_version} 中没有该步骤（{candidate} 位于其位置）："
                          "请将 {element} 映射到 {candidate} 或其他步骤"),
    "type_changed": ("the ticket waits at {element}, a {was} here but a {now} in version {to_version}: map it to "
                     "a step of the same type",
                     "工单正停在 {element}，它在此版本是 {was}，在版本 {to_version} 是 {now}：请映射到同类型的步骤"),
    "structure_changed": ("the ticket is at or past {element}, whose boundary events or joins differ in version "
                          "{to_version}: map {element} to a step with the same boundary events",
                          "工单位于或已经过 {element}，而它在版本 {to_version} 中的边界事件或汇合不同："
                          "请映射到具有相同边界事件的步骤"),
    "mapping_unknown": ("the mapping sends {element} to {to}, which version {to_version} does not have",
                        "映射把 {element} 指向 {to}，而版本 {to_version} 中没有该元素"),
    "subprocess_missing": ("the ticket runs the subprocess {element}, which version {to_version} does not have",
                           "工单正在运行子流程 {element}，而版本 {to_version} 中没有它"),
}


def check(actor: User, key: str, old: int, new: int, mapping: dict | None = None,
          ticket_ids: list[int] | None = None) -> dict:
    """Which open tickets of version `old` can move to `new` (a dry run); the rest with their reasons."""
    permissions.require(actor, "migrate")
    source, target, mapping = _versions(actor, key, old, new, mapping)
    report = {"key": key, "from": old, "to": new, "movable": [], "refused": []}
    for ticket in _tickets(source, ticket_ids):
        plan = _Plan(ticket, target, mapping)
        report["refused" if plan.reasons else "movable"].append(_entry(ticket, plan))
    return report


def migrate(actor: User, key: str, old: int, new: int, mapping: dict | None = None,
            ticket_ids: list[int] | None = None) -> dict:
    """Move each movable ticket, each in its own transaction; report the moved and the refused."""
    permissions.require(actor, "migrate")
    source, target, mapping = _versions(actor, key, old, new, mapping)
    report = {"key": key, "from": old, "to": new, "migrated": [], "refused": []}
    for ticket_id in [t.id for t in _tickets(source, ticket_ids)]:
        try:
            entry = move_one(actor, ticket_id, source.id, target.id, mapping)
        except (Conflict, ProcessError) as err:
            ticket = db.session.get(Ticket, ticket_id)
            report["refused"].append({"id": ticket_id, "number": ticket.number,
                                      "reasons": err.details or [{"reason": err.message}]})
        else:
            report["migrated"].append(entry)
    return report


def move_one(actor: User, ticket_id: int, source_id: int, target_id: int, mapping: dict,
             retyped: frozenset[str] = frozenset(), why: str | None = None) -> dict:
    """Move one ticket in its own transaction, or raise Conflict with the reasons (it stays as it was). ``why``:
    said on the ticket's history line."""
    with tickets.step():
        ticket = tickets.get_ticket(ticket_id)
        target = db.session.get(ProcessVersion, target_id)
        if ticket.status != "open" or ticket.process_version_id != source_id:
            raise Conflict(f"ticket {ticket.number} is no longer an open ticket of this version",
                           message_zh=f"工单 {ticket.number} 已不是此版本的未结工单")
        plan = _Plan(ticket, target, mapping, retyped)
        if plan.reasons:
            raise Conflict(f"ticket {ticket.number} cannot move", _entry(ticket, plan)["reasons"],
                           f"工单 {ticket.number} 无法迁移")
        source_version = ticket.process_version.version
        try:
            plan.apply()
            ticket.process_version = target
            runtime.advance(plan.workflow)
            moved = _follow_tasks(ticket, plan.workflow)
            tickets._sync(ticket, plan.workflow, actor)
            runtime.load(ticket)  # the saved state must read back against the new version, or nothing is kept
        except (ProcessError, Conflict):
            raise
        except Exception as err:  # SpiffWorkflow's own failure on an odd tree: this ticket stays as it was
            raise Conflict(f"ticket {ticket.number} could not be moved: {err}",
                           [{"element_id": None, "code": "engine", "reason": str(err), "reason_zh": str(err)}],
                           f"工单 {ticket.number} 迁移失败：{err}") from err
        audit.record(ticket, actor, "migrated", from_version=source_version, to_version=target.version,
                     mapping=plan.mapped, tasks=moved, **({"why": why} if why else {}))
        return _entry(ticket, plan)


def _follow_tasks(ticket: Ticket, workflow) -> list[dict]:
    """Waiting task rows keep their id, assignee and clocks; their element, name, role and form follow the
    new version."""
    ready = {str(t.id): t for t in runtime.ready_human_tasks(workflow)}
    moved = []
    for row in ticket.tasks:
        spiff_task = ready.get(row.spiff_task_id)
        if row.state not in ACTIVE_TASK_STATES or spiff_task is None:
            continue
        spec = spiff_task.task_spec
        before = row.element_id
        row.element_id, row.name = spec.bpmn_id, spec.bpmn_name or spec.bpmn_id
        row.role = runtime.role_of(spiff_task) or row.role
        row.form_key = runtime.properties(spiff_task).get("form")
        moved.append({"task_id": row.id, "from": before, "to": row.element_id, "role": row.role})
    return moved


def _entry(ticket: Ticket, plan: _Plan) -> dict:
    waiting = sorted({t.task_spec.bpmn_id for t in plan.workflow.get_tasks(state=WAITING) if t.task_spec.bpmn_id})
    return {"id": ticket.id, "number": ticket.number, "waiting_at": waiting, "mapping": plan.mapped,
            "reasons": plan.reasons, "notes": plan.notes}


def _versions(actor: User, key: str, old: int, new: int, mapping) -> tuple[ProcessVersion, ProcessVersion, dict]:
    if old == new:
        raise InvalidInput("pick two different versions", [{"field": "to", "message": "same as from"}])
    if mapping is not None and not (isinstance(mapping, dict)
                                    and all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items())):
        raise InvalidInput("mapping must be an object of old element id to new element id",
                           [{"field": "mapping", "message": "not an object of strings"}])
    return versions.get_version(actor, key, old), versions.get_version(actor, key, new), mapping or {}


def _tickets(version: ProcessVersion, ticket_ids: list[int] | None) -> list[Ticket]:
    query = select(Ticket).where(Ticket.process_version_id == version.id, Ticket.status == "open")
    if ticket_ids is not None:
        if not isinstance(ticket_ids, list) or not all(isinstance(i, int) for i in ticket_ids):
            raise InvalidInput("tickets must be a list of ticket ids", [{"field": "tickets", "message": "not ids"}])
        query = query.where(Ticket.id.in_(ticket_ids))
    return list(db.session.scalars(query.order_by(Ticket.id)))

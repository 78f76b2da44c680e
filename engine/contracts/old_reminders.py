"""Signed contracts left on contract_approval's old version, whose tickets wait years at its expiry timer (removed:
expiry reminders come from the customer's contracts now). The migration check refuses them (engine.migration);
this one-off path, taken only on an explicit decision (`run.py migrate-signed-contracts --apply`), moves each to
the current version at its filing step, so the contract is filed in the customer's contracts (客户合同的分类归档,
004 §五.2), reminded from there, and the ticket closes as the current version closes it."""

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import deployments, migration, runtime
from engine.db import db
from engine.directory import permissions
from engine.errors import Conflict, ProcessError
from engine.models import ProcessVersion, Ticket, User

KEY, WAITS_AT, FILING = "contract_approval", "expiry_reminder", "file_signed_contract"
# the old version's elements from the signature on, and the current version's steps that take their place
PLACES = {"schedule_reminder": "record_signature", "contract_signed": "record_signature", WAITS_AT: FILING}
WHY = ("signed contract moved on to the filing step (migrate-signed-contracts) "
       "已签合同转至归档步骤（migrate-signed-contracts）")


def move(actor: User, apply: bool = False) -> dict:
    """The open tickets waiting at the old expiry timer (a dry run), and with ``apply`` each moved in its own
    transaction; a ticket that cannot move (its contract number already on file...) stays as it was, with why."""
    permissions.require(actor, "migrate")
    target = deployments.latest_version(KEY)
    if FILING not in deployments.specs.get(target)[0].task_specs:
        raise Conflict(f"version {target.version} of {KEY} has no filing step {FILING}: deploy the current diagram "
                       "first", message_zh=f"{KEY} 的版本 {target.version} 没有归档步骤 {FILING}：请先部署当前流程图")
    report = {"to": target.version, "waiting": [], "moved": [], "refused": []}
    for ticket in waiting(target):
        entry = {"id": ticket.id, "number": ticket.number, "version": ticket.process_version.version,
                 "customer": ticket.customer.code if ticket.customer else None,
                 "contract_no": (ticket.data or {}).get("contract_no")}
        report["waiting"].append(entry)
        if apply:
            _move_one(actor, ticket, target, entry, report)
    return report


def waiting(target: ProcessVersion) -> list[Ticket]:
    """Open tickets of the process's other versions whose workflow waits at the old expiry timer."""
    query = (select(Ticket).join(ProcessVersion).where(ProcessVersion.model_id == target.model_id,
                                                       ProcessVersion.id != target.id, Ticket.status == "open")
             .order_by(Ticket.id))
    return [t for t in db.session.scalars(query) if _waits_at_old_timer(t)]


def _waits_at_old_timer(ticket: Ticket) -> bool:
    return any(task.task_spec.bpmn_id == WAITS_AT for task in runtime.load(ticket).get_tasks(state=TaskState.WAITING))


def _move_one(actor: User, ticket: Ticket, target: ProcessVersion, entry: dict, report: dict) -> None:
    try:
        migration.move_one(actor, ticket.id, ticket.process_version_id, target.id, PLACES,
                           retyped=frozenset({WAITS_AT}), why=WHY)
    except (Conflict, ProcessError) as err:
        report["refused"].append({**entry, "reasons": _reasons(err)})
    else:
        report["moved"].append(entry)


def _reasons(err: Conflict | ProcessError) -> list[dict]:
    """Why a ticket stayed, in both languages: the migration's reasons, or where the filing step stopped."""
    if isinstance(err.details, list) and err.details:
        return err.details
    details = err.details if isinstance(err.details, dict) else {}
    return [{"reason": err.message, "reason_zh": details.get("message_zh") or err.message_zh or err.message}]

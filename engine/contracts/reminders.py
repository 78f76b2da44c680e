"""Contract expiry reminders, from the contracts table (合同到期自动提示, 004 Article 2 §五.2 客户合同管理).

Every active contract with an end date is reminded before it ends, whether it was entered by hand, imported or signed
through ``contract_approval``: a daily sweep (``engine.scheduler``) sends, per contract and end date, one reminder at
each lead time (``CONTRACT_REMINDER_DAYS``, 90, 30 and 7 days by default). A contract that first comes into view
inside a lead time gets that lead's reminder only (entered 20 days before its end: the 7-day one later, never the 90).
The row in ``contract_reminders`` is written before any message, under a unique key: two sweeps, or two workers, never
send one twice; a contract whose end date moves (a renewal) is reminded afresh.

Who hears of it: the customer's own account manager (专人负责). Without one who can act, the account managers on duty
and the supervisors of the customer's branch. At the last lead time (7 days) the supervisors as well, so that an
unrenewed contract does not lapse unnoticed. The customer is not written to: the account manager agrees the renewal.
"""

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine import contracts
from engine.db import db
from engine.directory import branches
from engine.models import Contract, ContractReminder, User
from notifications import notify, rota

DEFAULT_LEADS = "90,30,7"
EVENT = "contract_expiry"


def leads() -> tuple[int, ...]:
    """The lead times in days, longest first, from the configuration (e.g. "90,30,7")."""
    raw = current_app.config.get("CONTRACT_REMINDER_DAYS", DEFAULT_LEADS)
    try:
        days = sorted({int(part) for part in str(raw).split(",")}, reverse=True)
    except ValueError:
        days = []
    if not days or days[-1] < 0:
        raise ValueError(f"CONTRACT_REMINDER_DAYS {raw!r}: write whole days before the end, such as 90,30,7 "
                         f"(合同到期提醒天数 {raw!r} 有误：请填写到期前天数，如 90,30,7)")
    return tuple(days)


def lead_for(days_left: int, lead_times: tuple[int, ...]) -> int | None:
    """The shortest lead time the contract has reached, or None while it is further off than all of them."""
    reached = [lead for lead in lead_times if days_left <= lead]
    return min(reached) if reached else None


def due(today: date) -> list[tuple[int, int]]:
    """(contract id, lead) of each reminder due today and not yet sent: active contracts ending today or within the
    longest lead time."""
    lead_times = leads()
    found = list(db.session.scalars(
        select(Contract).where(Contract.status == "active", Contract.end_date >= today,
                               Contract.end_date <= today + timedelta(days=lead_times[0]))
        .order_by(Contract.end_date, Contract.id)))
    sent = {tuple(row) for row in db.session.execute(
        select(ContractReminder.contract_id, ContractReminder.end_date, ContractReminder.lead_days)
        .where(ContractReminder.contract_id.in_([c.id for c in found])))} if found else set()
    wanted = ((c, lead_for((c.end_date - today).days, lead_times)) for c in found)
    return [(c.id, lead) for c, lead in wanted if (c.id, c.end_date, lead) not in sent]


def sweep(today: date | None = None) -> int:
    """Send the reminders due today (the desk's today by default), each in a transaction of its own with its row;
    returns how many went out. One another worker sent meanwhile is skipped."""
    on = today or contracts.today()
    last = leads()[-1]
    sent = 0
    for contract_id, lead in due(on):
        try:
            remind(db.session.get(Contract, contract_id), lead, on, lead == last)
            db.session.commit()
            sent += 1
        except IntegrityError:
            db.session.rollback()
    return sent


def remind(contract: Contract, lead: int, today: date, last: bool) -> None:
    """Claim the reminder (its unique row, flushed first), then queue the messages."""
    people = recipients(contract, last)
    db.session.add(ContractReminder(contract_id=contract.id, lead_days=lead, end_date=contract.end_date,
                                    recipients=len(people)))
    db.session.flush()
    customer = contract.customer
    data = {"contract_no": contract.number, "contract_title": contract.title, "customer_name": customer.name,
            "customer_code": customer.code, "expires_on": contract.end_date.isoformat(),
            "days_left": (contract.end_date - today).days}
    notify.people(EVENT, people, f"{EVENT}:{contract.id}:{contract.end_date}:{lead}", contract.ticket, data=data)


def recipients(contract: Contract, last: bool) -> list[User]:
    """The customer's account manager; without one who can act, the account managers on duty and the supervisors
    of the customer's branch; at the last lead time the supervisors too."""
    customer = contract.customer
    branch_id, manager = customer.branch_id, customer.account_manager
    if manager is not None and manager.active and branches.can_see(manager, branch_id):
        people = [manager]
    else:
        people = rota.on_duty("manager", branch_id=branch_id) + rota.on_duty("supervisor", branch_id=branch_id)
    return people + (rota.on_duty("supervisor", branch_id=branch_id) if last else [])

"""Importing contracts: each names its customer by code; a changed contract is updated with the customer's history."""

from sqlalchemy import Select, insert, select, update

from engine import contracts, fields
from engine.db import db
from engine.directory import branches
from engine.imports import checks
from engine.imports.checks import Row, code
from engine.imports.columns import Column
from engine.imports.customers import history_row
from engine.imports.scope import Scope
from engine.models import Contract, Customer, CustomerChange

COLUMNS = (Column("number", "合同编号", required=True), Column("customer", "客户编码", required=True),
           Column("title", "合同名称", required=True), Column("start_date", "开始日期", required=True),
           Column("end_date", "结束日期"), Column("amount", "金额"), Column("status", "状态"))
KEY = "number"
ADMIN_ONLY = False
FIELDS = ("title", "start_date", "end_date", "amount", "status")


def states(keys: list[str]) -> dict[str, dict]:
    query = (select(Contract.id, Contract.number, Contract.customer_id, Customer.code.label("customer"),
                    Customer.branch_id, Contract.title, Contract.start_date, Contract.end_date, Contract.amount,
                    Contract.status).join(Customer, Contract.customer_id == Customer.id)
             .where(Contract.number.in_(keys)))
    return {row.number: {**row._asdict(), **{key: _text(getattr(row, key)) for key in
                                             ("start_date", "end_date", "amount")}}
            for row in db.session.execute(query)}


def listed(scope: Scope) -> Select:
    return (select(Contract.number).join(Customer, Contract.customer_id == Customer.id)
            .where(branches.within(scope.branch_ids, Customer.branch_id)).order_by(Contract.number))


def cells(state: dict) -> list:
    return checks.cells(COLUMNS, state)


def _text(value) -> str | None:
    return None if value is None else str(value)


def check(scope: Scope, values: dict[str, str], state: dict | None) -> Row:
    row = Row(values)
    number = row.take("number", code(64))
    row.take("customer", lambda value: _customer(scope, value))
    row.take("title", contracts.FIELDS["title"])
    start = row.take("start_date", contracts.FIELDS["start_date"])
    end = row.take("end_date", contracts.FIELDS["end_date"], empty=None)
    row.take("amount", contracts.FIELDS["amount"], empty=None)
    row.take("status", contracts.FIELDS["status"], empty="active")
    if start and end and end < start:
        row.fail("end_date", values["end_date"], "must not be before the start date", "不能早于开始日期")
    if state is not None and state["customer"] != values["customer"]:
        row.fail("customer", values["customer"], f"contract {number} belongs to customer {state['customer']}",
                 f"合同 {number} 属于客户 {state['customer']}")
    return row


def _customer(scope: Scope, code: str) -> str:
    """A customer of the importer's branches (one outside them reads as unknown, as everywhere)."""
    found = _known_customer(scope, code)
    if found is None or not scope.allows(found.branch_id):
        raise fields.Wrong(f"no customer {code}", f"没有客户 {code}")
    return code


def _known_customer(scope: Scope, code: str):
    """The customer's id and branch, looked up once per file."""
    known = scope.cache.setdefault("customers", {})
    if code not in known:
        known[code] = db.session.execute(select(Customer.id, Customer.branch_id).where(Customer.code == code)).first()
    return known[code]


def differences(clean: dict, state: dict) -> dict:
    return checks.changed({key: value for key, value in clean.items() if key in FIELDS}, state)


def write(scope: Scope, rows: list, states: dict[str, dict], reason: str) -> list[dict]:
    """New contracts and changed ones, each with its lines in the customer's history."""
    history = []
    for row in rows:
        values = {key: row.values[key] for key in FIELDS if key in row.values}
        columns = fields.checked(contracts.FIELDS, values, "contract")  # back from text to dates and amounts
        if row.action == "new":
            customer_id = _known_customer(scope, row.values["customer"]).id
            contract_id = db.session.execute(insert(Contract).returning(Contract.id), {
                "number": row.key, "customer_id": customer_id, **columns}).scalar()
            history.append(history_row(scope, customer_id, "contract", None, row.key, reason, contract_id=contract_id))
            continue
        state = states[row.key]
        diff = differences(row.values, state)
        db.session.execute(update(Contract).where(Contract.id == state["id"]).values(
            **{key: columns[key] for key in diff}))
        history += [history_row(scope, state["customer_id"], key, old, new, reason, contract_id=state["id"])
                    for key, (old, new) in diff.items()]
    if history:
        db.session.execute(insert(CustomerChange), history)
    return []

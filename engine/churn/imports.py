"""Importing signals from the operator's systems (a CSV or XLSX export of the billing or switch analysis), the
``signals`` kind of engine/imports: each row names its customer by code and carries the operator's own
``reference``, so that importing the same file again adds nothing. A signal once imported is not changed by a
later file (a row with the same reference and other values is a problem). The commit weighs each customer once,
in the commit's transaction: over the threshold its retention plan opens then."""

from datetime import date

from sqlalchemy import Select, select

from engine import contracts, fields
from engine.churn import signals
from engine.churn.models import ChurnSignal
from engine.db import db
from engine.directory import branches
from engine.imports import checks
from engine.imports.checks import Row, code
from engine.imports.columns import Column
from engine.imports.scope import Scope
from engine.models import Customer

COLUMNS = (Column("reference", "信号编号", required=True), Column("customer", "客户编码", required=True),
           Column("kind", "信号类型", required=True), Column("details", "预警详情", required=True),
           Column("observed_on", "发现日期"), Column("count", "数量"))
KEY = "reference"
ADMIN_ONLY = False
FIELDS = ("customer", "kind", "details", "observed_on", "count")


def states(keys: list[str]) -> dict[str, dict]:
    query = (select(ChurnSignal.reference, Customer.code.label("customer"), ChurnSignal.kind, ChurnSignal.details,
                    ChurnSignal.observed_on, ChurnSignal.count).join(Customer)
             .where(ChurnSignal.reference.in_(keys)))
    return {row.reference: {**row._asdict(), "observed_on": row.observed_on.isoformat(), "count": str(row.count)}
            for row in db.session.execute(query)}


def listed(scope: Scope) -> Select:
    return (select(ChurnSignal.reference).join(Customer)
            .where(ChurnSignal.reference.is_not(None), branches.within(scope.branch_ids, Customer.branch_id))
            .order_by(ChurnSignal.reference))


def cells(state: dict) -> list:
    return checks.cells(COLUMNS, state)


def check(scope: Scope, values: dict[str, str], state: dict | None) -> Row:
    row = Row(values)
    row.take("reference", code(64))
    row.take("customer", lambda value: _customer(scope, value))
    row.take("kind", signals.SPEC["kind"])
    row.take("details", signals.SPEC["details"])
    row.take("observed_on", _past_day, empty=contracts.today())
    row.take("count", _count, empty=1)
    if state is not None and differences(row.clean, state):
        row.fail("reference", values["reference"], f"signal {values['reference']} was imported already with other "
                 "values", f"信号 {values['reference']} 已导入，且内容不同")
    return row


def _past_day(value: str) -> date:
    day = fields.day(value)
    if day > contracts.today():
        raise fields.Wrong("must be today or earlier", "不能晚于今天")
    return day


def _count(value: str) -> int:
    try:
        return fields.whole(int(value))
    except ValueError:
        raise fields.Wrong("must be a whole number of zero or more", "必须是不小于零的整数") from None


def _customer(scope: Scope, code: str) -> str:
    """A customer of the importer's branches (one outside them reads as unknown, as everywhere)."""
    known = scope.cache.setdefault("customers", {})
    if code not in known:
        known[code] = db.session.execute(select(Customer.id, Customer.branch_id).where(Customer.code == code)).first()
    if known[code] is None or not scope.allows(known[code].branch_id):
        raise fields.Wrong(f"no customer {code}", f"没有客户 {code}")
    return code


def differences(clean: dict, state: dict) -> dict:
    return checks.changed({key: value for key, value in clean.items() if key in FIELDS}, state)


def write(scope: Scope, rows: list, states: dict[str, dict], reason: str) -> list[dict]:
    """The new signals, then each of their customers weighed once (a changed row never gets here: it is a
    problem of the preview)."""
    weighed: dict[str, Customer] = {}
    for row in rows:
        customer = weighed.get(row.values["customer"]) or db.session.scalar(
            select(Customer).where(Customer.code == row.values["customer"]))
        weighed[customer.code] = customer
        values = {"kind": row.values["kind"], "details": row.values["details"],
                  "count": int(row.values.get("count") or 1),  # a file without the column: one
                  "observed_on": date.fromisoformat(row.values.get("observed_on") or contracts.today().isoformat())}
        signals.report(scope.actor, customer, values, "import").reference = row.key
    db.session.flush()
    for customer in weighed.values():
        signals.weigh_customer(scope.actor, customer)
    return []

"""The entries of the library: listed with how often each was used and kept in the reader's branches, added,
changed and retired by supervisors within their branches (an entry is retired, never deleted: closed tickets name
it), and offered to a retention plan ticket as the choices of its choose form."""

import re

from sqlalchemy import func, or_, select

from engine import clock, fields
from engine.db import db
from engine.directory import branches, permissions
from engine.errors import Conflict, NotFound
from engine.models import Branch, User
from engine.retention_library.models import RetentionPlan, RetentionResult

CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
OWN_PLAN = "custom"  # the choose form's own choice: a plan written on the ticket, no entry of the library
SPEC = {"name_en": fields.text(required=True, limit=200), "name_zh": fields.text(required=True, limit=200),
        "description_en": fields.text(limit=2000), "description_zh": fields.text(limit=2000),
        "active": fields.flag}
# the plans shipped with the desk (the migration and the demo add them once; supervisors change them from then on)
SHIPPED = (
    ("loyalty_discount", "Loyalty discount", "忠诚折扣", "10-20 % off the monthly fee for a 12-month commitment",
     "承诺在网 12 个月，月费优惠 10–20%"),
    ("bundle_upgrade", "Bundle upgrade", "套餐升级",
     "A richer bundle (more bandwidth, more lines) at the current price",
     "原价升级更高套餐（带宽、线路）"),
    ("service_recovery", "Service recovery", "服务补救",
     "Remove the causes of the complaints: a senior engineer owns the account for three months",
     "消除投诉根源：高级工程师专人负责三个月"),
    ("executive_visit", "Executive visit", "高层拜访", "A visit by the branch's management with a tailored offer",
     "分公司领导拜访并提供定制方案"),
    ("contract_bonus", "Contract extension bonus", "续约奖励",
     "Points or free months for extending the contract by a year",
     "续约一年赠送积分或免费月份"),
)


def listing(viewer: User) -> list[tuple[RetentionPlan, int, int]]:
    """The entries the viewer maintains (the company's and those of their branches), active first, each with how
    many plans closed in the viewer's branches used it and how many of those kept the customer."""
    permissions.require(viewer, "retention_library")
    seen = branches.visible_ids(viewer)
    used = (select(RetentionResult.plan_id, func.count().label("used"),
                   func.count().filter(RetentionResult.outcome == "retained").label("kept"))
            .where(branches.within(seen, RetentionResult.branch_id)).group_by(RetentionResult.plan_id).subquery())
    rows = db.session.execute(
        select(RetentionPlan, func.coalesce(used.c.used, 0), func.coalesce(used.c.kept, 0))
        .outerjoin(used, used.c.plan_id == RetentionPlan.id).where(_maintained(viewer))
        .order_by(RetentionPlan.active.desc(), RetentionPlan.code))
    return [tuple(row) for row in rows]


def _maintained(viewer: User):
    """The company's entries and those of the viewer's branches."""
    return or_(RetentionPlan.branch_id.is_(None), branches.visible(viewer, RetentionPlan.branch_id))


def get(viewer: User, plan_id: int) -> RetentionPlan:
    permissions.require(viewer, "retention_library")
    entry = db.session.scalar(select(RetentionPlan).where(RetentionPlan.id == plan_id, _maintained(viewer)))
    if entry is None:
        raise NotFound(f"no retention plan {plan_id}", message_zh=f"没有挽留方案 {plan_id}")
    return entry


def create(actor: User, body: object) -> RetentionPlan:
    """A new entry: ``code`` (lower-case letters, digits, _), names and descriptions in English and Chinese, and
    ``branch`` (a branch code the actor sees; none: the company's, see ``keeps_company_plans``)."""
    permissions.require(actor, "retention_library")
    spec = {**SPEC, "code": _code, "branch": lambda value: _branch(actor, value)}
    values = fields.checked(spec, fields.complete(body, spec) | _defaults(body), "retention plan")
    if db.session.scalar(select(RetentionPlan.id).where(RetentionPlan.code == values["code"])) is not None:
        raise Conflict(f"a retention plan {values['code']} exists already (it may be retired: change it instead)",
                       message_zh=f"挽留方案 {values['code']} 已存在（可能已停用，请修改该方案）")
    entry = RetentionPlan(**values, changed_by=actor, changed_at=clock.now())
    db.session.add(entry)
    db.session.commit()
    return entry


def _defaults(body: object) -> dict:
    if not isinstance(body, dict):
        return {}
    return {key: value for key, value in {"description_en": "", "description_zh": "", "active": True,
                                           "branch": None}.items() if body.get(key) is None}


def _code(value) -> str:
    if not isinstance(value, str) or not CODE.match(value) or value == OWN_PLAN:
        raise fields.Wrong(f"must be 2-64 lower-case letters, digits or _, starting with a letter, not {OWN_PLAN}",
                           f"须为 2–64 位小写字母、数字或下划线，以字母开头，且不能是 {OWN_PLAN}")
    return value


def _branch(actor: User, code) -> Branch | None:
    """The entry's branch; the company's (no branch) only for those who see every branch."""
    if code in (None, ""):
        if not keeps_company_plans(actor):
            raise fields.Wrong("name your branch: the company's plans are kept at headquarters and the provincial "
                               "branches", "请填写分支机构：公司级方案由总部和省公司维护")
        return None
    branch = db.session.scalar(select(Branch).where(Branch.code == code)) if isinstance(code, str) else None
    if branch is None or not branches.can_see(actor, branch.id):
        raise fields.Wrong(f"no branch {code} of yours", f"没有您所辖的分支机构 {code}")
    return branch


def keeps_company_plans(actor: User) -> bool:
    """The company's entries are set where the retention policy is (省公司 and above); a city branch keeps its own."""
    return branches.visible_ids(actor) is None or (actor.branch is not None and actor.branch.level != "city")


def update(actor: User, plan_id: int, body: object) -> RetentionPlan:
    """Change an entry's names, descriptions or ``active`` (False retires it; True offers it again)."""
    entry = get(actor, plan_id)
    if entry.branch_id is None and not keeps_company_plans(actor):
        raise Conflict(f"the retention plan {entry.code} is the company's: headquarters or a provincial branch "
                       "changes it", message_zh=f"挽留方案 {entry.code} 为公司级方案，须由总部或省公司修改")
    values = fields.checked(SPEC, body, "retention plan")
    for key, value in values.items():
        setattr(entry, key, value)
    entry.changed_by, entry.changed_at = actor, clock.now()
    db.session.commit()
    return entry


def retire(actor: User, plan_id: int) -> RetentionPlan:
    return update(actor, plan_id, {"active": False})


def offered(branch_id: int | None) -> list[RetentionPlan]:
    """The active entries a ticket of ``branch_id`` offers: the company's and those of its branch or one above."""
    found = db.session.scalars(select(RetentionPlan).where(RetentionPlan.active.is_(True))
                               .order_by(RetentionPlan.branch_id.is_not(None), RetentionPlan.code))
    return [e for e in found if _applies(e, branch_id)]


def _applies(entry: RetentionPlan, branch_id: int | None) -> bool:
    if entry.branch_id is None:
        return True
    under = branches.scope(entry.branch_id)
    return under is None or branch_id in under


def by_code(code: str) -> RetentionPlan | None:
    return db.session.scalar(select(RetentionPlan).where(RetentionPlan.code == code))


def add_shipped() -> list[str]:
    """The shipped plans that are missing, as the company's (the demo's loader; safe to run again)."""
    added = []
    for code, name_en, name_zh, description_en, description_zh in SHIPPED:
        if by_code(code) is None:
            db.session.add(RetentionPlan(code=code, name_en=name_en, name_zh=name_zh, description_en=description_en,
                                         description_zh=description_zh, changed_at=clock.now()))
            added.append(f"retention plan {code}")
    return added


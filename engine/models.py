"""The tables: who works here, what is deployed, and every ticket with its tasks and history.

Human tasks and the audit trail live in their own indexed tables so that the inbox and the
history never need to load a workflow's serialized state.
"""

from datetime import date, datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import (
    DDL,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
    event,
    false,
    or_,
    text,
    true,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from engine import clock
from engine.db import db

# The roles a new database starts with (the ``roles`` table is the role set; admins add more). A diagram's
# lane names one. business: the business department that takes a work order; billing: billing and
# collections; engineering: construction; director / vp: contract approval above a manager's authority;
# hq: headquarters' key-account desk.
SEED_ROLES = {
    "agent": ("agent", "客服坐席"), "manager": ("account manager", "客户经理"), "tech": ("maintenance", "维护人员"),
    "supervisor": ("supervisor", "值班主管"), "admin": ("admin", "管理员"),
    "business": ("business department", "业务部门"), "billing": ("billing", "计费"),
    "engineering": ("engineering", "工程"), "director": ("director", "主管领导"), "vp": ("vice-president", "副总经理"),
    "hq": ("headquarters desk", "总部大客户部"),
}
CHANNELS = {"green": "G", "yellow": "Y", "red": "R"}
PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_STATES = ("open", "closed", "cancelled", "incident")
TASK_STATES = ("open", "claimed", "completed", "cancelled")
ACTIVE_TASK_STATES = ("open", "claimed")  # still waiting for a person
ACTIVE_TASKS_SQL = "state IN ('open', 'claimed')"  # the same, as the inbox index's predicate
WARNED_TASKS_SQL = f"{ACTIVE_TASKS_SQL} AND sla_state = 'warned'"
TIERS = ("A+", "A", "B", "C")
CREDIT_LEVELS = ("red", "grey", "black")
MEMBER_CARDS = ("diamond", "emerald", "sapphire")
# never deleted: a lost customer is archived (departed); locked: service suspended, tickets can still be opened
CUSTOMER_STATES = ("active", "locked", "prospect", "departed")
BRANCH_LEVELS = ("hq", "province", "city")  # headquarters > provincial branches > city branches
CONTRACT_STATES = ("draft", "active", "ended")  # a contract is ended, never deleted
CUSTOMER_LANGUAGES = ("zh_CN", "en")  # the language of the notices a customer gets


def _now():
    """Column default that follows engine.clock, also when a test replaces clock.now."""
    return clock.now()


class Branch(db.Model):
    """A unit of the operator: headquarters, a provincial branch or a city branch. Staff see their branch and below."""

    __tablename__ = "branches"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    level: Mapped[str] = mapped_column(String(8))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"), index=True)
    active: Mapped[bool] = mapped_column(server_default=text("true"))  # deactivated, never deleted
    created_at: Mapped[datetime] = mapped_column(default=_now)
    parent: Mapped["Branch | None"] = relationship(remote_side=[id])


class Role(db.Model):
    """A role staff can hold and a lane can name. Retired (inactive), never deleted: history names it."""

    __tablename__ = "roles"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(server_default=text("true"))


@event.listens_for(Role.__table__, "after_create")
def _seed_roles(table, connection, **kwargs):
    """A database made by ``create_all`` (tests, the demo) starts with the seed roles, as a migrated one does."""
    connection.execute(table.insert(), [{"key": key, "name": name, "name_zh": zh, "active": True}
                                        for key, (name, zh) in SEED_ROLES.items()])


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(256))
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(server_default=text("false"))  # one-time password
    sign_in_via: Mapped[str] = mapped_column(String(8), server_default="local")  # local | ldap (the directory)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    locale: Mapped[str] = mapped_column(String(8), default="en", server_default="en")  # en | zh_CN
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai", server_default="Asia/Shanghai")
    open_next: Mapped[bool] = mapped_column(server_default=true())  # after Complete, open the next step that is theirs
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"), index=True)  # None: sees no customer
    branch: Mapped[Branch | None] = relationship()
    roles: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    @property
    def is_active(self) -> bool:  # Flask-Login reads this
        return self.active

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names.intersection(roles))


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    user: Mapped[User] = relationship(back_populates="roles")


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, so a leaked database leaks no tokens."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    revoked_at: Mapped[datetime | None]
    user: Mapped[User] = relationship()


class DirectoryChange(db.Model):
    """One field of a branch, role or user changed by an admin: who, when, old and new. Kept forever."""

    __tablename__ = "directory_changes"
    __table_args__ = (Index("ix_directory_changes_subject", "kind", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=_now, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the command line
    kind: Mapped[str] = mapped_column(String(8))  # branch | role | user
    subject: Mapped[str] = mapped_column(String(64))  # the branch code, role key or username
    field: Mapped[str] = mapped_column(String(32))
    old: Mapped[str | None] = mapped_column(String(256))
    new: Mapped[str | None] = mapped_column(String(256))
    actor: Mapped[User | None] = relationship()


def _trigram_indexes(table: str, *columns: str) -> list[Index]:
    """The ticket search (engine.search.tickets) finds text anywhere in these columns: trigram indexes on
    PostgreSQL (pg_trgm), which ILIKE '%text%' reads as it is; SQLite scans. Written as expressions, which
    autogenerate leaves uncompared (it warns) instead of asking SQLite for an index it never gets."""
    return [Index(f"ix_{table}_{column}_trgm", text(f"{column} gin_trgm_ops"), postgresql_using="gin")
            .ddl_if(dialect="postgresql") for column in columns]


class Customer(db.Model):
    """A key account: a group customer or a high-end individual. Never deleted."""

    __tablename__ = "customers"
    __table_args__ = (*_trigram_indexes("customers", "name", "code"),)  # migration c_diagram_0001

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(256), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # group | individual
    tier: Mapped[str] = mapped_column(String(4))
    member_card: Mapped[str | None] = mapped_column(String(16))  # diamond | emerald | sapphire
    credit_level: Mapped[str] = mapped_column(String(8), default="red")
    phone: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="zh_CN", server_default="zh_CN")  # its notices: zh_CN | en
    no_sms: Mapped[bool] = mapped_column(default=False, server_default=false())  # the customer asked for no SMS
    account_manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12), default="active")
    industry: Mapped[str | None] = mapped_column(String(64))
    customer_since: Mapped[date | None]  # tenure, for member qualification
    arpu: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # average monthly revenue, yuan
    points: Mapped[int] = mapped_column(default=0)  # loyalty points
    created_at: Mapped[datetime] = mapped_column(default=_now)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"), index=True)
    account_manager: Mapped[User | None] = relationship()
    branch: Mapped[Branch | None] = relationship()


class CustomerChange(db.Model):
    """One field of a customer changed: by whom, when, why, and from which ticket. Kept forever."""

    __tablename__ = "customer_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=_now, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the engine, in a process step
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    field: Mapped[str] = mapped_column(String(32))
    old: Mapped[str | None] = mapped_column(String(256))
    new: Mapped[str | None] = mapped_column(String(256))
    reason: Mapped[str] = mapped_column(Text, default="")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("customer_contacts.id"), index=True)  # a contact's field
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("customer_contracts.id"), index=True)  # a contract's
    customer: Mapped[Customer] = relationship()
    actor: Mapped[User | None] = relationship()
    ticket: Mapped["Ticket | None"] = relationship()
    contact: Mapped["Contact | None"] = relationship()
    contract: Mapped["Contract | None"] = relationship()


class Contact(db.Model):
    """A person at the customer the desk talks to. Deactivated when they leave, never deleted."""

    __tablename__ = "customer_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(128), default="")  # their job at the customer
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    email: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    no_sms: Mapped[bool] = mapped_column(default=False, server_default=false())  # asked for no SMS from the desk
    created_at: Mapped[datetime] = mapped_column(default=_now)
    customer: Mapped[Customer] = relationship()


class Contract(db.Model):
    """A service contract with the customer; its end date is what the desk watches. Ended, never deleted."""

    __tablename__ = "customer_contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(256))
    start_date: Mapped[date]
    end_date: Mapped[date | None] = mapped_column(index=True)  # None: open-ended
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # yuan
    status: Mapped[str] = mapped_column(String(8), default="active")
    created_at: Mapped[datetime] = mapped_column(default=_now)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)  # signed through it
    customer: Mapped[Customer] = relationship()
    ticket: Mapped["Ticket | None"] = relationship()


class ContractReminder(db.Model):
    """An expiry reminder sent for a contract's end date at one lead time (90, 30, 7 days...): unique, so each goes
    out once however many sweeps or workers see it due; a contract whose end date moves is reminded afresh."""

    __tablename__ = "contract_reminders"
    __table_args__ = (UniqueConstraint("contract_id", "end_date", "lead_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("customer_contracts.id"))
    lead_days: Mapped[int]
    end_date: Mapped[date]  # the end date it reminds of
    sent_at: Mapped[datetime] = mapped_column(default=_now)
    recipients: Mapped[int] = mapped_column(default=0)


class CustomerView(db.Model):
    """Someone looked at a customer's record (the operator's confidentiality rules). Kept forever, never changed."""

    __tablename__ = "customer_views"
    __table_args__ = (Index("ix_customer_views_customer_at", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=_now)
    via: Mapped[str] = mapped_column(String(8))  # web | api
    part: Mapped[str] = mapped_column(String(16))  # record | contacts | contracts | history | views
    customer: Mapped[Customer] = relationship()
    user: Mapped[User] = relationship()


class ProcessModel(db.Model):
    """A process by its BPMN process id; what runs is always one of its versions."""

    __tablename__ = "process_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    name_zh: Mapped[str | None] = mapped_column(String(256))  # the newest version's name_zh property
    channel: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    versions: Mapped[list["ProcessVersion"]] = relationship(
        back_populates="model", order_by="ProcessVersion.version"
    )


class ProcessVersion(db.Model):
    """One deployed, immutable version: the diagram as uploaded plus the form schemas it referred to."""

    __tablename__ = "process_versions"
    __table_args__ = (UniqueConstraint("model_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("process_models.id"))
    version: Mapped[int]
    # The diagrams are loaded only when the spec cache misses (deferred); `digest` identifies them.
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    dmn_xml: Mapped[list] = mapped_column(default=list, deferred=True)
    called_xml: Mapped[list] = mapped_column(default=list, deferred=True)  # what its call activities run, as deployed
    digest: Mapped[str] = mapped_column(String(64), default="")
    forms: Mapped[dict] = mapped_column(default=dict)
    properties: Mapped[dict] = mapped_column(default=dict)  # the process element's spiffworkflow properties
    comment: Mapped[str] = mapped_column(Text, default="")
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deployed_at: Mapped[datetime] = mapped_column(default=_now)
    model: Mapped[ProcessModel] = relationship(back_populates="versions")
    deployed_by: Mapped[User | None] = relationship()


# Per cent of a tickets page new rows may fill. Every step updates its ticket (state, data, lock version), and a
# ticket row is large (its workflow state inline: ~2 KB, four to a page); the room left lets PostgreSQL write the new
# version on the same page without touching the indexes (a HOT update), where a full page makes it add an entry to
# each of them, the two trigram indexes among them.
TICKET_FILLFACTOR = 75


class Ticket(db.Model):
    """A running (or finished) process instance plus what the desk needs to know about it."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_channel", "status", "channel"),
        *_trigram_indexes("tickets", "number", "title"),  # migration b_staff_0003
        {"postgresql_with": {"fillfactor": TICKET_FILLFACTOR}},  # migration h_tickets_0001
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(8))
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"), index=True)  # the customer's, at opening
    title: Mapped[str] = mapped_column(String(256))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    status: Mapped[str] = mapped_column(String(16), default="open")
    creator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now)
    closed_at: Mapped[datetime | None]
    waiting_since: Mapped[datetime | None]  # waiting on the customer: SLA clocks are paused
    data: Mapped[dict] = mapped_column(default=dict)
    workflow_state: Mapped[str] = mapped_column(Text, default="", deferred=True)  # read only to run the workflow
    lock_version: Mapped[int] = mapped_column(default=1)

    # Every write checks and bumps lock_version: of two concurrent steps on one ticket, one loses.
    __mapper_args__ = {"version_id_col": lock_version}

    process_version: Mapped[ProcessVersion] = relationship()
    customer: Mapped[Customer | None] = relationship()
    branch: Mapped[Branch | None] = relationship()
    creator: Mapped[User] = relationship()
    tasks: Mapped[list["HumanTask"]] = relationship(back_populates="ticket", order_by="HumanTask.id")
    # What a step on the ticket works with, read with the task it completes (engine.tickets.get_task): read-only
    # views of its armed timers, its promise clocks and its tasks that wait for a person
    armed_timers: Mapped[list["Timer"]] = relationship(
        primaryjoin="and_(Timer.ticket_id == Ticket.id, Timer.state == 'armed')", viewonly=True)
    promise_clocks: Mapped[list["SlaClock"]] = relationship(
        primaryjoin="and_(SlaClock.ticket_id == Ticket.id, SlaClock.until.is_not(None))", viewonly=True)
    # (its states as "=" terms: an IN list is a parameter SQLAlchemy writes into the statement's text on every run)
    waiting_tasks: Mapped[list["HumanTask"]] = relationship(
        primaryjoin=lambda: and_(HumanTask.ticket_id == Ticket.id, or_(*(HumanTask.state == state
                                                                        for state in ACTIVE_TASK_STATES))),
        viewonly=True, order_by="HumanTask.id")


# The trigram indexes need pg_trgm; create_all (tests, a first start) makes it as the migration does, before the
# first table that has one (the tickets refer to the customers, so the customers come first).
event.listen(Customer.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))


class HumanTask(db.Model):
    """A user or manual task that is (or was) waiting for a person. The inbox queries this table."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_human_tasks_queue", "state", "role", "due_at"),
        Index("ix_human_tasks_assignee", "assignee_id", "state"),
        # The inbox's due-time order over the tasks still waiting for a person (engine.inbox.BY_DUE).
        Index("ix_human_tasks_active_due", "due_at", "id", postgresql_where=text(ACTIVE_TASKS_SQL),
              sqlite_where=text(ACTIVE_TASKS_SQL)),
        # "Mine" (and its count) in that order: the first page reads its own rows, however many a person holds.
        Index("ix_human_tasks_mine_due", "assignee_id", "due_at", "id", postgresql_where=text(ACTIVE_TASKS_SQL),
              sqlite_where=text(ACTIVE_TASKS_SQL)),  # migration d_inboxpage_0001
        # A role's queue in that order: its first page reads its own rows, whatever other roles have due sooner.
        Index("ix_human_tasks_role_due", "role", "due_at", "id", postgresql_where=text(ACTIVE_TASKS_SQL),
              sqlite_where=text(ACTIVE_TASKS_SQL)),  # migration e_inboxrole_0001
        # The tasks in SLA warning, soonest due first: the supervisors' "about to breach" strip (the same migration).
        Index("ix_human_tasks_warned_due", "due_at", "id", postgresql_where=text(WARNED_TASKS_SQL),
              sqlite_where=text(WARNED_TASKS_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    spiff_task_id: Mapped[str] = mapped_column(String(36), unique=True)
    element_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(256))
    name_zh: Mapped[str | None] = mapped_column(String(256))  # from the element's name_zh property, if it has one
    role: Mapped[str] = mapped_column(String(32))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(16), default="open")
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    sla_state: Mapped[str | None] = mapped_column(String(12))  # None (on track) | warned | breached
    form_key: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    due_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The ticket's columns the task list shows and scopes by, copied when the task is created (a ticket never
    # changes them): a page of the list reads the tasks alone (engine.inbox.tasks_for). Migration g_tasklist_0001.
    ticket_number: Mapped[str | None] = mapped_column(String(32))
    ticket_title: Mapped[str | None] = mapped_column(String(256))
    ticket_channel: Mapped[str | None] = mapped_column(String(8))
    ticket_branch_id: Mapped[int | None]
    # the task's column -> the ticket's column it copies (above)
    TICKET_COPIES = {"ticket_number": "number", "ticket_title": "title", "ticket_channel": "channel",
                     "ticket_branch_id": "branch_id"}

    ticket: Mapped[Ticket] = relationship(back_populates="tasks")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    # the task's clocks as stored (a step reads them with the task: engine.tickets.get_task)
    sla_clocks: Mapped[list["SlaClock"]] = relationship(viewonly=True, order_by="SlaClock.id")


class TicketEvent(db.Model):
    """One line of a ticket's history. Append-only: rows are never changed or deleted."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=_now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id"))
    data: Mapped[dict] = mapped_column(default=dict)

    ticket: Mapped[Ticket] = relationship()
    task: Mapped[HumanTask | None] = relationship()
    actor: Mapped[User | None] = relationship()


class TicketCounter(db.Model):
    """The last number handed out per channel and year (R-2026-000042)."""

    __tablename__ = "ticket_counters"

    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class Timer(db.Model):
    """A moment the scheduler must act on: a BPMN timer of a ticket, or an SLA clock's next point.

    The sweep claims armed rows that are due; firing flips the state in the same transaction as the
    step it causes, so a timer fires exactly once.
    """

    __tablename__ = "timers"
    __table_args__ = (
        Index("ix_timers_armed_due", "due_at", postgresql_where=text("state = 'armed'"),
              sqlite_where=text("state = 'armed'")),
        # a step's look-up of its ticket's armed timers (engine.timers.armed_rows): without it PostgreSQL combined
        # the ticket index with ix_timers_armed_due, visiting every armed timer of every ticket
        Index("ix_timers_armed_ticket", "ticket_id", "kind", postgresql_where=text("state = 'armed'"),
              sqlite_where=text("state = 'armed'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # bpmn | sla
    spiff_task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(128))
    sla_clock_id: Mapped[int | None] = mapped_column(ForeignKey("sla_clocks.id"), index=True)
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12), default="armed")  # armed | fired | cancelled
    created_at: Mapped[datetime] = mapped_column(default=_now)
    fired_at: Mapped[datetime | None]

    ticket: Mapped[Ticket] = relationship()
    sla_clock: Mapped["SlaClock | None"] = relationship()


class SlaClock(db.Model):
    """One promise on a task or a ticket: response (until claimed) or resolution (until done); or a promise to the
    customer a diagram declares (on_site...), counted from the call until an element completes."""

    __tablename__ = "sla_clocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # response | resolution | a promise's name
    target_seconds: Mapped[int]
    calendar: Mapped[str] = mapped_column(String(64), default="24x7")
    warn_percent: Mapped[int] = mapped_column(default=80)
    ladder: Mapped[list] = mapped_column(default=list)
    reassign: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(12), default="pending")  # pending|warned|met|breached|cancelled
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    warn_at: Mapped[datetime | None]
    warned_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
    met_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    rung: Mapped[int] = mapped_column(default=0)  # ladder rungs notified so far
    paused_at: Mapped[datetime | None]
    paused_seconds: Mapped[int] = mapped_column(default=0)
    until: Mapped[str | None] = mapped_column(String(128))  # a ticket promise: the element whose completion keeps it

    ticket: Mapped[Ticket] = relationship()
    task: Mapped[HumanTask | None] = relationship()


class SlaPolicy(db.Model):
    """Targets an admin sets on top of the diagram; the most specific matching policy wins.

    Empty match fields match anything; empty target fields leave the diagram's value.
    """

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    process_key: Mapped[str | None] = mapped_column(String(128))
    element_id: Mapped[str | None] = mapped_column(String(128))
    channel: Mapped[str | None] = mapped_column(String(8))
    priority: Mapped[str | None] = mapped_column(String(8))
    fault_level: Mapped[int | None]
    customer_tier: Mapped[str | None] = mapped_column(String(4))
    response: Mapped[str | None] = mapped_column(String(32))
    resolution: Mapped[str | None] = mapped_column(String(32))
    warn_percent: Mapped[int | None]
    calendar: Mapped[str | None] = mapped_column(String(64))
    escalate_to: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)


class CalendarRecord(db.Model):
    """A business calendar as an admin keeps it: time zone, weekly hours, whether China's holidays apply."""

    __tablename__ = "business_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    hours: Mapped[dict] = mapped_column(default=dict)  # {"mon": ["08:30-12:00", "13:30-17:30"], ...}
    china_holidays: Mapped[bool] = mapped_column(default=True)
    days: Mapped[list["CalendarDay"]] = relationship(back_populates="calendar", order_by="CalendarDay.day")


class CalendarDay(db.Model):
    """A day an admin entered: a holiday, or a make-up working day (调休)."""

    __tablename__ = "calendar_days"
    __table_args__ = (UniqueConstraint("calendar_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("business_calendars.id"))
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(8))  # holiday | workday
    note: Mapped[str] = mapped_column(String(256), default="")
    calendar: Mapped[CalendarRecord] = relationship(back_populates="days")


class SchedulerHeartbeat(db.Model):
    """When each scheduler worker last ran its periodic job; /healthz reads it."""

    __tablename__ = "scheduler_heartbeats"

    worker: Mapped[str] = mapped_column(String(128), primary_key=True)
    beat_at: Mapped[datetime]


class ProcessSchedule(db.Model):
    """A timer start event of a deployed process: the scheduler starts a ticket from it when it falls due.

    One row per process and start event; deploying a new version moves the row to that version (a timer
    that changed starts counting again), and a version without the event switches the row off.
    """

    __tablename__ = "process_schedules"
    __table_args__ = (
        UniqueConstraint("model_id", "element_id"),
        Index("ix_process_schedules_due", "next_due", postgresql_where=text("active"), sqlite_where=text("active")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("process_models.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    element_id: Mapped[str] = mapped_column(String(128))
    timer: Mapped[str] = mapped_column(String(256))  # the ISO 8601 value as the diagram gives it
    anchor: Mapped[datetime]  # the first occurrence
    interval: Mapped[str | None] = mapped_column(String(64))  # ISO duration between occurrences; None: once
    cycles: Mapped[int | None]  # how many occurrences in all; None: for ever
    occurrence: Mapped[int] = mapped_column(default=0)  # the index of next_due (0 = the anchor)
    next_due: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    started: Mapped[int] = mapped_column(default=0)  # tickets started so far
    last_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=_now)

    model: Mapped[ProcessModel] = relationship()
    version: Mapped[ProcessVersion] = relationship()
    last_ticket: Mapped[Ticket | None] = relationship()


class TicketFact(db.Model):
    """What the reports count of a ticket, as narrow typed columns instead of the wide ticket row and its JSON.

    Written by every step that changes the ticket's status or data (engine/report_facts.py), so the customer's
    tier, industry and account manager are those of the ticket's last step: a manager who takes a customer over
    does not inherit the satisfaction of tickets closed before.
    """

    __tablename__ = "ticket_facts"
    __table_args__ = (  # the counts per day and channel read these alone
        Index("ix_ticket_facts_opened", "opened_at", "channel", "branch_id"),
        Index("ix_ticket_facts_closed", "closed_at", "status", "channel", "branch_id"),
    )

    ticket_id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int | None]
    channel: Mapped[str] = mapped_column(String(8))
    process_key: Mapped[str] = mapped_column(String(128))
    complaint: Mapped[bool]
    status: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    customer_id: Mapped[int | None]
    tier: Mapped[str | None] = mapped_column(String(4))
    industry: Mapped[str | None] = mapped_column(String(64))
    manager_id: Mapped[int | None]
    fault_level: Mapped[int | None]
    satisfaction: Mapped[float | None]
    revisit_done: Mapped[bool | None]
    reopened: Mapped[bool | None]
    outcome: Mapped[str | None] = mapped_column(String(16))


class TaskFact(db.Model):
    """A completed task as the reports count it, written once when it is completed and never changed."""

    __tablename__ = "task_facts"
    __table_args__ = (
        # the only index: a step's durations in order, for its percentiles by rank (engine/report_sql.py), read
        # off the index alone (with a second index on completed_at, SQLite's planner would sort instead)
        Index("ix_task_facts_step_duration", "process_key", "step", "name", "duration_seconds", "completed_at",
              "branch_id"),
    )

    task_id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int]
    branch_id: Mapped[int | None]
    process_key: Mapped[str] = mapped_column(String(128))
    step: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32))
    completed_by_id: Mapped[int | None]
    completed_at: Mapped[datetime]
    response_seconds: Mapped[int | None]  # from creation to claim
    duration_seconds: Mapped[int]  # from creation to completion


class SlaFact(db.Model):
    """The outcome of an SLA clock as the reports count it, written once when it became known and never changed:
    at the breach, or when the promise was kept. The task's holder and the customer's tier are those of that
    moment, so a later hand-over or tier change does not move last month's breaches."""

    __tablename__ = "sla_facts"
    __table_args__ = (
        # the only index: grouped by every dimension at once, both databases aggregate in its order and read
        # nothing but the index (SQLite's planner otherwise takes a range index and sorts every outcome)
        Index("ix_sla_facts_dimensions", "channel", "process_key", "step", "role", "member_id", "tier",
              "decided_at", "kind", "breached", "paused_seconds", "branch_id"),
    )

    clock_id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int]
    branch_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(12))
    channel: Mapped[str] = mapped_column(String(8))
    process_key: Mapped[str] = mapped_column(String(128))
    step: Mapped[str] = mapped_column(String(128))  # the task's element id; "ticket" for the ticket's own clock
    role: Mapped[str | None] = mapped_column(String(32))
    member_id: Mapped[int | None]
    tier: Mapped[str | None] = mapped_column(String(4))
    decided_at: Mapped[datetime]
    breached: Mapped[bool]
    paused_seconds: Mapped[int]  # the time the ticket waited on the customer before the outcome


class ImportBatch(db.Model):
    """A previewed import file (engine/imports): what its dry run found, committed later exactly as previewed."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # branches | users | customers | contracts
    file_name: Mapped[str] = mapped_column(String(256))
    file_digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the uploaded bytes
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    committed_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]  # an uncommitted preview expired: its stored rows were dropped
    summary: Mapped[dict] = mapped_column(default=dict)  # {new, changed, unchanged}
    problems: Mapped[list] = mapped_column(default=list)  # [{row, column, value, message, message_zh}]
    actor: Mapped[User] = relationship()


class ImportRow(db.Model):
    """One parsed row of a preview: its checked values, what it would do, and a digest of the record it saw."""

    __tablename__ = "import_rows"
    __table_args__ = (Index("ix_import_rows_import_id_row", "import_id", "row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"))
    row: Mapped[int]  # as a spreadsheet numbers it: the header is row 1
    key: Mapped[str] = mapped_column(String(64))  # the record's code, username or contract number
    action: Mapped[str] = mapped_column(String(10))  # new | changed | unchanged
    values: Mapped[dict] = mapped_column(default=dict)
    state_digest: Mapped[str] = mapped_column(String(64), default="")  # "" for a record that did not exist


class ImmutableRecordError(RuntimeError):
    """Something tried to delete history or customer data, or to change a deployed version."""


NEVER_DELETED = (Customer, CustomerChange, Ticket, TicketEvent, HumanTask, ProcessModel, ProcessVersion, User,
                 SlaClock, Timer, Branch, Contact, Contract, CustomerView, TicketFact, TaskFact, SlaFact)
NEVER_CHANGED = (TicketEvent, ProcessVersion, CustomerChange, CustomerView, TaskFact, SlaFact)


@event.listens_for(Session, "before_flush")
def _refuse_history_rewrites(session: Session, _context, _instances) -> None:
    """The last line of defence behind the rule that no history and no customer is ever deleted."""
    for obj in session.deleted:
        if isinstance(obj, NEVER_DELETED):
            raise ImmutableRecordError(f"{type(obj).__name__} rows are never deleted")
    for obj in session.dirty:
        if isinstance(obj, NEVER_CHANGED) and session.is_modified(obj):
            raise ImmutableRecordError(f"{type(obj).__name__} rows are never changed")


# Range scans of the reports (engine/reports.py): tickets opened/closed, clocks decided, tasks done in a period.
Index("ix_tickets_created_at", Ticket.created_at)
Index("ix_tickets_closed_at", Ticket.closed_at)
Index("ix_tickets_status_created_at", Ticket.status, Ticket.created_at)
Index("ix_sla_clocks_met_at", SlaClock.met_at)
Index("ix_sla_clocks_breached_at", SlaClock.breached_at)
Index("ix_human_tasks_completed_at", HumanTask.completed_at)
Index("ix_human_tasks_state_due_at", HumanTask.state, HumanTask.due_at)
Index("ix_customers_account_manager_id", Customer.account_manager_id)

"""Write a live event inside the step that causes it, and read the ones a person may see, in order, from a position.

A step adds its event to the session like its history lines, so a step that rolls back sends nothing. The
readers are the streams of web/live_stream.py: each asks every second or so for the rows after its position, in
the order their transactions became visible, and moves its position on. Who sees an event is the inbox's rule
(engine.inbox.worklist, within the reader's branches): the task's assignee, else whoever has its role.

On PostgreSQL two steps may commit in the other order than they wrote, so a row is passed only once it is settled:
every transaction older than its own has ended (the horizon), or it is older than GRACE. A transaction still open
after GRACE (PostgreSQL's horizon is cluster-wide, so any long writer, even of another database, holds it back)
then delays the notices by GRACE at most; a step of this desk that wrote an event and took longer than GRACE to
commit would be passed over, and steps take milliseconds.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Text, and_, cast, delete, func, or_, select, tuple_

from engine import clock, inbox, step_rows
from engine.db import db
from engine.directory import branches
from engine.errors import InvalidInput
from engine.fields import problem
from engine.live.models import LiveEvent
from engine.models import HumanTask, Ticket, User

KEEP = timedelta(hours=1)  # a browser away longer starts afresh; the inbox list shows what is waiting anyway
GRACE = timedelta(seconds=10)
BATCH = 100
LAST = 2**62  # beyond any id: (txid, LAST) stands after every row of that transaction
POSITION = re.compile(r"(\d{1,18})-(\d{1,18})")

Position = tuple[int, int]


@dataclass(frozen=True)
class Reader:
    """Who a stream reads for, taken when it opens (it lives for seconds): id, roles and visible branches."""

    id: int
    role_names: frozenset[str]
    branch_ids: frozenset[int] | None

    @classmethod
    def of(cls, user: User) -> "Reader":
        ids = branches.visible_ids(user)
        return cls(user.id, frozenset(user.role_names), None if ids is None else frozenset(ids))


def task_arrived(task: HumanTask, actor: User | None) -> None:
    """A task is new in the workflow or back in play: for its assignee if it has one, else for its role's queue."""
    emit("assigned" if task.assignee is not None else "queued", task, actor)


def emit(kind: str, task: HumanTask, actor: User | None = None) -> None:
    """Add the event to the current step (it commits or rolls back with it)."""
    step_rows.add(LiveEvent, kind=kind, task_id=task, role=task.role, assignee_id=task.assignee, actor_id=actor,
                  created_at=clock.now())


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def horizon() -> Position:
    """The position up to which every row is written for good: on PostgreSQL, all rows of transactions older than
    the oldest one still running (later ones have larger ids); on SQLite, the last row."""
    if _postgres():
        xmin = db.session.scalar(select(cast(cast(func.pg_snapshot_xmin(func.pg_current_snapshot()), Text),
                                             BigInteger)))
        return xmin - 1, LAST
    return 0, db.session.scalar(select(func.coalesce(func.max(LiveEvent.id), 0)))


def read(reader: Reader, after: Position, limit: int = BATCH) -> tuple[list[dict], Position]:
    """The notices for ``reader`` after ``after`` and before the first row not yet settled, oldest first, and the
    position reached."""
    upto = horizon()
    rows = db.session.execute(
        select(LiveEvent.txid, LiveEvent.id, LiveEvent.kind, HumanTask.id.label("task_id"), HumanTask.name,
               HumanTask.name_zh, HumanTask.priority, HumanTask.due_at, Ticket.id.label("ticket_id"), Ticket.number,
               Ticket.title, Ticket.channel)
        .join(HumanTask, LiveEvent.task_id == HumanTask.id).join(Ticket, HumanTask.ticket_id == Ticket.id)
        .where(_between(after, _unsettled(after, upto)),
               inbox.worklist(reader, LiveEvent.role, LiveEvent.assignee_id),
               branches.within(reader.branch_ids, Ticket.branch_id),
               or_(LiveEvent.actor_id.is_(None), LiveEvent.actor_id != reader.id))
        .order_by(LiveEvent.txid, LiveEvent.id).limit(limit)).all()
    if len(rows) == limit:
        return [_notice(row) for row in rows], (rows[-1].txid, rows[-1].id)
    last = (rows[-1].txid, rows[-1].id) if rows else after
    return [_notice(row) for row in rows], max(after, upto, last)


def _between(after: Position, before: Position):
    """Rows after one position and before another. On SQLite every txid is 0: the ids alone, which its primary key
    ranges over (it does not range an index over a row-value comparison); PostgreSQL ranges the position index."""
    if not _postgres():
        return LiveEvent.id.between(after[1] + 1, before[1] - 1)
    place = tuple_(LiveEvent.txid, LiveEvent.id)
    return and_(place > tuple_(*after), place < tuple_(*before))


def _unsettled(after: Position, upto: Position) -> Position:
    """The first row after ``after`` a reader must not pass yet: on PostgreSQL the first one beyond the horizon and
    younger than GRACE (a transaction older than its own may still commit rows before it); on SQLite the first one
    after the horizon."""
    if not _postgres():
        return upto[0], upto[1] + 1
    place = tuple_(LiveEvent.txid, LiveEvent.id)
    first = db.session.execute(
        select(LiveEvent.txid, LiveEvent.id)
        .where(place > tuple_(*after), LiveEvent.txid > upto[0], LiveEvent.created_at > clock.now() - GRACE)
        .order_by(LiveEvent.txid, LiveEvent.id).limit(1)).first()
    return (first.txid, first.id) if first else (LAST, LAST)


def _notice(row) -> dict:
    return {"id": text_of((row.txid, row.id)), "kind": row.kind,
            "task": {"id": row.task_id, "name": row.name, "name_zh": row.name_zh, "priority": row.priority,
                     "due_at": row.due_at.isoformat() if row.due_at else None},
            "ticket": {"id": row.ticket_id, "number": row.number, "title": row.title, "channel": row.channel}}


def text_of(position: Position) -> str:
    """A position as a stream's event id (what the browser sends back as Last-Event-ID)."""
    return f"{position[0]}-{position[1]}"


def parse(text: str, field: str = "Last-Event-ID") -> Position:
    """A position from an event id this server sent; anything else is refused, naming ``field``."""
    match = POSITION.fullmatch(text.strip())
    if match is None:
        raise InvalidInput(f"{field} must be an event id this server sent, such as 0-42",
                           [problem(field, "not an event id", "不是事件编号")],
                           message_zh=f"{field} 应为本服务器发出的事件编号，例如 0-42")
    return int(match[1]), int(match[2])


def purge(now: datetime | None = None) -> int:
    """Drop the rows older than KEEP (a scheduler job): the table stays small. Returns how many."""
    return db.session.execute(delete(LiveEvent).where(LiveEvent.created_at < (now or clock.now()) - KEEP)).rowcount

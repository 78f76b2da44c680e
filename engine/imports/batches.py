"""The two steps of an import: a dry run stored as a preview, then a commit of exactly that preview.

The dry run streams the file's rows in chunks: each chunk's records are looked up at once, each row
checked, and the chunk's parsed rows stored (``import_rows``) with a digest of the record they saw.
The commit replays the stored rows in one transaction, after checking that every record is still as
the preview saw it and every row still passes its checks; it is refused while the preview has problems.
A preview not committed within IMPORT_PREVIEW_HOURS expires: the next preview (or the scheduler's
hourly job) drops its stored rows.
"""

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import timedelta
from itertools import islice
from types import ModuleType

from flask import current_app
from openpyxl.utils import get_column_letter
from sqlalchemy import delete, insert, select, update

from engine import clock, customers
from engine.churn import imports as signal_rows
from engine.db import db
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.imports import branches, columns, contracts, files, users
from engine.imports import customers as customer_rows
from engine.imports.scope import Scope, digest
from engine.models import ImportBatch, ImportRow, User

KINDS: dict[str, ModuleType] = {"branches": branches, "users": users, "customers": customer_rows,
                                "contracts": contracts, "signals": signal_rows}
CHUNK = 500


def kind_of(actor: User, kind: str) -> ModuleType:
    """The kind's module; branches and users are for admins only."""
    module = KINDS.get(kind)
    if module is None:
        raise NotFound(f"no import of {kind!r}: one of {', '.join(KINDS)}")
    if module.ADMIN_ONLY and not actor.has_role("admin"):
        raise Forbidden(f"importing {kind} needs the role admin", message_zh=f"导入 {kind} 需要 admin 角色")
    return module


def preview(actor: User, kind: str, file_name: str, data: bytes) -> ImportBatch:
    """Check every row of the file and store what a commit would do; nothing else changes."""
    module = kind_of(actor, kind)
    rows = files.rows(data)
    header = next(rows, None)
    if header is None:
        files.refuse("the file is empty: the first row must name the columns", "文件为空：第一行应为列名")
    keys = columns.mapping(header[1], module.COLUMNS)
    with customers.saved():  # the preview is stored whole, or not at all when the file breaks off
        purge_stale()
        batch = ImportBatch(kind=kind, file_name=_base_name(file_name), file_digest=hashlib.sha256(data).hexdigest(),
                            actor=actor)
        db.session.add(batch)
        db.session.flush()
        summary, problems = _check_rows(module, Scope.of(actor), batch.id, _records(rows, keys))
        batch.summary = {action: summary[action] for action in ("new", "changed", "unchanged")}
        batch.problems = sorted(problems, key=lambda found: found["row"])
    return batch


def _base_name(file_name: str) -> str:
    """The file's own name, as the history's reason quotes it: a browser may send a whole Windows path."""
    return file_name.replace("\\", "/").rsplit("/", 1)[-1][:256] or "upload"


def _check_rows(module: ModuleType, scope: Scope, import_id: int, records: Iterator) -> tuple[Counter, list[dict]]:
    """Check the records a chunk at a time and store the good ones; what they would do, and the problems."""
    summary, problems, seen = Counter(), [], {}
    for chunk in _chunks(records):
        states = module.states([values[module.KEY] for _, values, _ in chunk if values is not None])
        parsed = []
        for number, values, too_long in chunk:
            if too_long:
                problems.append(too_long)
                continue
            key, state = values[module.KEY], states.get(values[module.KEY])
            row = module.check(scope, values, state)
            if key in seen:
                row.fail(module.KEY, key, f"{module.KEY} {key} is also in row {seen[key]}",
                         f"{module.KEY} {key} 与第 {seen[key]} 行重复")
            seen.setdefault(key, number)
            problems += [files.problem(number, *found) for found in row.problems]
            if row.problems:
                continue
            action = "new" if state is None else "changed" if module.differences(row.clean, state) else "unchanged"
            summary[action] += 1
            parsed.append({"import_id": import_id, "row": number, "key": key, "action": action, "values": row.clean,
                           "state_digest": digest(state)})
        if parsed:
            db.session.execute(insert(ImportRow), parsed)
    return summary, problems


def export(actor: User, kind: str) -> Iterator[list]:
    """The records the actor may import, as rows in the kind's columns: an export imports back unchanged."""
    module = kind_of(actor, kind)
    keys = db.session.scalars(module.listed(Scope.of(actor))).all()
    for chunk in _chunks(iter(keys)):
        states = module.states(chunk)
        yield from (module.cells(states[key]) for key in chunk)


def _chunks(records: Iterator) -> Iterator[list]:
    """The records CHUNK at a time (itertools.batched from Python 3.12)."""
    while chunk := list(islice(records, CHUNK)):
        yield chunk


def _records(rows: Iterable[tuple[int, list[str]]],
             keys: list[str]) -> Iterator[tuple[int, dict[str, str] | None, dict | None]]:
    """Each row's cells by column key, or for a row with more cells than the header, the problem instead."""
    for number, cells in rows:
        if len(cells) > len(keys):
            yield number, None, files.problem(number, get_column_letter(len(keys) + 1), cells[len(keys)],
                                              f"the row has {len(cells)} columns, the header {len(keys)}",
                                              f"该行有 {len(cells)} 列，表头只有 {len(keys)} 列")
        else:
            yield number, {key: cells[index] if index < len(cells) else "" for index, key in enumerate(keys)}, None


def get(actor: User, import_id: int) -> ImportBatch:
    """One of the actor's previews (another user's is not found)."""
    batch = db.session.get(ImportBatch, import_id) if isinstance(import_id, int) else None
    if batch is None or batch.actor_id != actor.id:
        raise NotFound(f"no import {import_id}")
    return batch


def rows_of(batch: ImportBatch, limit: int) -> list[ImportRow]:
    """The first parsed rows of a preview, for a page to show."""
    return list(db.session.scalars(select(ImportRow).where(ImportRow.import_id == batch.id)
                                   .order_by(ImportRow.row).limit(limit)))


def commit(actor: User, import_id: int) -> dict:
    """Write what the preview showed, all or nothing; the answer lists new users' one-time passwords, once.

    Each row is checked again as it is written: its record must be as the preview saw it, and the row must
    still pass the kind's checks (a branch or account manager deactivated since, a role retired, a record of
    the same code created). Any row that fails refuses the whole commit, naming every such row."""
    batch = get(actor, import_id)
    module = kind_of(actor, batch.kind)
    # PostgreSQL: a second commit of the same preview waits here, and the purge skips a preview being committed
    batch = db.session.get(ImportBatch, batch.id, with_for_update=True, populate_existing=True)
    if batch.committed_at is not None:
        raise Conflict(f"import {batch.id} was committed already", [_refusal(
            "the import was committed already", "该导入已提交")], f"导入 {batch.id} 已提交")
    if batch.purged_at is not None or batch.created_at < _stale_before():
        hours = _preview_hours()
        raise Conflict(f"import {batch.id} is a preview older than {hours:g} hours: preview the file again",
                       [_refusal(f"the preview is older than {hours:g} hours: preview the file again",
                                 f"预览已超过 {hours:g} 小时：请重新预览文件")],
                       f"导入 {batch.id} 是 {hours:g} 小时前的预览：请重新预览文件")
    if batch.problems:
        raise InvalidInput(f"import {batch.id} has {len(batch.problems)} problems: fix the file and preview it again",
                           batch.problems)
    scope, reason, created, failed, replayed = Scope.of(actor), f"import {batch.file_name}", [], [], 0
    with customers.saved():
        for chunk in _stored_rows(batch):
            replayed += len(chunk)
            states = module.states([row.key for row in chunk])
            failed += _rechecked(module, scope, chunk, states)
            if not failed:  # after a failed row nothing more is written: the whole commit is refused
                created += module.write(scope, [row for row in chunk if row.action != "unchanged"], states, reason)
        if replayed != sum(batch.summary.values()):  # SQLite: a purge in another thread took rows meanwhile
            raise Conflict(f"import {batch.id} expired while being committed: preview the file again", [
                _refusal("the preview expired while being committed: preview the file again",
                         "提交时预览已过期：请重新预览文件")])
        if failed:
            rows = ", ".join(str(number) for number in sorted({found["row"] for found in failed})[:20])
            raise Conflict(f"rows {rows} changed or no longer pass the checks since the preview: preview the file "
                           "again", failed)
        batch.committed_at = clock.now()
    return {"id": batch.id, "kind": batch.kind, "summary": batch.summary, "passwords": created}


def _rechecked(module: ModuleType, scope: Scope, chunk: list, states: dict[str, dict]) -> list[dict]:
    """The problems of stored rows whose record changed since the preview or that the kind's checks now refuse."""
    found = []
    for row in chunk:
        state = states.get(row.key)
        if digest(state) != row.state_digest:
            found.append(files.problem(row.row, module.KEY, row.key, "the record changed since the preview",
                                       "预览之后该记录已被修改"))
            continue
        cells = {key: "" if value is None else value for key, value in row.values.items()}
        found += [files.problem(row.row, *problem) for problem in module.check(scope, cells, state).problems]
    return found


def purge_stale() -> int:
    """Drop the staged rows of previews nobody committed in time (IMPORT_PREVIEW_HOURS); how many previews.

    The preview itself stays, marked purged, as the record of who tried to import which file and what it
    found; committed imports and the data they wrote are never touched."""
    now = clock.now()
    stale = list(db.session.scalars(select(ImportBatch.id).where(
        ImportBatch.committed_at.is_(None), ImportBatch.purged_at.is_(None), ImportBatch.created_at < _stale_before())
        .with_for_update(skip_locked=True)))
    if stale:
        db.session.execute(delete(ImportRow).where(ImportRow.import_id.in_(stale)))
        db.session.execute(update(ImportBatch).where(ImportBatch.id.in_(stale)).values(purged_at=now))
    return len(stale)


def _preview_hours() -> float:
    return float(current_app.config["IMPORT_PREVIEW_HOURS"])


def _stale_before():
    return clock.now() - timedelta(hours=_preview_hours())


def _stored_rows(batch: ImportBatch) -> Iterator[list]:
    """The preview's rows in file order, a chunk at a time (plain rows, not ORM objects)."""
    last = 0
    while True:
        chunk = db.session.execute(
            select(ImportRow.row, ImportRow.key, ImportRow.action, ImportRow.values, ImportRow.state_digest)
            .where(ImportRow.import_id == batch.id, ImportRow.row > last).order_by(ImportRow.row).limit(CHUNK)).all()
        if not chunk:
            return
        yield chunk
        last = chunk[-1].row


def _refusal(message: str, message_zh: str) -> dict:
    return files.problem(None, None, None, message, message_zh)

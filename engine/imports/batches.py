"""The two steps of an import: a dry run stored as a preview, then a commit of exactly that preview.

The dry run streams the file's rows in chunks: each chunk's records are looked up at once, each row
checked, and the chunk's parsed rows stored (``import_rows``) with a digest of the record they saw.
The commit replays the stored rows in one transaction, after checking that every record is still as
the preview saw it; it is refused while the preview has problems.
"""

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import islice
from types import ModuleType

from openpyxl.utils import get_column_letter
from sqlalchemy import insert, select

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
        raise Forbidden(f"importing {kind} needs the role admin")
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
    """Write what the preview showed, all or nothing; the answer lists new users' one-time passwords, once."""
    batch = get(actor, import_id)
    module = kind_of(actor, batch.kind)
    if batch.committed_at is not None:
        raise Conflict(f"import {batch.id} was committed already", [_refusal(
            "the import was committed already", "该导入已提交")])
    if batch.problems:
        raise InvalidInput(f"import {batch.id} has {len(batch.problems)} problems: fix the file and preview it again",
                           batch.problems)
    scope, reason, created = Scope.of(actor), f"import {batch.file_name}", []
    with customers.saved():
        for chunk in _stored_rows(batch):
            states = module.states([row.key for row in chunk])
            stale = [row.row for row in chunk if digest(states.get(row.key)) != row.state_digest]
            if stale:
                raise Conflict(f"the data changed since the preview (rows {', '.join(map(str, stale[:20]))}): "
                               "preview the file again", [files.problem(
                                   number, module.KEY, None, "the record changed since the preview",
                                   "预览之后该记录已被修改") for number in stale])
            created += module.write(scope, [row for row in chunk if row.action != "unchanged"], states, reason)
        batch.committed_at = clock.now()
    return {"id": batch.id, "kind": batch.kind, "summary": batch.summary, "passwords": created}


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

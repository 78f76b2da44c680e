"""The append-only rows a step writes — history lines, the facts of completed tasks and decided clocks, live
events —, its upserts of report facts and its changes of stored rows' states (a task completed, a clock met, a
timer cancelled), as plain values, outside the ORM's unit of work: on PostgreSQL in one statement, elsewhere one
statement per table.

Nothing in a step reads these rows back as objects, and the unit of work's bookkeeping per object was the largest
share of a step's CPU (issue 17). A row is queued in the session and written with everything else the session
writes: when it flushes, when it commits (also when nothing else is to be flushed), and before an ORM query that
would autoflush, so an ORM query sees the rows queued before it as it would see added objects. A row may name an ORM
object instead of its id (``ticket_id=ticket``): the flush before the write has given the object its id. A
rollback drops what is queued. Steps use no savepoints; a row queued inside one is written with its transaction.

A change (``change(task, state="completed")``) shows on the object at once, as if the database had it, and is
written with the rows by the object's id; it writes the object's values at that moment, so an attribute the step
sets later the ordinary way ends the same in both writes (an attribute expired meanwhile writes the change).

The step's new tasks, clocks and timers (``add_object``) are ORM objects the step keeps working with; they are
stored with the rows and taken into the session as stored. The ticket's own changes go in one versioned UPDATE
(``write_versioned``). On PostgreSQL the new objects' ids are drawn from their sequences first (one statement), and
the objects, the rows, the changes and the versioned UPDATE are then one statement: a step's commit sends two
(one without new objects); PostgreSQL checks the foreign keys among them at the statement's end. Elsewhere the
objects are inserted first, one INSERT … RETURNING id per table, and the versioned UPDATE is its own statement.
What is left flagged as changed with nothing left to write is marked clean, so a step's commit usually runs no unit
of work at all.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import (
    JSON,
    Integer,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    cast,
    event,
    func,
    insert,
    inspect,
    literal,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlalchemy.orm import MANYTOONE, ORMExecuteState, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from engine.db import db

_QUEUED = "keydesk_step_rows"  # session.info: [Row] not written yet
_WRITTEN = "keydesk_step_rows_written"  # session.info: [Row] written in this transaction


CHANGE = "change"  # a Row's key that makes it an UPDATE of the stored row with its id
INSERT = "insert"  # a Row's key that makes it a new ORM object (add_object), stored with the rows or before them
VERSIONED = "versioned"  # a Row's key that makes it write_versioned's UPDATE by id and version (PostgreSQL)


@dataclass
class Row:
    table: Table
    values: dict
    key: str | None = None  # an upsert's key column (the row replaces the one of the same key), or CHANGE
    changed: object = None  # a change's or an inserted object: its values are read when written


Shape = tuple[Table, tuple[str, ...], str | None]  # what makes rows one batch: the table, columns, upsert key


def add(model, **values) -> None:
    """Queue one row of ``model`` (a mapped class) in the current transaction."""
    db.session.info.setdefault(_QUEUED, []).append(Row(model.__table__, values))


def upsert(model, key: str, **values) -> None:
    """Queue a row of ``model`` that replaces the stored one with the same ``key`` column (or a row queued
    earlier in this transaction), else is added."""
    queued = db.session.info.setdefault(_QUEUED, [])
    earlier = next((row for row in queued if row.table is model.__table__ and row.key == key
                    and row.values[key] == values[key]), None)
    if earlier is not None:
        earlier.values = values
    else:
        queued.append(Row(model.__table__, values, key))


def change(obj, **values) -> None:
    """Set columns of a stored object: it shows them now, the database gets them with the step's rows (one UPDATE by
    id per table and set of columns). An object not stored yet just takes them, to be inserted with them."""
    if inspect(obj).key is None:
        for column, value in values.items():
            setattr(obj, column, value)
        return
    db.session.connection()  # within a transaction, whose rollback expires the object and so undoes the change
    for column, value in values.items():
        obj.__table__.c[column]  # noqa: B018  (a KeyError names an attribute that is not a column of its own name)
        set_committed_value(obj, column, value)
    queued = db.session.info.setdefault(_QUEUED, [])
    earlier = next((row for row in queued if row.changed is obj), None)
    if earlier is not None:
        earlier.values = {**earlier.values, **values}
    else:
        queued.append(Row(obj.__table__, values, CHANGE, obj))


def write_versioned(session: Session) -> None:
    """Write the changed columns of each stored object whose mapper keeps a version (a ticket's lock_version) in one
    UPDATE by id and version that moves the version by one, as the unit of work would, without its bookkeeping for
    the step's one ticket: on PostgreSQL queued, to go with the step's rows in their statement (which writes none
    of them unless the version is as read), elsewhere, or when the unit of work has more to write to the object (a
    relationship set: a migrated ticket's version), at once. The object then holds what it wrote; a version moved
    meanwhile (another step on the same ticket committed first) raises StaleDataError, as the unit of work does (on
    PostgreSQL when the rows are written: at the commit, whose rollback expires what the object holds)."""
    connection = session.connection()  # the connection's: the session would flush first
    for state in [inspect(obj) for obj in session.dirty]:
        if state.mapper.version_id_col is None:
            continue
        changed = {key: state.dict[key] for key in state.committed_state
                   if key in state.mapper.column_attrs and key in state.dict}
        if not changed:
            continue
        version_column = state.mapper.version_id_col
        version = state.dict[version_column.key]
        if connection.dialect.name == "postgresql" and state.committed_state.keys() == changed.keys():
            values = {state.mapper.column_attrs[key].columns[0].name: value for key, value in changed.items()}
            session.info.setdefault(_QUEUED, []).append(Row(state.mapper.local_table, {
                **values, "id": state.identity[0], version_column.name: version}, VERSIONED))
        else:
            written = connection.execute(
                _versioned_update(state.mapper, tuple(sorted(changed))),
                {**changed, "row_id": state.identity[0], "read_version": version, version_column.key: version + 1})
            _check_versions(state.mapper.local_table, [state.identity[0]], written.rowcount)
        for key, value in {**changed, version_column.key: version + 1}.items():
            set_committed_value(state.obj(), key, value)


def _check_versions(table: Table, ids: list[int], written: int) -> None:
    if written != len(ids):
        raise StaleDataError(f"{table.name} {', '.join(map(str, ids))} changed since it was read")


@lru_cache(maxsize=64)
def _versioned_update(mapper, keys: tuple[str, ...]):
    """UPDATE … SET the attributes ``keys`` and the version WHERE id and version are as read: built once per set of
    attributes (a step changes the same few), the values given as parameters named after the attributes."""
    table, version = mapper.local_table, mapper.version_id_col
    return (update(table).where(table.c.id == bindparam("row_id"), version == bindparam("read_version"))
            .values({mapper.column_attrs[key].columns[0]: bindparam(key) for key in (*keys, version.key)}))


def pending(model, session: Session | None = None) -> list[dict]:
    """The rows of ``model`` this transaction queued or wrote, as given: what the step added so far."""
    info = (session or db.session).info
    return [row.values for row in info.get(_WRITTEN, []) + info.get(_QUEUED, [])
            if row.table is model.__table__ and row.key not in (CHANGE, INSERT, VERSIONED)]


def add_object(obj) -> None:
    """Store a new ORM object with the step's rows, not through the unit of work: when the rows are written it is
    inserted first (rows may name it), table by table in the order of their foreign keys, its foreign keys taken from
    the objects its relationships hold (stored by then); it gets its id and is taken into the session as stored.
    Until then it is in no session. A relationship with a backref (a task's ticket) is set without its events
    (``set_committed_value``): the backref would put it in the ticket's collection as a change, and the unit of
    work would insert it a second time. It shows in that collection where it is loaded, now and when stored."""
    db.session.info.setdefault(_QUEUED, []).append(Row(obj.__table__, {}, INSERT, obj))
    _show_in_collections(obj)


def _show_in_collections(obj) -> None:
    """The object shows at the end of the loaded collections of the objects it refers to (a ticket's tasks), as a
    backref would show it, with nothing for the unit of work to write."""
    state = inspect(obj)
    for relation in state.mapper.relationships:
        parent = state.dict.get(relation.key)
        if relation.direction is MANYTOONE and relation.back_populates and parent is not None:
            loaded = inspect(parent).dict.get(relation.back_populates)
            if loaded is not None and obj not in loaded:
                set_committed_value(parent, relation.back_populates, [*loaded, obj])


def held(model) -> list:
    """The objects of ``model`` add_object queued and not yet stored, in the order they were queued."""
    return [row.changed for row in db.session.info.get(_QUEUED, []) if row.key == INSERT
            and row.table is model.__table__]


def _write(session: Session) -> None:
    """Write the queued rows: on PostgreSQL in one statement (after the one that draws the new objects' ids), elsewhere
    the new objects first, then one statement per table (and set of columns)."""
    queued = session.info.pop(_QUEUED, None)
    if not queued:
        return
    objects = [row.changed for row in queued if row.key == INSERT]
    rows = [row for row in queued if row.key != INSERT]
    if session.connection().dialect.name == "postgresql":
        _write_in_one_statement(session, objects, rows)
    else:
        _insert_objects(session, objects)
        if rows:
            _write_each_table(session, rows)
    session.info.setdefault(_WRITTEN, []).extend(rows)


def _batches(rows: list[Row]) -> dict[Shape, list[dict]]:
    """The rows' values grouped by what makes one write: table, columns and key."""
    batches: dict[Shape, list[dict]] = {}
    for row in rows:
        if row.changed is not None:
            values = {"id": inspect(row.changed).identity[0], **_changed_values(row)}
        else:
            values = {column: _id(value) for column, value in row.values.items()}
        batches.setdefault((row.table, tuple(values), row.key), []).append(values)
    return batches


def _write_in_one_statement(session: Session, objects: list, rows: list[Row]) -> None:
    """PostgreSQL: the new objects get their ids, then they, the rows, the changes and the versioned UPDATEs go in
    one statement, which answers how many rows each versioned UPDATE found at the version it read."""
    connection = session.connection()
    new = _with_new_ids(connection, objects)
    batches = _batches([Row(obj.__table__, values) for obj, values in new] + rows)
    parameters = {}
    for n, ((_table, _columns, key), values) in enumerate(batches.items()):
        parameters[f"rows_{n}"] = [json_values(row) for row in values]
        if key in (CHANGE, VERSIONED):
            parameters[f"ids_{n}"] = [row["id"] for row in values]
        if key == VERSIONED:
            parameters[f"found_{n}"] = len(values)
    written = connection.execute(_one_statement(tuple(batches)), parameters).one()
    versioned = [(table, values) for (table, _columns, key), values in batches.items() if key == VERSIONED]
    for (table, values), count in zip(versioned, written if versioned else (), strict=True):
        _check_versions(table, [row["id"] for row in values], count)
    _take_in(session, new)


def _with_new_ids(connection, objects: list) -> list[tuple[object, dict]]:
    """PostgreSQL: each new object with the values it is stored with, its id drawn from its table's sequence (one
    statement for all tables), a table's objects after those of the tables they refer to, whose ids they name."""
    by_table = _by_table(objects)
    if not by_table:
        return []
    drawn: dict[int, list[int]] = {}
    parameters = {}
    for n, (table, batch) in enumerate(by_table):
        parameters |= {f"sequence_{n}": _sequence(connection, table), f"count_{n}": len(batch)}
    for place, row_id in connection.execute(_next_ids(len(by_table)), parameters):
        drawn.setdefault(place, []).append(row_id)
    for n, (_table, batch) in enumerate(by_table):
        for obj, row_id in zip(batch, drawn[n], strict=True):
            inspect(obj).dict["id"] = row_id  # what the objects referring to it name
    return [(obj, {**_object_values(obj), "id": obj.id}) for _table, batch in by_table for obj in batch]


@lru_cache(maxsize=8)
def _next_ids(tables: int):
    """PostgreSQL: (place, id) rows, count_<place> ids from the sequence named sequence_<place>, for each place."""
    draws = [select(literal(n).label("place"), func.nextval(cast(bindparam(f"sequence_{n}", type_=Text), REGCLASS)))
             .select_from(func.generate_series(1, bindparam(f"count_{n}", type_=Integer))) for n in range(tables)]
    return draws[0] if len(draws) == 1 else union_all(*draws)


_SEQUENCES: dict[str, str] = {}  # table name: the sequence that draws its ids


def _sequence(connection, table: Table) -> str:
    """The sequence that draws the table's ids, asked once per process: PostgreSQL answers it from its catalogs,
    reading rows of pg_depend each time, where a sequence's name cast to regclass comes from its catalog cache."""
    if table.name not in _SEQUENCES:
        _SEQUENCES[table.name] = connection.scalar(select(func.pg_get_serial_sequence(table.name, "id")))
    return _SEQUENCES[table.name]


def _write_each_table(session: Session, rows: list[Row]) -> None:
    connection = session.connection()
    for shape, values in _batches(rows).items():
        if shape[2] == CHANGE:
            values = [{"changed_id": row["id"], **{k: v for k, v in row.items() if k != "id"}} for row in values]
        connection.execute(_sqlite_statement(shape), values)


def _insert_objects(session: Session, objects: list) -> None:
    """Insert add_object's objects, one INSERT … RETURNING id per table, a table after those it refers to; then
    take them into the session as stored, each holding every column it was written with."""
    connection = session.connection()
    stored = []
    for table, batch in _by_table(objects):
        rows = [_object_values(obj) for obj in batch]
        # one row (a step's usual new task) as a plain INSERT: a list goes through insertmanyvalues
        ids = connection.execute(_insert_returning_id(table), rows[0] if len(rows) == 1 else rows).scalars().all()
        for obj, values, row_id in zip(batch, rows, ids, strict=True):
            inspect(obj).dict["id"] = row_id
            stored.append((obj, {**values, "id": row_id}))
    _take_in(session, stored)


def _take_in(session: Session, stored: list[tuple[object, dict]]) -> None:
    """The stored objects, each holding every column it was written with, into the session as stored."""
    for obj, values in stored:
        state = inspect(obj)
        state.dict.update({key: values[column.name] for column, key in _columns(state.mapper)})
    for obj, _values in stored:  # all stored before any is added: adding one cascades to those it refers to (a
        make_transient_to_detached(obj)  # clock's task), which would be inserted again if still new
    for obj, _values in stored:
        session.add(obj)  # stored already: in the session with nothing to write
        _show_in_collections(obj)  # also in the collections loaded since it was queued


def _by_table(objects: list) -> list[tuple[Table, list]]:
    """The objects by table, a table after those it refers to."""
    by_table: dict[Table, list] = {}
    for obj in objects:
        by_table.setdefault(obj.__table__, []).append(obj)
    return sorted(by_table.items(), key=lambda item: _table_order()[item[0]])


@lru_cache(maxsize=1)
def _table_order() -> dict[Table, int]:
    """Each table's place in an order where a table comes after those it refers to (worked out once)."""
    return {table: n for n, table in enumerate(db.metadata.sorted_tables)}


def _object_values(obj) -> dict:
    """Every column of a new object but its id: as the object holds it, its column default otherwise, a foreign key
    from the object its relationship holds (a ticket, task or clock stored by now)."""
    state = inspect(obj)
    values = {column.name: state.dict[key] if key in state.dict else _default(column)
              for column, key in _columns(state.mapper) if not column.primary_key}
    for relation in state.mapper.relationships:
        related = state.dict.get(relation.key)
        if relation.direction is MANYTOONE and not relation.viewonly and related is not None:
            for local, remote in relation.local_remote_pairs:
                values[local.name] = getattr(related, remote.key)
    return values


@lru_cache(maxsize=32)
def _columns(mapper) -> tuple[tuple, ...]:
    """Each column of the mapper's table with the attribute that holds it (worked out once per mapper)."""
    return tuple((column, mapper.get_property_by_column(column).key) for column in mapper.local_table.columns)


def _default(column):
    default = column.default
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


@lru_cache(maxsize=32)
def _insert_returning_id(table: Table):
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


def json_records(table: Table, parameter: str, columns: tuple[str, ...]):
    """The rows sent as one JSON array in ``parameter``, read as records of ``table``'s type: the ``columns`` given."""
    return func.json_populate_recordset(literal_column(f"NULL::{table.name}"),
                                        bindparam(parameter, type_=JSON)).table_valued(*columns)


def _changed_values(row: Row) -> dict:
    """A change's columns as the object holds them now (the step may have set one again the ordinary way), or as
    given where the object no longer holds it (expired: reading it would load the stored value, not the change)."""
    held = inspect(row.changed).dict
    return {column: held.get(column, value) for column, value in row.values.items()}


def _id(value):
    """An ORM object's id (flushed by now), any other value as it is."""
    return value.id if isinstance(value, db.Model) else value


@lru_cache(maxsize=256)
def _one_statement(shapes: tuple[Shape, ...]):
    """PostgreSQL: every batch as an INSERT … SELECT from its rows sent as one JSON array (parameter rows_<n>), each
    in a CTE of one statement; an upsert's batch ends ON CONFLICT (key) DO UPDATE. Built once per set of shapes and
    compiled once, like any other statement; columns left out get their defaults as in a plain INSERT. A change's
    batch is an UPDATE … FROM its rows by id (no two batches change one row: a change is queued once per object, a
    versioned UPDATE once per ticket, and tickets take no change).

    A versioned batch updates only the rows still at the version it carries (parameter found_<n>: how many) and
    moves them on by one. Every other write waits for it and writes nothing unless it found them all: a step that
    lost the race to another one on its ticket writes nothing (not its facts either, which would collide with the
    winner's); the statement answers, per versioned batch, how many rows it updated."""
    counts = [_versioned_count(n, table, columns) for n, (table, columns, key) in enumerate(shapes) if key == VERSIONED]
    found = and_(*(count == bindparam(f"found_{n}") for n, count in counts)) if counts else None
    writes = [_write_batch(n, table, columns, key, found) for n, (table, columns, key) in enumerate(shapes)
              if key != VERSIONED]
    return select(*([count for _n, count in counts] or [literal(1)])).add_cte(*writes)


def _versioned_count(n: int, table: Table, columns: tuple[str, ...]) -> tuple[int, object]:
    """A versioned batch's UPDATE by id and version, as how many rows it updated."""
    records = json_records(table, f"rows_{n}", columns)
    version = records.c[_version_column(table).name]
    write = (_update_by_id(n, table, columns, records).where(table.c[version.name] == version)
             .values({version.name: version + 1}).returning(table.c.id).cte(f"rows_{n}"))
    return n, select(func.count()).select_from(write).scalar_subquery()


def _write_batch(n: int, table: Table, columns: tuple[str, ...], key: str | None, found):
    """A batch of rows, a change or an upsert, as a CTE; none of it written unless ``found`` holds."""
    records = json_records(table, f"rows_{n}", columns)
    if key == CHANGE:
        write = _update_by_id(n, table, columns, records)
        write = write if found is None else write.where(found)
    else:
        rows = select(*(records.c[name] for name in columns))
        rows = rows if found is None else rows.where(found)
        write = _on_conflict(postgresql.insert(table).from_select(columns, rows), columns, key)
    return write.cte(f"rows_{n}")


def _update_by_id(n: int, table: Table, columns: tuple[str, ...], records):
    """UPDATE … FROM the batch's records by id; the ids again as an array (parameter ids_<n>): the planner walks the
    primary key, not the whole table."""
    ids = bindparam(f"ids_{n}", type_=postgresql.ARRAY(Integer))
    return (update(table).where(table.c.id == any_(ids), table.c.id == records.c.id)
            .values({name: records.c[name] for name in columns if name != "id"}))


@lru_cache(maxsize=8)
def _version_column(table: Table):
    """The column that keeps the version of a versioned table's rows (a ticket's lock_version)."""
    return next(mapper.version_id_col for mapper in db.Model.registry.mappers if mapper.local_table is table)


@lru_cache(maxsize=256)
def _sqlite_statement(shape: Shape):
    table, columns, key = shape
    if key == CHANGE:
        return update(table).where(table.c.id == bindparam("changed_id"))  # the other values name the columns
    return _on_conflict(sqlite.insert(table), columns, key)


def _on_conflict(writes, columns: tuple[str, ...], key: str | None):
    """An upsert's write replaces the row of its key with its columns; any other write is a plain INSERT."""
    if key is None:
        return writes
    return writes.on_conflict_do_update(index_elements=[key], set_={column: writes.excluded[column]
                                                                    for column in columns if column != key})


def json_values(values: dict) -> dict:
    """A row as JSON carries it to json_populate_recordset: times in ISO 8601 with their zone (UTC)."""
    return {column: value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value
            for column, value in values.items()}


@event.listens_for(Session, "after_flush_postexec")
def _after_flush(session: Session, _context) -> None:
    _write(session)


def _flush_and_write(session: Session) -> None:
    """The flush gives the objects the rows name their ids and writes the rows (after_flush_postexec); when there
    was nothing else to flush, the rows are written here."""
    _mark_clean(session)
    session.flush()
    _write(session)


def _mark_clean(session: Session) -> None:
    """Objects the step changed and then wrote itself (a change, a claim, the ticket's versioned UPDATE) are still
    flagged as changed, though no change is left on them: the unit of work would find nothing to write only after
    all its bookkeeping for them (most of a claim's flush). They are marked clean instead — SQLAlchemy has no public
    call for it; an object with any change left (a column, a relationship, a collection) is left to the flush."""
    for obj in session.dirty:
        state = inspect(obj)
        if not state.committed_state and not state._pending_mutations:
            state._commit_all(state.dict, session.identity_map)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_QUEUED):
        _flush_and_write(session)


@event.listens_for(Session, "do_orm_execute")
def _before_query(state: ORMExecuteState) -> None:
    """An ORM query that autoflushes sees the queued rows too: the autoflush it is about to do, done first."""
    session = state.session
    if state.is_select and state.is_orm_statement and session.autoflush and session.info.get(_QUEUED):
        _flush_and_write(session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_QUEUED, None)
        session.info.pop(_WRITTEN, None)

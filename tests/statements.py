"""Counting the SQL statements a request sends, for the tests that hold a request's cost to a number."""

from sqlalchemy import event

from engine.db import db


def statements_of(request) -> list[str]:
    """The SQL statements one request sends, starting from a new session as a request in production does (the
    test's session would otherwise still hold what earlier requests read)."""
    db.session.remove()
    sent: list[str] = []
    listener = lambda *args: sent.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert request().status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return sent

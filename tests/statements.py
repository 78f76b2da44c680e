"""Counting the SQL statements a request sends, for the tests that hold a request's cost to a number."""

from contextlib import contextmanager

from sqlalchemy import event

from engine.db import db


@contextmanager
def statements_sent():
    """The SQL statements sent while the block runs, as a list it fills."""
    sent: list[str] = []
    listener = lambda *args: sent.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def statements_of(request) -> list[str]:
    """The SQL statements one request sends, starting from a new session as a request in production does (the
    test's session would otherwise still hold what earlier requests read)."""
    db.session.remove()
    with statements_sent() as sent:
        assert request().status_code == 200
    return sent

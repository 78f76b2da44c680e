"""A timer worker in its own process, for tests/test_workers.py.

It lives in an importable module because the 'spawn' start method re-imports the target by name in a
fresh interpreter: nothing is inherited from the test process but the arguments, as in production,
where each KeyDesk process builds its own app and its own connection pool.
"""

import os
import time
import traceback

from sqlalchemy import text

from engine import scheduler
from engine.db import db
from web import create_app


def run(name: str, database_uri: str, instance: str, go, reports, deadline_seconds: float) -> None:
    """Build an app, say "ready", wait for the go signal, sweep until idle, report what was fired.

    Reports on the queue: ("ready", name), then ("done", name, fired, sweeps) or ("error", name, traceback).
    """
    try:
        os.environ["KEYDESK_INSTANCE"] = instance
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri, "TESTING": True})
        with app.app_context():
            db.session.execute(text("SELECT 1"))  # connected before the race, so no worker gets a head start
            db.session.rollback()
            reports.put(("ready", name))
            if not go.wait(deadline_seconds):
                raise TimeoutError(f"no go signal within {deadline_seconds} s")
            fired, sweeps = sweep_until_idle(time.monotonic() + deadline_seconds)
            db.session.remove()
            db.engine.dispose()
        reports.put(("done", name, fired, sweeps))
    except BaseException:
        reports.put(("error", name, traceback.format_exc()))


def sweep_until_idle(deadline: float) -> tuple[int, int]:
    """Sweep until two sweeps in a row find nothing due, as a scheduler's timer job would. Returns (fired, sweeps).

    One empty sweep could be a moment when every remaining due row is locked by another worker; the
    second one confirms it. The deadline stops a worker that never goes idle (that is a failure).
    A sweep counts the timers it handled, which includes one skipped on a Conflict with another step
    on its ticket; the tests give each ticket one timer, so there handled means fired.
    """
    fired = sweeps = idle = 0
    while idle < 2:
        if time.monotonic() > deadline:
            raise TimeoutError(f"still finding due timers after {sweeps} sweeps ({fired} fired)")
        handled = scheduler.sweep()
        sweeps += 1
        fired += handled
        idle = idle + 1 if handled == 0 else 0
    return fired, sweeps

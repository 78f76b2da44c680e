"""A production web worker runs its page requests in turns, one at a time by default; live streams never wait.

Why: CPython runs one thread of a process at a time (the GIL). Page requests that run at once in one worker only
interleave, and each hand-over of the interpreter costs CPU; the waits on PostgreSQL are overlapped better by the
other worker processes. Measured with bench/load.py's load driver (16 clients, 2 workers of 4 threads, PostgreSQL):
about a tenth less server CPU per completion and a fifth more completions per second than four page requests at
once, the same as workers of one thread, which could not hold live streams. A live stream spends its time waiting
between reads of the live_events table (web/live_stream.py), so it runs beside the pages and is never held back.

A request that waited WAIT_SECONDS for its turn runs anyway, beside the one ahead: a slow export or import holds
the others back at most that long. Each such request is counted (keydesk_http_turn_overruns in /metrics); a desk
that sees many needs more web workers.
"""

import threading
from collections.abc import Callable, Iterable

WAIT_SECONDS = 0.5


class PageTurns:
    """WSGI middleware around a Flask app's wsgi_app: page requests take turns, ``at_once`` at a time."""

    def __init__(self, wsgi_app: Callable, at_once: int, streams: Iterable[str], overrun: Callable[[], None],
                 wait: float = WAIT_SECONDS):
        self.wsgi_app, self.streams, self.overrun, self.wait = wsgi_app, frozenset(streams), overrun, wait
        self.at_once, self.turns = at_once, threading.BoundedSemaphore(at_once)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") in self.streams:
            return self.wsgi_app(environ, start_response)
        has_turn = self.turns.acquire(timeout=self.wait)
        if not has_turn:
            self.overrun()
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            if has_turn:
                self.turns.release()

"""The app on a free loopback port: `run.py serve --workers N` in a process of its own (for the tests and
bench/load.py), or served from a thread of the test's process (for the browser tests: the test's controlled clock
is then the server's clock)."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_py_serve(workers: int | None) -> Callable[[int], list[str]]:
    """This checkout's `run.py serve` on a port: gunicorn with `workers`, or the Werkzeug one with None."""
    def command(port: int) -> list[str]:
        line = [sys.executable, str(ROOT / "run.py"), "serve", "--host", "127.0.0.1", "--port", str(port)]
        return line + (["--workers", str(workers)] if workers else ["--no-scheduler"])
    return command


@contextmanager
def live_server(database_url: str, instance: Path, workers: int | None, env: dict | None = None,
                deadline: float = 60, command: Callable[[int], list[str]] | None = None, cwd: Path = ROOT):
    """Start the server (gunicorn with `workers`, or the Werkzeug one with None), wait until it answers,
    yield its base URL and process, stop it at the end. Its output goes to instance/server.log.

    `command` gives another server's command line for a port (bench/load.py serves an earlier checkout, its
    `cwd`, that way); `workers` is then unused."""
    instance.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (instance / "server.log").open("wb")
    process = subprocess.Popen((command or run_py_serve(workers))(port), cwd=cwd, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True,
                               env={**os.environ, "DATABASE_URL": database_url, "KEYDESK_INSTANCE": str(instance),
                                    **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, instance / "server.log", deadline)
        yield base, process
    finally:
        _stop(process)
        log.close()


def _wait_until_up(base: str, process: subprocess.Popen, log: Path, deadline: float) -> None:
    until = time.monotonic() + deadline
    while time.monotonic() < until:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2)
            return
        except urllib.error.HTTPError:  # a 503 (no scheduler yet) is an answer: the server is up
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"the server did not answer within {deadline} s:\n{log.read_text()}")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's own process group (gunicorn stops its workers), SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


class QuietRequests(WSGIRequestHandler):
    """Logs no request line: the server thread can outlive the test's captured stderr, and a line written
    then is a logging error in the test output, not a finding."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@contextmanager
def served_in_thread(app) -> Iterator[str]:
    """The app on a free loopback port while the block runs; yields its base URL."""
    http = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequests)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join()

"""The production web server: gunicorn, pre-forking N worker processes that each build their own app.

gunicorn is well kept, forks its workers from one master (a crashed or hung worker is replaced, a
HUP reloads them one by one) and is the server prometheus-client's multi-process mode documents:
each worker writes its metrics to files in PROMETHEUS_MULTIPROC_DIR, the master marks a dead
worker's files, and any worker answers /metrics with the sum of all of them. The workers never run
the scheduler: `run.py worker` processes do.
"""

import gc
import os
import shutil
from pathlib import Path

from gunicorn.app.base import BaseApplication

from web.page_turns import PageTurns

# Who asked, what, the answer, its size and how long it took in ms (%(M)s), then the browser.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


def prepare_metrics_dir(instance: Path) -> Path:
    """An empty PROMETHEUS_MULTIPROC_DIR (the operator's, or instance/prometheus), set in the environment.

    It must be set before prometheus_client is first imported, and emptied at each start: files of an
    earlier run would add its counts to this one's.
    """
    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or instance / "prometheus")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


def _child_exit(_server, worker) -> None:
    # Imported here: prometheus_client picks its multi-process mode when first imported, which must be
    # after prepare_metrics_dir has set the folder.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class Server(BaseApplication):
    """gunicorn run from our own command line: `run.py serve --workers N` builds one app per worker."""

    def __init__(self, app_factory, host: str, port: int, workers: int, threads: int, page_requests: int):
        self.app_factory = app_factory
        self.threads, self.page_requests = threads, page_requests
        self.options = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",  # threads overlap the waits on PostgreSQL within one worker
            "threads": threads,
            "accesslog": "-",
            "errorlog": "-",
            "access_log_format": ACCESS_LOG_FORMAT,
            "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
            "control_socket_disable": True,  # one fixed socket path per user: two servers would share it
            "child_exit": _child_exit,
        }
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self):
        """The worker's app; unless KEYDESK_LIVE_STREAMS says otherwise, live streams may hold half its threads, so
        the other half always serves pages (web/live_stream.py). Its page requests take turns (web/page_turns.py)."""
        app = self.app_factory()
        if not os.environ.get("KEYDESK_LIVE_STREAMS"):
            app.config["LIVE_STREAMS"] = live_streams_for(self.threads)
        from web import live_stream, metrics  # imported by the factory already, after prepare_metrics_dir: see above

        app.wsgi_app = PageTurns(app.wsgi_app, self.page_requests, live_stream.stream_paths(app),
                                 metrics.TURN_OVERRUNS.inc)
        keep_out_of_collections()
        return app


def keep_out_of_collections() -> None:
    """What the worker built at start (its app, models, diagrams: most of its heap, alive as long as the worker) is
    left out of the garbage collector's passes from now on (gc.freeze), which would otherwise walk it again and
    again; the garbage of the start is collected first, not kept."""
    gc.collect()
    gc.freeze()


def page_requests_at_once() -> int:
    """KEYDESK_PAGE_REQUESTS: how many page requests one worker runs at once (1 unless set; web/page_turns.py)."""
    text = os.environ.get("KEYDESK_PAGE_REQUESTS") or "1"
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"KEYDESK_PAGE_REQUESTS must be a whole number of at least 1, not {text!r} "
                         f"(KEYDESK_PAGE_REQUESTS 须为不小于 1 的整数)")
    return int(text)


def live_streams_for(threads: int) -> int:
    """How many live streams a worker of ``threads`` threads serves at once: half of them (none with one thread:
    a stream must never hold a worker's only thread)."""
    return threads // 2

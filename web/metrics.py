"""GET /metrics in Prometheus' text format, and the HTTP request counts and durations it reports.

It answers a scraper that sends the token in KEYDESK_METRICS_TOKEN (`Authorization: Bearer ...`) and a
signed-in admin, nobody else: the figures tell how busy the desk is. Without the token set, only admins.
Under `run.py serve --workers N` every worker writes its figures to PROMETHEUS_MULTIPROC_DIR and
any worker answers with the sum of all of them.
"""

import hmac
import os
import time

from flask import Blueprint, Flask, Response, current_app, g, request
from flask_login import current_user
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from engine import clock
from engine import metrics as engine_metrics

blueprint = Blueprint("metrics", __name__)

REQUESTS = Counter("keydesk_http_requests", "HTTP requests by method, route and status",
                   ["method", "route", "status"])
DURATION = Histogram("keydesk_http_request_seconds", "HTTP request duration by method and route",
                     ["method", "route"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))

TURN_OVERRUNS = Counter("keydesk_http_turn_overruns",
                        "Page requests that waited their turn in a web worker for the longest they may, then ran "
                        "beside the one ahead (web/page_turns.py): many of them ask for more workers")


def init_app(app: Flask) -> None:
    app.config.setdefault("METRICS_TOKEN", os.environ.get("KEYDESK_METRICS_TOKEN", ""))
    app.before_request(_started)
    app.after_request(_counted)
    app.register_blueprint(blueprint)


def _started() -> None:
    g.request_started = time.perf_counter()


def _counted(response):
    """Count the request under its route's pattern (/api/v1/tasks/<int:task_id>), never its raw path."""
    route = request.url_rule.rule if request.url_rule else "unmatched"
    REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    if "request_started" in g:
        DURATION.labels(request.method, route).observe(time.perf_counter() - g.request_started)
    return response


@blueprint.get("/metrics")
def metrics():
    if not _may_read():
        return Response("send the metrics token as 'Authorization: Bearer TOKEN', or sign in as an admin\n",
                        status=401, mimetype="text/plain", headers={"WWW-Authenticate": "Bearer"})
    body = generate_latest(_this_server()) + generate_latest(engine_metrics.Queues(clock.now()))
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def _may_read() -> bool:
    expected = current_app.config["METRICS_TOKEN"]
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if expected and scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), expected.encode()):
        return True
    return current_user.is_authenticated and current_user.has_role("admin")


def _this_server():
    """The figures of every worker of this server (multi-process mode), or of this one process."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry

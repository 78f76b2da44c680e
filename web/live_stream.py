"""The live notices as server-sent events: GET /live/events for the staff pages (the session), and the same
stream at GET /api/v1/events for API clients (a bearer token, web/api/events.py).

A stream holds one of the web worker's threads, so it must never starve the pages (see README "Production"):
- it ends after LIVE_STREAM_SECONDS (25 s); the browser's EventSource reconnects by itself (``retry``) and sends
  the last event id it got (Last-Event-ID), from which the next stream goes on: nothing is missed;
- a worker serves at most LIVE_STREAMS at once; one more is refused at once with 503 and Retry-After (the page
  tries again later from its last id), so the rest of the worker's threads always serve pages;
- a browser opens one stream however many tabs it shows (web/static/live.js).
Between its reads (every LIVE_POLL_SECONDS) a stream holds no database connection. Events written by any process
(another worker, the scheduler) reach it through the live_events table (engine.live.events).
"""

import json
import random
import threading
import time

from flask import Blueprint, Flask, Response, current_app, request
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import InvalidInput
from engine.live import events
from engine.models import User

blueprint = Blueprint("live", __name__)
RETRY_MS = 2000  # how soon the browser reconnects after a stream ends
BUSY_RETRY = (5, 15)  # seconds a refused browser waits, at random so that they do not all come back at once
STREAM_ENDPOINTS = ("live.page_stream", "api.live_events")  # the views that answer with a stream


@blueprint.get("/live/events")
def page_stream():
    """The signed-in person's stream; anyone else gets 401 (an EventSource cannot follow a sign-in page)."""
    if not current_user.is_authenticated or current_user.must_change_password:
        return _plain(401, "Sign in to receive live notices.", "请登录后接收实时通知。")
    try:
        response = open_stream(current_user)
    except InvalidInput as err:
        return _plain(422, err.message, err.message_zh)
    if response is None:
        return busy(_plain(503, "Too many live streams on this server just now; the page tries again shortly.",
                            "此服务器当前实时连接过多，页面稍后会自动重试。"))
    return response


def stream_paths(app: Flask) -> set[str]:
    """The paths of the app's streams: a production worker serves them without a page turn (web/page_turns.py)."""
    return {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint in STREAM_ENDPOINTS}


def _plain(status: int, message: str, message_zh: str) -> Response:
    return Response(f"{message}\n{message_zh}\n", status, mimetype="text/plain")


def open_stream(user: User) -> Response | None:
    """The user's stream from the position the request asks for (Last-Event-ID, else ``?after=``, else now), or
    None when this worker serves LIVE_STREAMS already. A wrong position raises InvalidInput."""
    after = _asked_position()
    slots = _slots(current_app)
    if not slots.acquire(blocking=False):
        return None
    try:
        reader, start = events.Reader.of(user), after or events.horizon()
    except BaseException:
        slots.release()
        raise
    app, release = current_app._get_current_object(), _once(slots.release)
    response = Response(_messages(app, reader, start, release), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})  # nginx: pass it on at once
    response.call_on_close(release)  # also when the server closes a stream it never started to send
    return response


def _once(action):
    """``action`` made safe to call more than once, from any thread: it runs the first time only."""
    lock, done = threading.Lock(), []

    def run_once() -> None:
        with lock:
            if not done:
                done.append(True)
                action()
    return run_once


def busy(response: Response) -> Response:
    """A full worker's refusal, with a Retry-After."""
    response.headers["Retry-After"] = str(random.randint(*BUSY_RETRY))
    return response


def _asked_position() -> events.Position | None:
    if text := request.headers.get("Last-Event-ID", "").strip():
        return events.parse(text, "Last-Event-ID")
    if text := request.args.get("after", "").strip():
        return events.parse(text, "after")
    return None


def _slots(app: Flask) -> threading.BoundedSemaphore:
    """This worker's stream slots, made on first use from LIVE_STREAMS (set by the production server)."""
    return app.extensions.setdefault("keydesk_live_slots", threading.BoundedSemaphore(app.config["LIVE_STREAMS"]))


def _messages(app: Flask, reader: events.Reader, position: events.Position, release):
    """The stream's text: the reconnect delay, then each notice as it is read, and the position reached (an
    ``position`` event) whenever it moved without one, so a reconnect resumes past rows the reader may not see.
    Its slot is released as soon as it ends (``release``), or when the client goes away (the server closes it)."""
    try:
        yield from _read_on(app, reader, position)
    finally:
        release()


def _read_on(app: Flask, reader: events.Reader, position: events.Position):
    yield f"retry: {RETRY_MS}\n\n"
    yield _event("position", events.text_of(position), {})
    ends = time.monotonic() + app.config["LIVE_STREAM_SECONDS"]
    while True:
        try:
            with app.app_context():
                notices, reached = events.read(reader, position)
        except SQLAlchemyError:  # the database is away: end here, the browser comes back from the last id
            app.logger.warning("live stream of user %s ended: reading its events failed", reader.id, exc_info=True)
            return
        for notice in notices:
            yield _event(None, notice["id"], notice)
        if reached != position and (not notices or notices[-1]["id"] != events.text_of(reached)):
            yield _event("position", events.text_of(reached), {})
        position = reached
        if time.monotonic() >= ends:
            return
        time.sleep(app.config["LIVE_POLL_SECONDS"])


def _event(name: str | None, event_id: str, data: dict) -> str:
    head = f"event: {name}\n" if name else ""
    return f"{head}id: {event_id}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"

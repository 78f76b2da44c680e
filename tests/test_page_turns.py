"""A production worker's page requests take turns (web/page_turns.py): one waits for the one ahead, up to the
longest it may, then runs and is counted; live streams never wait; the production server puts the turns around
its app, with the streams' paths."""

import gc
import threading

import pytest
from flask import Flask
from prometheus_client import REGISTRY

from web import production
from web.page_turns import PageTurns

OVERRUNS = "keydesk_http_turn_overruns_total"
STREAM = "/api/v1/events"


class HeldApp:
    """A WSGI app whose requests to /slow wait until the test lets them go; it notes each request it begins."""

    def __init__(self):
        self.began: dict[str, threading.Event] = {}
        self.go_on = threading.Event()

    def __call__(self, environ, start_response):
        self.began.setdefault(environ["PATH_INFO"], threading.Event()).set()
        if environ["PATH_INFO"] == "/slow":
            assert self.go_on.wait(30), "the test never let the slow request go on"
        start_response("200 OK", [])
        return [b"done"]

    def began_with(self, path: str, within: float) -> bool:
        return self.began.setdefault(path, threading.Event()).wait(within)


def request(app, path: str) -> threading.Thread:
    """The request in a thread of its own, as a gunicorn worker thread would serve it."""
    thread = threading.Thread(target=app, args=({"PATH_INFO": path}, lambda *_: None), daemon=True)
    thread.start()
    return thread


@pytest.fixture
def held():
    app = HeldApp()
    yield app
    app.go_on.set()


def test_a_page_request_waits_for_the_one_ahead_to_end(held):
    overruns = []
    turns = PageTurns(held, 1, [STREAM], lambda: overruns.append(1), wait=30)
    first = request(turns, "/slow")
    assert held.began_with("/slow", 5)
    second = request(turns, "/api/v1/tasks")
    assert not held.began_with("/api/v1/tasks", 0.3)  # the turn is the slow request's
    held.go_on.set()
    assert held.began_with("/api/v1/tasks", 5)
    first.join(5)
    second.join(5)
    assert overruns == []


def test_two_turns_let_two_page_requests_run_at_once(held):
    turns = PageTurns(held, 2, [STREAM], lambda: None, wait=30)
    request(turns, "/slow")
    assert held.began_with("/slow", 5)
    request(turns, "/api/v1/tasks")
    assert held.began_with("/api/v1/tasks", 5)


def test_a_request_that_waited_the_longest_it_may_runs_beside_the_one_ahead_and_is_counted(held):
    overruns = []
    turns = PageTurns(held, 1, [STREAM], lambda: overruns.append(1), wait=0.05)
    request(turns, "/slow")
    assert held.began_with("/slow", 5)
    assert turns({"PATH_INFO": "/api/v1/tasks"}, lambda *_: None) == [b"done"]  # the slow one still holds the turn
    assert overruns == [1]
    held.go_on.set()
    assert turns({"PATH_INFO": "/api/v1/tasks"}, lambda *_: None) == [b"done"]  # a turn again: not counted
    assert overruns == [1]


def test_a_live_stream_never_waits_for_a_turn(held):
    overruns = []
    turns = PageTurns(held, 1, [STREAM], lambda: overruns.append(1), wait=30)
    request(turns, "/slow")
    assert held.began_with("/slow", 5)
    stream = request(turns, STREAM)
    stream.join(5)
    assert not stream.is_alive() and overruns == []


@pytest.fixture
def unfrozen():
    """A test that builds a production worker's app puts the test process's objects back under collection after."""
    yield
    gc.unfreeze()


def test_the_production_worker_serves_pages_in_turns_and_its_streams_without(app, api, unfrozen):
    served = production.Server(lambda: app, "127.0.0.1", 0, 1, 4, page_requests=1).load()
    turns = served.wsgi_app
    assert isinstance(turns, PageTurns) and turns.streams == {"/live/events", "/api/v1/events"}
    assert turns.at_once == 1
    three = production.Server(lambda: Flask(__name__), "127.0.0.1", 0, 1, 4, page_requests=3).load()
    assert three.wsgi_app.at_once == 3
    before = REGISTRY.get_sample_value(OVERRUNS) or 0
    turns.wait = 0
    assert turns.turns.acquire()  # another request holds the worker's one turn
    assert api("get", "/tasks", "agent").status_code == 200
    assert REGISTRY.get_sample_value(OVERRUNS) == before + 1
    turns.turns.release()
    assert api("get", "/tasks", "agent").status_code == 200
    assert REGISTRY.get_sample_value(OVERRUNS) == before + 1


def test_a_production_worker_leaves_what_it_built_at_start_out_of_the_collectors_passes(unfrozen):
    gc.unfreeze()
    production.Server(lambda: Flask(__name__), "127.0.0.1", 0, 1, 4, page_requests=1).load()
    assert gc.get_freeze_count() > 0


@pytest.mark.parametrize(("value", "at_once"), [(None, 1), ("", 1), ("1", 1), ("3", 3)])
def test_page_requests_at_once_come_from_the_environment(monkeypatch, value, at_once):
    if value is None:
        monkeypatch.delenv("KEYDESK_PAGE_REQUESTS", raising=False)
    else:
        monkeypatch.setenv("KEYDESK_PAGE_REQUESTS", value)
    assert production.page_requests_at_once() == at_once


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_wrong_number_of_page_requests_is_refused_naming_it(monkeypatch, value):
    monkeypatch.setenv("KEYDESK_PAGE_REQUESTS", value)
    with pytest.raises(ValueError, match="KEYDESK_PAGE_REQUESTS") as refused:
        production.page_requests_at_once()
    assert repr(value) in str(refused.value) and "整数" in str(refused.value)

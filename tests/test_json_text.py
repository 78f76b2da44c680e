"""JSON written by orjson (engine.json_text): the database's JSON columns and the app's answers read back as the
standard library wrote them, Flask's rules for dates kept, and what orjson refuses written all the same."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import orjson
import pytest
from sqlalchemy import select

from engine import audit, json_text, tickets
from engine.db import db
from engine.directory import users
from engine.models import TicketEvent

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                               indirect=True)
BEYOND_64_BITS = 2**70
ODD = {"name": "北京分公司 “专线”", "amount": BEYOND_64_BITS, "ratio": 0.1, 7: ["a", None, True], "nested": {"3": {}}}


def test_what_it_writes_reads_back_as_the_standard_library_wrote_it():
    assert json.loads(json_text.dumps(ODD)) == json.loads(json.dumps(ODD))


def test_it_writes_chinese_as_it_is_and_without_spaces():
    assert json_text.dumps({"name": "专线", "n": [1, 2]}) == '{"name":"专线","n":[1,2]}'


def test_sorted_keys_stay_sorted_where_the_standard_library_writes_the_text():
    assert json_text.dumps({"b": BEYOND_64_BITS, "a": 1}, options=orjson.OPT_SORT_KEYS) == \
        f'{{"a":1,"b":{BEYOND_64_BITS}}}'


def test_what_json_has_no_type_for_is_still_refused():
    with pytest.raises(TypeError):
        json_text.dumps({"amount": Decimal("1.5")})


@BOTH
def test_a_json_column_keeps_chinese_text_int_keys_and_integers_beyond_64_bits(app):
    agent = users.by_username("agent")
    ticket = tickets.start_ticket(agent, "red_fault", "Leased line down", 1,
                                  data={"service": "leased_line", "description": "端口故障"})
    audit.record(ticket, agent, "noted", odd=ODD)
    db.session.commit()
    db.session.expire_all()

    stored = db.session.scalars(select(TicketEvent.data).where(TicketEvent.kind == "noted")).one()
    assert stored == {"odd": json.loads(json.dumps(ODD))}


def test_answers_keep_flasks_rules_for_dates_and_write_any_integer(app):
    answer = json.loads(app.json.dumps({"at": datetime(2026, 12, 5, 8, 0, tzinfo=UTC), "day": date(2026, 12, 5),
                                        "n": BEYOND_64_BITS, "name": "专线"}))

    assert answer == {"at": "Sat, 05 Dec 2026 08:00:00 GMT", "day": "Sat, 05 Dec 2026 00:00:00 GMT",
                      "n": BEYOND_64_BITS, "name": "专线"}


def test_an_indented_answer_is_flasks_own(app):
    assert app.json.dumps({"b": 1, "a": [1]}, indent=2) == '{\n  "b": 1,\n  "a": [\n    1\n  ]\n}'


def test_an_api_answer_carries_chinese_text_as_utf8(api):
    started = api("post", "/tickets", "agent", json={"process": "red_fault", "title": "专线中断", "customer_id": 1,
                                                     "data": {"service": "leased_line", "description": "端口故障"}})
    answer = api("get", "/tasks", "agent")

    assert (started.status_code, answer.status_code) == (201, 200)
    assert "专线中断".encode() in answer.data and b"\\u" not in answer.data
    assert answer.get_json()["tasks"][0]["ticket"]["title"] == "专线中断"

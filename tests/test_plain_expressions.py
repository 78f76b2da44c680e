"""The plainest expressions are worked out in KeyDesk's process (engine.sandbox.plain_expressions) with the
evaluator's answers; anything else goes to the evaluator, as before."""

import pytest

from engine.sandbox import evaluator, plain_expressions, pool
from engine.sandbox.plain_expressions import UNSURE
from engine.sandbox.script_engine import SandboxEnvironment
from tests.test_step_statements import ACCEPT
from tests.web_data import open_task, red_ticket

MAX_CHARS = 1_000_000
DATA = {"fault_level": 1, "impact": "outage", "service": "leased_line", "attempts": 2, "ratio": 0.5,
        "answered": True, "nothing": None, "customer": {"name": "上海港务", "tier": "A"}, "signals": [1, 2, 3],
        "plan": {"due_on": "2026-12-31", "period": 3}, "name": "Gao"}
SAME = [
    "'tech'", "1", "-2.5", "None", "fault_level", "fault_level == 1", "fault_level != 1 and impact == 'outage'",
    "impact in ('outage', 'degraded')", "service not in ['idc']", "1 < attempts <= 2", "not answered",
    "nothing is None", "'urgent' if fault_level == 1 else 'high'", "'level-' + str(fault_level) + ' fault'",
    "attempts + 1", "attempts * ratio", "attempts - 3", "customer['name']", "plan[\"period\"] > 2", "len(signals)",
    "len(customer)", "f'{customer[\"name\"]} ({attempts} 次): {impact}'", "f'{ratio!s}'", "(impact) == (\"outage\")",
    "{'status': 'prospect'}", "{'credit_level': fault_level}", "('a', 1)", "['x', attempts]", "answered or 'no'",
    "nothing or fault_level", "fault_level and impact",
]
UNSURE_ONES = [
    "'a' * 1000000000",  # builds more than the data holds
    "f'{name:>1000000000}'",  # a format spec can too
    "2 ** 100000", "attempts % 2", "attempts / 0",
    "name.upper()", "customer.__class__", "open('/etc/passwd')", "__import__('os')", "(lambda: 1)()",
    "[s for s in signals]", "sum(signals)", "str(signals)", "signals + signals", "'a' < 1",
    "missing_name", "_secret", "customer['no such key']", "signals[attempts]", "datetime.now()",
    "f'{signals}'", "f'{name!r}'", "{**customer}", "x = 1", "",
]


def evaluator_answer(expression: str, data: dict):
    reply = SandboxEnvironment(send=lambda request, *_: evaluator.handle(request))._round_trip("eval", expression,
                                                                                                 data, {})
    return pool.read_reply_data(reply["result"])


@pytest.mark.parametrize("expression", SAME)
def test_a_plain_expression_has_the_evaluator_s_answer(expression):
    found = plain_expressions.value(expression, DATA, {}, MAX_CHARS)
    assert found is not UNSURE
    expected = evaluator_answer(expression, DATA)
    assert (found, type(found)) == (expected, type(expected))


@pytest.mark.parametrize("expression", UNSURE_ONES)
def test_anything_else_goes_to_the_evaluator(expression):
    assert plain_expressions.value(expression, {**DATA, "_secret": 1}, {}, MAX_CHARS) is UNSURE


def test_a_name_of_the_data_or_the_predefined_ones_is_not_taken_for_a_builtin():
    assert plain_expressions.value("len(signals)", {**DATA, "len": 7}, {}, MAX_CHARS) is UNSURE
    assert plain_expressions.value("str(fault_level)", DATA, {"str": print}, MAX_CHARS) is UNSURE
    assert plain_expressions.value("fault_level", DATA, {"fault_level": 9}, MAX_CHARS) == 1  # the data's, as there
    assert plain_expressions.value("dmninputexpr in ('idc',)", DATA, {"dmninputexpr": "idc"}, MAX_CHARS) is True


def test_a_fault_s_acceptance_evaluates_none_of_its_expressions_in_an_evaluator(api, monkeypatch):
    task_id = open_task(red_ticket()).id
    api("post", f"/tasks/{task_id}/claim", "agent")
    sent = []
    real = SandboxEnvironment._round_trip
    monkeypatch.setattr(SandboxEnvironment, "_round_trip",
                        lambda self, mode, *args: sent.append((mode, args[0])) or real(self, mode, *args))
    assert api("post", f"/tasks/{task_id}/complete", "agent", json={"data": ACCEPT}).status_code == 200
    assert [source for mode, source in sent if mode == "eval"] == []

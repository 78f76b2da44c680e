"""Message templates are bounded like diagram code: a runaway loop, a huge value or a huge output is refused
with its part and line before anything is saved, and never hangs or bloats the server that renders it."""

import pytest
from sqlalchemy import func, select

from engine.db import db
from engine.errors import InvalidInput
from engine.models import User
from engine.sandbox import pool, rules, wire
from notifications import templates
from notifications.template_defaults import DEFAULTS, SAMPLE
from notifications.templates import MessageTemplate

NESTED_LOOPS = "ok\n{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"


def admin() -> User:
    return db.session.scalar(select(User).where(User.username == "admin"))


@pytest.mark.parametrize(("body", "line", "says"), [
    (NESTED_LOOPS, 2, "the template loops too long"),
    ("{{ ('a' * 400000000) | length }}", 1, "'*' would build 400,000,000 items"),
    ("{{ 2 ** 10000000 }}", 1, "'**' would make a number of more than 10,000 bits"),
    ("x\n{% for i in range(5000) %}{{ 'y' * 100 }}{% endfor %}", 2, "the body would be longer than 100,000"),
])
def test_a_runaway_template_is_refused_at_save_with_its_part_and_line(app, body, line, says):
    with pytest.raises(InvalidInput) as caught:
        templates.save(admin(), "task_assigned", "en", "subject", body)

    [problem] = caught.value.details
    assert (problem["field"], problem["line"]) == ("body", line)
    assert says in problem["message"]
    assert db.session.scalar(select(func.count()).select_from(MessageTemplate)) == 0


def test_a_template_the_guards_miss_meets_the_memory_limit_of_its_process(app):
    with pytest.raises(InvalidInput, match="the subject template") as caught:
        templates.preview("task_assigned", "en", "{{ '%0999999999d' % 1 }}", "body")

    assert "memory limit exceeded" in caught.value.details[0]["message"]


def test_a_saved_template_that_runs_away_on_real_data_falls_back_to_the_default(app):
    runaway = "{% if data.n == 5 %}" + NESTED_LOOPS + "{% endif %}done"
    templates.save(admin(), "task_assigned", "en", "{{ ticket.number }} new task", runaway)

    subject, body = templates.render("task_assigned", "en", {**SAMPLE, "data": {"n": 5}})

    assert body.startswith(f"{SAMPLE['recipient']['name']},\n\n'{SAMPLE['task']['name']}'")
    assert DEFAULTS["task_assigned"]["en"][0].startswith("[{{ ticket.number }}]") and subject.startswith("[R-")


def requests_sent(monkeypatch, refuse_body: bool = False) -> list[list[str]]:
    """The parts of each request the pool gets (the real evaluator answers them); ``refuse_body``: a request with
    the body is stopped at the time limit, as a template the guards miss would be."""
    sent, real = [], pool.send

    def send(request, *limits):
        sent.append([part for part, _ in request["parts"]])
        if refuse_body and "body" in sent[-1]:
            raise wire.violation(f"{rules.TIME_LIMIT}: the evaluation ran longer than 2 s and was stopped", "超时")
        return real(request, *limits)

    monkeypatch.setattr(pool, "send", send)
    return sent


def test_a_message_is_one_evaluator_request_for_its_subject_and_body(app, monkeypatch):
    sent = requests_sent(monkeypatch)

    subject, body = templates.render("task_assigned", "en", SAMPLE)

    assert sent == [["subject", "body"]]
    assert SAMPLE["ticket"]["number"] in subject and f"'{SAMPLE['task']['name']}'" in body


def test_a_part_cannot_change_what_the_next_part_of_its_message_sees(app):
    rendered = templates.preview("task_assigned", "en", "{{ data.update({'cause': 'changed'}) }} subject",
                                 "{{ data.cause }}")

    assert rendered["body"] == SAMPLE["data"]["cause"]


def test_a_message_stopped_at_the_time_limit_is_rendered_part_by_part_to_name_the_part(app, monkeypatch):
    sent = requests_sent(monkeypatch, refuse_body=True)

    with pytest.raises(InvalidInput) as caught:
        templates.preview("task_assigned", "en", "{{ ticket.number }} subject", "body")

    [problem] = caught.value.details
    assert (problem["field"], problem["line"]) == ("body", None) and rules.TIME_LIMIT in problem["message"]
    assert sent == [["subject", "body"], ["subject"], ["body"]]

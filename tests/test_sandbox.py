"""The sandbox that runs diagram code: escapes are refused, work is bounded, ordinary code works."""

import re
from datetime import datetime
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.sandbox import rules
from engine.sandbox.rules import Problem, SandboxViolation, check
from engine.sandbox.script_engine import SandboxEnvironment, make_script_engine

# (code, what the refusal must name)
ESCAPES = [
    ("import os", "imports are not allowed"),
    ("from os import path", "imports are not allowed"),
    ("__import__('os')", "'__import__' is not allowed"),
    ("open('/etc/passwd')", "'open' is not available"),
    ("().__class__.__bases__[0].__subclasses__()", "'.__subclasses__' is not allowed"),
    ("[c for c in ().__class__.__mro__]", "'.__mro__' is not allowed"),
    ("getattr(x, '__class__')", "'getattr' is not available"),
    ("eval('1')", "eval calls are not allowed"),
    ("exec('x=1')", "exec calls are not allowed"),
    ("'{0.__class__}'.format(1)", "'.format' is not allowed"),
    ("lambda: 1", "lambda is not allowed"),
    ("while True: pass", "while loops are not allowed"),
    ("globals()", "'globals' is not available"),
    ("__builtins__", "'__builtins__' is not allowed"),
]
EXPRESSIONS = [code for code, _ in ESCAPES if not code.startswith(("import", "from", "while"))]


@pytest.mark.parametrize(("code", "reason"), ESCAPES)
def test_check_refuses_escape_at_its_line(code, reason):
    problems = check(f"total = 1\n{code}\ndone = True", "exec")

    assert len(problems) == 1
    assert problems[0].line == 2
    assert problems[0].message.startswith(reason)
    assert problems[0].message.endswith(f": '{code}'")


@pytest.mark.parametrize(("code", "reason"), ESCAPES)
def test_execute_stops_escape_and_leaves_task_data_alone(code, reason):
    data = {"x": 1}

    with pytest.raises(SandboxViolation, match=f"^line 1: {re.escape(reason)}") as raised:
        SandboxEnvironment().execute(code, data)

    assert raised.value.problem.line == 1
    assert data == {"x": 1}


@pytest.mark.parametrize("code", EXPRESSIONS)
def test_evaluate_stops_escape(code):
    with pytest.raises(SandboxViolation, match="^line 1: "):
        SandboxEnvironment().evaluate(code, {"x": 1})


def test_problems_quote_their_lines():
    assert check("import os\nok = 1\nsecret = open('/etc/passwd')", "exec") == [
        Problem(1, "imports are not allowed: 'import os'"),
        Problem(3, "'open' is not available in diagram code: 'secret = open('/etc/passwd')'"),
    ]


@pytest.mark.parametrize(("code", "reason"), [
    ("try:\n    x = 1\nexcept Exception:\n    pass", "try/except is not allowed"),
    ("raise ValueError('no')", "raise is not allowed"),
    ("with x:\n    pass", "with blocks are not allowed"),
    ("def f():\n    return 1", "function definitions are not allowed"),
    ("class C:\n    pass", "class definitions are not allowed"),
    ("global x", "global and nonlocal are not allowed"),
    ("x.attr = 1", "setting or deleting attributes is not allowed"),
    ("print(x)", "'print' is not available"),
    ("y = f'{x:>100000000}'", "f-string widths and precisions must be below 10000"),
    ("y = f'{x:>{x}}'", "f-string format specs must be written out"),
])
def test_check_refuses_other_constructs(code, reason):
    problems = check(code, "exec")

    assert [problem.line for problem in problems] == [1]
    assert problems[0].message.startswith(reason)


@pytest.mark.parametrize(("source", "mode", "line"), [
    ("x = 1\nif x\n    y = 2", "exec", 2),
    ("x ==", "eval", 1),
    ("x = 1", "eval", 1),
    ("a\x00b", "eval", None),
    ("(" * 300 + ")" * 300, "eval", 1),
    ("-" * 100_000 + "1", "eval", None),
    (None, "eval", None),
])
def test_check_reports_unreadable_code_instead_of_raising(source, mode, line):
    problems = check(source, mode)

    assert len(problems) == 1
    assert problems[0].line == line
    assert problems[0].message


def test_check_accepts_ordinary_code():
    assert check("fault_level == 1 and customer_tier in ('A+', 'A')", "eval") == []
    assert check("for k, v in d.items():\n    total = total + v\nnames = [n.upper() for n in names]",
                 "exec") == []


def test_compiled_code_is_cached():
    before = rules._compile.cache_info().hits

    for level in (1, 2, 3):
        rules.run("fault_level == 1", "eval", {"fault_level": level}, max_steps=10, max_seconds=1)

    assert rules._compile.cache_info().hits >= before + 2


# --- limits ---

@pytest.mark.parametrize(("code", "reason"), [
    ("for i in range(10**9): pass", "range() is limited to 100,000 numbers"),
    ("x = [1] * 10**10", "size limit exceeded"),
    ("x = 'a' * 10**10", "size limit exceeded"),
    ("x = 2 ** 10**10", "'**' would make a number of more than 10,000 bits"),
    ("x = 1 << 10**10", "'<<' would make a number of more than 10,000 bits"),
    ("x = [[i * j for j in range(1000)] for i in range(1000)]", "step limit exceeded"),
    ("s = 'ab'\nfor i in range(100):\n    s = s + s", "size limit exceeded"),
    ("a = [1]\nfor i in range(100):\n    a += a", "size limit exceeded"),
    ("a = [1]\nfor i in range(100):\n    a.extend(a)", "size limit exceeded"),
    ("x = 'x'.ljust(10**10)", "size limit exceeded"),
    ("x = ', '.join(['x' * 1000] * 10**5)", "size limit exceeded"),
    ("s = 'a' * 10**6\nx = s.replace('a', s)", "size limit exceeded"),
    ("x = '%10000000000d' % 1", "'%' formatting of text is not allowed"),
    ("x = round(5, -10**9)", "round() is limited"),
    ("x = sum([[1]] * 1000, [])", "sum() adds numbers or timedeltas only"),
])
def test_resource_limits_stop_runaway_code(code, reason):
    with pytest.raises(SandboxViolation, match=re.escape(reason)):
        SandboxEnvironment().execute(code, {})


def test_violation_names_the_running_line():
    script = "x = 1\nfor i in range(5):\n    y = [j for j in range(5)]"

    with pytest.raises(SandboxViolation) as raised:
        SandboxEnvironment(max_steps=10).execute(script, {})

    assert raised.value.problem == Problem(3, "step limit exceeded: more than 10 loop iterations")
    assert str(raised.value) == "line 3: step limit exceeded: more than 10 loop iterations"


def test_deadline_stops_slow_loops():
    env = SandboxEnvironment(max_steps=10**6, max_seconds=0.05)
    data = {"values": list(range(50_000, 0, -1))}

    with pytest.raises(SandboxViolation, match="time limit exceeded"):
        env.execute("for i in range(10**6):\n    ordered = sorted(values)", data)


@pytest.mark.parametrize(("code", "reason"), [
    ("x = [[0] * 10**5] * 10**5", "size limit exceeded: more than 1,000,000 characters of task data written out, "
                                  "at 'x'"),
    ("x = [1]\nx.append(x)", "'x' contains itself"),
    ("total = 3\npairs = zip(a, a)", "'pairs' holds a zip value, which task data cannot keep"),
    ("day = date(2025, 1, 1)", "'day' holds a date value, which task data cannot keep"),
    ("counts = {(1, 2): 3}", "'counts' has a dict key of type tuple"),
])
def test_values_task_data_could_not_save_are_refused(code, reason):
    data = {"a": [1, 2]}

    with pytest.raises(SandboxViolation, match=re.escape(reason)):
        SandboxEnvironment().execute(code, data)

    assert data == {"a": [1, 2]}


def test_expression_results_are_bounded_in_size():
    with pytest.raises(SandboxViolation, match="size limit exceeded: .* at the result"):
        SandboxEnvironment().evaluate("[[0] * 10**5] * 10**5", {})


def test_attributes_are_read_on_plain_data_only():
    with pytest.raises(SandboxViolation, match="attributes are read on plain data only, not on range"):
        SandboxEnvironment().evaluate("range(3).start", {})


def test_items_are_changed_in_lists_and_dicts_only():
    with pytest.raises(SandboxViolation, match="items of tuple values cannot be changed"):
        SandboxEnvironment().execute("t = (1, 2)\nt[0] = 3", {})


# --- ordinary code ---

@pytest.mark.parametrize(("data", "expected"), [
    ({"fault_level": 1, "customer_tier": "A+"}, True),
    ({"fault_level": 1, "customer_tier": "B"}, False),
    ({"fault_level": 2, "customer_tier": "A"}, False),
])
def test_gateway_condition(data, expected):
    condition = "fault_level == 1 and customer_tier in ('A+', 'A')"

    assert SandboxEnvironment().evaluate(condition, data) is expected


def test_script_sets_plain_variables_and_nothing_else():
    items = [{"name": "router", "weight": 3}, {"name": "fibre", "weight": 1}]
    data = {"customer_tier": "A", "items": items, "scratch": 1}
    script = """
score = 0
for item in items:
    score += item['weight'] * 2
level, note = ('high', 'check') if score > 6 else ('low', '')
heavy = [i['name'].upper() for i in items if i['weight'] > 1]
weights = {i['name']: i['weight'] for i in items}
items.append({'name': 'extra', 'weight': 0})
summary = f"{len(heavy)} heavy: {', '.join(heavy)}"
hours = {'A+': 4, 'A': 8}.get(customer_tier, 24)
measure = len
del scratch
"""

    assert SandboxEnvironment().execute(script, data) is True

    assert data == {
        "customer_tier": "A",
        "items": [*items, {"name": "extra", "weight": 0}],
        "score": 8,
        "item": {"name": "fibre", "weight": 1},  # a loop variable stays set, as in Python
        "level": "high",
        "note": "check",
        "heavy": ["ROUTER"],
        "weights": {"router": 3, "fibre": 1},
        "summary": "1 heavy: ROUTER",
        "hours": 8,
    }
    assert data["items"][-1] == {"name": "extra", "weight": 0}


def test_string_and_dict_methods():
    data = {"name": "  chen wei ", "fields": {"phone": "13800138000"}}

    assert SandboxEnvironment().evaluate(
        "name.strip().title() + ' ' + fields.get('phone', '?')[-4:].zfill(6)", data) == "Chen Wei 008000"


def test_date_arithmetic():
    data = {"opened": datetime(2025, 1, 15, 9, 0)}
    script = """
due = opened + timedelta(hours=4)
hours = (due - opened).total_seconds() / 3600
day = due.weekday()
label = f"{due:%Y-%m-%d %H:%M}"
parsed = datetime.strptime('2025-01-16', '%Y-%m-%d')
"""

    SandboxEnvironment().execute(script, data)

    assert data["due"] == datetime(2025, 1, 15, 13, 0)
    assert data["hours"] == 4
    assert data["day"] == 2
    assert data["label"] == "2025-01-15 13:00"
    assert data["parsed"] == datetime(2025, 1, 16)
    assert SandboxEnvironment().evaluate("date.today() - timedelta(days=1) < date(2999, 1, 1)", {})


def test_in_place_changes_come_back_into_the_task_data():
    data = {"items": [1, 2], "other": {"kept": True}}

    SandboxEnvironment().execute("items += [3]\nitems[0] = 0", data)

    assert data == {"items": [0, 2, 3], "other": {"kept": True}}


def test_a_new_variable_set_to_none_is_kept():
    data = {"kept": None}

    SandboxEnvironment().execute("decision = None\nkept = None", data)

    assert data == {"kept": None, "decision": None}


def test_underscore_task_data_cannot_shadow_the_guards():
    data = {"_getiter_": "not a function", "items": [1, 2, 3]}

    assert SandboxEnvironment().evaluate("sum(i for i in items)", data) == 6
    SandboxEnvironment().execute("n = len(items)", data)
    assert data == {"_getiter_": "not a function", "items": [1, 2, 3], "n": 3}


def test_task_data_hiding_a_predefined_name_is_refused():
    with pytest.raises(ValueError, match="dmninputexpr"):
        SandboxEnvironment().execute("x = 1", {"dmninputexpr": 2}, {"dmninputexpr": 1})


def test_service_tasks_are_not_run_by_the_sandbox():
    with pytest.raises(SandboxViolation, match="service tasks are dispatched by KeyDesk"):
        SandboxEnvironment().call_service({}, operation_name="send_sms")


# --- end to end with SpiffWorkflow ---

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
                  targetNamespace="http://keydesk.test">
  <bpmn:process id="triage" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="score"/>
    <bpmn:scriptTask id="score">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="score" targetRef="route"/>
    <bpmn:exclusiveGateway id="route" default="to_normal">
      <bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>to_urgent</bpmn:outgoing><bpmn:outgoing>to_normal</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="to_urgent" sourceRef="route" targetRef="urgent">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_normal" sourceRef="route" targetRef="normal"/>
    <bpmn:endEvent id="urgent"><bpmn:incoming>to_urgent</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="normal"><bpmn:incoming>to_normal</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def start(script, condition="priority == 'urgent'", **data):
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(PROCESS.format(script=escape(script), condition=escape(condition)).encode())
    workflow = BpmnWorkflow(parser.get_spec("triage"), script_engine=make_script_engine())
    workflow.get_tasks(state=TaskState.READY)[0].data.update(data)
    return workflow


def completed(workflow):
    return {task.task_spec.bpmn_id for task in workflow.get_tasks(state=TaskState.COMPLETED)} - {None}


@pytest.mark.parametrize(("fault_level", "priority"), [(1, "urgent"), (2, "normal")])
def test_workflow_runs_benign_script_and_gateway(fault_level, priority):
    workflow = start("priority = 'urgent' if fault_level == 1 else 'normal'", fault_level=fault_level)

    workflow.do_engine_steps()

    assert workflow.is_completed()
    assert completed(workflow) == {"start", "score", "route", priority}  # end events named by priority
    assert workflow.last_task.data == {"fault_level": fault_level, "priority": priority}


def test_workflow_stops_at_malicious_script():
    workflow = start("import os\npriority = os.getcwd()")

    with pytest.raises(WorkflowTaskException, match="imports are not allowed: 'import os'"):
        workflow.do_engine_steps()

    assert not workflow.is_completed()
    assert "priority" not in workflow.get_tasks(spec_name="score")[0].data


def test_workflow_stops_at_malicious_condition():
    workflow = start("priority = 'urgent'", condition="open('/etc/passwd').read()")

    with pytest.raises(WorkflowTaskException, match="'open' is not available in diagram code"):
        workflow.do_engine_steps()


def test_workflow_reports_runtime_limit_with_its_line():
    workflow = start("priority = 'normal'\nfor i in range(10**9):\n    pass")

    with pytest.raises(WorkflowTaskException, match=re.escape("range() is limited")) as raised:
        workflow.do_engine_steps()

    assert raised.value.line_number == 2


def test_workflow_reports_an_ordinary_error_of_the_evaluator_with_its_line():
    workflow = start("priority = 'normal'\ncount = missing + 1")

    with pytest.raises(WorkflowTaskException, match="NameError: name 'missing' is not defined") as raised:
        workflow.do_engine_steps()

    assert (raised.value.line_number, raised.value.error_line) == (2, "count = missing + 1")


def test_script_engine_refuses_service_calls_with_the_reason():
    workflow = start("priority = 'normal'")
    task = workflow.get_tasks(state=TaskState.READY)[0]

    with pytest.raises(WorkflowTaskException, match="service tasks are dispatched by KeyDesk"):
        make_script_engine().call_service(task, operation_name="send_sms", operation_params={})

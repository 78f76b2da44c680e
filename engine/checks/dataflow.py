"""Where each variable a diagram reads comes from: a form field, a decision table's output, a script, a service
task's result, a multi-instance item or a called process.

A condition that reads a variable nothing writes fails only when a ticket gets there, sometimes weeks later; here
it is refused at deploy, on the element that reads it, with the nearest written name as a hint. "Written" means
written anywhere in the process, in its subprocesses or in the processes it calls, not necessarily on every path
before the read: a path analysis would refuse loops that fill a value on their first turn.
The engine puts nothing else in task data: a ticket starts with its start form's values only.
"""

import ast
import difflib
from collections.abc import Iterable

from lxml import etree

from engine.diagrams import NS, Problem, executable_processes, problem, process_properties, quote_bare_timers
from engine.sandbox import rules as sandbox_rules

COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
CONSTANT_NAMES = frozenset({"True", "False", "None"})
FIELD_PARTS = ("allOf", "anyOf", "oneOf", "then", "else")

# (path from the element that holds the code, how it is parsed)
EXPRESSIONS = (
    ("bpmn:conditionExpression", "eval"),
    ("bpmn:timerEventDefinition/*", "eval"),
    ("bpmn:multiInstanceLoopCharacteristics/bpmn:loopCardinality", "eval"),
    ("bpmn:multiInstanceLoopCharacteristics/bpmn:completionCondition", "eval"),
    ("bpmn:script", "exec"),
    ("bpmn:extensionElements/spiffworkflow:preScript", "exec"),
    ("bpmn:extensionElements/spiffworkflow:postScript", "exec"),
)
PARAMETERS = "bpmn:extensionElements/spiffworkflow:serviceTaskOperator/spiffworkflow:parameters/spiffworkflow:parameter"


def names_used(source: str, mode: str) -> tuple[set[str], set[str]]:
    """The names a Python snippet reads and those it assigns, leaving out names bound inside comprehensions and
    lambdas and the functions the sandbox provides. A snippet that does not parse reads nothing here (the sandbox
    check reports it)."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError:
        return set(), set()
    reads, writes = set(), set()
    _visit(tree, frozenset(), reads, writes)
    return reads - sandbox_rules.BUILTIN_NAMES - CONSTANT_NAMES, writes


def _visit(node: ast.AST, bound: frozenset, reads: set, writes: set) -> None:
    if isinstance(node, COMPREHENSIONS):
        first, *others = node.generators
        _visit(first.iter, bound, reads, writes)  # the outermost iterable is evaluated outside the comprehension
        inner = bound | {n.id for gen in node.generators for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
        results = [c for c in ast.iter_child_nodes(node) if not isinstance(c, ast.comprehension)]
        for part in [*first.ifs, *others, *results]:
            _visit(part, inner, reads, writes)
        return
    if isinstance(node, ast.Lambda):
        _visit(node.body, bound | {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}, reads, writes)
        return
    if isinstance(node, ast.Name) and node.id not in bound:
        (reads if isinstance(node.ctx, ast.Load) else writes).add(node.id)
    for child in ast.iter_child_nodes(node):
        _visit(child, bound, reads, writes)


def keys_read(source: str, mode: str) -> set[tuple[str, str]]:
    """The ``variable["key"]`` look-ups of a snippet with a literal key: what it expects a service result to hold."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError:
        return set()
    return {(node.value.id, node.slice.value) for node in ast.walk(tree)
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
            and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)}


def problems(root: etree._Element, tables: Iterable[etree._Element], forms: dict[str, dict],
             called: Iterable[etree._Element] = (), outputs: dict[str, list[str]] | None = None) -> list[Problem]:
    """Each variable read in an executable process that nothing in it (or in what it calls) writes, and each key
    read from a service task's result that its operation does not declare. ``called``: the diagrams and decision
    tables of the deployed processes it calls; ``outputs``: the keys each service operation returns."""
    called = list(called)
    quote_bare_timers(root)
    decisions = _decisions([*tables, *called])
    processes = {p.get("id"): p for tree in (*called, root) for p in tree.iterfind(".//bpmn:process", NS)}
    found = []
    for process in executable_processes(root):
        written = _written(process, processes, decisions, forms, set())
        results = _service_results(process, outputs or {}, _written(process, processes, decisions, forms, set(),
                                                                      with_services=False))
        for element, node, source, mode in _snippets(process, decisions):
            reads, writes = names_used(source, mode)
            found += [_unwritten(element, node, name, written) for name in sorted(reads - writes - written)]
            found += [_undeclared(element, node, name, key, results[name])
                      for name, key in sorted(keys_read(source, mode)) if key not in results.get(name, {key})]
    return found


def _unwritten(element, node, name: str, written: set[str]) -> Problem:
    close = difflib.get_close_matches(name, sorted(written), n=1)
    code = "unwritten_close" if close else "unwritten"
    return problem(code, element.get("id"), node.sourceline, name=name, close=close[0] if close else "")


def _undeclared(element, node, name: str, key: str, declared: set[str]) -> Problem:
    close = difflib.get_close_matches(key, sorted(declared), n=1)
    return problem("undeclared_output", element.get("id"), node.sourceline, name=name, key=key,
                   keys=", ".join(sorted(declared)), close=f"`{close[0]}`" if close else "-")


def _service_results(process, outputs: dict[str, list[str]], otherwise_written: set[str]) -> dict[str, set[str]]:
    """The result variables only service tasks write, with the keys their operations declare (a variable one
    undeclaring operation writes is left unchecked)."""
    results: dict[str, set[str] | None] = {}
    for operator in process.iterfind(".//spiffworkflow:serviceTaskOperator", NS):
        name, declared = operator.get("resultVariable"), outputs.get(operator.get("id"))
        if not name or name in otherwise_written:
            continue
        known = results.get(name, set())
        results[name] = None if declared is None or known is None else known | set(declared)
    return {name: keys for name, keys in results.items() if keys is not None}


def _decisions(tables: Iterable[etree._Element]) -> dict[str, tuple[list, list[str]]]:
    """For each decision id: its input expressions' text nodes and the variables its outputs write (``verdict.action``
    writes ``verdict``)."""
    found = {}
    for table in tables:
        for decision in table.iter("{*}decision"):
            inputs = [text for expression in decision.iter("{*}inputExpression") for text in expression.iter("{*}text")]
            outputs = [o.get("name").split(".")[0] for o in decision.iter("{*}output") if o.get("name")]
            found[decision.get("id")] = (inputs, outputs)
    return found


def _flow_elements(process) -> Iterable[etree._Element]:
    return (node for node in process.iter() if isinstance(node.tag, str) and node.get("id"))


def _snippets(process, decisions: dict) -> Iterable[tuple[etree._Element, etree._Element, str, str]]:
    """(element that reads, node to point at, code, parse mode) for every piece of code the process evaluates."""
    for element in _flow_elements(process):
        for path, mode in EXPRESSIONS:
            yield from ((element, node, _text(node), mode) for node in element.iterfind(path, NS))
        for node in element.iterfind("bpmn:multiInstanceLoopCharacteristics/bpmn:loopDataInputRef", NS):
            yield element, node, _text(node), "eval"
        for node in element.iterfind(PARAMETERS, NS):
            yield element, node, node.get("value", ""), "eval"
        for decision_id in _called_decisions(element):  # located on the task: the table's lines are another file's
            yield from ((element, element, _text(node), "eval") for node in decisions.get(decision_id, ([], []))[0])


def _written(process, processes: dict, decisions: dict, forms: dict, visiting: set[str],
             with_services: bool = True) -> set[str]:
    """Every variable the process writes, with what its call activities return (each called process once);
    without the service tasks' result variables if asked."""
    visiting.add(process.get("id"))
    written = set()
    for element in _flow_elements(process):
        form = process_properties(element).get("form")
        written |= form_fields(forms.get(form, {})) if form else set()
        for path, mode in EXPRESSIONS:
            if mode == "exec":
                for node in element.iterfind(path, NS):
                    written |= names_used((node.text or "").strip(), mode)[1]
        for decision_id in _called_decisions(element):
            written |= set(decisions.get(decision_id, ([], []))[1])
        for operator in element.iterfind("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS):
            written |= {operator.get("resultVariable")} - {None} if with_services else set()
        loop = element.find("bpmn:multiInstanceLoopCharacteristics", NS)
        if loop is not None:
            items = [*loop.iterfind("bpmn:inputDataItem", NS), *loop.iterfind("bpmn:outputDataItem", NS)]
            written |= {item.get("name") or item.get("id") for item in items}
            written |= {(ref.text or "").strip() for ref in loop.iterfind("bpmn:loopDataOutputRef", NS)}
        called = processes.get(element.get("calledElement"))
        if etree.QName(element).localname == "callActivity" and called is not None \
                and called.get("id") not in visiting:
            written |= _written(called, processes, decisions, forms, visiting, with_services)
    return written - {""}


def _called_decisions(element) -> list[str]:
    return [_text(node) for node in element.iterfind("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)]


def _text(node) -> str:
    return (node.text or "").strip()


def form_fields(schema: dict) -> set[str]:
    """The variables a form writes: its fields, including those declared in its conditional parts."""
    fields = set(schema.get("properties", {}))
    for part in FIELD_PARTS:
        for sub in _as_list(schema.get(part)):
            fields |= form_fields(sub) if isinstance(sub, dict) else set()
    return fields


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value] if value is not None else []

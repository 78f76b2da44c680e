"""Reading and checking BPMN/DMN diagrams before anything runs them.

``check`` returns every problem found, each located by element id and line, so that a supervisor
can fix a diagram in one go; ``build_parser`` turns a diagram that passed into SpiffWorkflow specs.
XML is parsed without DTDs, entities or network access: a diagram is untrusted input.
"""

import ast
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine import problem_text
from engine.models import CHANNELS, SEED_ROLES
from engine.notices import rules as notice_rules
from engine.promises import rules as promise_rules
from engine.sandbox import bounds, rules

MAX_BYTES = 5 * 1024 * 1024
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
    "dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/",
}
HUMAN_TASKS = ("userTask", "manualTask")
SLA_DURATIONS = ("sla.response", "sla.resolution")

_DURATION = r"P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+([.,]\d+)?S)?)?"
_DATETIME = r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
ISO_DURATION = re.compile(rf"^{_DURATION}$")
BARE_TIMER = re.compile(rf"^(R\d*/({_DATETIME}/)?{_DURATION}(/{_DATETIME})?|{_DURATION}|{_DATETIME})$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a diagram: where (element id, line, and the bundle's file), what (message) and what
    to do (hint), in English and Chinese; ``code`` names the kind of problem (see engine.problem_text)."""

    element_id: str | None
    message: str
    line: int | None
    hint: str = ""
    message_zh: str = ""
    hint_zh: str = ""
    code: str = ""
    file: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def problem(code: str, element_id: str | None, line: int | None, **values) -> Problem:
    """A problem of the given kind, worded in both languages from the values the check found."""
    return Problem(element_id=element_id, line=line, code=code, **problem_text.render(code, values))


class DiagramRejected(Exception):
    """The bytes are not a diagram KeyDesk will read (not UTF-8, too big, DTDs, broken XML)."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def read_xml(data: bytes | str, what: str = "diagram") -> etree._Element:
    """Parse untrusted XML: UTF-8 only, bounded size, no DOCTYPE (so no entity tricks), no network."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise DiagramRejected(problem("too_large", None, None, what=what, mb=MAX_BYTES // 1024 // 1024))
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DiagramRejected(problem("not_utf8", None, _line_at(raw, err.start), what=what, byte=err.start)) from err
    declaration = re.search(rb"<!DOCTYPE|<!ENTITY", raw[:65536], re.IGNORECASE)
    if declaration:
        raise DiagramRejected(problem("doctype", None, _line_at(raw, declaration.start()), what=what))
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=False
    )
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as err:
        raise DiagramRejected(problem("not_xml", None, err.lineno, what=what, detail=err.msg)) from err
    if root.getroottree().docinfo.doctype:
        raise DiagramRejected(problem("doctype", None, 1, what=what))
    return root


def _line_at(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def quote_bare_timers(root: etree._Element) -> None:
    """Modellers write ``PT10M``; SpiffWorkflow evaluates timer values as Python. Quote ISO literals."""
    for node in root.iterfind(".//bpmn:timerEventDefinition/*", NS):
        text = (node.text or "").strip()
        if BARE_TIMER.match(text):
            node.text = repr(text)


def build_parser(bpmn_xml: bytes | str, dmn_xmls: Iterable[bytes | str] = (),
                 called_xmls: Iterable[bytes | str] = ()) -> SpiffBpmnParser:
    """A SpiffWorkflow parser loaded with the diagram (timers normalised), its decision tables, and the
    deployed diagrams its call activities run (with their decision tables)."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    for dmn in dmn_xmls:
        parser.add_dmn_xml(read_xml(dmn, "decision table"))
    for xml in (*called_xmls, bpmn_xml):
        root = read_xml(xml)
        if _is_decision_table(root):
            parser.add_dmn_xml(root)
            continue
        quote_bare_timers(root)
        parser.add_bpmn_xml(root)
    return parser


def _is_decision_table(root: etree._Element) -> bool:
    return "/DMN/" in (etree.QName(root).namespace or "")


def flatten(called: dict[str, list[str]]) -> list[str]:
    """The called diagrams, each once, in the order they were found (a called one before its caller)."""
    return list(dict.fromkeys(xml for xmls in called.values() for xml in xmls))


def called_elsewhere(root: etree._Element) -> list[etree._Element]:
    """Call activities whose process is not in this diagram: they run a deployed process."""
    here = {p.get("id") for p in root.iterfind(".//bpmn:process", NS)}
    return [c for c in root.iterfind(".//bpmn:callActivity", NS) if c.get("calledElement") not in here]


def process_properties(node: etree._Element) -> dict[str, str]:
    """The spiffworkflow:property name/value pairs directly on an element (a process or a task)."""
    props = node.xpath("./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS)
    return {p.get("name"): p.get("value", "") for p in props}


def executable_processes(root: etree._Element) -> list[etree._Element]:
    return [p for p in root.iterfind(".//bpmn:process", NS) if p.get("isExecutable") == "true"]


def check(bpmn_xml: bytes | str, dmn_xmls: Iterable[bytes | str] = (), forms: dict | None = None,
          handlers: Iterable[str] = (), called: dict[str, list[str]] | None = None,
          roles: Iterable[str] = tuple(SEED_ROLES)) -> list[Problem]:
    """Every problem KeyDesk can find in a diagram without running it; an empty list means deployable.

    `called` maps the process ids KeyDesk has deployed to the diagrams (theirs and what they call);
    `roles` are the role keys a lane may name (the desk's active roles; a new database's by default).
    """
    dmn_xmls, called = list(dmn_xmls), called or {}
    try:
        root = read_xml(bpmn_xml)
        tables = [read_xml(dmn, "decision table") for dmn in dmn_xmls]
    except DiagramRejected as err:
        return [err.problem]
    problems = _schema_problems(root)
    if problems:
        return problems
    problems = _keydesk_problems(root, forms or {}, sorted(roles))
    problems += [problem for table in tables for problem in _decision_problems(table)]
    problems += _service_problems(root, set(handlers))
    missing = _call_problems(root, called)
    if missing:  # SpiffWorkflow cannot read a diagram whose called processes it lacks
        return problems + missing
    # what SpiffWorkflow says of an element already reported adds nothing; of a whole process, it may
    reported = {p.element_id for p in problems} - {p.get("id") for p in executable_processes(root)}
    spiff = _spiff_problems(bpmn_xml, dmn_xmls, root, flatten(called))
    problems += [p for p in spiff if p.element_id not in reported]
    return list(dict.fromkeys(problems))


def _schema_problems(root: etree._Element) -> list[Problem]:
    """All BPMN XSD violations at once (SpiffWorkflow's own check stops at the first)."""
    VALIDATOR.preprocess(root)
    schema = VALIDATOR.validator
    if schema.validate(root):
        return []
    problems = []
    for entry in schema.error_log:
        node = next((el for el in root.iter() if el.sourceline == entry.line), None)
        problems.append(problem("not_bpmn", _element_id(node), entry.line, detail=entry.message))
    return problems


def _spiff_problems(bpmn_xml, dmn_xmls, root, called_xmls) -> list[Problem]:
    """What SpiffWorkflow's parser refuses, for each executable process."""
    process = root  # where to point when SpiffWorkflow names no element
    try:
        parser = build_parser(bpmn_xml, dmn_xmls, called_xmls)
        for process in executable_processes(root):
            parser.get_spec(process.get("id"))
            parser.get_subprocess_specs(process.get("id"))
    except ValidationException as err:
        element = err.id or process.get("id")
        message = _spiff_message(err)
        line = err.line_number or _line_of(root, element) or process.sourceline
        return [problem(problem_text.engine_code(message), element, line, detail=message)]
    except DiagramRejected as err:
        return [err.problem]
    except Exception as err:  # SpiffWorkflow raises assorted errors on malformed input
        return [problem("unreadable", process.get("id"), process.sourceline, detail=str(err) or type(err).__name__)]
    return []


def _keydesk_problems(root: etree._Element, forms: dict, roles: list[str]) -> list[Problem]:
    processes = executable_processes(root)
    if not processes:
        return _not_executable(root)
    problems = []
    for process in processes:
        problems += _process_problems(process)
        problems += _lane_problems(process, roles)
        problems += _human_task_problems(process, forms)
        problems += _gateway_problems(process)
    problems += _code_problems(root)
    problems += _bound_problems(root)
    return problems


def _not_executable(root) -> list[Problem]:
    """Point at each process that is not marked executable, or at the diagram when it has none."""
    drawn = list(root.iterfind(".//bpmn:process", NS))
    if not drawn:
        return [problem("no_process", root.get("id"), root.sourceline)]
    return [problem("not_executable", p.get("id"), p.sourceline, process=p.get("name") or p.get("id"))
            for p in drawn]


def _process_problems(process) -> list[Problem]:
    props = process_properties(process)
    problems = []
    if props.get("channel") not in CHANNELS:
        problems.append(problem("channel", process.get("id"), process.sourceline, channels=", ".join(CHANNELS),
                                found=repr(props.get("channel"))))
    element_ids = {node.get("id") for node in process.iter() if node.get("id")}
    for name, value in promise_rules.malformed(props, element_ids):
        problems.append(problem("promise", process.get("id"), process.sourceline, name=name, value=repr(value)))
    for word in notice_rules.unknown(props):
        problems.append(problem("customer_notices", process.get("id"), process.sourceline, value=repr(word),
                                moments=", ".join(notice_rules.MOMENTS)))
    return problems


def _lane_problems(process, roles: list[str]) -> list[Problem]:
    problems = []
    for lane in process.iterfind(".//bpmn:lane", NS):
        if lane.get("name") not in roles:
            problems.append(problem("lane_role", lane.get("id"), lane.sourceline, lane=repr(lane.get("name")),
                                    roles=", ".join(roles)))
    return problems


def lane_names(bpmn_xml: bytes | str) -> set[str]:
    """The names of every lane of a (deployed) diagram."""
    return {lane.get("name") for lane in read_xml(bpmn_xml).iterfind(".//bpmn:lane", NS)}


def lane_of(process, node) -> str | None:
    """The lane holding the element, or the subprocess around it (lanes list only top-level elements)."""
    while node is not None and node is not process:
        refs = process.xpath(".//bpmn:lane[bpmn:flowNodeRef=$id]", namespaces=NS, id=node.get("id"))
        if refs:
            return refs[-1].get("name")
        node = node.getparent()
    return None


def _human_task_problems(process, forms: dict) -> list[Problem]:
    problems = []
    human_ids = {t.get("id") for tag in HUMAN_TASKS for t in process.iterfind(f".//bpmn:{tag}", NS)}
    for tag in HUMAN_TASKS:
        for task in process.iterfind(f".//bpmn:{tag}", NS):
            tid, line = task.get("id"), task.sourceline
            if lane_of(process, task) is None:
                problems.append(problem("task_no_lane", tid, line))
            props = process_properties(task)
            if "form" in props and props["form"] not in forms:
                problems.append(problem("unknown_form", tid, line, form=repr(props["form"]),
                                        forms=", ".join(sorted(forms)) or "-"))
            if "assignee" in props and props["assignee"] not in {"creator", "account_manager", *human_ids}:
                problems.append(problem("task_assignee", tid, line, value=repr(props["assignee"])))
            for name in SLA_DURATIONS:
                if name in props and not ISO_DURATION.match(props[name]):
                    problems.append(problem("sla_duration", tid, line, name=name, value=repr(props[name])))
                elif name in props and (refusal := bounds.duration_problem(props[name])):
                    problems.append(problem("sla_duration_bound", tid, line, name=name, detail=refusal[0],
                                            detail_zh=refusal[1]))
    return problems


def _gateway_problems(process) -> list[Problem]:
    problems = []
    for tag in ("exclusiveGateway", "inclusiveGateway"):
        for gateway in process.iterfind(f".//bpmn:{tag}", NS):
            flows = process.xpath(".//bpmn:sequenceFlow[@sourceRef=$id]", namespaces=NS, id=gateway.get("id"))
            if len(flows) < 2:
                continue
            for flow in flows:
                has_condition = flow.find("bpmn:conditionExpression", NS) is not None
                if not has_condition and flow.get("id") != gateway.get("default"):
                    problems.append(problem("gateway_condition", flow.get("id"), flow.sourceline,
                                            kind="exclusive" if tag == "exclusiveGateway" else "inclusive",
                                            gateway=gateway.get("name") or gateway.get("id")))
    return problems


CODE_PATHS = (
    (".//bpmn:conditionExpression", "eval"),
    (".//bpmn:script", "exec"),
    (".//spiffworkflow:preScript", "exec"),
    (".//spiffworkflow:postScript", "exec"),
    (".//bpmn:timerEventDefinition/*", "eval"),
    (".//bpmn:loopCardinality", "eval"),
    (".//bpmn:completionCondition", "eval"),
)


def _code_problems(root) -> list[Problem]:
    """Every snippet SpiffWorkflow will evaluate, checked against the sandbox's rules."""
    quote_bare_timers(root)
    problems = []
    for path, mode in CODE_PATHS:
        for node in root.iterfind(path, NS):
            source = (node.text or "").strip()
            if not source:
                continue
            code, values = problem_text.code_kind(source)
            for found in rules.check(source, mode):
                line = node.sourceline + (found.line or 1) - 1 if node.sourceline else None
                problems.append(problem(code, _element_id(node), line, detail=found.message, **values))
    return problems


def _bound_problems(root) -> list[Problem]:
    """Multi-instance counts and timer values written as literals, against `engine.sandbox.bounds`
    (a computed one is checked when it is evaluated)."""
    problems = []
    for path, code, check in ((".//bpmn:loopCardinality", "cardinality_bound", bounds.cardinality_problem),
                              (".//bpmn:timerEventDefinition/*", "timer_bound", bounds.timer_problem)):
        for node in root.iterfind(path, NS):
            try:
                value = ast.literal_eval((node.text or "").strip())
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue  # not a literal: computed when the workflow runs
            if refusal := check(value):
                problems.append(problem(code, _element_id(node), node.sourceline, detail=refusal[0],
                                        detail_zh=refusal[1], limit=f"{bounds.MAX_CARDINALITY:,}"))
    return problems


def _call_problems(root, called: dict[str, list[str]]) -> list[Problem]:
    return [problem("call_missing", c.get("id"), c.sourceline, called=repr(c.get("calledElement")))
            if c.get("calledElement") else problem("call_unnamed", c.get("id"), c.sourceline)
            for c in called_elsewhere(root) if c.get("calledElement") not in called]


def _service_problems(root, handlers: set[str]) -> list[Problem]:
    """A service task must name a KeyDesk handler; its parameters are expressions for the sandbox."""
    problems = []
    for operator in root.iterfind(".//spiffworkflow:serviceTaskOperator", NS):
        element, line = _element_id(operator.getparent()), operator.sourceline  # the service task, not the operator
        if operator.get("id") not in handlers:
            problems.append(problem("service_unknown", element, line, operation=repr(operator.get("id")),
                                    handlers=", ".join(sorted(handlers)) or "-"))
        for parameter in operator.iterfind(".//spiffworkflow:parameter", NS):
            problems += [problem("service_parameter", element, parameter.sourceline,
                                 parameter=repr(parameter.get("id")), detail=found.message)
                         for found in rules.check(parameter.get("value", ""), "eval")]
    return problems


def _decision_problems(table) -> list[Problem]:
    """DMN cells are Python to SpiffWorkflow too: input and output expressions, and each rule's tests."""
    problems = []
    for node in table.iter():
        if not isinstance(node.tag, str) or not (node.text or "").strip() or etree.QName(node).localname != "text":
            continue
        kind, source = etree.QName(node.getparent()).localname, node.text.strip()
        if kind == "inputEntry":
            if source == "-":
                continue
            source = _as_dmn_test(source.replace("?", "dmninputexpr"))
        problems += [problem("decision_code", _element_id(node), node.sourceline, detail=found.message)
                     for found in rules.check(source, "eval")]
    return problems


def _as_dmn_test(entry: str) -> str:
    """The expression SpiffWorkflow's DMN engine evaluates for an input entry: `x > 5` or `x == ("A+")`."""
    if "dmninputexpr" in entry:
        return entry
    try:
        ast.parse(f"dmninputexpr {entry}", mode="eval")
        return f"dmninputexpr {entry}"
    except SyntaxError:
        return f"dmninputexpr == ({entry})"


def _element_id(node) -> str | None:
    """The id of the node or of its nearest ancestor that has one."""
    while node is not None:
        if node.get("id"):
            return node.get("id")
        node = node.getparent()
    return None


def _line_of(root, element_id: str | None) -> int | None:
    found = root.xpath("//*[@id=$id]", id=element_id) if element_id else []
    return found[0].sourceline if found else None


def _spiff_message(err: ValidationException) -> str:
    notes = "; ".join(getattr(err, "notes", []) or [])
    return f"{err.args[0]}{' (' + notes + ')' if notes else ''}"

"""The shape of each process: every element reachable from a start event, every path able to reach an end.

A diagram can be valid BPMN and still strand a ticket: a deleted task leaves the step before it with nowhere to
go, and the ticket closes (or hangs) without the steps after it. The walks here are breadth-first over dicts, so
the check takes time in proportion to the diagram's size; ``MAX_ELEMENTS`` bounds that size.
"""

from collections import defaultdict, deque

from lxml import etree

from engine.diagrams import NS, Problem, executable_processes, problem

MAX_ELEMENTS = 2000
MAX_NAME = 255
BPMN = NS["bpmn"]
CONTAINERS = ("process", "subProcess", "transaction", "adHocSubProcess")
GATEWAYS = ("exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway")
ACTIVITIES = ("task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask",
              "receiveTask", "callActivity", *CONTAINERS[1:])
MUST_GO_ON = (*ACTIVITIES, *GATEWAYS, "intermediateCatchEvent", "intermediateThrowEvent")
FLOW_NODES = (*MUST_GO_ON, "startEvent", "endEvent", "boundaryEvent")


def too_big(root: etree._Element) -> list[Problem]:
    """A diagram with more elements than KeyDesk checks and runs, on its first process: nothing else is checked."""
    count = sum(1 for node in root.iter() if isinstance(node.tag, str) and node.get("id"))
    if count <= MAX_ELEMENTS:
        return []
    first = next(iter(executable_processes(root)), root)
    return [problem("too_many_elements", first.get("id"), first.sourceline, count=count, limit=MAX_ELEMENTS)]


def name_problems(root: etree._Element) -> list[Problem]:
    """A process name longer than KeyDesk keeps."""
    return [problem("name_too_long", p.get("id"), p.sourceline, length=len(p.get("name")), limit=MAX_NAME)
            for p in executable_processes(root) if len(p.get("name") or "") > MAX_NAME]


def problems(root: etree._Element) -> list[Problem]:
    """Dead ends, unreachable elements, paths that never end and useless gateways, in every executable process
    and each subprocess in it (a subprocess is a process of its own, started by its own start event)."""
    found = []
    for process in executable_processes(root):
        for container in [process, *_subprocesses(process)]:
            found += _container_problems(container)
    return found


def _subprocesses(process) -> list[etree._Element]:
    """The subprocesses whose inside is a flow (an ad-hoc subprocess's tasks run in any order, without flows)."""
    return [node for name in CONTAINERS[1:-1] for node in process.iterfind(f".//bpmn:{name}", NS)]


def _local(node) -> str:
    return etree.QName(node).localname


def _container_problems(container) -> list[Problem]:
    nodes = {n.get("id"): n for n in container if isinstance(n.tag, str) and _local(n) in FLOW_NODES
             and not _is_compensation(n)}
    successors, predecessors = defaultdict(list), defaultdict(list)
    for flow in container.iterfind("bpmn:sequenceFlow", NS):
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if source in nodes and target in nodes:
            successors[source].append(target)
            predecessors[target].append(source)
    outgoing = {key: len(targets) for key, targets in successors.items()}
    incoming = {key: len(sources) for key, sources in predecessors.items()}
    _add_jumps(nodes, successors, predecessors)
    starts = [key for key, node in nodes.items() if _local(node) == "startEvent"]
    ends = [key for key, node in nodes.items() if _local(node) == "endEvent"]
    reached, finishing = _walk(starts, successors), _walk(ends, predecessors)
    found = []
    for key, node in nodes.items():
        kind = _local(node)
        if kind in MUST_GO_ON and not outgoing.get(key) and not _ends_the_path(node) and not _on_event(node):
            found.append(_on(node, "no_outgoing", kind=_kind(kind)))
        elif key not in reached and not _starts_elsewhere(node) and not _on_event(node):
            found.append(_on(node, "unreachable", kind=_kind(kind)))
        elif key in reached and key not in finishing and _falls_off(key, predecessors, finishing):
            found.append(_on(node, "never_ends", kind=_kind(kind)))  # where the path falls off, reported once
        elif kind in GATEWAYS and outgoing.get(key) == 1 and incoming.get(key) == 1:
            found.append(_on(node, "useless_gateway"))
    return found


def _falls_off(key: str, predecessors: dict, finishing: set[str]) -> bool:
    """The first element of a path that can no longer end: a start event, or one entered from an element that can."""
    return not predecessors[key] or any(p in finishing for p in predecessors[key])


def _is_compensation(node) -> bool:
    """A compensation handler runs only when compensated; its boundary event has an association, not a flow."""
    return node.get("isForCompensation") == "true" or node.find("bpmn:compensateEventDefinition", NS) is not None


def _ends_the_path(node) -> bool:
    """A link throw event goes on at its catch event; a terminate or error throw ends the process."""
    return _local(node) == "intermediateThrowEvent" and node.find("bpmn:linkEventDefinition", NS) is not None


def _on_event(node) -> bool:
    """An event subprocess runs when its event occurs, with no flow in or out."""
    return node.get("triggeredByEvent") == "true"


def _starts_elsewhere(node) -> bool:
    """A boundary event is reached through the activity it sits on, a link catch event through its throw."""
    return _local(node) == "boundaryEvent" or node.find("bpmn:linkEventDefinition", NS) is not None


def _add_jumps(nodes: dict, successors: dict, predecessors: dict) -> None:
    """An activity leads to its boundary events; a link throw event to the link catch event of the same name."""
    catches = {}
    for key, node in nodes.items():
        link = node.find("bpmn:linkEventDefinition", NS)
        if link is not None and _local(node) == "intermediateCatchEvent":
            catches[link.get("name") or node.get("name")] = key
    for key, node in nodes.items():
        target = None
        if _local(node) == "boundaryEvent":
            source, target = node.get("attachedToRef"), key
        elif _ends_the_path(node):
            link = node.find("bpmn:linkEventDefinition", NS)
            source, target = key, catches.get(link.get("name") or node.get("name"))
        if target is not None and source in nodes:
            successors[source].append(target)
            predecessors[target].append(source)


def _walk(starts: list[str], edges: dict) -> set[str]:
    seen, queue = set(starts), deque(starts)
    while queue:
        for following in edges.get(queue.popleft(), ()):
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return seen


KIND_NAMES = {"exclusiveGateway": "gateway", "inclusiveGateway": "gateway", "parallelGateway": "gateway",
              "eventBasedGateway": "gateway", "complexGateway": "gateway", "startEvent": "event",
              "endEvent": "event", "boundaryEvent": "event", "intermediateCatchEvent": "event",
              "intermediateThrowEvent": "event"}


def _kind(localname: str) -> str:
    return KIND_NAMES.get(localname, "task")


def _on(node, code: str, **values) -> Problem:
    return problem(code, node.get("id"), node.sourceline, name=node.get("name") or node.get("id"), **values)

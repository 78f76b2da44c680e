"""The diagram the ticket page draws for one scope: the ticket's own process, or the process one of its call
activities runs, as deployed with the ticket's version, with the ticket's steps on it and its labels in the
reader's language."""

from dataclasses import dataclass

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import undefer

from engine import runtime
from engine.db import db
from engine.diagrams import NS, read_xml
from engine.models import ProcessModel, ProcessVersion, Ticket
from engine.progress.steps import scope, steps_in

DI = {"bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}


@dataclass(frozen=True)
class Call:
    """A call activity on the way to a scope, or one that can be opened from it."""

    element_id: str
    name: str
    name_zh: str | None
    process: str  # the called process's key


@dataclass(frozen=True)
class Diagram:
    xml: str
    diagram_id: str | None  # the BPMNDiagram to open when the document draws more than this process
    process: ProcessModel | None
    version: int | None  # the called process's version the ticket's version was deployed with
    steps: dict[str, list[str]]
    calls: list[Call]  # the call activities drawn here
    trail: list[Call]  # how the ticket's own process leads here, outermost first


def of_ticket(ticket: Ticket, calls: tuple[str, ...] = (), chinese: bool = False) -> Diagram:
    """The diagram of the scope reached through ``calls`` (NotFound for a path that leads nowhere)."""
    workflow = runtime.load(ticket)
    here = scope(workflow, calls)
    own = db.session.scalar(select(ProcessVersion).where(ProcessVersion.id == ticket.process_version_id)
                            .options(undefer(ProcessVersion.bpmn_xml), undefer(ProcessVersion.called_xml)))
    key = here.spec.name
    document = own.bpmn_xml if not calls else _document_of(key, [own.bpmn_xml, *own.called_xml])
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == key))
    return Diagram(xml=localized(document, chinese), diagram_id=_diagram_of(document, key) if calls else None,
                   process=model, version=_version_of(model, document) if calls else own.version,
                   steps=steps_in(ticket, here), calls=[_call(s) for s in here.call_activities()],
                   trail=_trail(workflow, calls))


def _call(spec) -> Call:
    return Call(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id,
                getattr(spec, "extensions", {}).get("properties", {}).get("name_zh"), spec.spec)


def _trail(workflow, calls: tuple[str, ...]) -> list[Call]:
    found = []
    for depth, element_id in enumerate(calls):
        here = scope(workflow, calls[:depth])
        found.append(next(_call(s) for s in here.call_activities() if s.bpmn_id == element_id))
    return found


def _document_of(key: str, documents: list[str]) -> str:
    """The deployed document that defines the process ``key`` (the caller's own, or one it calls)."""
    for document in documents:
        if read_xml(document).find(f".//bpmn:process[@id='{key}']", NS) is not None:
            return document
    raise LookupError(f"no deployed document defines the process {key!r}")


def _diagram_of(document: str, key: str) -> str | None:
    """The BPMNDiagram whose plane draws the process, directly or as a pool of a collaboration."""
    root = read_xml(document)
    drawn = {key, *(p.getparent().get("id") for p in root.iterfind(".//bpmn:participant", NS)
                    if p.get("processRef") == key)}
    return next((d.get("id") for d in root.iterfind(".//bpmndi:BPMNDiagram", DI)
                 if d.find("bpmndi:BPMNPlane", DI) is not None
                 and d.find("bpmndi:BPMNPlane", DI).get("bpmnElement") in drawn), None)


def _version_of(model: ProcessModel | None, document: str) -> int | None:
    if model is None:
        return None
    return db.session.scalar(select(ProcessVersion.version).where(ProcessVersion.model_id == model.id,
                                                                  ProcessVersion.bpmn_xml == document)
                             .order_by(ProcessVersion.version).limit(1))


def localized(document: str, chinese: bool) -> str:
    """The document with each element's ``name_zh`` property as its name for a Chinese reader (bpmn-js draws the
    name); elements without one keep their name."""
    if not chinese:
        return document
    root = read_xml(document)
    path = "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name='name_zh']"
    for element in root.iter():
        if isinstance(element.tag, str) and element.get("name") is not None:
            chinese_name = element.xpath(path, namespaces=NS)
            if chinese_name and chinese_name[0].get("value"):
                element.set("name", chinese_name[0].get("value"))
    return etree.tostring(root, encoding="unicode")


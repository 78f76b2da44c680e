"""Deploying diagrams as immutable, numbered versions, and turning a version into runnable specs."""

import hashlib
from collections import OrderedDict
from dataclasses import replace
from threading import Lock

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import workflows
from engine import diagrams, schedules
from engine.checks import bundle, dataflow, structure
from engine.db import db
from engine.diagrams import NS, Problem
from engine.directory import permissions, roles
from engine.errors import Conflict, InvalidDiagram, NotFound
from engine.models import ProcessModel, ProcessVersion, User


def _as_text(xml: bytes | str) -> str:
    return xml.decode("utf-8") if isinstance(xml, bytes) else xml


def validate(bpmn_xml: bytes | str, dmn_xmls: list[bytes | str] = (), forms: dict[str, dict] | None = None,
             bpmn_name: str = "diagram.bpmn", dmn_names: list[str] | None = None,
             form_texts: dict[str, str] | None = None) -> list[Problem]:
    """The deploy-time check of a bundle (diagram, decision tables, forms by key), without deploying; each problem
    names the file it is in (``bpmn_name``, one of ``dmn_names``, or ``<form key>.form.json``) and its line there
    (a form's in ``form_texts``, the text each form file was sent as)."""
    dmn_xmls, forms = list(dmn_xmls), forms or {}
    dmn_names = list(dmn_names or [f"decision table {n + 1}" for n in range(len(dmn_xmls))])
    try:
        root = diagrams.read_xml(bpmn_xml)
    except diagrams.DiagramRejected as err:
        return [replace(err.problem, file=bpmn_name)]
    tables, unreadable = bundle.read_tables(dmn_xmls, dmn_names)
    too_big = structure.too_big(root)
    if unreadable or too_big:
        return unreadable + [replace(p, file=bpmn_name) for p in too_big]
    called_versions = _called_versions(root)
    available = _available_forms(root, called_versions, forms)
    called = _called_diagrams(called_versions)
    problems = diagrams.check(bpmn_xml, dmn_xmls, available, workflows.HANDLERS, called, roles.active_keys())
    problems += structure.name_problems(root) + structure.problems(root)
    problems += bundle.form_problems(forms, form_texts) + bundle.unused_decisions(root, tables, dmn_names)
    if not problems:  # a form or table missing would make every variable it writes look unwritten
        problems = schedules.problems(root) or dataflow.problems(root, tables, available, _called_roots(called),
                                                                 workflows.OUTPUTS)
    return bundle.in_files(list(dict.fromkeys(problems)), bpmn_name, tables, dmn_names)


def _called_roots(called: dict[str, list[str]]) -> list:
    """The diagrams and decision tables of the processes the diagram calls, parsed (they were checked at deploy)."""
    return [diagrams.read_xml(xml) for xml in diagrams.flatten(called)]


def _available_forms(root, called_versions: dict, bundle: dict[str, dict]) -> dict[str, dict]:
    """The forms a diagram's tasks may name: those of the bundle, else those its processes' current versions
    (and the processes it calls) were deployed with, so that a diagram can be redeployed without its forms."""
    forms = {}
    for key in [p.get("id") for p in diagrams.executable_processes(root)]:
        current = _latest_or_none(key)
        forms.update(current.forms if current else {})
    for version in called_versions.values():
        forms.update(version.forms)
    return {**forms, **bundle}


def _called_versions(root) -> dict[str, ProcessVersion]:
    """The newest deployed version of each process the diagram's call activities run elsewhere."""
    found = {key: _latest_or_none(key) for key in {c.get("calledElement") for c in diagrams.called_elsewhere(root)}}
    return {key: version for key, version in found.items() if version is not None}


def _called_diagrams(versions: dict[str, ProcessVersion]) -> dict[str, list[str]]:
    """For each called process: its diagram with its decision tables, and what that one calls in turn.
    The caller's version keeps these, so it runs them as they are now."""
    return {key: [*version.called_xml, *version.dmn_xml, version.bpmn_xml] for key, version in versions.items()}


def deploy(actor: User, bpmn_xml: bytes | str, dmn_xmls: list[bytes | str] = (), comment: str = "",
           forms: dict[str, dict] | None = None, bpmn_name: str = "diagram.bpmn", dmn_names: list[str] | None = None,
           form_texts: dict[str, str] | None = None):
    """Make each executable process of the diagram the next version of its model; all or nothing.
    ``forms`` are the bundle's forms by key; a task may also name a form of its process's current version.
    The file names and form texts only locate problems."""
    permissions.require(actor, "deploy")
    problems = validate(bpmn_xml, dmn_xmls, forms, bpmn_name, dmn_names, form_texts)
    if problems:
        raise InvalidDiagram(f"the diagram has {len(problems)} problem(s); nothing was deployed",
                             [p.to_dict() for p in problems])
    root = diagrams.read_xml(bpmn_xml)
    called_versions = _called_versions(root)
    called = diagrams.flatten(_called_diagrams(called_versions))
    available = _available_forms(root, called_versions, forms or {})
    forms = {key: schema for version in called_versions.values() for key, schema in version.forms.items()}
    forms.update(_forms_of(root, available))
    versions = [_add_version(actor, process, bpmn_xml, dmn_xmls, called, forms, comment)
                for process in diagrams.executable_processes(root)]
    try:
        for version in versions:
            schedules.plan(version)  # a timer start event: the scheduler starts this version from now on
        db.session.commit()
    except IntegrityError as err:
        db.session.rollback()
        raise Conflict("another deployment of this process finished first; deploy again",
                       message_zh="该流程的另一次部署先完成了；请重新部署") from err
    return versions


def _add_version(actor, process, bpmn_xml, dmn_xmls, called, forms, comment) -> ProcessVersion:
    """The next version of the process's model. ``forms`` holds the schemas of the called processes'
    tasks too, as those were deployed: their tasks are worked in the caller's tickets."""
    key = process.get("id")
    channel = diagrams.process_properties(process)["channel"]
    name = process.get("name") or key
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == key))
    if model is None:
        model = ProcessModel(key=key, name=name, channel=channel)
        db.session.add(model)
        db.session.flush()
    model.name, model.channel = name, channel
    model.name_zh = diagrams.process_properties(process).get("name_zh", "")[:256] or None
    number = (db.session.scalar(select(func.max(ProcessVersion.version))
                                .where(ProcessVersion.model_id == model.id)) or 0) + 1
    version = ProcessVersion(model=model, version=number, bpmn_xml=_as_text(bpmn_xml),
                             dmn_xml=[_as_text(d) for d in dmn_xmls], forms=forms,
                             properties=diagrams.process_properties(process), called_xml=called,
                             comment=comment, deployed_by=actor)
    version.digest = content_digest(version)
    db.session.add(version)
    return version


def _forms_of(root, available: dict[str, dict]) -> dict:
    """Snapshot the schemas the diagram refers to, so that the version stays as it was deployed."""
    keys = {p.get("value") for p in root.iterfind(".//spiffworkflow:property[@name='form']", NS)}
    return {key: available[key] for key in sorted(keys) if key in available}


def models() -> list[ProcessModel]:
    return list(db.session.scalars(select(ProcessModel).order_by(ProcessModel.key)))


def current_forms() -> dict[str, dict]:
    """The forms of every process's newest version, by key: what a diagram in the modeller may name."""
    forms = {}
    for model in models():
        forms.update(_latest_or_none(model.key).forms)
    return forms


def _latest_or_none(key: str) -> ProcessVersion | None:
    return db.session.scalar(select(ProcessVersion).join(ProcessModel).where(ProcessModel.key == key)
                             .order_by(ProcessVersion.version.desc()).limit(1))


def latest_version(key: str) -> ProcessVersion:
    version = _latest_or_none(key)
    if version is None:
        raise NotFound(f"no process model {key!r} is deployed")
    return version


def content_digest(version: ProcessVersion) -> str:
    """What identifies a version's diagrams; stored at deploy (older rows get it computed)."""
    content = "\0".join([version.bpmn_xml, *version.dmn_xml, *version.called_xml])
    return hashlib.sha256(content.encode()).hexdigest()


class SpecCache:
    """Parsed specs per version content. Versions never change, so an entry never goes stale."""

    def __init__(self, size: int = 128):
        self._entries: OrderedDict = OrderedDict()
        self._size = size
        self._lock = Lock()

    def get(self, version: ProcessVersion):
        key = (version.model.key, version.digest or content_digest(version))
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        parser = diagrams.build_parser(version.bpmn_xml, version.dmn_xml, version.called_xml)
        specs = parser.get_spec(version.model.key), parser.get_subprocess_specs(version.model.key)
        with self._lock:
            self._entries[key] = specs
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return specs


specs = SpecCache()


def documentation(version: ProcessVersion, element_id: str) -> str:
    """An element's BPMN documentation (in the process or one of its subprocesses): the step's guidance."""
    spec, subprocesses = specs.get(version)
    for process in (spec, *subprocesses.values()):
        task_spec = process.task_specs.get(element_id)
        if task_spec is not None:
            return (getattr(task_spec, "documentation", None) or "").strip()
    return ""

"""Deploying diagrams as immutable, numbered versions, and turning a version into runnable specs."""

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import workflows
from engine import config_cache, diagrams, schedules
from engine.bundles import contents, decisions, order
from engine.bundles.contents import Bundle
from engine.checks import bundle as bundle_check
from engine.checks import dataflow, structure
from engine.db import attached_copy, columns_of, db, stored_copy
from engine.diagrams import NS, Problem
from engine.directory import permissions, roles
from engine.errors import Conflict, InvalidDiagram, NotFound
from engine.forms import files as form_files
from engine.models import ProcessModel, ProcessVersion, User


def _as_text(xml: bytes | str) -> str:
    return xml.decode("utf-8") if isinstance(xml, bytes) else xml


def validate(bpmn_xml: bytes | str, dmn_xmls: list[bytes | str] = (), forms: dict[str, dict] | None = None
             ) -> list[Problem]:
    """The deploy-time check of one diagram with its decision tables and forms by key: the bundle of one."""
    return check(Bundle.of_one(bpmn_xml, dmn_xmls, forms))


def check(bundle: Bundle) -> list[Problem]:
    """The deploy-time check of a bundle, without deploying; each problem names the file it is in and its line
    there (a form's in the text its file was sent as)."""
    return plan(bundle)[1]


@dataclass(frozen=True, eq=False)
class Planned:
    """What a diagram of the bundle deploys as: the content each of its processes' next version keeps. A caller
    later in the bundle runs it as it would run that version (the attributes are a ProcessVersion's)."""

    diagram: contents.Read
    dmn_xml: list[str]
    called_xml: list[str]
    forms: dict[str, dict]

    @property
    def bpmn_xml(self) -> str:
        return _as_text(self.diagram.xml)


def plan(bundle: Bundle) -> tuple[list[Planned], list[Problem]]:
    """Each diagram of the bundle, callee before caller, with what its versions keep; and every problem of the
    bundle. A file that cannot be read, or an order that cannot be, stops the check there."""
    sent, tables, problems = contents.read(bundle)
    if not problems:
        sent, problems = order.callee_first(sent)
    if problems:
        return [], problems
    shared = (bundle_check.form_problems(bundle.forms, bundle.form_texts)
              + bundle_check.unused_decisions(sent, tables) + bundle_check.decisions_twice(tables))
    plans, by_key = [], {}
    for diagram in sent:
        one, found = _plan_one(diagram, tables, bundle.forms, by_key, shared)
        plans.append(one)
        by_key.update(dict.fromkeys(diagram.keys, one))
        problems += found
    return plans, list(dict.fromkeys(problems + shared))


def _plan_one(diagram: contents.Read, tables: list[contents.Read], forms: dict[str, dict],
              planned: dict[str, Planned], shared: list[Problem]) -> tuple[Planned, list[Problem]]:
    """One diagram checked against the tables it uses, the forms it may name and the processes it calls (those of
    the bundle as planned, else as deployed). ``shared``: the bundle's problems with its forms and tables."""
    root, mine = diagram.root, decisions.tables_of(diagram, tables)
    called_versions = _called_versions(root, planned)
    available = _available_forms(root, called_versions, forms)
    called = _called_diagrams(called_versions)
    problems = diagrams.check(diagram.xml, [t.xml for t in mine], available, workflows.HANDLERS, called,
                              roles.active_keys())
    problems += structure.name_problems(root) + structure.problems(root)
    snapshot = {key: schema for version in called_versions.values() for key, schema in version.forms.items()}
    snapshot.update(_forms_of(root, available))
    if not problems and not _in(shared, [t.name for t in mine] + [f"{key}{form_files.SUFFIX}" for key in snapshot]):
        # a form or table missing or wrong would make every variable it writes look unwritten
        problems = schedules.problems(root) or dataflow.problems(root, [t.root for t in mine], available,
                                                                 _called_roots(called), workflows.OUTPUTS)
    callees = [version.diagram for version in called_versions.values() if isinstance(version, Planned)]
    found = bundle_check.in_files(problems, diagram, [*mine, *callees])
    return Planned(diagram, [_as_text(t.xml) for t in mine], diagrams.flatten(called), snapshot), found


def _in(problems: list[Problem], files: list[str]) -> bool:
    return any(p.file in files for p in problems)


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


def _called_versions(root, planned: dict[str, Planned]) -> dict[str, ProcessVersion | Planned]:
    """Each process the diagram's call activities run elsewhere: as the bundle plans it, else its newest deployed
    version."""
    keys = {c.get("calledElement") for c in diagrams.called_elsewhere(root)}
    found = {key: planned.get(key) or _latest_or_none(key) for key in sorted(keys, key=str)}
    return {key: version for key, version in found.items() if version is not None}


def _called_diagrams(versions: dict[str, ProcessVersion]) -> dict[str, list[str]]:
    """For each called process: its diagram with its decision tables, and what that one calls in turn.
    The caller's version keeps these, so it runs them as they are now."""
    return {key: [*version.called_xml, *version.dmn_xml, version.bpmn_xml] for key, version in versions.items()}


def deploy(actor: User, bpmn_xml: bytes | str, dmn_xmls: list[bytes | str] = (), comment: str = "",
           forms: dict[str, dict] | None = None) -> list[ProcessVersion]:
    """One diagram with its decision tables and forms by key: the bundle of one."""
    return deploy_bundle(actor, Bundle.of_one(bpmn_xml, dmn_xmls, forms), comment)


def deploy_bundle(actor: User, bundle: Bundle, comment: str = "") -> list[ProcessVersion]:
    """Make each executable process of each diagram of the bundle the next version of its model, a called process
    before its caller, in one transaction: a problem anywhere deploys nothing. A task may also name a form of its
    process's current version."""
    permissions.require(actor, "deploy")
    planned, problems = plan(bundle)
    if problems:
        raise InvalidDiagram(f"the bundle has {len(problems)} problem(s); nothing was deployed",
                             [p.to_dict() for p in problems],
                             message_zh=f"部署包有 {len(problems)} 个问题；未部署任何内容")
    versions = [_add_version(actor, process, one, comment)
                for one in planned for process in diagrams.executable_processes(one.diagram.root)]
    try:
        for version in versions:
            schedules.plan(version)  # a timer start event: the scheduler starts this version from now on
        db.session.commit()
    except IntegrityError as err:
        db.session.rollback()
        raise Conflict("another deployment of this process finished first; deploy again",
                       message_zh="该流程的另一次部署先完成了；请重新部署") from err
    return versions


def _add_version(actor, process, planned: Planned, comment: str) -> ProcessVersion:
    """The next version of the process's model, with what the bundle planned for its diagram. Its forms hold the
    schemas of the called processes' tasks too, as those were deployed: their tasks are worked in the caller's
    tickets."""
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
    version = ProcessVersion(model=model, version=number, bpmn_xml=planned.bpmn_xml, dmn_xml=planned.dmn_xml,
                             forms=planned.forms, properties=diagrams.process_properties(process),
                             called_xml=planned.called_xml, comment=comment, deployed_by=actor)
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

VERSION_TABLES = frozenset({"process_models", "process_versions"})


@dataclass(frozen=True)
class VersionCopy:
    """A version's columns (not its diagrams, which the spec cache stands for) and its process model's, as plain
    values: a step needs its forms, properties and process key, kept per process instead of read each time."""

    columns: dict
    model: dict


def attached_version(version_id: int) -> ProcessVersion:
    """The version in this session without a statement (kept per process, engine.config_cache), its diagrams loaded
    on first use. Its forms alone were several KB read and parsed per step. The caller holds it (a ticket's
    ``process_version``): the session keeps only the objects someone holds."""
    kept = config_cache.cached(("version", version_id), VERSION_TABLES, lambda: _version_copy(version_id))
    return attached_copy(ProcessVersion, kept.columns, model=stored_copy(ProcessModel, kept.model))


def _version_copy(version_id: int) -> VersionCopy:
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound(f"no process version {version_id}")
    return VersionCopy(columns_of(version), columns_of(version.model))


def documentation(version: ProcessVersion, element_id: str) -> str:
    """An element's BPMN documentation (in the process or one of its subprocesses): the step's guidance."""
    spec, subprocesses = specs.get(version)
    for process in (spec, *subprocesses.values()):
        task_spec = process.task_specs.get(element_id)
        if task_spec is not None:
            return (getattr(task_spec, "documentation", None) or "").strip()
    return ""

"""What a bundle sends, file by file, and the files read: a problem in any of them names the file it is in."""

from dataclasses import dataclass, field, replace

from lxml import etree

from engine.checks import structure
from engine.diagrams import DiagramRejected, Problem, executable_processes, read_xml


@dataclass(frozen=True)
class File:
    name: str
    content: bytes | str


@dataclass(frozen=True)
class Bundle:
    """The diagrams and decision tables as sent, and the forms by key (with the text each form file was sent as, so
    that a form's problem is located at its line there)."""

    diagrams: list[File]
    tables: list[File] = field(default_factory=list)
    forms: dict[str, dict] = field(default_factory=dict)
    form_texts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of_one(cls, bpmn_xml: bytes | str, dmn_xmls=(), forms: dict[str, dict] | None = None) -> "Bundle":
        """One diagram with its tables and forms, the files named as an unnamed upload is."""
        return cls([File(unnamed("diagram", 0), bpmn_xml)],
                   [File(unnamed("table", n), xml) for n, xml in enumerate(dmn_xmls)], dict(forms or {}))


def unnamed(kind: str, index: int) -> str:
    """The name of a file sent without one, by its place among its kind: problems still say which file."""
    if kind == "diagram":
        return "diagram.bpmn" if index == 0 else f"diagram {index + 1}.bpmn"
    return f"decision table {index + 1}"


@dataclass(frozen=True, eq=False)
class Read:
    """A BPMN or DMN file of the bundle, parsed."""

    name: str
    xml: bytes | str
    root: etree._Element

    @property
    def keys(self) -> list[str]:
        """A diagram's executable processes: each becomes the next version of its model."""
        return [p.get("id") for p in executable_processes(self.root)]

    @property
    def decisions(self) -> list[etree._Element]:
        """A decision table's decisions."""
        return list(self.root.iter("{*}decision"))


def read(bundle: Bundle) -> tuple[list[Read], list[Read], list[Problem]]:
    """The bundle's diagrams and tables, or the problem of each file KeyDesk will not read (or that is too big to
    check), naming it."""
    diagrams, problems = _read_all(bundle.diagrams, "diagram")
    tables, unreadable = _read_all(bundle.tables, "decision table")
    problems += unreadable
    for diagram in diagrams:
        problems += [replace(p, file=diagram.name) for p in structure.too_big(diagram.root)]
    return diagrams, tables, problems


def _read_all(files: list[File], what: str) -> tuple[list[Read], list[Problem]]:
    found, problems = [], []
    for file in files:
        try:
            found.append(Read(file.name, file.content, read_xml(file.content, what)))
        except DiagramRejected as err:
            problems.append(replace(err.problem, file=file.name))
    return found, problems


"""Which decision tables of a bundle a diagram uses: those holding the decisions its business rule tasks call, and
the decisions these require."""

from lxml import etree

from engine.bundles.contents import Read
from engine.diagrams import NS


def called(root: etree._Element) -> set[str]:
    """The decision ids the diagram's business rule tasks call."""
    return {(node.text or "").strip() for node in root.iterfind(".//spiffworkflow:calledDecisionId", NS)}


def required(decision: etree._Element) -> list[str]:
    """The decisions a decision requires (DMN ``requiredDecision``), by id."""
    return [(node.get("href") or "").lstrip("#") for node in decision.iter("{*}requiredDecision")]


def tables_of(diagram: Read, tables: list[Read]) -> list[Read]:
    """The tables the diagram runs, in the bundle's order: its version keeps these and no other."""
    requires = {decision.get("id"): required(decision) for table in tables for decision in table.decisions}
    needed, waiting = set(), list(called(diagram.root))
    while waiting:
        decision = waiting.pop()
        if decision not in needed:
            needed.add(decision)
            waiting += requires.get(decision, [])
    return [table for table in tables if needed & {decision.get("id") for decision in table.decisions}]

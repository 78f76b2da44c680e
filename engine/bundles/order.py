"""The order a bundle's diagrams are checked and deployed in: a process a call activity runs comes before its caller,
whatever the order the files were sent in, so that the caller is checked against the callee as sent and its version
keeps the callee's new version."""

from dataclasses import replace

from engine.bundles.contents import Read
from engine.diagrams import Problem, called_elsewhere, executable_processes, problem


def callee_first(diagrams: list[Read]) -> tuple[list[Read], list[Problem]]:
    """The diagrams, each after the diagrams of the bundle it calls; a circle of calls is a problem on the call
    activity that closes it (neither could be deployed first)."""
    owners, problems = _owners(diagrams)
    ordered: list[Read] = []

    def visit(diagram: Read, path: tuple[Read, ...]) -> None:
        if diagram in ordered:
            return
        for call in called_elsewhere(diagram.root):
            callee = owners.get(call.get("calledElement"))
            if callee in path:
                problems.append(replace(problem("call_circle", call.get("id"), call.sourceline,
                                                called=repr(call.get("calledElement")), other=callee.name),
                                        file=diagram.name))
            elif callee is not None:
                visit(callee, (*path, callee))
        ordered.append(diagram)

    for diagram in diagrams:
        visit(diagram, (diagram,))
    return ordered, problems


def _owners(diagrams: list[Read]) -> tuple[dict[str, Read], list[Problem]]:
    """The diagram of each executable process of the bundle; a process in two diagrams is a problem on the second
    (which of the two would be its next version?)."""
    owners, problems = {}, []
    for diagram in diagrams:
        for process in executable_processes(diagram.root):
            key = process.get("id")
            if key in owners:
                problems.append(replace(problem("process_twice", key, process.sourceline, process=key,
                                                other=owners[key].name), file=diagram.name))
            else:
                owners[key] = diagram
    return owners, problems

"""How a diagram declares promises to the customer, counted from the customer's call (红色通道: 10 分钟内响应,
45 分钟内到场; 000 §4.3).

A diagram declares them as process properties, next to its task clocks::

    promise.response = PT10M until accept_fault
    promise.on_site  = PT45M until dispatch_on_site when dispatch_on_site
    promise.on_site.escalate_to = supervisor,account_manager      (also .warn, .calendar)

Each is an SLA clock of the ticket (an SlaClock row, warned, breached and escalated as task clocks are),
counted from the moment the ticket was opened and kept when the ``until`` element completes. ``when X``: the
promise applies only to tickets that reach X (a level-2 fault promises no visit), still counted from the call.

The target is a duration or ``data.<field>``: a date (or date-time) the ticket's data holds, such as the
customer's reply-by date of a complaint (``promise.reply = data.deadline until reply_customer``, 004 §四.2.2):
the clock is due at the close of that day on its calendar (``.calendar``), and a ticket whose field is empty
or not a date gets no such promise.
"""

import re
from dataclasses import dataclass

PREFIX = "promise."
FIELD = "data."
RULE = re.compile(r"^\s*(?P<target>P[0-9A-Z.]+|data\.[A-Za-z_]\w*)\s+until\s+(?P<until>[A-Za-z_][\w-]*)"
                  r"(?:\s+when\s+(?P<when>[A-Za-z_][\w-]*))?\s*$")
OPTIONS = ("warn", "escalate_to", "calendar", "reassign")


@dataclass(frozen=True)
class Promise:
    name: str
    target: str  # ISO 8601 duration, or data.<field> holding a date

    @property
    def field(self) -> str | None:
        """The data field that holds the promised date, or None for a duration."""
        return self.target.removeprefix(FIELD) if self.target.startswith(FIELD) else None
    until: str  # element id
    when: str | None
    options: dict


def declared(props: dict[str, str]) -> list[Promise]:
    """The promises among a process's properties (the malformed ones are the diagram check's to report)."""
    found = []
    for key, value in props.items():
        name = key.removeprefix(PREFIX)
        if not key.startswith(PREFIX) or "." in name or not (rule := RULE.match(value)):
            continue
        options = {o: props[f"{key}.{o}"] for o in OPTIONS if f"{key}.{o}" in props}
        found.append(Promise(name, rule["target"], rule["until"], rule["when"], options))
    return found


def malformed(props: dict[str, str], element_ids: set[str]) -> list[tuple[str, str]]:
    """(property, value) of each promise that does not read '<duration> until <element> [when <element>]' naming
    elements of the process, or whose name is longer than a clock's kind may be."""
    wrong = []
    for key, value in props.items():
        name = key.removeprefix(PREFIX)
        if not key.startswith(PREFIX) or "." in name:
            continue
        rule = RULE.match(value)
        named = [rule["until"], *([rule["when"]] if rule["when"] else [])] if rule else []
        if not rule or len(name) > 12 or not set(named) <= element_ids:
            wrong.append((key, value))
    return wrong

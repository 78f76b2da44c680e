"""Per-process Python that diagrams refer to by name: service-task handlers (forms are files under ``bpmn/``).

``HANDLERS`` maps a service task's operation name to the function that carries it out; ``PARAMETERS`` and
``OUTPUTS`` say what it takes and the keys of what it returns.
"""

from workflows import churn_watch, customer_announcement, handlers, member_review, retention_plan, revisit_plan

PROCESSES = (churn_watch, customer_announcement, member_review, retention_plan, revisit_plan)
HANDLERS: dict = {**handlers.HANDLERS, **{name: f for p in PROCESSES for name, f in p.HANDLERS.items()}}
PARAMETERS: dict[str, list[str]] = dict(handlers.PARAMETERS)  # an operation not named here takes none
# the keys each result holds
OUTPUTS: dict[str, list[str]] = {**handlers.OUTPUTS,
                                 **{name: keys for p in PROCESSES for name, keys in getattr(p, "OUTPUTS", {}).items()}}

"""Per-process Python that diagrams refer to by name: form schemas and service-task handlers.

``FORMS`` maps a form key, as written in a task's ``form`` property, to its JSON Schema;
``HANDLERS`` maps a service task's operation name to the function that carries it out.
"""

from workflows import (
    contract_approval,
    green_order,
    handlers,
    member_review,
    red_fault,
    retention_plan,
    yellow_complaint,
    yellow_dunning,
)

FORMS: dict[str, dict] = {**red_fault.FORMS, **member_review.FORMS, **retention_plan.FORMS, **yellow_complaint.FORMS,
                          **yellow_dunning.FORMS, **contract_approval.FORMS, **green_order.FORMS}
HANDLERS: dict = {**handlers.HANDLERS, **member_review.HANDLERS, **retention_plan.HANDLERS}
PARAMETERS: dict[str, list[str]] = dict(handlers.PARAMETERS)  # an operation not named here takes none

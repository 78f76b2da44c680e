"""Form schemas for the red channel (fault) process, ``bpmn/red_fault.bpmn``.

The diagram names a form on its start event and on each user task through the
``form`` extension property (e.g. ``red_fault.accept``). This module is where those
keys resolve: ``FORMS`` maps each key to the JSON Schema (draft 2020-12) that the
inbox renders and that a submission must satisfy before the task completes. The
field names are the variables the diagram's script and gateway conditions read
(``fault_level``, ``restored``, ``compensation_due``), so renaming a field here
means changing the diagram too.

Plain data only: no imports, no behaviour.
"""

FORMS: dict[str, dict] = {
    "red_fault.report": {
        "type": "object",
        "title": "Fault report",
        "properties": {
            "service": {
                "type": "string",
                "title": "Affected service",
                "enum": ["internet", "leased_line", "voice", "mobile", "idc"],
            },
            "description": {
                "type": "string",
                "title": "Fault description",
                "minLength": 1,
            },
            "contact_phone": {
                "type": "string",
                "title": "Contact phone",
            },
        },
        "required": ["service", "description"],
        "additionalProperties": False,
    },
    "red_fault.accept": {
        "type": "object",
        "title": "Accept the fault",
        "properties": {
            "fault_level": {
                "type": "integer",
                "title": "Fault level",
                "enum": [1, 2],
            },
            "impact": {
                "type": "string",
                "title": "Impact on the customer",
                "minLength": 1,
            },
            "customer_answered": {
                "type": "boolean",
                "title": "Customer answered",
            },
        },
        "required": ["fault_level", "impact", "customer_answered"],
        "additionalProperties": False,
    },
    "red_fault.repair": {
        "type": "object",
        "title": "Repair the fault",
        "properties": {
            "cause": {
                "type": "string",
                "title": "Cause",
                "minLength": 1,
            },
            "action": {
                "type": "string",
                "title": "Action taken",
                "minLength": 1,
            },
            "restored": {
                "type": "boolean",
                "title": "Service restored",
            },
        },
        "required": ["cause", "action", "restored"],
        "additionalProperties": False,
    },
    "red_fault.revisit": {
        "type": "object",
        "title": "Revisit the customer",
        "properties": {
            "satisfaction": {
                "type": "string",
                "title": "Customer satisfaction",
                "enum": ["satisfied", "neutral", "dissatisfied"],
            },
            "compensation_due": {
                "type": "boolean",
                "title": "Compensation due",
            },
            "notes": {
                "type": "string",
                "title": "Notes",
            },
        },
        "required": ["satisfaction", "compensation_due"],
        "additionalProperties": False,
    },
    "red_fault.compensation": {
        "type": "object",
        "title": "Carry out compensation",
        "properties": {
            "amount": {
                "type": "number",
                "title": "Amount",
                "minimum": 0,
            },
            "method": {
                "type": "string",
                "title": "Compensation method",
                "enum": ["bill_credit", "free_service", "other"],
            },
        },
        "required": ["amount", "method"],
        "additionalProperties": False,
    },
}

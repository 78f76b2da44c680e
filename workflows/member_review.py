"""Member qualification review (``bpmn/member_review.bpmn``): the forms and the service operation that lists the card
holders the decision table screens.

One screening is one ticket: the scheduler starts it monthly (and for the yearly card inspection), the decision
table runs once per card holder (a multi-instance business rule task), and the reviewer gets one task per proposal
(a multi-instance user task) titled with the customer, so a month's proposals are confirmed side by side, counted
and reported together, and the changes of one screening are applied in one place.
"""

from sqlalchemy import select

from engine import branches
from engine.db import db
from engine.models import Customer
from workflows.handlers import profile


def candidates(call) -> list[dict]:
    """No parameters. Every active customer holding a member card in the ticket's branches (a screening started
    by a city branch's user covers that city), with the profile the rules read."""
    holders = db.session.scalars(select(Customer).where(Customer.status == "active", Customer.member_card.is_not(None),
                                                        branches.within(call.scope(), Customer.branch_id))
                                 .order_by(Customer.code))
    return [{"customer_id": customer.id, **profile(customer)} for customer in holders]


HANDLERS = {"member_review.candidates": candidates}

FORMS: dict[str, dict] = {
    "member_review.start": {
        "type": "object",
        "title": "Member qualification screening",
        "x-title-zh": "会员资格审核",
        "description": "Started by the scheduler each month and for the yearly card inspection.",
        "x-description-zh": "由调度器每月启动，年度会员卡年审同样走此流程。",
        "properties": {
            "manual_review": {
                "type": "boolean", "default": True, "x-widget": "checkbox",
                "title": "A reviewer confirms each proposal", "x-title-zh": "每项建议需审核人确认",
            },
        },
        "additionalProperties": False,
    },
    "member_review.review": {
        "type": "object",
        "title": "Review the card proposal",
        "x-title-zh": "审核会员卡调整建议",
        "properties": {
            "confirmed": {
                "type": "boolean", "x-widget": "radio", "enum": [True, False],
                "x-enum-labels": {"en": ["Confirm the change", "Reject it"], "zh": ["确认调整", "驳回"]},
                "title": "Decision", "x-title-zh": "审核结论",
            },
            "review_note": {
                "type": "string", "x-widget": "textarea", "title": "Reviewer's note", "x-title-zh": "审核意见",
            },
        },
        "required": ["confirmed"],
        "additionalProperties": False,
    },
}

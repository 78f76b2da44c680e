"""An announcement's per-recipient delivery (engine/announcements): each contact address with the state of its
message in the outbox (not_queued, pending, sent, failed), attempts and last error, a page at a time, and the counts
per state."""

from flask import g, request

from engine import tickets
from engine.announcements import batches
from engine.errors import InvalidInput
from web.api import blueprint, int_arg
from web.api import serialize as out


@blueprint.get("/tickets/<int:ticket_id>/deliveries")
def ticket_deliveries(ticket_id: int):
    """Who an announcement ticket reaches and how each delivery stands (within the caller's branches), a page at a
    time in the order the recipients were fixed; ``retried`` counts the messages that took more than one attempt.
    ---
    get:
      tags: [tickets]
      parameters:
        - {in: path, name: ticket_id, required: true, schema: {type: integer}}
        - {in: query, name: state, schema: {type: string, enum: [not_queued, pending, sent, failed]}}
        - {in: query, name: limit, schema: {type: integer, minimum: 1, maximum: 1000, default: 500}}
        - {in: query, name: offset, schema: {type: integer, minimum: 0}}
      responses:
        200: {description: "the recipients with their delivery, the counts per state and the retried ones"}
    """
    ticket = tickets.get_ticket(ticket_id, g.actor)
    state = request.args.get("state") or None
    if state is not None and state not in batches.DELIVERY_STATES:
        listed = ", ".join(batches.DELIVERY_STATES)
        raise InvalidInput(f"state must be one of {listed}", [
            {"field": "state", "message": f"one of {listed}", "message_zh": f"必须是以下之一：{listed}"}])
    found = batches.deliveries(ticket, int_arg("limit", 500, 1, 1000), int_arg("offset", 0, 0, 10**9), state)
    return {"summary": batches.summary(ticket), "retried": batches.retried(ticket),
            "deliveries": [{**entry, "sent_at": out.when(entry["sent_at"])} for entry in found]}

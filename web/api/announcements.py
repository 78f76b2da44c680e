"""An announcement's per-recipient delivery (engine/announcements): each contact address with the state of its
message in the outbox (not_queued, pending, sent, failed), attempts and last error, and the counts per state."""

from flask import g

from engine import tickets
from engine.announcements import batches
from web.api import blueprint
from web.api import serialize as out


@blueprint.get("/tickets/<int:ticket_id>/deliveries")
def ticket_deliveries(ticket_id: int):
    """Who an announcement ticket reaches and how each delivery stands (within the caller's branches).
    ---
    get:
      tags: [tickets]
      parameters: [{in: path, name: ticket_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "the recipients with their delivery, and the counts per state"}
    """
    ticket = tickets.get_ticket(ticket_id, g.actor)
    found = [{**entry, "sent_at": out.when(entry["sent_at"])} for entry in batches.deliveries(ticket)]
    return {"summary": batches.summary(ticket), "deliveries": found}

"""An announcement's per-recipient delivery on its ticket page (000 §二.5, §四.1.5): the counts per state, the
retried ones, and the recipients a page at a time, read by the include tickets/_deliveries.html (the ticket page
itself does not know announcements)."""

from dataclasses import dataclass

from engine.announcements import batches
from engine.models import Ticket
from web import paging
from web.security import staff_blueprint

blueprint = staff_blueprint("announcements", __name__)
PROCESS = "customer_announcement"
PAGE_SIZE = 50


@dataclass(frozen=True)
class Deliveries:
    summary: dict[str, int]
    retried: int
    page: paging.Page


@blueprint.app_template_global()
def deliveries_of(ticket: Ticket) -> Deliveries | None:
    """The ticket's deliveries (the page in ``?deliveries=``), or None for a ticket of another process. The ticket
    page has checked that the reader sees the ticket."""
    if ticket.process_version.model.key != PROCESS:
        return None
    page = paging.take(lambda limit, offset: batches.deliveries(ticket, limit, offset), PAGE_SIZE, "deliveries",
                       "deliveries")
    return Deliveries(batches.summary(ticket), batches.retried(ticket), page)

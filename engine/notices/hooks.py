"""The opening and closing notices a diagram asks for (engine.notices.rules), sent by the engine's step."""

from engine.models import Ticket
from engine.notices import send
from engine.notices.rules import MOMENTS, declared


def on(ticket: Ticket, moment: str) -> None:
    """Tell the customer that the ticket reached ``moment``, when its process asks for it."""
    if moment in declared(ticket.process_version.properties or {}):
        send.tell(ticket, MOMENTS[moment], data=ticket.data)

"""Where a ticket stands: the diagram steps it passed and waits on, and what keeps it open."""

from engine.progress.waiting import Wait, waiting_for

__all__ = ["Wait", "waiting_for"]

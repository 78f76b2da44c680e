"""Where a ticket stands: the diagram steps it passed and waits on, and what keeps it open."""

from engine.progress.steps import steps
from engine.progress.waiting import Wait, waiting_for

__all__ = ["Wait", "steps", "waiting_for"]

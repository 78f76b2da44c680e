"""Replies to the customer: a ticket's comments are internal notes; a reply goes out through the outbox (SMS or
e-mail) to one of the customer's own addresses and stays in the ticket's conversation with its delivery state."""

from engine.replies.customer import TEMPLATES, Address, addresses, delivery, draft, send

__all__ = ["TEMPLATES", "Address", "addresses", "delivery", "draft", "send"]

"""Email and SMS to staff and customers. The engine only puts messages into the outbox; delivery reads it."""

"""What can go wrong in an engine operation, as plain exceptions the web layer maps to HTTP.

Every error leaves the database as it was: the operation's transaction is rolled back.
"""


class EngineError(Exception):
    """``message`` is English; ``message_zh`` the same in Chinese, which the pages show a Chinese user."""

    code = "bad_request"

    def __init__(self, message: str, details: list | dict | None = None, message_zh: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        self.message_zh = message_zh


class NotFound(EngineError):
    code = "not_found"


class Forbidden(EngineError):
    code = "forbidden"


class Conflict(EngineError):
    """The ticket or task is not in a state that allows the operation (or someone was faster)."""

    code = "conflict"


class InvalidInput(EngineError):
    """A form value, a field or a request body is wrong; ``details`` names each field."""

    code = "invalid_input"


class InvalidDiagram(InvalidInput):
    """A diagram failed validation; ``details`` lists ``{element_id, message, line}`` problems."""

    code = "invalid_diagram"


class ProcessError(EngineError):
    """The diagram failed while running (a script error, a sandbox violation); nothing was changed."""

    code = "process_error"

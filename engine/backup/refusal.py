"""Why a backup or a restore did not happen, in English and Chinese; nothing was written or changed."""

from engine.errors import EngineError


class Refused(EngineError):
    code = "backup_refused"

    def __init__(self, message: str, message_zh: str):
        super().__init__(message, message_zh=message_zh)

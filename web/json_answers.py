"""Flask's JSON answers and the templates' ``tojson``, written by orjson (engine.json_text): Flask's own rules
for what JSON has no type for (a date as an HTTP date, a Decimal as text) through its ``default``; an indented
text (the debug server's answers, ``tojson(indent=…)``) by Flask's own encoder."""

import orjson
from flask.json.provider import DefaultJSONProvider

from engine import json_text


class JSONAnswers(DefaultJSONProvider):
    def dumps(self, obj, **kwargs) -> str:
        if set(kwargs) - {"separators"}:  # indented, or other options only the standard library knows
            return super().dumps(obj, **kwargs)
        options = orjson.OPT_PASSTHROUGH_DATETIME | (orjson.OPT_SORT_KEYS if self.sort_keys else 0)
        return json_text.dumps(obj, default=self.default, options=options)

"""JSON text as KeyDesk writes it to the database and in its answers: by orjson, several times faster than the
standard library's encoder, in which a completion spent ~3 % of its CPU (the step's rows as one JSON array, the
ticket's data, the API's answer; issue 17). What orjson refuses to write (an integer beyond 64 bits, which a form
may carry) goes through the standard library, which writes any integer: the text then differs, the value not.
Reading stays with the standard library: orjson reads such an integer as a float, which would lose digits."""

import json

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS  # {1: ...} written as {"1": ...}, as the standard library does


def dumps(value, default=None, options: int = 0) -> str:
    """``value`` as JSON text, UTF-8 as it is (no \\u escapes), without spaces; ``default`` turns what JSON has no
    type for into something it has (or raises TypeError); ``options``: more of orjson's."""
    try:
        return orjson.dumps(value, default=default, option=_OPTIONS | options).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, default=default, ensure_ascii=False, separators=(",", ":"),
                          sort_keys=bool(options & orjson.OPT_SORT_KEYS))

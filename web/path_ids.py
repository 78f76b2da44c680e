"""Ids in URL paths: whole numbers the database's integer columns can hold.

Flask's ``int`` converter takes any number; PostgreSQL then refuses ``/tickets/2147483648`` with an error (a 500).
A number beyond the columns is a 404 at routing, as an unknown id is. (Werkzeug's own ``max`` would let the URL
fall through to the other rules of the path and answer 405 where one of them takes another method.)
"""

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

LARGEST_ID = 2**31 - 1  # PostgreSQL's integer, which every id column is


class DatabaseId(IntegerConverter):
    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > LARGEST_ID:
            raise NotFound(f"no record has the id {value}")
        return number

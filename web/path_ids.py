"""Ids in URL paths: whole numbers the database's integer columns can hold.

Flask's ``int`` converter takes any number; PostgreSQL then refuses ``/tickets/2147483648`` with an error (a 500).
A number beyond the columns matches no route: 404, as an unknown id does.
"""

from werkzeug.routing import IntegerConverter

LARGEST_ID = 2**31 - 1  # PostgreSQL's integer, which every id column is


class DatabaseId(IntegerConverter):
    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)

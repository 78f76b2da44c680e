"""One page of a list that grows without end (customers, view logs, histories, the outbox).

The page number comes from the query string (each list on a page has its own argument); whether a next page
exists is read by fetching one row more than a page holds, so no list is counted in full.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import request, url_for

LAST_PAGE = 100_000  # a higher number would only ask the database for an offset past every list


@dataclass(frozen=True)
class Page:
    rows: list
    number: int
    has_next: bool
    arg: str = "page"
    anchor: str = ""

    def link(self, number: int) -> str:
        """This URL with the page argument set to ``number`` (other filters kept)."""
        args = {**request.view_args, **request.args.to_dict(), self.arg: number}
        return url_for(request.endpoint, **args) + (f"#{self.anchor}" if self.anchor else "")


def number(arg: str = "page") -> int:
    """The page asked for; anything that is not a page number is the first page."""
    raw = request.args.get(arg, "")
    return min(int(raw), LAST_PAGE) if raw.isdigit() and int(raw) > 0 else 1


def take(fetch: Callable[[int, int], list], size: int = 50, arg: str = "page", anchor: str = "") -> Page:
    """``fetch(limit, offset)`` asked for the page in the query string, plus one row to tell if more follow."""
    current = number(arg)
    rows = fetch(size + 1, (current - 1) * size)
    return Page(rows[:size], current, len(rows) > size, arg, anchor)

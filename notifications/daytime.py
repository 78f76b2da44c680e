"""Times of day as people write them ("22:00"), and periods that may run past midnight."""

import re
from datetime import time

HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def is_hh_mm(value: object) -> bool:
    return isinstance(value, str) and bool(HH_MM.match(value))


def parse(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def within(wall: time, start: time, end: time) -> bool:
    """Whether a wall-clock time falls in [start, end); an end before the start means the period runs overnight."""
    return start <= wall < end if start < end else wall >= start or wall < end

"""Where a part of a form file is: the line of each name and list entry, by its JSON path.

A supervisor fixing a form file (or reading a problem the modeller shows) needs the line, as for a diagram; the
``json`` module forgets positions, so the text is walked once more, after it parsed.
"""

import json
from bisect import bisect_left
from json.decoder import scanstring

Path = tuple[str | int, ...]
_SCALAR = json.JSONDecoder()
_SPACE = " \t\r\n"
MAX_DEPTH = 64  # a form is a few levels deep; the walk (and the schema checks after it) recurse once a level


class TooDeep(ValueError):
    def __init__(self, line: int):
        super().__init__(f"nested more than {MAX_DEPTH} levels deep")
        self.line = line


class Lines:
    """The line of each object name and list entry of a valid JSON text, by its path (the root is on line 1), and
    each name written a second time in one object, with the line of that second time, in the text's order.
    A text nested deeper than MAX_DEPTH raises TooDeep."""

    def __init__(self, text: str):
        self.text = text
        self._breaks = [n for n, char in enumerate(text) if char == "\n"]
        self.found: dict[Path, int] = {(): 1}
        self.repeats: list[tuple[str, int]] = []
        self._value(self._skip(0), ())

    def of(self, path) -> int:
        """The line of the deepest part of ``path`` the text has (a name it lacks: the object that lacks it)."""
        path = tuple(path)
        while path not in self.found:
            path = path[:-1]
        return self.found[path]

    def _line(self, at: int) -> int:
        return bisect_left(self._breaks, at) + 1

    def _skip(self, at: int) -> int:
        while at < len(self.text) and self.text[at] in _SPACE:
            at += 1
        return at

    def _value(self, at: int, path: Path) -> int:
        """Note where the parts of the value starting at ``at`` are; the position after it."""
        opening = self.text[at]
        if opening not in "{[":
            return _SCALAR.raw_decode(self.text, at)[1]
        if len(path) >= MAX_DEPTH:
            raise TooDeep(self._line(at))
        at, index, seen = self._skip(at + 1), 0, set()
        while self.text[at] not in "}]":
            if opening == "{":
                name, end = scanstring(self.text, at + 1)
                if name in seen:
                    self.repeats.append((name, self._line(at)))
                seen.add(name)
                self.found.setdefault((*path, name), self._line(at))
                at = self._value(self._skip(self._skip(end) + 1), (*path, name))
            else:
                self.found[(*path, index)] = self._line(at)
                at = self._value(at, (*path, index))
                index += 1
            at = self._skip(at)
            at = self._skip(at + 1) if self.text[at] == "," else at
        return at + 1

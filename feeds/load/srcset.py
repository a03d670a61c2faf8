"""Parse and write the HTML ``srcset`` attribute by its grammar (HTML Living Standard,
"parse a srcset attribute"), not by splitting on commas: a URL may contain commas
(``…/upload/w_600,h_400,c_crop/sample.jpg 2x``), and only a comma after a URL's white space
or at its very end separates candidates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPACE = " \t\n\r\x0c"
_WIDTH = re.compile(r"[0-9]+w")
_HEIGHT = re.compile(r"[0-9]+h")
_DENSITY = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?x")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One image candidate: its URL and descriptors as written (``400w``, ``2x``)."""

    url: str
    descriptors: tuple[str, ...] = ()

    def __str__(self) -> str:
        return " ".join((self.url, *self.descriptors))


def parse_srcset(value: str) -> list[Candidate]:
    """The candidates of a ``srcset`` value, as a browser reads them.

    A candidate whose descriptors a browser would reject (two widths, a width and a density,
    a height without a width, anything else) is left out, as a browser leaves it out.
    """
    candidates: list[Candidate] = []
    position, end = 0, len(value)
    while True:
        while position < end and (value[position] in _SPACE or value[position] == ","):
            position += 1
        if position >= end:
            return candidates
        start = position
        while position < end and value[position] not in _SPACE:
            position += 1
        url = value[start:position]
        descriptors: list[str] = []
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            position = _descriptors(value, position, descriptors)
        if url and _valid(descriptors):
            candidates.append(Candidate(url, tuple(descriptors)))


def _descriptors(value: str, position: int, out: list[str]) -> int:
    """Tokenise descriptors from `position` up to the candidate's comma (commas inside
    parentheses do not count); returns the position after it."""
    current = ""
    state = "in descriptor"
    end = len(value)
    while position < end:
        char = value[position]
        if state == "in descriptor":
            if char in _SPACE:
                if current:
                    out.append(current)
                    current = ""
                    state = "after descriptor"
            elif char == ",":
                if current:
                    out.append(current)
                return position + 1
            elif char == "(":
                current += char
                state = "in parens"
            else:
                current += char
        elif state == "in parens":
            current += char
            if char == ")":
                state = "in descriptor"
        elif char not in _SPACE:  # after a descriptor: the next one starts here
            state = "in descriptor"
            continue
        position += 1
    if current:
        out.append(current)
    return position


def _valid(descriptors: list[str]) -> bool:
    widths = [d for d in descriptors if _WIDTH.fullmatch(d)]
    heights = [d for d in descriptors if _HEIGHT.fullmatch(d)]
    densities = [d for d in descriptors if _DENSITY.fullmatch(d)]
    if len(widths) + len(heights) + len(densities) != len(descriptors):
        return False
    if len(widths) > 1 or len(heights) > 1 or len(densities) > 1:
        return False
    if (widths and densities) or (heights and not widths):
        return False
    return not any(int(d[:-1]) == 0 for d in widths) and not any(
        float(d[:-1]) <= 0 for d in densities
    )


def format_srcset(candidates: list[Candidate]) -> str:
    """A ``srcset`` value that `parse_srcset` reads back as `candidates`."""
    return ", ".join(str(candidate) for candidate in candidates)

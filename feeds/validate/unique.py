"""Uniqueness: two Atom entries with one atom:id, two RSS items with one guid.

Values are compared as parsed (CDATA, character references and entities give the same
text), with the whitespace around them removed, as readers compare them. Two RSS items
with one guid are an error (the W3C validator's DuplicateValue); two Atom entries with one
id a warning (its DuplicateEntries: RFC 4287 allows an entry to appear twice if its
atom:updated differs, and readers then keep one).
"""

from __future__ import annotations

from feeds.rules import ATOM_NS
from feeds.validate.base import Collector, line_of, text_of
from feeds.validate.scope import Scope


def check_unique(scope: Scope, out: Collector) -> None:
    """Report repeated guids (RSS 2.0) and atom:ids (Atom feeds)."""
    if scope.kind == "rss":
        tag, code, what = scope.tag("guid"), "rss-guid-duplicate", "guid"
    elif scope.kind == "atom" and scope.channel is not None:
        tag, code, what = f"{{{ATOM_NS}}}id", "atom-id-duplicate", "atom:id"
    else:
        return
    first: dict[str, int] = {}
    for item in scope.items:
        child = next(item.iterchildren(tag), None)
        if child is None:
            continue
        value = (child.text or "").strip() if not len(child) else text_of(child).strip()
        if not value:
            continue
        if value in first:
            out.add(
                code,
                child,
                f'{what} "{value}" is already the {what} of the item on line {first[value]}:'
                " readers show one of them only; give every item its own",
            )
        else:
            first[value] = line_of(child)

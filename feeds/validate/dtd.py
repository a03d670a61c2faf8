"""Internal DTD entities of a feed: decide whether they may be expanded, within strict limits.

A feed's internal DTD subset may declare small entities (``<!ENTITY copy "&#169;">``); the
W3C Feed Validation Service expands them, and so does every XML parser a reader uses. What
is never accepted: external entities (``SYSTEM``/``PUBLIC``, which would read files or the
network), parameter entities, and entities whose expansion grows past the limits below (the
"billion laughs" and quadratic blow-up attacks). The check works on the declarations and a
count of the references, before anything is expanded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Protocol

#: At most this many general entities may be declared (all of HTML's 252 fit).
MAX_ENTITIES: Final = 1000
#: No entity may expand to more characters than this.
MAX_ENTITY_CHARS: Final = 10_000
#: All references of the document together may add at most this many characters.
MAX_TOTAL_CHARS: Final = 2_000_000

_REFERENCE = re.compile(r"&([A-Za-z_:][\w.\-:]*);")
_PARAMETER_ENTITY = re.compile(r"<!ENTITY\s+%")
_PREDEFINED: Final = frozenset({"amp", "lt", "gt", "quot", "apos"})


class EntityDecl(Protocol):
    """What lxml tells of one declared entity."""

    @property
    def name(self) -> str | None: ...

    @property
    def content(self) -> str | None: ...

    @property
    def system_url(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class EntityVerdict:
    """Whether the declared entities may be expanded; `problem` says why not ("" if they may)."""

    problem: str

    @property
    def allowed(self) -> bool:
        """True when the document may be parsed with its internal entities expanded."""
        return not self.problem


def judge_entities(entities: Iterable[EntityDecl], text: str) -> EntityVerdict:
    """Decide whether a document's internal entities may be expanded.

    Args:
        entities: The declarations of the internal DTD subset (lxml's ``iterentities()``).
        text: The whole document as text, to count references and spot parameter entities.

    Returns:
        The verdict; its problem names the entity and the limit it breaks.
    """
    declared: dict[str, str] = {}
    for entity in entities:
        name = entity.name or ""
        if entity.system_url is not None or entity.content is None:
            return EntityVerdict(
                f'the DOCTYPE declares the external entity "{name}"; external entities are '
                "never read (they can leak files or reach the network): write the text into "
                "the feed instead"
            )
        declared[name] = entity.content
    doctype_end = text.find("]>")
    if _PARAMETER_ENTITY.search(text, 0, doctype_end if doctype_end >= 0 else len(text)):
        return EntityVerdict(
            "the DOCTYPE declares a parameter entity (<!ENTITY % ...>); feeds have no use for "
            "them and they are refused: remove it"
        )
    if len(declared) > MAX_ENTITIES:
        return EntityVerdict(
            f"the DOCTYPE declares {len(declared)} entities, more than the {MAX_ENTITIES} "
            "allowed: write the characters (or numeric references) directly"
        )
    sizes: dict[str, int] = {}
    for name in declared:
        size = _expanded_size(name, declared, sizes, ())
        if size < 0:
            return EntityVerdict(
                f'the entity "{name}" refers to itself through other entities: remove the loop'
            )
        if size > MAX_ENTITY_CHARS:
            return EntityVerdict(
                f'the entity "{name}" expands to more than {MAX_ENTITY_CHARS} characters (an '
                "entity bomb, or far more text than an entity is for): write the text directly"
            )
    total = 0
    for match in _REFERENCE.finditer(text, doctype_end if doctype_end >= 0 else 0):
        total += sizes.get(match.group(1), 0)
        if total > MAX_TOTAL_CHARS:
            return EntityVerdict(
                f"the references to the DOCTYPE's entities expand to more than "
                f"{MAX_TOTAL_CHARS} characters in all (an entity bomb): write the text directly"
            )
    return EntityVerdict("")


def _expanded_size(
    name: str, declared: dict[str, str], sizes: dict[str, int], stack: tuple[str, ...]
) -> int:
    """Characters `name` expands to; -1 for a loop. Capped just above the limit, so a deep
    bomb is measured without ever adding up its (astronomical) real size."""
    if name in sizes:
        return sizes[name]
    if name in stack:
        return -1
    content = declared[name]
    size = 0
    position = 0
    for match in _REFERENCE.finditer(content):
        size += match.start() - position
        position = match.end()
        ref = match.group(1)
        if ref in declared:
            inner = _expanded_size(ref, declared, sizes, (*stack, name))
            if inner < 0:
                return -1
            size += inner
        else:
            size += 1 if ref in _PREDEFINED else len(match.group())
        if size > MAX_ENTITY_CHARS:
            break
    size += len(content) - position
    size = min(size, MAX_ENTITY_CHARS + 1)
    sizes[name] = size
    return size

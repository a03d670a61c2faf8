"""Extension vocabularies of RSS and Atom: which elements each defines where, and their values.

Follows the module specifications (Syndication, Slash, Content, Well-Formed Web CommentAPI,
TrackBack, Creative Commons, OpenSearch 1.1, RFC 5023, RFC 4685, RFC 5005) the way the W3C
Feed Validation Service reads them: an element of one of these namespaces that the
vocabulary does not define, or defines only for the channel (or only for items), is an
error, as its UndefinedElement is. Elements of namespaces not listed here are not judged.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Final

from lxml import etree

from feeds.rules import CONTENT_NS
from feeds.validate.base import (
    KNOWN_NAMESPACES,
    RDF_NS,
    Collector,
    check_rfc3339,
    element_name,
    text_of,
)
from feeds.validate.scope import CHANNEL, ITEM, Placed, Scope
from feeds.validate.values import (
    is_integer,
    is_non_negative_integer,
    is_positive_integer,
    uri_problem,
    w3cdtf_problem,
)

BOTH: Final = frozenset({CHANNEL, ITEM})
CHANNEL_ONLY: Final = frozenset({CHANNEL})
ITEM_ONLY: Final = frozenset({ITEM})
NOWHERE: Final = frozenset[str]()
_RDF_RESOURCE: Final = f"{{{RDF_NS}}}resource"


@dataclass(frozen=True, slots=True)
class Term:
    """One element of a vocabulary.

    Attributes:
        where: The contexts it may stand in (``channel``, ``item``); empty for an element
            that belongs inside another one, never directly in a channel or item.
        once: Whether it may appear only once per channel or item.
    """

    where: frozenset[str] = BOTH
    once: bool = False


def check_vocabulary(
    scope: Scope,
    out: Collector,
    namespace: str,
    terms: dict[str, Term],
    *,
    codes: tuple[str, str, str] = (
        "ext-unknown-element",
        "ext-misplaced-element",
        "ext-duplicate-element",
    ),
) -> list[Placed]:
    """Report the channel and item children of `namespace` that `terms` does not allow.

    Args:
        scope: The document's channel and items.
        out: Where issues go.
        namespace: The vocabulary's namespace URI.
        terms: Its elements.
        codes: The codes for an unknown, a misplaced and a repeated element.

    Returns:
        The children that are defined where they stand, for the value checks.
    """
    unknown, misplaced, duplicate = codes
    placed = scope.placed(namespace)
    if not placed:
        return []
    fine: list[Placed] = []
    counts: Counter[tuple[etree._Element, str]] = Counter()
    for entry in placed:
        term = terms.get(entry.local)
        if term is not None and entry.context in term.where:
            if term.once:
                key = (entry.parent, entry.local)
                counts[key] += 1
                if counts[key] == 2:
                    out.add(
                        duplicate,
                        entry.element,
                        f"<{element_name(entry.element)}> may appear only once in "
                        + ("the channel" if entry.context == CHANNEL else "an item"),
                    )
                    continue
            fine.append(entry)
        elif term is None:
            out.add(
                unknown,
                entry.element,
                f"<{element_name(entry.element)}> is not an element of {namespace}: check the "
                "spelling, or remove it",
            )
        else:
            where = "the channel" if entry.context == CHANNEL else "an item"
            elsewhere = (
                "inside another element" if not term.where else
                "in items" if term.where == ITEM_ONLY else "in the channel"
            )  # fmt: skip
            out.add(
                misplaced,
                entry.element,
                f"<{element_name(entry.element)}> does not belong in {where}; its vocabulary "
                f"defines it {elsewhere}: move or remove it",
            )
    return fine


_NS: Final = KNOWN_NAMESPACES

# RSS 1.0 Content, Slash and Syndication modules.
_CONTENT: Final = {"encoded": Term(ITEM_ONLY, once=True), "items": Term(ITEM_ONLY, once=True)}
_SLASH: Final = {
    "comments": Term(ITEM_ONLY, once=True),
    "section": Term(ITEM_ONLY),
    "department": Term(ITEM_ONLY),
    "hit_parade": Term(ITEM_ONLY, once=True),
}
_SY: Final = {
    "updatePeriod": Term(CHANNEL_ONLY, once=True),
    "updateFrequency": Term(CHANNEL_ONLY, once=True),
    "updateBase": Term(CHANNEL_ONLY, once=True),
}
# Well-Formed Web CommentAPI (commentRSS: the spelling of early WordPress, still accepted).
_WFW: Final = {
    "comment": Term(ITEM_ONLY, once=True),
    "commentRss": Term(ITEM_ONLY, once=True),
    "commentRSS": Term(ITEM_ONLY, once=True),
}
_TRACKBACK: Final = {"ping": Term(ITEM_ONLY, once=True), "about": Term(ITEM_ONLY)}
_CREATIVE_COMMONS: Final = {"license": Term(BOTH)}
_ADMIN: Final = {
    "generatorAgent": Term(CHANNEL_ONLY, once=True),
    "errorReportsTo": Term(CHANNEL_ONLY, once=True),
}
# OpenSearch 1.1 response elements (a feed's channel); Url, Description … are for
# description documents, not feeds.
_OPENSEARCH: Final = {
    "totalResults": Term(CHANNEL_ONLY, once=True),
    "startIndex": Term(CHANNEL_ONLY, once=True),
    "itemsPerPage": Term(CHANNEL_ONLY, once=True),
    "Query": Term(CHANNEL_ONLY),
    "Url": Term(NOWHERE),
    "Description": Term(NOWHERE),
    "ShortName": Term(NOWHERE),
    "LongName": Term(NOWHERE),
    "Tags": Term(NOWHERE),
    "Contact": Term(NOWHERE),
    "Image": Term(NOWHERE),
    "Developer": Term(NOWHERE),
    "Attribution": Term(NOWHERE),
    "SyndicationRight": Term(NOWHERE),
    "AdultContent": Term(NOWHERE),
    "Language": Term(NOWHERE),
    "InputEncoding": Term(NOWHERE),
    "OutputEncoding": Term(NOWHERE),
    "OpenSearchDescription": Term(NOWHERE),
}
# RFC 5023: in a feed, app:collection; in an entry, app:edited and app:control.
_APP: Final = {
    "collection": Term(CHANNEL_ONLY, once=True),
    "edited": Term(ITEM_ONLY, once=True),
    "control": Term(ITEM_ONLY, once=True),
    "draft": Term(NOWHERE),
    "service": Term(NOWHERE),
    "workspace": Term(NOWHERE),
    "categories": Term(NOWHERE),
    "accept": Term(NOWHERE),
}
# RFC 4685 threading; RFC 5005 feed history.
_THR: Final = {"in-reply-to": Term(BOTH), "total": Term(ITEM_ONLY, once=True)}
_FH: Final = {"complete": Term(CHANNEL_ONLY, once=True), "archive": Term(CHANNEL_ONLY, once=True)}

VOCABULARIES: Final[dict[str, dict[str, Term]]] = {
    CONTENT_NS: _CONTENT,
    _NS["slash"]: _SLASH,
    _NS["sy"]: _SY,
    _NS["wfw"]: _WFW,
    _NS["trackback"]: _TRACKBACK,
    _NS["creativeCommons"]: _CREATIVE_COMMONS,
    _NS["admin"]: _ADMIN,
    _NS["opensearch"]: _OPENSEARCH,
    _NS["app"]: _APP,
    _NS["thr"]: _THR,
    _NS["fh"]: _FH,
}

_URI_VALUED: Final = {
    (_NS["wfw"], "comment"),
    (_NS["wfw"], "commentRss"),
    (_NS["wfw"], "commentRSS"),
    (_NS["trackback"], "ping"),
    (_NS["trackback"], "about"),
    (_NS["creativeCommons"], "license"),
}
_UPDATE_PERIODS: Final = ("hourly", "daily", "weekly", "monthly", "yearly")
_HIT_PARADE = re.compile(r"\d+(,\s*\d+)*")


def check_extensions(scope: Scope, out: Collector) -> None:
    """Check the extension elements of every channel and item of the document."""
    for namespace, terms in VOCABULARIES.items():
        for entry in check_vocabulary(scope, out, namespace, terms):
            _check_value(namespace, entry, out)
    for entry in scope.placed(_NS["cc"]):
        if entry.local == "license":
            _check_uri(entry.element, entry.element.get(_RDF_RESOURCE), out)


def _check_uri(el: etree._Element, attribute: str | None, out: Collector) -> None:
    value = attribute if attribute is not None else text_of(el).strip()
    problem = uri_problem(value)
    if problem:
        out.add(
            "ext-uri-invalid",
            el,
            f'<{element_name(el)}> "{value}" {problem}: it must be an absolute URI such as '
            "https://example.com/page",
            attr="rdf:resource" if attribute is not None else "",
        )


def _number(el: etree._Element, value: str, what: str, out: Collector) -> None:
    out.add("ext-number", el, f'<{element_name(el)}> "{value}" must be {what}')


def _check_value(namespace: str, entry: Placed, out: Collector) -> None:
    el, local = entry.element, entry.local
    if (namespace, local) in _URI_VALUED:
        _check_uri(el, None, out)
        return
    value = text_of(el).strip()
    if namespace == _NS["slash"]:
        if local == "comments" and not is_non_negative_integer(value):
            _number(el, value, "the number of comments, a whole number", out)
        elif local == "hit_parade" and not _HIT_PARADE.fullmatch(value):
            _number(el, value, "whole numbers separated by commas, such as 12,9,4", out)
    elif namespace == _NS["thr"] and local == "total" and not is_non_negative_integer(value):
        _number(el, value, "the number of replies, a whole number", out)
    elif namespace == _NS["sy"]:
        if local == "updatePeriod" and value not in _UPDATE_PERIODS:
            out.add(
                "ext-value",
                el,
                f'<sy:updatePeriod> "{value}" must be one of {", ".join(_UPDATE_PERIODS)}',
            )
        elif local == "updateFrequency" and not is_positive_integer(value):
            _number(el, value, "how many times per period, a whole number of at least 1", out)
        elif local == "updateBase" and w3cdtf_problem(value):
            out.add(
                "ext-value",
                el,
                f'<sy:updateBase> "{value}" {w3cdtf_problem(value)}: write e.g. '
                "2024-01-01T00:00+00:00",
            )
    elif namespace == _NS["opensearch"]:
        counts = local in ("totalResults", "itemsPerPage") and not is_non_negative_integer(value)
        if counts or (local == "startIndex" and not is_integer(value)):
            _number(el, value, "a whole number", out)
    elif namespace == _NS["app"] and local == "edited":
        problem = check_rfc3339(text_of(el))
        if problem:
            out.add(
                "ext-value",
                el,
                f'<app:edited> "{value}" {problem}: write it like "2024-03-05T14:30:00Z"',
            )

"""Dublin Core in feeds: the elements DCMI defines, W3C-DTF dates and language tags.

Follows the DCMI Metadata Element Set 1.1 (``dc:``, 15 elements) and DCMI Metadata Terms
(``dcterms:``), with the W3C Feed Validation Service's checks: ``dc:date`` and the
``dcterms`` dates it knows in W3C-DTF, ``dc:language`` a language tag, and the elements it
allows only once per channel or item.
"""

from __future__ import annotations

from typing import Final

from feeds.validate.base import DC_NS, DCTERMS_NS, Collector, element_name, text_of
from feeds.validate.ext import Term, check_vocabulary
from feeds.validate.scope import CHANNEL, Placed, Scope
from feeds.validate.values import is_language, is_positive_integer, w3cdtf_problem

_ONCE: Final = Term(once=True)
_MANY: Final = Term()

_DC: Final = {
    **dict.fromkeys(
        ("title", "description", "type", "format", "source", "language", "rights"), _ONCE
    ),
    **dict.fromkeys(
        ("creator", "subject", "publisher", "contributor", "identifier", "relation", "coverage"),
        _MANY,
    ),
    "date": _MANY,  # once per channel: checked below (items may carry several)
}
# DCMI Metadata Terms: every property of http://purl.org/dc/terms/.
_DCTERMS: Final = {
    **dict.fromkeys(
        """abstract tableOfContents created issued modified dateAccepted dateCopyrighted
        dateSubmitted extent mediator""".split(),  # noqa: SIM905
        _ONCE,
    ),
    **dict.fromkeys(
        """accessRights accrualMethod accrualPeriodicity accrualPolicy alternative audience
        available bibliographicCitation conformsTo contributor coverage creator date
        description educationLevel format hasFormat hasPart hasVersion identifier
        instructionalMethod isFormatOf isPartOf isReferencedBy isReplacedBy isRequiredBy
        isVersionOf language license medium provenance publisher references
        relation replaces requires rights rightsHolder source spatial subject temporal title
        type valid""".split(),  # noqa: SIM905
        _MANY,
    ),
}
_DCTERMS_DATES: Final = frozenset({"created", "issued", "modified"})


def check_dublin_core(scope: Scope, out: Collector) -> None:
    """Check the ``dc:`` and ``dcterms:`` children of the channel and of every item."""
    channel_dates = 0
    for entry in check_vocabulary(scope, out, DC_NS, _DC):
        if entry.local == "date":
            if entry.context == CHANNEL:
                channel_dates += 1
                if channel_dates == 2:
                    out.add(
                        "ext-duplicate-element",
                        entry.element,
                        "<dc:date> may appear only once in the channel",
                    )
                    continue
            _date(entry, out)
        elif entry.local == "language":
            value = text_of(entry.element).strip()
            if not is_language(value):
                shown = f'"{value}" is not a language tag' if value else "is blank"
                out.add(
                    "dc-language",
                    entry.element,
                    f'<dc:language> {shown}: use an ISO 639 code such as "en" or "en-GB"',
                )
    for entry in check_vocabulary(scope, out, DCTERMS_NS, _DCTERMS):
        if entry.local in _DCTERMS_DATES:
            _date(entry, out)
        elif entry.local == "extent":
            value = text_of(entry.element).strip()
            if not is_positive_integer(value):
                out.add(
                    "ext-number",
                    entry.element,
                    f'<dcterms:extent> "{value}" must be a size, a whole number of at least 1',
                )


def _date(entry: Placed, out: Collector) -> None:
    value = text_of(entry.element).strip()
    problem = w3cdtf_problem(value)
    if problem:
        out.add(
            "dc-date-format",
            entry.element,
            f'<{element_name(entry.element)}> "{value}" {problem}: Dublin Core dates are '
            'W3C-DTF, e.g. "2024-03-05T14:30:00Z" or "2024-03-05"',
        )

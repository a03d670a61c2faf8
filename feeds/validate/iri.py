"""IRIs where RFC 4287 requires absolute ones, and the syntax of urn:uuid identifiers.

atom:category/@scheme is an absolute IRI (the W3C validator's rfc3987_full), unlike the
IRI references of link/@href. An atom:id written as ``urn:uuid:`` must carry a UUID
(RFC 9562: 8-4-4-4-12 hexadecimal digits). Extension URIs are checked with their
vocabularies (`feeds.validate.ext`); RSS 2.0 URIs with RSS (`feeds.validate.rss`).
"""

from __future__ import annotations

from lxml import etree

from feeds.rules import ATOM_NS, is_iri_reference
from feeds.rules import is_absolute_iri as is_absolute_url
from feeds.validate.base import Collector, text_of
from feeds.validate.values import bad_uuid_urn


def check_iris(root: etree._Element, out: Collector) -> None:
    """Check category schemes and urn:uuid ids anywhere in the document."""
    for el in root.iter(f"{{{ATOM_NS}}}category", f"{{{ATOM_NS}}}id"):
        if el.tag == f"{{{ATOM_NS}}}id":
            value = text_of(el).strip()
            if bad_uuid_urn(value):
                out.add(
                    "urn-uuid-invalid",
                    el,
                    f'<id> "{value}" is a urn:uuid: whose UUID is not 8-4-4-4-12 hexadecimal '
                    'digits, e.g. "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"',
                )
            continue
        scheme = el.get("scheme") or ""
        # Whitespace and bad characters are reported by the whitespace and Atom rules.
        clean = scheme == scheme.strip() and is_iri_reference(scheme)
        if scheme and clean and not is_absolute_url(scheme):
            out.add(
                "atom-iri-invalid",
                el,
                f'scheme="{scheme}" must be an absolute IRI naming the category scheme, '
                'e.g. "https://example.com/tags/"',
                attr="scheme",
            )

"""One definition of each rule that config, the article sources, the renderers and the validator
share: characters XML forbids, slugs, and how a value reads in a message."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

#: Characters XML 1.0 forbids (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+FFFE, U+FFFF).
XML_FORBIDDEN_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff"
XML_FORBIDDEN = re.compile(f"[{XML_FORBIDDEN_CHARS}]")

_SLUG_JUNK = re.compile(r"[^a-z0-9]+")

#: The image formats articles may carry: Pillow's format name -> (MIME type, file suffixes that
#: may carry it).
IMAGE_FORMATS: dict[str, tuple[str, frozenset[str]]] = {
    "JPEG": ("image/jpeg", frozenset({".jpg", ".jpeg", ".jpe"})),
    "PNG": ("image/png", frozenset({".png"})),
    "WEBP": ("image/webp", frozenset({".webp"})),
    "GIF": ("image/gif", frozenset({".gif"})),
    "AVIF": ("image/avif", frozenset({".avif"})),
}

#: File suffixes the repository treats as images (for same-stem and bundle lookups).
IMAGE_SUFFIXES = frozenset(suffix for _, suffixes in IMAGE_FORMATS.values() for suffix in suffixes)


def strip_forbidden_chars(text: str) -> str:
    """Drop the characters XML 1.0 forbids, so that any text can reach an XML writer."""
    if text.isprintable():  # the usual case, told at once: no control character at all
        return text
    return XML_FORBIDDEN.sub("", text)


def describe_value(value: object) -> str:
    """How a value read from an article or the configuration reads to a person ("a list",
    "plain text", "a date", ...)."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, str):
        return "plain text"
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, datetime | date):
        return "a date"
    return f"a {type(value).__name__}"


def slugify(text: str) -> str:
    """A URL-safe, lowercase ASCII slug ("Ferry Timetable!" -> "ferry-timetable")."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _SLUG_JUNK.sub("-", text.lower()).strip("-")

"""Value checks shared by the newer rule families: URIs, W3C-DTF dates, numbers, NPT times."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Final, cast

from lxml import etree

from feeds.rules import has_scheme, is_iri_reference, is_urn_uuid
from feeds.validate.base import ISO639_1

# RFC 3986: what a URI may hold, all ASCII (anything else must be percent-encoded).
_URI_CHARSET: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;="
)
_URI_CLASS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_W3CDTF = re.compile(
    r"(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?"
    r"(?:Z|[+-](\d\d):(\d\d)))?)?)?"
)
_NPT = re.compile(r"now|\d+(?:\.\d*)?|\d+:[0-5]\d:[0-5]\d(?:\.\d*)?")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_HOST_SCHEMES: Final = ("http", "https", "ftp")


def uri_problem(value: str) -> str:
    """What keeps `value` from being an absolute RFC 3986 URI ("" when it is one).

    Whitespace around the value is not allowed (callers strip element text first, as
    readers do); non-ASCII characters must be percent-encoded, unlike in an IRI.
    """
    if not value:
        return "is empty"
    if not has_scheme(value):
        return "is not absolute (it has no scheme such as https:)"
    if not _URI_CLASS.fullmatch(value) or ("%" in value and _BAD_PERCENT.search(value)):
        for index, char in enumerate(value):
            if char == "%" and not re.match(r"%[0-9A-Fa-f]{2}", value[index:]):
                return "holds a % that does not start a percent-encoded byte (write %25)"
            if char != "%" and char not in _URI_CHARSET:
                if not char.isascii():
                    return f"holds {char!r}, which must be percent-encoded in a URI"
                return f"holds {char!r}, which a URI cannot hold (percent-encode it)"
    return _authority_problem(value)


def iri_problem(value: str) -> str:
    """What keeps `value` from being an absolute RFC 3987 IRI ("" when it is one)."""
    if not value:
        return "is empty"
    if value != value.strip():
        return "has whitespace around it"
    if not has_scheme(value):
        return "is not absolute (it has no scheme such as https:)"
    if not is_iri_reference(value):
        return "holds characters an IRI cannot hold (spaces, quotes, <, >): percent-encode them"
    return _authority_problem(value)


def _authority_problem(value: str) -> str:
    colon = value.index(":")
    scheme = value[:colon].lower()
    if scheme in _HOST_SCHEMES:
        rest = value[colon + 1 :]
        if not rest.startswith("//") or rest[2:3] in ("", "/", "?", "#"):
            return f"has no host after {scheme}://"
    return ""


def bad_uuid_urn(value: str) -> bool:
    """Whether `value` is a ``urn:uuid:`` URN whose UUID is malformed (RFC 9562)."""
    return value[:9].lower() == "urn:uuid:" and not is_urn_uuid(value)


def w3cdtf_problem(value: str) -> str:
    """What keeps `value` from being a W3C-DTF date ("" when it is one): ``2024``,
    ``2024-03``, ``2024-03-05``, ``2024-03-05T14:30Z``, ``2024-03-05T14:30:00.5+01:00``."""
    match = _W3CDTF.fullmatch(value)
    if not match:
        return "is not a W3C-DTF date such as 2024-03-05 or 2024-03-05T14:30:00Z"
    year, month, day, hour, minute, second, tz_hour, tz_minute = match.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return "names a day that does not exist"
    if hour is not None and (int(hour) > 23 or int(minute) > 59 or int(second or 0) > 60):
        return "has an impossible time of day"
    if tz_hour is not None and (int(tz_hour) > 23 or int(tz_minute) > 59):
        return "has an impossible time-zone offset"
    return ""


def is_language(value: str) -> bool:
    """An ISO 639 language code with optional subtags, as the W3C validator accepts."""
    if not _LANGUAGE.fullmatch(value):
        return False
    primary = value.split("-", 1)[0].lower()
    return len(primary) == 3 or primary in ISO639_1


def is_positive_integer(value: str) -> bool:
    """A whole number above zero (surrounding whitespace allowed)."""
    text = value.strip()
    return text.isascii() and text.isdigit() and int(text) > 0


def is_non_negative_integer(value: str) -> bool:
    """A whole number, zero or more (surrounding whitespace allowed)."""
    text = value.strip()
    return text.isascii() and text.isdigit()


def is_integer(value: str) -> bool:
    """A whole number, possibly negative."""
    text = value.strip()
    return bool(re.fullmatch(r"[+-]?\d+", text)) and text.isascii()


def is_decimal(value: str) -> bool:
    """A decimal number such as ``12``, ``-3.5`` or ``29.97``."""
    return bool(_DECIMAL.fullmatch(value.strip())) and value.strip().isascii()


def decimal_in(value: str, low: float, high: float) -> bool:
    """Whether `value` is a decimal number from `low` to `high`."""
    if not is_decimal(value):
        return False
    number = float(value)
    return math.isfinite(number) and low <= number <= high


def is_npt(value: str) -> bool:
    """A Normal Play Time (RFC 2326): ``now``, seconds (``12.5``) or ``h:mm:ss(.f)``."""
    return bool(_NPT.fullmatch(value))


def plain_attributes(el: etree._Element) -> list[str]:
    """The names of `el`'s attributes that are in no namespace (``type``, not ``xml:lang``)."""
    # A parsed document's attribute names are str (the stubs also allow bytes).
    names = cast("list[str]", el.keys())
    return [name for name in names if name[0] != "{"]

"""A photo's own words (IPTC IIM and XMP) merged with the article's: who says what wins.

Precedence, field by field: what the article says; else the photo's XMP; else its IPTC IIM
(XMP is the current, Unicode form of the IPTC Photo Metadata Standard, IIM its legacy copy,
and the Metadata Working Group's guidance reads XMP first). Text is trimmed, runs of white
space become one space, characters XML forbids are dropped, and a value longer than
`MAX_FIELD_CHARS` is ignored: no caption needs it, and it would swamp every feed reader.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from feeds.load.xmp import XmpError, XmpFields, names, read_xmp

#: A metadata value longer than this is ignored (IIM allows 2,000 bytes for a caption).
MAX_FIELD_CHARS = 4000

# IIM datasets of the application record (2:nnn) and the envelope's character set (1:90).
_IIM_CAPTION = (2, 120)
_IIM_CREDIT = (2, 110)
_IIM_BYLINE = (2, 80)
_IIM_COPYRIGHT = (2, 116)
_IIM_CHARSET = (1, 90)
_UTF8_ESCAPE = b"\x1b%G"

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SPACE = re.compile(r"\s+")

IimData = Mapping[tuple[int, int], bytes | list[bytes]]


@dataclass(frozen=True, slots=True)
class PhotoText:
    """The words about an image that a feed publishes ("" when nobody said).

    Attributes:
        credit: The credit line as shown: the article's credit, else the photo's creator
            and credit line ("Jane Doe / Agency").
        license: An absolute http(s) URL of the licence or rights statement.
        problems: What was wrong with the photo's metadata (for warnings), each a sentence.
    """

    alt: str = ""
    caption: str = ""
    credit: str = ""
    copyright: str = ""
    license: str = ""
    problems: tuple[str, ...] = field(default=(), compare=False)


def _clean(text: str) -> str:
    return _SPACE.sub(" ", _FORBIDDEN.sub("", text)).strip()


def decode_iim(data: IimData) -> tuple[XmpFields, list[str]]:
    """The fields IIM holds (caption, credit, by-line, copyright), decoded.

    IIM text is UTF-8 when the envelope says so (1:90 = ESC % G); otherwise its encoding is
    unknown: valid UTF-8 is taken as UTF-8 (what most tools write today), anything else as
    Windows-1252 (what older tools wrote), so text is never refused for its bytes.
    """
    declared_utf8 = _first(data.get(_IIM_CHARSET)) == _UTF8_ESCAPE
    problems: list[str] = []

    def text(raw: bytes) -> str:
        if declared_utf8:
            return raw.decode("utf-8", "replace")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", "replace")

    def values(key: tuple[int, int]) -> list[str]:
        found = data.get(key)
        items = found if isinstance(found, list) else [found] if found is not None else []
        return [text(item) for item in items if isinstance(item, bytes)]

    fields = XmpFields(
        caption=" ".join(values(_IIM_CAPTION)),
        credit=" ".join(values(_IIM_CREDIT)),
        creator=names([_clean(v) for v in values(_IIM_BYLINE) if _clean(v)]),
        copyright=" ".join(values(_IIM_COPYRIGHT)),
    )
    return fields, problems


def _first(value: bytes | list[bytes] | None) -> bytes | None:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def credit_line(creator: str, credit: str) -> str:
    """Photographer and credit line as one credit ("Jane Doe / Agency"), without repeating
    one that the other already names."""
    if not creator or creator.casefold() in credit.casefold():
        return credit
    if not credit or credit.casefold() in creator.casefold():
        return creator
    return f"{creator} / {credit}"


def merge(
    *,
    alt: str,
    caption: str,
    credit: str,
    xmp: bytes | None,
    iim: IimData | None,
    language: str,
) -> PhotoText:
    """The words to publish: the article's (`alt`, `caption`, `credit`), with what it leaves
    empty filled from the photo's XMP, then its IIM.

    Args:
        xmp: The raw XMP packet, if the file has one.
        iim: The IIM datasets, if the file has them (as Pillow's IptcImagePlugin reads them).
        language: The site's language (chooses among an XMP field's translations).
    """
    problems: list[str] = []
    sources: list[XmpFields] = []
    if xmp is not None:
        try:
            sources.append(read_xmp(xmp, language))
        except XmpError as exc:
            problems.append(f"its XMP metadata {exc}; it is ignored")
    if iim:
        fields, iim_problems = decode_iim(iim)
        sources.append(fields)
        problems.extend(iim_problems)

    def pick(name: str) -> str:
        for source in sources:
            value = _clean(getattr(source, name))
            if len(value) > MAX_FIELD_CHARS:
                problems.append(
                    f"its embedded {name} is {len(value)} characters long, over the limit of "
                    f"{MAX_FIELD_CHARS}; it is ignored"
                )
                continue
            if value:
                return value
        return ""

    license_url = pick("license")
    if license_url and not _is_web_url(license_url):
        problems.append(
            f"its licence URL (xmpRights:WebStatement) {license_url[:80]!r} is not an "
            "http(s) URL; it is ignored"
        )
        license_url = ""
    return PhotoText(
        alt=alt or pick("alt"),
        caption=caption or pick("caption"),
        credit=credit or credit_line(pick("creator"), pick("credit")),
        copyright=pick("copyright"),
        license=license_url,
        problems=tuple(problems),
    )


def _is_web_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in text

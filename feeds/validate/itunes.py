"""The iTunes podcast namespace: Apple's podcast RSS tags, as the W3C Feed Validation Service
checks them.

Follows Apple Podcasts' RSS feed requirements and the W3C validator's itunes module (its
category lists and its severities). Elements Apple defines that the W3C validator does not
know yet (``itunes:title`` on the channel, ``itunes:complete``, ``itunes:order``,
``itunes:isClosedCaptioned``) are accepted. The namespace is matched whatever its case
(``http://www.itunes.com/DTDs/PodCast-1.0.dtd`` is common): `feeds.validate` has already
rewritten such spellings to the usual one.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

from lxml import etree

from feeds.rules import is_email
from feeds.validate.base import ITUNES_NS, XML_LANG, Collector, check_rfc822, children, text_of
from feeds.validate.ext import BOTH, CHANNEL_ONLY, ITEM_ONLY, NOWHERE, Term, check_vocabulary
from feeds.validate.scope import CHANNEL, Placed, Scope
from feeds.validate.values import (
    is_non_negative_integer,
    is_positive_integer,
    plain_attributes,
    uri_problem,
)

_ONCE_BOTH: Final = Term(BOTH, once=True)
_TERMS: Final = {
    **dict.fromkeys(
        ("author", "block", "explicit", "keywords", "subtitle", "summary", "image", "title"),
        _ONCE_BOTH,
    ),
    "owner": Term(CHANNEL_ONLY, once=True),
    "category": Term(CHANNEL_ONLY),
    "pubDate": Term(CHANNEL_ONLY, once=True),
    "new-feed-url": Term(CHANNEL_ONLY, once=True),
    "type": Term(CHANNEL_ONLY, once=True),
    "complete": Term(CHANNEL_ONLY, once=True),
    "applepodcastsverify": Term(CHANNEL_ONLY, once=True),
    "duration": Term(ITEM_ONLY, once=True),
    "episode": Term(ITEM_ONLY, once=True),
    "season": Term(ITEM_ONLY, once=True),
    "episodeType": Term(ITEM_ONLY, once=True),
    "isClosedCaptioned": Term(ITEM_ONLY, once=True),
    "order": Term(ITEM_ONLY, once=True),
    "name": Term(NOWHERE),
    "email": Term(NOWHERE),
}
_CODES: Final = ("itunes-unknown-element", "itunes-misplaced-element", "itunes-misplaced-element")
_LIMITS: Final = {"author": 255, "subtitle": 255, "keywords": 255, "summary": 4000, "name": 255}
_DURATION = re.compile(r"\d+(:[0-5]\d(:[0-5]\d)?)?")
_HTTP_URL = re.compile(r"https?://[A-Za-z0-9.\-]+(:\d+)?(/|$)", re.IGNORECASE)
# Apple's list of enclosure file types (the W3C validator warns about others).
_FORMATS: Final = frozenset({"m4a", "mp3", "mov", "mp4", "m4v", "pdf", "epub"})
_ENUMERATIONS: Final = {
    "explicit": ("true", "false"),
    "block": ("yes", "no", "clean"),
    "complete": ("yes", "no"),
    "isClosedCaptioned": ("yes", "no"),
    "type": ("episodic", "serial"),
    "episodeType": ("full", "trailer", "bonus"),
}
# Case matters for these two (the W3C validator's enumerations); the others are read
# without regard to case.
_CASE_SENSITIVE: Final = frozenset({"type", "episodeType"})

_CATEGORIES: Final = {
    "Arts": "Books|Design|Fashion & Beauty|Food|Performing Arts|Visual Arts",
    "Business": "Careers|Entrepreneurship|Investing|Management|Marketing|Non-Profit",
    "Comedy": "Comedy Interviews|Improv|Stand-Up",
    "Education": "Courses|How To|Language Learning|Self-Improvement",
    "Fiction": "Comedy Fiction|Drama|Science Fiction",
    "Government": "",
    "History": "",
    "Health & Fitness": "Alternative Health|Fitness|Medicine|Mental Health|Nutrition|Sexuality",
    "Kids & Family": "Education for Kids|Parenting|Pets & Animals|Stories for Kids",
    "Leisure": "Animation & Manga|Automotive|Aviation|Crafts|Games|Hobbies|Home & Garden|"
    "Video Games",
    "Music": "Music Commentary|Music History|Music Interviews",
    "News": "Business News|Daily News|Entertainment News|News Commentary|Politics|Sports News|"
    "Tech News",
    "Religion & Spirituality": "Buddhism|Christianity|Hinduism|Islam|Judaism|Religion|Spirituality",
    "Science": "Astronomy|Chemistry|Earth Sciences|Life Sciences|Mathematics|Natural Sciences|"
    "Nature|Physics|Social Sciences",
    "Society & Culture": "Documentary|Personal Journals|Philosophy|Places & Travel|Relationships",
    "Sports": "Baseball|Basketball|Cricket|Fantasy Sports|Football|Golf|Hockey|Rugby|Running|"
    "Soccer|Swimming|Tennis|Volleyball|Wilderness|Wrestling",
    "Technology": "",
    "True Crime": "",
    "TV & Film": "After Shows|Film History|Film Interviews|Film Reviews|TV Reviews",
}
_OLD_CATEGORIES: Final = {
    "Arts": "Literature",
    "Arts & Entertainment": "Architecture|Design|Entertainment|Games|Performing Arts|"
    "Photography|Poetry|Science Fiction",
    "Audio Blogs": "",
    "Business": "Careers|Finance|Investing|Management & Marketing|News|Shopping",
    "Comedy": "",
    "Education": "Education Technology|Higher Education|K-12|Language Courses|Training",
    "Family": "",
    "Food": "",
    "Games & Hobbies": "Automotive|Aviation|Hobbies|Other Games|Video Games",
    "Government & Organizations": "Local|National|Non-Profit|Regional",
    "Health": "Alternative Health|Diet & Nutrition|Fitness|Fitness & Nutrition|Relationships|"
    "Self-Help|Sexuality",
    "International": "Australian|Belgian|Brazilian|Canadian|Chinese|Dutch|French|German|Hebrew|"
    "Italian|Japanese|Norwegian|Polish|Portuguese|Spanish|Swedish",
    "Movies & Television": "",
    "News & Politics": "",
    "Politics": "",
    "Public Radio": "",
    "Religion & Spirituality": "Buddhism|Christianity|Islam|Judaism|New Age|Philosophy|Other|"
    "Spirituality",
    "Science & Medicine": "Medicine|Natural Sciences|Social Sciences",
    "Society & Culture": "History",
    "Sports & Recreation": "Amateur|College & High School|Outdoor|Professional",
    "Talk Radio": "",
    "Technology": "Computers|Developers|Gadgets|Information Technology|News|Operating Systems|"
    "Podcasting|Smart Phones|Software How-To|Tech News|Text/Speech",
    "Transportation": "Automotive|Aviation|Bicycles|Commuting",
    "Travel": "",
}


def check_itunes(scope: Scope, out: Collector) -> None:
    """Check the iTunes elements of a podcast feed (nothing when it has none)."""
    if not scope.uses(ITUNES_NS) or next(scope.root.iter(f"{{{ITUNES_NS}}}*"), None) is None:
        return
    for entry in check_vocabulary(scope, out, ITUNES_NS, _TERMS, codes=_CODES):
        _check_value(entry, out)
    for el in scope.root.iter(f"{{{ITUNES_NS}}}*"):
        _attributes(el, out)
    if scope.channel is not None:
        _check_channel(scope, out)
    for item in scope.items:
        _check_enclosures(item, out)


def _attributes(el: etree._Element, out: Collector) -> None:
    local = etree.QName(el).localname
    allowed = {"image": ("href",), "category": ("text",)}.get(local, ())
    for name in plain_attributes(el):
        if name not in allowed:
            out.add(
                "itunes-unknown-attribute",
                el,
                f'itunes:{local} has no attribute "{name}"'
                + (f" (it has {', '.join(allowed)})" if allowed else "")
                + ": check the spelling or remove it",
                attr=name,
            )


def _check_value(entry: Placed, out: Collector) -> None:
    el, local = entry.element, entry.local
    value = text_of(el)
    limit = _LIMITS.get(local)
    if limit is not None and len(value.strip()) > limit:
        out.add(
            "itunes-too-long",
            el,
            f"<itunes:{local}> has {len(value.strip())} characters; Apple allows {limit}: "
            "shorten it",
        )
    if local in _ENUMERATIONS:
        allowed = _ENUMERATIONS[local]
        # explicit and block are read exactly, spaces included (the W3C test suite's
        # whitespace_in_explicit_value is an error); case does not matter for them.
        given = value.strip() if local in _CASE_SENSITIVE else value.lower()
        if local not in ("explicit", "block"):
            given = given.strip()
        if given not in allowed:
            out.add(
                "itunes-value",
                el,
                f'<itunes:{local}> "{value.strip()}" must be '
                + " or ".join(f'"{a}"' for a in allowed)
                + (" (Apple now asks for true or false)" if local == "explicit" else ""),
            )
    elif local == "duration":
        if not _DURATION.fullmatch(value.strip()):
            out.add(
                "itunes-value",
                el,
                f'<itunes:duration> "{value.strip()}" must be seconds ("3600") or H:MM:SS '
                '("1:02:03") / MM:SS',
            )
    elif local in ("episode", "season"):
        if not is_positive_integer(value):
            out.add(
                "itunes-value",
                el,
                f'<itunes:{local}> "{value.strip()}" must be a whole number of at least 1',
            )
    elif local == "order":
        if not is_non_negative_integer(value):
            out.add("itunes-value", el, f'<itunes:order> "{value.strip()}" must be a number')
    elif local == "pubDate":
        if check_rfc822(value).code not in ("", "rss-date-problematic"):
            out.add(
                "itunes-value",
                el,
                f'<itunes:pubDate> "{value.strip()}" is not an RFC 822 date such as '
                '"Tue, 05 Mar 2024 14:30:00 +0000"',
            )
    elif local == "keywords":
        if " " in value.strip() and "," not in value:
            out.add(
                "itunes-keywords",
                el,
                'itunes:keywords are separated by commas, not spaces: "harbour, ferries, tides"',
            )
    elif local == "image":
        href = el.get("href")
        if href is None or not _HTTP_URL.match(href) or uri_problem(href):
            out.add(
                "itunes-url",
                el,
                'itunes:image needs href="<http(s) URL of the artwork>"'
                + (f' ("{href}" is not one)' if href is not None else ""),
                attr="href",
            )
    elif local == "new-feed-url":
        problem = uri_problem(value.strip())
        if problem:
            out.add(
                "itunes-url",
                el,
                f'<itunes:new-feed-url> "{value.strip()}" {problem}: give the feed\'s new '
                "absolute URL",
            )
    elif local == "owner":
        _check_owner(el, out)
    elif local == "category":
        _check_category(el, None, out)


def _check_owner(owner: etree._Element, out: Collector) -> None:
    emails = [c for c in children(owner) if c.tag == f"{{{ITUNES_NS}}}email"]
    for child in children(owner):
        local = etree.QName(child).localname
        if child.tag.startswith(f"{{{ITUNES_NS}}}") and local not in ("name", "email"):
            out.add(
                "itunes-misplaced-element",
                child,
                f"<itunes:{local}> does not belong in itunes:owner (it holds name and email)",
            )
        elif local == "name" and len(text_of(child).strip()) > _LIMITS["name"]:
            out.add("itunes-too-long", child, "<itunes:name> is longer than 255 characters")
    if not emails:
        out.add(
            "itunes-owner-email",
            owner,
            "itunes:owner needs an <itunes:email> (Apple writes to it about the show): add it",
        )
    for email in emails:
        if not is_email(text_of(email)):
            out.add(
                "itunes-owner-email",
                email,
                f'<itunes:email> "{text_of(email).strip()}" is not an e-mail address',
            )


def _check_category(el: etree._Element, parent: str | None, out: Collector) -> None:
    text = el.get("text")
    if text is None:
        out.add(
            "itunes-category",
            el,
            'itunes:category needs text="<category>", e.g. text="Technology"',
            attr="text",
        )
        return
    current = _CATEGORIES if parent is None else {
        name: "" for name in _CATEGORIES.get(parent, "").split("|") if name
    }  # fmt: skip
    old = _OLD_CATEGORIES if parent is None else {
        name: "" for name in _OLD_CATEGORIES.get(parent, "").split("|") if name
    }  # fmt: skip
    if text not in current:
        where = "a category" if parent is None else f'a subcategory of "{parent}"'
        if text in old:
            out.add(
                "itunes-category-obsolete",
                el,
                f'"{text}" is no longer {where} Apple lists: pick a current one',
                attr="text",
            )
        else:
            out.add(
                "itunes-category",
                el,
                f'"{text}" is not {where} of Apple Podcasts (exact spelling and case, '
                '"&" written as &amp;amp;): e.g. "Technology", "News", "Society & Culture"',
                attr="text",
            )
    for child in children(el):
        if child.tag == f"{{{ITUNES_NS}}}category":
            if parent is not None:
                out.add("itunes-category", child, "itunes:category nests only one level deep")
            else:
                _check_category(child, text, out)


def _check_channel(scope: Scope, out: Collector) -> None:
    channel = scope.channel
    assert channel is not None
    present = {p.local for p in scope.placed(ITUNES_NS) if p.context == CHANNEL}
    language = channel.get(XML_LANG) or scope.root.get(XML_LANG)
    if scope.kind != "atom":
        language = language or next(
            (text_of(c) for c in children(channel) if c.tag == scope.tag("language")), None
        )
    missing = [] if language else ["<language>"]
    missing += [
        f"<itunes:{name}>" for name in ("category", "explicit", "owner") if name not in present
    ]
    for name in missing:
        out.add(
            "itunes-missing-element",
            channel,
            f"a podcast channel should have {name}: Apple Podcasts requires it",
        )


def _check_enclosures(item: etree._Element, out: Collector) -> None:
    for child in children(item):
        if child.tag not in ("enclosure", "{http://backend.userland.com/rss2}enclosure"):
            continue
        path = urlsplit(child.get("url") or "").path
        name = path.rsplit("/", 1)[-1]
        if "." not in name:
            continue  # no file extension to judge by
        extension = name.rsplit(".", 1)[-1].lower()
        if extension not in _FORMATS:
            out.add(
                "itunes-enclosure-format",
                child,
                f'a ".{extension}" file: Apple Podcasts takes {", ".join(sorted(_FORMATS))}',
                attr="url",
            )

"""RSS 2.0 rules of the feed validator (spec MUSTs as errors, RSS Best Practices as warnings)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Final

from lxml import etree

from feeds.rules import ATOM_NS, CONTENT_NS, has_email, is_iri_reference
from feeds.rules import is_absolute_iri as is_absolute_url
from feeds.validate.base import (
    ISO639_1,
    Collector,
    check_rfc822,
    children,
    element_name,
    is_mime_type,
    is_non_negative_integer,
    text_of,
)
from feeds.validate.values import uri_problem

_CHANNEL_ONCE: Final = frozenset(
    [
        "title",
        "link",
        "description",
        "language",
        "copyright",
        "managingEditor",
        "webMaster",
        "pubDate",
        "lastBuildDate",
        "generator",
        "docs",
        "cloud",
        "ttl",
        "image",
        "rating",
        "textInput",
        "textinput",
        "skipHours",
        "skipDays",
    ]
)
_CHANNEL_KNOWN: Final = _CHANNEL_ONCE | {"category", "item"}
_ITEM_ONCE: Final = frozenset(
    ["title", "link", "description", "author", "comments", "guid", "pubDate", "source"]
)
_ITEM_KNOWN: Final = _ITEM_ONCE | {"category", "enclosure"}
_IMAGE_KNOWN: Final = frozenset(["url", "title", "link", "width", "height", "description"])
_TEXTINPUT_KNOWN: Final = frozenset(["title", "description", "name", "link"])
_DAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CLOUD_PROTOCOLS: Final = ("xml-rpc", "soap", "http-post")
_RSS_VERSIONS: Final = ("2.0", "0.91", "0.92", "0.93", "0.94")

# href/src attributes whose value does not start with a scheme or "#" (so: relative), and
# srcset lists (checked entry by entry), inside HTML carried as text.
_NOT_ABSOLUTE = r"(?![A-Za-z][A-Za-z0-9+.\-]*:|#)"
_RELATIVE_ATTR = re.compile(
    rf"""\s(?:href|src)\s*=\s*(?:"{_NOT_ABSOLUTE}([^"]+)"|'{_NOT_ABSOLUTE}([^']+)'"""
    rf"""|{_NOT_ABSOLUTE}([^\s>"']+))""",
    re.IGNORECASE,
)
_SRCSET_ATTR = re.compile(r"""\ssrcset\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_HAS_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")

_CONTACT = re.compile(r"[^@\s()<>]+@[^@\s()<>]+\.[^@\s()<>]+ \([^()]+\)")
_TEXTINPUT_NAME = re.compile(r"[A-Za-z_][\w:.\-]*")

_MISPLACED_HINTS: Final = {
    "encoded": f'"encoded" needs the content namespace: write <content:encoded> with '
    f'xmlns:content="{CONTENT_NS}" on the root element',
    "creator": 'use <dc:creator> with xmlns:dc="http://purl.org/dc/elements/1.1/"',
    "updated": "RSS has no <updated>: use <pubDate> (items) or <lastBuildDate> (channel)",
    "date": "RSS has no <date>: use <pubDate> with an RFC 822 date",
    "summary": "RSS has no <summary>: use <description>",
    "content": 'use <content:encoded> for full content (xmlns:content="' + CONTENT_NS + '")',
    "thumbnail": 'use <media:thumbnail url="..."/> (xmlns:media="http://search.yahoo.com/mrss/")',
}


class _Rss:
    """Walks one RSS document; `ns` is the RSS namespace ("" for RSS 2.0 as usually written)."""

    def __init__(self, root: etree._Element, out: Collector) -> None:
        self.root = root
        self.out = out
        self.ns = etree.QName(root).namespace or ""
        self.prefix = f"{{{self.ns}}}" if self.ns else ""

    def local(self, el: etree._Element) -> str | None:
        """The element's RSS name, or None when it belongs to another namespace."""
        tag = el.tag
        if not isinstance(tag, str):
            return None
        if not self.prefix:
            return None if tag.startswith("{") else tag
        return tag[len(self.prefix) :] if tag.startswith(self.prefix) else None

    def named(self, el: etree._Element) -> list[tuple[etree._Element, str | None]]:
        """The child elements of `el` with their RSS names (None for other namespaces)."""
        return [(child, self.local(child)) for child in children(el)]

    def run(self) -> None:
        version = self.root.get("version")
        if version is None:
            self.out.add(
                "rss-missing-version",
                self.root,
                'the rss element needs version="2.0"',
                attr="version",
            )
        elif version.strip() not in _RSS_VERSIONS:
            self.out.add(
                "rss-version", self.root, f'version="{version}" is not RSS 2.0: write "2.0"'
            )
        channels = [c for c in children(self.root) if self.local(c) == "channel"]
        for extra in channels[1:]:
            self.out.add("rss-duplicate-element", extra, "an RSS document has exactly one channel")
        for child in children(self.root):
            name = self.local(child)
            if name is not None and name != "channel":
                self.unknown(child, "rss")
        if not channels:
            self.out.add(
                "rss-missing-channel",
                self.root,
                "rss has no <channel>: put title, link, description and the items in one",
            )
            return
        self.channel(channels[0])

    def unknown(self, el: etree._Element, parent: str) -> None:
        name = element_name(el)
        hint = _MISPLACED_HINTS.get(name)
        if hint is None:
            if parent == "channel" and name in _ITEM_KNOWN:
                hint = f"<{name}> belongs inside <item>, not directly in <channel>"
            elif parent == "item" and name in _CHANNEL_KNOWN:
                hint = f"<{name}> belongs in <channel>, not in <item>"
            else:
                hint = (
                    f"RSS 2.0 has no <{name}> in {parent}: remove it, or put it in a "
                    "declared extension namespace (e.g. dc:, content:, media:)"
                )
        self.out.add("rss-unknown-element", el, hint)

    def once(
        self,
        named: list[tuple[etree._Element, str | None]],
        allowed_once: frozenset[str],
        where: str,
    ) -> None:
        counts = Counter(name for _, name in named if name in allowed_once)
        if all(count == 1 for count in counts.values()):
            return
        seen: set[str] = set()
        for child, name in named:
            if name in allowed_once and counts[name] > 1:
                if name in seen:
                    self.out.add(
                        "rss-duplicate-element",
                        child,
                        f"<{name}> may appear only once in {where}: keep one",
                    )
                seen.add(name)

    def require(
        self,
        el: etree._Element,
        named: list[tuple[etree._Element, str | None]],
        names: tuple[str, ...],
        where: str,
    ) -> None:
        present = {name for _, name in named}
        for name in names:
            if name not in present:
                self.out.add("rss-missing-element", el, f"{where} must contain <{name}>: add it")

    def channel(self, channel: etree._Element) -> None:
        named = self.named(channel)
        self.once(named, _CHANNEL_ONCE, "a channel")
        self.require(channel, named, ("title", "link", "description"), "the channel")
        has_self = False
        for child, name in named:
            if name is None:
                if child.tag == f"{{{ATOM_NS}}}link":
                    has_self = self.atom_link(child) or has_self
                continue
            if name not in _CHANNEL_KNOWN:
                self.unknown(child, "channel")
            elif name == "item":
                self.item(child)
            elif name in ("link", "docs"):
                self.url(child)
            elif name in ("pubDate", "lastBuildDate"):
                self.date(child)
            elif name == "language":
                self.language(child)
            elif name in ("managingEditor", "webMaster"):
                self.contact(child)
            elif name == "ttl":
                self.integer(child, "ttl (minutes)")
            elif name == "image":
                self.image(child)
                self.image_matches(child, named)
            elif name == "cloud":
                self.cloud(child)
            elif name in ("textInput", "textinput"):
                self.text_input(child)
            elif name == "skipHours":
                self.skip_hours(child)
            elif name == "skipDays":
                self.skip_days(child)
        if not has_self:
            self.out.add(
                "rss-missing-atom-self",
                channel,
                'add <atom:link rel="self" type="application/rss+xml" href="<this feed\'s '
                f'URL>"/> (xmlns:atom="{ATOM_NS}") so readers know the feed\'s own address',
            )

    def atom_link(self, link: etree._Element) -> bool:
        href = link.get("href")
        if href is None:
            self.out.add("atom-link-missing-href", link, "atom:link needs an href", attr="href")
        elif not is_iri_reference(href):
            self.out.add(
                "atom-iri-invalid",
                link,
                f'href="{href}" is not a valid URL: percent-encode spaces and quotes',
                attr="href",
            )
        return link.get("rel") == "self"

    def item(self, item: etree._Element) -> None:
        named = self.named(item)
        self.once(named, _ITEM_ONCE, "an item")
        present = {name for _, name in named}
        if "title" not in present and "description" not in present:
            self.out.add(
                "rss-item-missing-title-or-description",
                item,
                "an item must contain a <title> or a <description>: add at least one",
            )
        if "guid" not in present:
            self.out.add(
                "rss-guid-missing",
                item,
                "add a <guid> that never changes so readers do not show the item twice",
            )
        enclosures = 0
        for child, name in named:
            if name is None:
                if child.tag == f"{{{CONTENT_NS}}}encoded":
                    self.relative_urls(child)
                continue
            if name not in _ITEM_KNOWN:
                self.unknown(child, "item")
            elif name in ("link", "comments"):
                self.url(child)
            elif name == "pubDate":
                self.date(child)
            elif name == "author":
                self.contact(child)
            elif name == "guid":
                self.guid(child)
            elif name == "enclosure":
                enclosures += 1
                self.enclosure(child, enclosures)
            elif name == "source":
                self.source(child)
            elif name == "description":
                self.relative_urls(child)

    # value checks -------------------------------------------------------------------

    def url(self, el: etree._Element) -> None:
        value = text_of(el).strip()
        if not is_absolute_url(value):
            self.out.add(
                "rss-url-invalid",
                el,
                f'<{element_name(el)}> "{value}" must be an absolute URL such as '
                "https://example.com/page (no spaces; percent-encode them)",
            )
        elif uri_problem(value):  # RSS 2.0 links are URIs (RFC 3986), not IRIs
            self.out.add(
                "rss-url-invalid",
                el,
                f'<{element_name(el)}> "{value}" {uri_problem(value)}: RSS links are URIs, '
                "so write e.g. %C3%A9 for é",
            )

    def url_attr(self, el: etree._Element, attr: str) -> None:
        value = el.get(attr)
        if value is None:
            self.out.add(
                "rss-missing-attribute",
                el,
                f'<{element_name(el)}> needs a {attr}="..." attribute',
                attr=attr,
            )
        elif not is_absolute_url(value) or uri_problem(value):
            self.out.add(
                "rss-url-invalid",
                el,
                f'{attr}="{value}" must be an absolute URL such as https://example.com/file'
                + (f" ({uri_problem(value)})" if is_absolute_url(value) else ""),
                attr=attr,
            )

    def date(self, el: etree._Element) -> None:
        value = text_of(el)
        result = check_rfc822(value)
        if result.code:
            self.out.add(
                result.code,
                el,
                f'<{element_name(el)}> "{value.strip()}" {result.problem}: write it like '
                '"Tue, 05 Mar 2024 14:30:00 +0000" (4-digit year, numeric zone or GMT)',
            )

    def language(self, el: etree._Element) -> None:
        value = text_of(el).strip()
        primary = value.split("-")[0].lower()
        valid = re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", value) is not None and (
            len(primary) == 3 or primary in ISO639_1
        )
        if not valid:
            self.out.add(
                "rss-language",
                el,
                f'<language> "{value}" is not a language code: use ISO 639 such as "en" or "en-us"',
            )

    def contact(self, el: etree._Element) -> None:
        value = text_of(el).strip()
        name = element_name(el)
        if not has_email(value):
            self.out.add(
                "rss-contact-not-email",
                el,
                f'<{name}> "{value}" holds no e-mail address: write "jo@example.com (Jo Doe)"'
                + (", or put a name-only byline in <dc:creator>" if name == "author" else ""),
            )
        elif not _CONTACT.fullmatch(value.removeprefix("mailto:")):
            # The RSS Best Practices Profile's form, a warning as the W3C validator has it.
            self.out.add(
                "rss-contact-format",
                el,
                f'<{name}> "{value}": write the address then the name in parentheses, '
                '"jo@example.com (Jo Doe)"',
            )

    def integer(self, el: etree._Element, what: str) -> bool:
        value = text_of(el).strip()
        if not is_non_negative_integer(value):
            self.out.add(
                "rss-invalid-integer",
                el,
                f'{what} "{value}" must be a whole number such as 60',
            )
            return False
        return True

    def guid(self, el: etree._Element) -> None:
        flag = el.get("isPermaLink")
        value = text_of(el).strip()
        if flag is not None and flag not in ("true", "false"):
            self.out.add(
                "rss-guid-permalink-value",
                el,
                f'isPermaLink="{flag}" must be "true" or "false" (lower case)',
                attr="isPermaLink",
            )
            return
        if flag != "false" and (
            not is_absolute_url(value)
            or bool(uri_problem(value))
            or value.lower().startswith(("tag:", "urn:"))
        ):
            self.out.add(
                "rss-guid-not-url",
                el,
                f'guid "{value}" is a permalink by default but not a URL: add '
                'isPermaLink="false", or use the article\'s absolute URL',
            )

    def enclosure(self, el: etree._Element, number: int) -> None:
        if number == 2:
            self.out.add(
                "rss-enclosure-multiple",
                el,
                "an item should carry one enclosure (many readers keep only one): move the "
                "other files to media:content",
            )
        self.url_attr(el, "url")
        length = el.get("length")
        if length is None:
            self.out.add(
                "rss-missing-attribute",
                el,
                'enclosure needs length="<size in bytes>"',
                attr="length",
            )
        elif not is_non_negative_integer(length):
            self.out.add(
                "rss-invalid-integer",
                el,
                f'enclosure length="{length}" must be the size in bytes, a whole number',
                attr="length",
            )
        kind = el.get("type")
        if kind is None:
            self.out.add(
                "rss-missing-attribute",
                el,
                'enclosure needs type="<MIME type>", e.g. type="image/jpeg"',
                attr="type",
            )
        elif not is_mime_type(kind):
            self.out.add(
                "rss-mime-type",
                el,
                f'enclosure type="{kind}" is not a MIME type: use e.g. "audio/mpeg"',
                attr="type",
            )

    def source(self, el: etree._Element) -> None:
        self.url_attr(el, "url")

    def image(self, image: etree._Element) -> None:
        named = self.named(image)
        self.once(named, _IMAGE_KNOWN, "the image")
        self.require(image, named, ("url", "title", "link"), "the channel image")
        limits = {"width": 144, "height": 400}
        for child, name in named:
            if name is None:
                continue
            if name not in _IMAGE_KNOWN:
                self.unknown(child, "image")
            elif name in ("url", "link"):
                self.url(child)
            elif name in limits and self.integer(child, f"image {name}"):
                value = int(text_of(child).strip())
                if value == 0 or value > limits[name]:
                    self.out.add(
                        "rss-image-size",
                        child,
                        f"image {name} {value} is not from 1 to the maximum of {limits[name]} "
                        "pixels: give the image's real size (or leave the element out)",
                    )

    def image_matches(
        self, image: etree._Element, channel: list[tuple[etree._Element, str | None]]
    ) -> None:
        """The W3C validator's rule: readers link the image to the channel, so its title and
        link should be the channel's."""
        own = {name: text_of(child).strip() for child, name in channel if name in ("title", "link")}
        for child, name in self.named(image):
            if name in own and text_of(child).strip() != own[name]:
                self.out.add(
                    f"rss-image-{name}-mismatch",
                    child,
                    f"the image {name} {text_of(child).strip()!r} is not the channel's "
                    f"({own[name]!r}): use the channel's {name}",
                )

    def text_input(self, box: etree._Element) -> None:
        named = self.named(box)
        self.once(named, _TEXTINPUT_KNOWN, "textInput")
        self.require(box, named, ("title", "description", "name", "link"), "textInput")
        for child, name in named:
            if name is not None and name not in _TEXTINPUT_KNOWN:
                self.unknown(child, "textInput")
            elif name == "link":
                self.url(child)
            elif name == "name" and not _TEXTINPUT_NAME.fullmatch(text_of(child).strip()):
                self.out.add(
                    "rss-textinput-name",
                    child,
                    f'textInput name "{text_of(child).strip()}" is the name of the form field '
                    'the reader sends: a word of letters, digits and _ such as "q"',
                )

    def cloud(self, cloud: etree._Element) -> None:
        for attr in ("domain", "port", "path", "registerProcedure", "protocol"):
            if cloud.get(attr) is None:
                self.out.add(
                    "rss-missing-attribute",
                    cloud,
                    f"cloud needs all of domain, port, path, registerProcedure, protocol; "
                    f"{attr} is missing",
                    attr=attr,
                )
        port = cloud.get("port")
        if port is not None and (not is_non_negative_integer(port) or int(port) == 0):
            self.out.add(
                "rss-cloud",
                cloud,
                f'cloud port="{port}" must be a port number, 1 or more',
                attr="port",
            )
        protocol = cloud.get("protocol")
        if protocol is not None and protocol not in _CLOUD_PROTOCOLS:
            self.out.add(
                "rss-cloud",
                cloud,
                f'cloud protocol="{protocol}" must be xml-rpc, soap or http-post',
                attr="protocol",
            )

    def skip_hours(self, el: etree._Element) -> None:
        if not any(self.local(child) == "hour" for child in children(el)):
            self.out.add(
                "rss-missing-element", el, "skipHours must contain at least one <hour>: add one"
            )
        seen: set[int] = set()
        for child in children(el):
            name = self.local(child)
            if name != "hour":
                if name is not None:
                    self.unknown(child, "skipHours")
                continue
            value = text_of(child).strip()
            if not is_non_negative_integer(value) or int(value) > 23:
                self.out.add(
                    "rss-skip-hours", child, f'hour "{value}" must be a number from 0 to 23'
                )
            elif int(value) in seen:
                self.out.add("rss-skip-hours", child, f"hour {value} is listed twice")
            else:
                seen.add(int(value))

    def skip_days(self, el: etree._Element) -> None:
        if not any(self.local(child) == "day" for child in children(el)):
            self.out.add(
                "rss-missing-element", el, "skipDays must contain at least one <day>: add one"
            )
        seen: set[str] = set()
        for child in children(el):
            name = self.local(child)
            if name != "day":
                if name is not None:
                    self.unknown(child, "skipDays")
                continue
            value = text_of(child).strip()
            if value not in _DAYS:
                self.out.add(
                    "rss-skip-days",
                    child,
                    f'day "{value}" must be one of {", ".join(_DAYS)} (capitalised)',
                )
            elif value in seen:
                self.out.add("rss-skip-days", child, f"{value} is listed twice")
            else:
                seen.add(value)

    def relative_urls(self, el: etree._Element) -> None:
        text = text_of(el)
        if "<" not in text:
            return
        relative = [
            next(g for g in m.groups() if g is not None).strip()
            for m in _RELATIVE_ATTR.finditer(text)
        ]
        for match in _SRCSET_ATTR.finditer(text):
            value = match.group(1) if match.group(1) is not None else match.group(2)
            for candidate in value.split(","):
                url = candidate.strip().split(" ")[0]
                if url and not url.startswith("#") and not _HAS_SCHEME.match(url):
                    relative.append(url)
        relative = [url for url in relative if url]
        if relative:
            more = f" and {len(relative) - 1} more" if len(relative) > 1 else ""
            self.out.add(
                "rss-relative-url-in-content",
                el,
                f'the HTML refers to the relative URL "{relative[0]}"{more}: readers resolve '
                "relative URLs differently (or not at all); write absolute URLs in href, src "
                "and srcset",
            )


def check_rss(root: etree._Element, out: Collector) -> None:
    """Check an RSS 2.0 document whose root is `rss` (RSS 1.0 is not checked)."""
    if etree.QName(root).localname != "rss":
        return
    _Rss(root, out).run()

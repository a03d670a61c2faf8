"""Media RSS 1.5.1 rules of the feed validator (namespace http://search.yahoo.com/mrss/)."""

from __future__ import annotations

from typing import Final

from lxml import etree

from feeds.rules import MEDIA_NS
from feeds.rules import is_absolute_iri as is_absolute_url
from feeds.validate.base import Collector, children, element_name, is_number
from feeds.validate.values import is_positive_integer

_KNOWN: Final = frozenset(
    """adult backLink backLinks category comment comments community content copyright credit
    description embed group hash keywords license location param peerLink player price
    rating response responses restriction rights scene sceneDescription sceneEndTime scenes
    sceneStartTime sceneTitle starRating statistics status subTitle tags text thumbnail
    title""".split()  # noqa: SIM905
)
_NUMERIC: Final = {
    "content": ("fileSize", "bitrate", "framerate", "samplingrate", "channels", "duration",
                "height", "width"),
    "thumbnail": ("width", "height"),
    "player": ("width", "height"),
    "embed": ("width", "height"),
}  # fmt: skip
_POSITIVE_INTEGERS: Final = frozenset({"fileSize", "width", "height"})
_MEDIUMS: Final = ("image", "audio", "video", "document", "executable")
_EXPRESSIONS: Final = ("sample", "full", "nonstop")
_TEXT_TYPES: Final = ("plain", "html")


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _check_element(el: etree._Element, out: Collector) -> None:
    name = _local(el)
    if name not in _KNOWN:
        out.add(
            "media-unknown-element",
            el,
            f"Media RSS has no <media:{name}>: remove it or check the spelling "
            "(e.g. media:content, media:description, media:credit, media:thumbnail)",
        )
        return
    for attr in _NUMERIC.get(name, ()):
        value = el.get(attr)
        # An empty value says nothing, as the W3C validator reads it: not an error.
        if not value:
            continue
        if attr in _POSITIVE_INTEGERS:
            if not is_positive_integer(value):
                out.add(
                    "media-number",
                    el,
                    f'{attr}="{value}" must be a whole number of at least 1 (no units): '
                    f'e.g. {attr}="640"',
                    attr=attr,
                )
        elif not is_number(value):
            out.add(
                "media-number",
                el,
                f'{attr}="{value}" must be a number (no units): e.g. {attr}="640"',
                attr=attr,
            )
    if name == "content":
        _check_content(el, out)
    elif name in ("thumbnail", "player"):
        url = el.get("url")
        if url is None:
            out.add("media-missing-url", el, f'media:{name} needs url="<absolute URL>"', attr="url")
        elif not is_absolute_url(url):
            out.add(
                "media-url-invalid",
                el,
                f'url="{url}" must be an absolute URL such as https://example.com/a.jpg',
                attr="url",
            )
    elif name in ("title", "description"):
        kind = el.get("type")
        if kind is not None and kind not in _TEXT_TYPES:
            out.add(
                "media-text-type",
                el,
                f'media:{name} type="{kind}" must be "plain" or "html"',
                attr="type",
            )
    elif name == "credit":
        scheme = el.get("scheme")
        if scheme is not None and not is_absolute_url(scheme):
            out.add(
                "media-credit-scheme",
                el,
                f'scheme="{scheme}" must be a URI such as "urn:ebu" (the default): '
                "leave it out unless you use another role vocabulary",
                attr="scheme",
            )
    elif name == "group":
        _check_group(el, out)


def _check_content(el: etree._Element, out: Collector) -> None:
    url = el.get("url")
    if url is None:
        if not any(c.tag == f"{{{MEDIA_NS}}}player" for c in children(el)):
            out.add(
                "media-missing-url",
                el,
                'media:content needs url="<absolute URL of the file>" (or a media:player)',
                attr="url",
            )
    elif not is_absolute_url(url):
        out.add(
            "media-url-invalid",
            el,
            f'url="{url}" must be an absolute URL such as https://example.com/photo.jpg',
            attr="url",
        )
    medium = el.get("medium")
    if medium is not None and medium not in _MEDIUMS:
        out.add(
            "media-medium",
            el,
            f'medium="{medium}" must be one of {", ".join(_MEDIUMS)}',
            attr="medium",
        )
    default = el.get("isDefault")
    if default is not None and default not in ("true", "false"):
        out.add(
            "media-is-default",
            el,
            f'isDefault="{default}" must be "true" or "false"',
            attr="isDefault",
        )
    expression = el.get("expression")
    if expression is not None and expression not in _EXPRESSIONS:
        out.add(
            "media-expression",
            el,
            f'expression="{expression}" must be sample, full or nonstop',
            attr="expression",
        )


def _check_group(group: etree._Element, out: Collector) -> None:
    renditions = 0
    for child in children(group):
        if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{MEDIA_NS}}}"):
            out.add(
                "media-group-child",
                child,
                f"<{element_name(child)}> does not belong in media:group: a group holds "
                "media:content renditions and optional Media RSS elements only",
            )
        elif _local(child) == "group":
            out.add("media-group-child", child, "media:group cannot be nested: flatten it")
        elif _local(child) == "content":
            renditions += 1
    if renditions < 2:
        out.add(
            "media-group-single",
            group,
            f"media:group holds {renditions} media:content: a group is for several renditions "
            "of the same item; put a single media:content directly in the item",
        )


def check_media(root: etree._Element, out: Collector) -> None:
    """Check every Media RSS element of an RSS or Atom document."""
    for el in root.iter(f"{{{MEDIA_NS}}}*"):
        _check_element(el, out)

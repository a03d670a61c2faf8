"""Turn an article body into safe, self-contained HTML: Markdown, figures, absolute URLs."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Sequence
from copy import deepcopy
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import nh3

from feeds.load.nesting import cap_nesting
from feeds.load.srcset import Candidate, format_srcset, parse_srcset
from feeds.model import Image, Link, credit_html
from feeds.rules import strip_forbidden_chars

#: Maps a relative URL found in the body to an absolute URL, or None when it is not a local file.
LocalResolver = Callable[[str], str | None]

SUMMARY_CHARS = 300

# XML 1.0 forbids these code points; they reach us from pasted text and must never reach lxml.

_URL_ATTRIBUTES = frozenset({"href", "src", "cite", "poster", "data-src", "longdesc"})
_SRCSET_ATTRIBUTES = frozenset({"srcset", "data-srcset"})
_LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_MEDIA_SCHEMES = frozenset({"http", "https"})


def render_markdown(text: str) -> str:
    """Render Markdown (CommonMark plus tables and strikethrough, as GitHub writes them) to
    unsanitised HTML, raw HTML included (`sanitise_html` makes it safe).

    cmark-gfm is the C reference implementation of both specifications: an article renders in
    a tenth of the time a pure-Python renderer takes, and the module loads at once. Its Python
    binding (cmarkgfm 2025.10) never frees the parsed document nor the rendered HTML, about
    30 KB an article, which a daemon that renders every save for days cannot afford: the steps
    are taken here, and both are freed (`_Cmark`).
    """
    cmark = _cmark()
    return cmark.render(text)


class _Cmark:
    """cmark-gfm through cmarkgfm's compiled module, with the two frees its binding lacks
    (``cmark_node_free`` of the document, ``free`` of the rendered string; the library is
    built with the C library's allocator)."""

    def __init__(self) -> None:
        import ctypes  # noqa: PLC0415 - loaded with cmark, on first use

        from cmarkgfm import _cmark as compiled  # noqa: PLC0415
        from cmarkgfm.cmark import Options  # noqa: PLC0415

        self.ffi, self.lib = compiled.ffi, compiled.lib
        self.options = Options.CMARK_OPT_UNSAFE
        self.lib.cmark_gfm_core_extensions_ensure_registered()
        self.extensions = [
            self.lib.cmark_find_syntax_extension(name) for name in (b"table", b"strikethrough")
        ]
        self._free_node = ctypes.CDLL(compiled.__file__).cmark_node_free
        self._free_node.argtypes, self._free_node.restype = [ctypes.c_void_p], None
        self._free = ctypes.CDLL(None).free
        self._free.argtypes, self._free.restype = [ctypes.c_void_p], None

    def _address(self, pointer: object) -> int:
        return int(self.ffi.cast("uintptr_t", pointer))

    def render(self, text: str) -> str:
        lib, encoded = self.lib, text.encode("utf-8")
        parser = lib.cmark_parser_new(self.options)
        try:
            for extension in self.extensions:
                lib.cmark_parser_attach_syntax_extension(parser, extension)
            lib.cmark_parser_feed(parser, encoded, len(encoded))
            root = lib.cmark_parser_finish(parser)
            try:
                extensions = lib.cmark_parser_get_syntax_extensions(parser)
                raw = lib.cmark_render_html(root, self.options, extensions)
                try:
                    rendered: str = self.ffi.string(raw).decode("utf-8")
                finally:
                    self._free(self._address(raw))
            finally:
                self._free_node(self._address(root))
        finally:
            lib.cmark_parser_free(parser)
        return rendered


@lru_cache(maxsize=1)
def _cmark() -> _Cmark:
    return _Cmark()


def render_paragraphs(paragraphs: Sequence[str]) -> str:
    """Render plain-text paragraphs (wire format) as escaped ``<p>`` elements."""
    return "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in paragraphs)


def image_srcset(image: Image) -> str:
    """``srcset`` and ``sizes`` attributes (with a leading space) offering the image's
    thumbnail and its published size, or "" when there is only one size."""
    thumb = image.thumbnail
    if thumb is None or thumb.url == image.url or not image.width:
        return ""
    srcset = format_srcset(
        [Candidate(thumb.url, (f"{thumb.width}w",)), Candidate(image.url, (f"{image.width}w",))]
    )
    sizes = f"(max-width: {image.width}px) 100vw, {image.width}px"
    return f' srcset="{html.escape(srcset)}" sizes="{sizes}"'


def figure_html(image: Image) -> str:
    """An image as ``<figure><img><figcaption>caption — credit</figcaption></figure>``."""
    size = ""
    if image.width and image.height:
        size = f' width="{image.width}" height="{image.height}"'
    img = (
        f'<img src="{html.escape(image.url)}"{image_srcset(image)}'
        f' alt="{html.escape(image.alt)}"{size}>'
    )
    caption = credit_html(image)
    if not caption:
        return f"<figure>{img}</figure>\n"
    return f"<figure>{img}<figcaption>{caption}</figcaption></figure>\n"


def related_html(related: Sequence[Link]) -> str:
    """Related stories as a list under a heading; titles without an address stay as text."""
    if not related:
        return ""
    items = []
    for link in related:
        title = html.escape(link.title, quote=False)
        if link.url:
            items.append(f'<li><a href="{html.escape(link.url)}">{title}</a></li>')
        else:
            items.append(f"<li>{title}</li>")
    return "<h2>Related</h2>\n<ul>\n" + "\n".join(items) + "\n</ul>\n"


def _absolute(
    value: str, base_url: str, schemes: frozenset[str], resolve: LocalResolver
) -> str | None:
    value = value.strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme:
        return value if parts.scheme.lower() in schemes else None
    if value.startswith("#"):
        return urljoin(base_url, value)
    local = None if value.startswith("/") or parts.netloc else resolve(value)
    return local if local is not None else urljoin(base_url, value)


def _absolute_srcset(value: str, base_url: str, resolve: LocalResolver) -> str | None:
    candidates = []
    for candidate in parse_srcset(value):
        absolute = _absolute(candidate.url, base_url, _MEDIA_SCHEMES, resolve)
        if absolute is None:
            continue
        candidates.append(Candidate(absolute, candidate.descriptors))
    return format_srcset(candidates) or None


@lru_cache(maxsize=1)
def _allowed_attributes() -> dict[str, set[str]]:
    attributes = deepcopy(nh3.ALLOWED_ATTRIBUTES)
    attributes.setdefault("img", set()).update({"srcset", "sizes", "data-src", "data-srcset"})
    attributes.setdefault("a", set()).update({"title"})
    attributes.setdefault("source", set()).update({"srcset", "type", "media"})
    attributes.setdefault("picture", set())
    return attributes


def sanitise_html(body_html: str, *, base_url: str, resolve: LocalResolver) -> str:
    """Sanitise HTML and make every URL in it absolute.

    Scripts, styles, event attributes and unsafe URL schemes (``javascript:``, ``data:``) are
    removed; relative ``href``/``src``/``srcset`` values become absolute against ``base_url``,
    except that paths naming a file of the article (``resolve``) point at its published copy.
    """

    def rewrite(tag: str, attribute: str, value: str) -> str | None:
        if attribute in _URL_ATTRIBUTES:
            schemes = _LINK_SCHEMES if attribute in {"href", "cite", "longdesc"} else _MEDIA_SCHEMES
            return _absolute(value, base_url, schemes, resolve)
        if attribute in _SRCSET_ATTRIBUTES:
            return _absolute_srcset(value, base_url, resolve)
        return value

    tags = set(nh3.ALLOWED_TAGS) | {"picture", "source"}
    return nh3.clean(
        cap_nesting(strip_forbidden_chars(body_html)),  # html5ever is quadratic in depth
        tags=tags,
        attributes=_allowed_attributes(),
        attribute_filter=rewrite,
        link_rel=None,
    )


def compose_content(
    body_html: str,
    *,
    base_url: str,
    resolve: LocalResolver,
    images: Sequence[Image],
    related: Sequence[Link],
) -> str:
    """The full item HTML: lead figure, sanitised body, further figures, related links.

    Every declared image appears once, with its caption: the lead figure opens the content
    (a copy of the lead the body shows on its own is dropped), a declared image the body
    shows as a paragraph of its own becomes its figure there, and the others follow the body.
    Readers that show only the body (NetNewsWire, newsboat) still see each picture and its
    caption exactly once.
    """
    body = sanitise_html(body_html, base_url=base_url, resolve=resolve)
    if images:
        body = _place_declared_images(body, images)
    parts = []
    if images:
        parts.append(figure_html(images[0]))
    parts.append(body)
    shown = {html.unescape(source) for source in _IMG_SRC.findall(body)}
    parts.extend(
        figure_html(image)
        for image in images[1:]
        if image.url not in shown and image.url not in body
    )
    parts.append(related_html(related))
    return "".join(parts)


# Sanitised HTML (html5ever's serialiser) escapes "&", '"', "<" and ">" inside attribute values,
# so a tag never holds a bare ">" before its end.
_IMG_TAG = r"<img\b[^>]*>"
_LONE_IMAGE = re.compile(rf"<p>\s*({_IMG_TAG})\s*</p>\n?")
_FIGURE = re.compile(r"<figure>.*?</figure>\n?", re.DOTALL)
_IMG_SRC = re.compile(r'<img\b[^>]*?\ssrc="([^"]*)"')


def _shown_source(html_text: str) -> str | None:
    found = _IMG_SRC.search(html_text)
    return html.unescape(found.group(1)) if found else None


def _place_declared_images(body: str, images: Sequence[Image]) -> str:
    """Give the body's own copies of declared images their captions, once each."""
    lead = images[0].url
    declared = {image.url: image for image in images[1:]}
    placed: set[str] = set()

    def lone(match: re.Match[str]) -> str:
        source = _shown_source(match.group(1))
        if source == lead:
            return ""  # the lead figure, with its caption, opens the content
        image = declared.get(source or "")
        if image is None or image.url in placed:
            return match.group(0)
        placed.add(image.url)
        return figure_html(image)

    def figure(match: re.Match[str]) -> str:
        # A figure the body writes itself keeps its own words, unless it repeats the lead.
        return "" if _shown_source(match.group(0)) == lead else match.group(0)

    if "<figure>" in body:
        body = _FIGURE.sub(figure, body)
    return _LONE_IMAGE.sub(lone, body)


def derive_summary(body_html: str, limit: int = SUMMARY_CHARS) -> str:
    """Plain-text summary from the first paragraph, cut at a word boundary with an ellipsis."""
    for paragraph in _paragraphs(body_html):
        text = html.unescape(nh3.clean(cap_nesting(paragraph), tags=set()))
        text = " ".join(text.split())
        if text:
            break
    else:
        return ""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,;:.-—")
    return cut + "…"


def story_summary(body_html: str, images: Sequence[Image], limit: int = SUMMARY_CHARS) -> str:
    """The summary of an article that has none of its own.

    The first paragraph; else the body's text (a story of headings or lists); else, for a
    photo story, the lead image's caption (or its alt text). Every item thus has a summary
    beside its content: without one, RSS items carry the body as their description and no
    ``content:encoded``, and feedparser-based readers show the image's ``media:description``
    as the body.
    """
    summary = derive_summary(body_html, limit)
    if summary:
        return summary
    text = html.unescape(nh3.clean(cap_nesting(body_html), tags=set()))  # see sanitise_html
    if not text.strip() and images:
        text = images[0].caption or images[0].alt or images[0].title
    return derive_summary(f"<p>{html.escape(text, quote=False)}</p>", limit)


def _paragraphs(body_html: str) -> Iterator[str]:
    """What each ``<p>…</p>`` holds, in order, as ``re.finditer(r"<p>(.*?)</p>", re.DOTALL)``
    finds them, but in one pass: that regex looks for a ``</p>`` after every ``<p>``, so a run
    of 40,000 ``<p>`` without one took minutes."""
    find = body_html.find
    start = find("<p>")
    while start >= 0:
        end = find("</p>", start + 3)
        if end < 0:
            return  # no "</p>" after this "<p>", so none after any later one either
        if end > start + 3:  # an empty paragraph has no text to offer
            yield body_html[start + 3 : end]
        start = find("<p>", end + 4)

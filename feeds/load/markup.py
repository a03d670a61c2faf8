"""Turn an article body into safe, self-contained HTML: Markdown, figures, absolute URLs."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Sequence
from copy import deepcopy
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import nh3

from feeds.load.nesting import cap_nesting
from feeds.model import Image, Link
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
    a tenth of the time a pure-Python renderer takes, and the module loads at once.
    """
    # Imported on first use: a build that renders nothing (nothing changed) never needs it.
    import cmarkgfm  # noqa: PLC0415
    from cmarkgfm.cmark import Options  # noqa: PLC0415

    rendered: str = cmarkgfm.markdown_to_html_with_extensions(
        text, options=Options.CMARK_OPT_UNSAFE, extensions=["table", "strikethrough"]
    )
    return rendered


def render_paragraphs(paragraphs: Sequence[str]) -> str:
    """Render plain-text paragraphs (wire format) as escaped ``<p>`` elements."""
    return "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in paragraphs)


def figure_html(image: Image) -> str:
    """An image as ``<figure><img><figcaption>caption — credit</figcaption></figure>``."""
    size = ""
    if image.width and image.height:
        size = f' width="{image.width}" height="{image.height}"'
    img = f'<img src="{html.escape(image.url)}" alt="{html.escape(image.alt)}"{size}>'
    caption = " — ".join(part for part in (image.caption, image.credit) if part)
    if not caption:
        return f"<figure>{img}</figure>\n"
    return f"<figure>{img}<figcaption>{html.escape(caption, quote=False)}</figcaption></figure>\n"


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
    for candidate in value.split(","):
        url, _, descriptor = candidate.strip().partition(" ")
        absolute = _absolute(url, base_url, _MEDIA_SCHEMES, resolve)
        if absolute is None:
            continue
        candidates.append(f"{absolute} {descriptor.strip()}".strip())
    return ", ".join(candidates) or None


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

    Images that the body already shows (same published URL) are not repeated.
    """
    body = sanitise_html(body_html, base_url=base_url, resolve=resolve)
    parts = []
    if images:
        parts.append(figure_html(images[0]))
    parts.append(body)
    parts.extend(figure_html(image) for image in images[1:] if image.url not in body)
    parts.append(related_html(related))
    return "".join(parts)


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

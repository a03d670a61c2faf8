"""Parse the plain-text wire format into a headline, an image block, body paragraphs and trailers.

The format, and the rules this parser applies (line numbers in messages are file lines):

* Lines end in LF or CRLF; trailing whitespace is ignored, and so is a final newline or its
  absence. A *block* is a run of non-blank lines; blocks are separated by blank lines. A block's
  lines are stripped and joined with single spaces into one paragraph.
* **Headline**: the first non-blank line (at most `MAX_HEADLINE_CHARS` characters). If the
  blank line after it is missing, the rest of that block is read as the next block.
* **Image block**: the block right after the headline, when it has exactly two lines and the
  second ends with ``)``: line one is the alt text, line two the caption, whose final
  parenthesised group is the photographer credit, e.g. ``... 2024. (Jane Doe/Harbour Times)``.
  A one-line block, a block of three or more lines, or a two-line block whose second line does
  not end in a credit is body. If the credit's ``(`` is missing but line one holds an unclosed
  ``(``, the block is a wrapped paragraph that happens to end in ``)``: body too. A second line
  with an unclosed ``(`` or an empty ``()`` credit is refused, since the caption is then
  probably cut.
* **Artefacts** are lifted out of the body; everything else stays, in order:

  - ``Read Next: <title>`` and ``Related: <title>`` (any case) become related `Link` s, in
    document order. A title may end in a URL, bare or in ``<...>`` or ``(...)``. A block whose
    every line starts with such a prefix gives one link per line.
  - A lone ``Story Continues`` (any case) is dropped.
  - The byline trailer: a block starting with ``--``, an en dash or an em dash that either says
    ``<name> can be reached at [e-mail]. Follow him/her/them on Twitter|X @handle.`` (each part
    after the name optional) or is just a name of one to five capitalised words. The first one
    becomes `WireDocument.byline`; a dash block that fits neither shape stays in the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from feeds.errors import ArticleError
from feeds.model import Author, Link

#: A longer first line is almost certainly a paragraph, not a headline.
MAX_HEADLINE_CHARS = 300

_LINK_PREFIX = re.compile(r"(?i)(read\s+next|related)\s*:\s*")
_TRAILING_URL = re.compile(r"\s*(?:<(https?://[^\s>]+)>|\((https?://[^\s)]+)\)|(https?://\S+))$")
_DASH = re.compile(r"(?:--|\u2013|\u2014)\s*")
_REACHED = re.compile(
    r"(?is)(?P<name>.+?)\s+can\s+be\s+reached\s+at\b\s*"
    r"(?:(?:mailto:)?<?(?P<email>[^\s@<>]+@[^\s@<>]+?)>?[.,;]?(?:\s|$))?\s*(?P<rest>.*)"
)
_FOLLOW = re.compile(
    r"(?i)follow\s+(?:\w+\s+)?on\s+(?:twitter|x)\s*(?:at\s+)?@(?P<handle>\w{1,50})\.?\s*$"
)
_NAME_ONLY = re.compile(r"[A-Z][\w.'\u2019-]*(?:\s+[A-Z][\w.'\u2019-]*){0,4}\.?")


@dataclass(frozen=True, slots=True)
class WireImage:
    """The lead image as the wire text describes it (the file itself is named elsewhere).

    Attributes:
        alt: The alt-text line.
        caption: The caption without its ``(credit)``, stripped.
        credit: The text inside the caption's final parentheses.
        line: 1-based file line of the alt line.
    """

    alt: str
    caption: str
    credit: str
    line: int


@dataclass(frozen=True, slots=True)
class WireDocument:
    """A wire article, with the wire artefacts lifted out of its body.

    Attributes:
        paragraphs: Body paragraphs in order, artefacts removed.
        related: ``Read Next`` and ``Related`` links in document order.
        byline: From the ``-- Name can be reached at ...`` trailer.
    """

    headline: str
    headline_line: int
    image: WireImage | None
    paragraphs: tuple[str, ...]
    related: tuple[Link, ...]
    byline: Author | None


@dataclass(frozen=True, slots=True)
class _Block:
    lines: tuple[str, ...]  # stripped, non-blank
    line: int  # file line of the first one

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def parse_wire(text: str, *, path: str, first_line: int = 1) -> WireDocument:
    """Parse a wire article body.

    Args:
        text: The body after any front matter.
        path: The article's path, for messages.
        first_line: The file line where `text` starts.

    Raises:
        ArticleError: no headline, an overlong headline, a broken caption credit, or no body.
    """
    blocks = _split_blocks(text, first_line)
    if not blocks:
        raise ArticleError(
            path, first_line, "no headline: the first line of a wire article is its headline"
        )
    head, blocks = blocks[0], blocks[1:]
    headline = head.lines[0]
    if len(headline) > MAX_HEADLINE_CHARS:
        raise ArticleError(
            path,
            head.line,
            f"headline is {len(headline)} characters long (at most {MAX_HEADLINE_CHARS}): "
            "this looks like a paragraph; put the headline alone on the first line, "
            "followed by a blank line",
        )
    if len(head.lines) > 1:
        blocks = [_Block(head.lines[1:], head.line + 1), *blocks]

    image = _image(blocks[0], path=path) if blocks else None
    if image is not None:
        blocks = blocks[1:]

    paragraphs: list[str] = []
    related: list[Link] = []
    byline: Author | None = None
    for block in blocks:
        links = _links(block)
        if links is not None:
            related.extend(links)
            continue
        paragraph = block.text
        if paragraph.casefold() == "story continues":
            continue
        if byline is None:
            byline = _byline(paragraph)
            if byline is not None:
                continue
        paragraphs.append(paragraph)

    if not paragraphs:
        raise ArticleError(
            path,
            head.line,
            "no body paragraphs after the headline: write the story below it, "
            "paragraphs separated by blank lines",
        )
    return WireDocument(
        headline=headline,
        headline_line=head.line,
        image=image,
        paragraphs=tuple(paragraphs),
        related=tuple(related),
        byline=byline,
    )


def _split_blocks(text: str, first_line: int) -> list[_Block]:
    # Only LF is a line break (CRLF becomes LF): other breaks Python knows stay inside a line.
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
    blocks: list[_Block] = []
    current: list[str] = []
    start = 0
    for index, raw in enumerate(lines):
        line = raw.strip()
        if line:
            if not current:
                start = first_line + index
            current.append(line)
        elif current:
            blocks.append(_Block(tuple(current), start))
            current = []
    if current:
        blocks.append(_Block(tuple(current), start))
    return blocks


def _image(block: _Block, *, path: str) -> WireImage | None:
    """The image block, or None when `block` is the first paragraph (rules in the docstring)."""
    if len(block.lines) != 2 or _LINK_PREFIX.match(block.lines[0]) or _DASH.match(block.lines[0]):
        return None
    alt, caption = block.lines
    caption_line = block.line + 1
    if caption.endswith(")"):
        opening = _matching_open(caption)
        if opening < 0:
            if alt.count("(") > alt.count(")"):
                return None  # a wrapped sentence whose "(" is on the line before
            raise ArticleError(
                path,
                caption_line,
                "image caption ends with ')' but the credit has no matching '(': "
                "end the caption with the credit in parentheses, e.g. (Jane Doe/Harbour Times)",
            )
        credit = caption[opening + 1 : -1].strip()
        if not credit:
            raise ArticleError(
                path,
                caption_line,
                "image credit '()' is empty: name the photographer inside the parentheses, "
                "e.g. (Jane Doe/Harbour Times)",
            )
        return WireImage(alt=alt, caption=caption[:opening].strip(), credit=credit, line=block.line)
    if _matching_open(caption + ")") >= 0:
        raise ArticleError(
            path,
            caption_line,
            "image caption has a '(' that is never closed: end the caption with the credit "
            "in parentheses, e.g. (Jane Doe/Harbour Times)",
        )
    return None


def _matching_open(text: str) -> int:
    """Index of the "(" matching the final ")" of `text`, or -1 when there is none."""
    depth = 0
    for index in range(len(text) - 1, -1, -1):
        if text[index] == ")":
            depth += 1
        elif text[index] == "(":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _links(block: _Block) -> list[Link] | None:
    """The related links of a ``Read Next:``/``Related:`` block, or None for any other block."""
    if not _LINK_PREFIX.match(block.lines[0]):
        return None
    if all(_LINK_PREFIX.match(line) for line in block.lines):
        entries = list(block.lines)
    else:
        entries = [block.text]  # one title wrapped over several lines
    links: list[Link] = []
    for entry in entries:
        title = _LINK_PREFIX.sub("", entry, count=1).strip()
        url = ""
        found = _TRAILING_URL.search(title)
        if found:
            url = next(group for group in found.groups() if group)
            title = title[: found.start()].strip() or url
        if title:
            links.append(Link(title=title, url=url))
    return links


def _byline(paragraph: str) -> Author | None:
    """The author of a ``-- Name can be reached at ...`` trailer, or None if it is not one."""
    dash = _DASH.match(paragraph)
    if not dash:
        return None
    rest = paragraph[dash.end() :].strip()
    reached = _REACHED.fullmatch(rest)
    if reached:
        name = reached.group("name").strip()
        email = reached.group("email") or ""
        tail = reached.group("rest").strip()
        follow = _FOLLOW.fullmatch(tail) if tail else None
        if tail and not follow:
            return None  # more text than a trailer carries: keep it in the body
        handle = follow.group("handle") if follow else ""
        return Author(
            name=name,
            email=email,
            uri=f"https://twitter.com/{handle}" if handle else "",
            handle=handle,
        )
    if _NAME_ONLY.fullmatch(rest):
        return Author(name=rest.removesuffix("."))
    return None

"""Cap how deeply an article's HTML nests, in one linear pass, before the sanitiser parses it.

The sanitiser's HTML5 parser (html5ever, inside nh3) looks down its stack of open elements for
nearly every tag, so a body nested N deep costs N² steps: 50,000 nested quotes took 9 s, and
100,000 nested ``<div>`` a minute. Real articles nest a few dozen levels at most; past
`MAX_NESTING` the start tags (and their end tags) are dropped and their text kept, so a hostile
body costs time in proportion to its length.

The pass reads the HTML as the HTML5 tokenizer does (tags with quoted attributes, comments,
bogus comments, the text of ``<style>``, ``<script>``, ``<textarea>``..., CDATA in SVG) and
keeps a model of the parser's stack and of its list of formatting elements that never counts
fewer open elements than the parser holds (`_Model`). Elements it closes by the rules of the
specification (a ``<p>`` closes the open paragraph, ``</div>`` what is open inside the div)
get their end tags written out, so that the parser closes them too; a ``<`` inside a comment
or an attribute is written as ``&lt;``, which means the same there, so that no markup can
hide from the pass. What the model over-counts costs at most some markup of a body that is
malformed already. tests/unit/test_hostile_bodies.py holds it to the parser, with kinds of
tag soup found by fuzzing.

A body that nests less deeply than the cap parses to the same tree as before, so the sanitised
output of every ordinary article is byte-for-byte what it was.
"""

from __future__ import annotations

import html as html_module
import re

#: How deeply elements may nest; deeper start tags are dropped (their content is kept).
MAX_NESTING = 100

_WS = "\t\n\f\r "
_SEPARATOR = f"[{_WS}/]+"  # between attributes ("/" too: just before ">", it self-closes)
_ATTRIBUTE = (
    f"[^{_WS}/>][^{_WS}/>=]*"  # a name (it may start with "=")
    f"(?>[{_WS}]*=[{_WS}]*(?>\"[^\"]*\"|'[^']*'|[^{_WS}>\"'][^{_WS}>]*|))?"  # its value
)
# A start or end tag after its "<" or "</", as the HTML5 tokenizer reads it: a name, then
# attributes whose values may be quoted, up to the first ">" outside a quoted value. Each step
# is atomic, so a tag without its ">" costs one scan to the end, never a backtracking search.
# (No group inside a repeat: Python 3.11's engine miscounts those in possessive repeats.)
_TAG = re.compile(f"([A-Za-z][^{_WS}/>]*)((?:(?>{_SEPARATOR}|{_ATTRIBUTE}))*)>")
_PIECE = re.compile(f"({_SEPARATOR})|{_ATTRIBUTE}")
_COMMENT_END = re.compile("--!?>")


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


_VOID = _names(
    "area base basefont bgsound br col embed frame hr image img input keygen link meta param "
    "source track wbr"
)
# Start tags the parser ignores inside a body (it never opens another of these).
_IGNORED = _names("html head body frameset")
_HEADINGS = _names("h1 h2 h3 h4 h5 h6")
_FORMATTING = _names("a b big code em font i nobr s small strike strong tt u")
# Start tags that close an open <p> in button scope (<table> too: the sanitiser parses in
# no-quirks mode).
_CLOSE_P = _HEADINGS | _names(
    "address article aside blockquote center details dialog dir div dl fieldset figcaption "
    "figure footer header hgroup main menu nav ol p search section summary ul pre listing form "
    "plaintext xmp li dd dt hr table"
)
# End tags that close everything above them when they are in scope.
_BLOCK_ENDS = _names(
    "address article aside blockquote button center details dialog dir div dl fieldset "
    "figcaption figure footer header hgroup listing main menu nav ol pre search section summary "
    "ul applet marquee object dd dt"
)
_TABLE_ENDS = _names("table tbody thead tfoot tr td th caption")
_TABLE_SECTIONS = _names("tbody thead tfoot")
_CELLS = _names("td th")
# Names by category (whatever their namespace: counting one too many is always safe).
_SCOPE = _names(
    "applet caption html table td th marquee object template mi mo mn ms mtext annotation-xml "
    "foreignobject desc title"
)
_BUTTON_SCOPE = _SCOPE | _names("button")
_LIST_ITEM_SCOPE = _SCOPE | _names("ol ul")
_TABLE_SCOPE = _names("html table template")
_SPECIAL = _SCOPE | _names(
    "address area article aside base basefont bgsound blockquote body br button center col "
    "colgroup dd details dir div dl dt embed fieldset figcaption figure footer form frame "
    "frameset h1 h2 h3 h4 h5 h6 head header hgroup hr iframe img input keygen li link listing "
    "main menu meta nav noembed noframes noscript ol p param plaintext pre script search section "
    "select source style summary tbody textarea tfoot thead tr track ul wbr xmp"
)
# Inside SVG or MathML a self-closing tag opens nothing; these children are HTML again.
_FOREIGN_ROOTS = _names("svg math")
_SVG_POINTS = _names("foreignobject desc title")
_MATH_TEXT_POINTS = _names("mi mo mn ms mtext")
_MATH_ONLY = _names("mglyph malignmark")  # still MathML inside its text integration points
# Start tags that are HTML even inside SVG or MathML (the parser leaves the foreign content).
_BREAKOUT = _names(
    "b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img "
    "li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul var"
)
_END_BREAKOUT = _names("p br")
_FONT_BREAKOUT = re.compile(f"(?:^|[{_WS}/])(?:color|face|size)(?:[{_WS}/=]|$)", re.IGNORECASE)

# What an open element is: HTML; SVG or MathML (whose children are too); or an SVG or MathML
# element whose children are HTML again.
_HTML_ELEMENT, _SVG, _MATHML, _SVG_POINT, _MATH_TEXT, _MATH_HTML, _ANNOTATION = range(7)
# What is closed on leaving foreign content: all but HTML and the integration points.
_LEFT_BY_BREAKOUT = frozenset({_SVG, _MATHML, _ANNOTATION})
_HTML_ENCODINGS = frozenset({"text/html", "application/xhtml+xml"})


def cap_nesting(html: str, limit: int = MAX_NESTING) -> str:
    """`html` with no element nested deeper than `limit`: deeper start tags and their end tags
    are left out, their text kept. Returns `html` itself when nothing needs to change."""
    out: list[str] = []
    copied = 0  # html[:copied] is in `out`
    model = _Model(limit)
    find = html.find
    size = len(html)
    pos = find("<")
    while 0 <= pos < size - 1:
        char = html[pos + 1]
        if char == "!":
            if html.startswith("<!--", pos):
                end = _comment_end(html, pos)
                if end < 0:
                    end = size
                if "<" in html[pos + 4 : end]:  # never markup to the parser either
                    out.append(html[copied:pos])
                    out.append("<!--" + html[pos + 4 : end].replace("<", "&lt;"))
                    copied = end
                pos = find("<", end)
                continue
            if (
                model.kinds
                and model.kinds[-1] != _HTML_ELEMENT
                and html.startswith("<![CDATA[", pos)
            ):  # text, in SVG or MathML
                end = find("]]>", pos + 9)
                if end < 0:
                    break
                pos = find("<", end + 3)
                continue
            end = find(">", pos + 2)  # a bogus comment or a doctype: to the first ">"
            if end < 0:
                break
            pos = find("<", end + 1)
            continue
        if char == "?":
            end = find(">", pos + 2)
            if end < 0:
                break
            pos = find("<", end + 1)
            continue
        closing = char == "/"
        start = pos + 2 if closing else pos + 1
        match = _TAG.match(html, start)
        if match is None:
            if start < size and (html[start].isascii() and html[start].isalpha()):
                break  # a tag without its ">": the rest of the body is inside it
            if closing and start < size:  # "</>" is nothing, "</" + other a bogus comment
                end = find(">", start)
                if end < 0:
                    break
                pos = find("<", end + 1)
            else:  # "<" before anything else is text
                pos = find("<", pos + 1)
            continue
        end = match.end()
        raw_name = match.group(1)
        name = raw_name.lower() if raw_name.isascii() else _ascii_lower(raw_name)
        attributes = match.group(2)
        original = tag = html[pos:end]
        if "<" in attributes:  # the same value to the parser, and no markup hides in it
            tag = tag[: len(tag) - len(attributes) - 1] + attributes.replace("<", "&lt;") + ">"
        replacement = model.end(name, tag) if closing else model.start(name, tag, attributes)
        if replacement is not original:
            out.append(html[copied:pos])
            out.append(replacement)
            copied = end
        if model.raw_text:  # its text is no markup: on to its end tag
            end = _raw_text_end(html, end, model.raw_text)
            model.raw_text = ""
            if end < 0:
                break
            pos = end
            continue
        pos = find("<", end)
    if not out:
        return html
    out.append(html[copied:])
    return "".join(out)


def _self_closing(attributes: str) -> bool:
    """The tag's last "/" self-closes it (it is no part of an unquoted value, as in
    ``<a href=/x/>``)."""
    last = None
    for last in _PIECE.finditer(attributes):  # noqa: B007 - only the last one counts
        pass
    return last is not None and last.group(1) is not None and last.end() == len(attributes)


def _raw_text_end(html: str, pos: int, name: str) -> int:
    """Where the text of the raw-text element `name` opened just before `pos` ends: at its
    end tag, as the tokenizer finds it (a ``<script>`` by its escape rules); -1 when it never
    does (the rest of the body is its text)."""
    if name == "plaintext":
        return -1
    if name != "script":
        found = _end_tag_of(name).search(html, pos)
        return -1 if found is None else found.start()
    state = _SCRIPT  # script data, "escaped" inside "<!--", "double escaped" inside that
    while (found := _SCRIPT_TOKENS.search(html, pos)) is not None:
        seen = found.lastgroup
        pos = found.end()
        if seen == "comment_open":
            pos = found.start() + 2  # its dashes may end it at once: "<!-->"
            if state == _SCRIPT:
                state = _ESCAPED
        elif seen == "comment_close":
            state = _SCRIPT
        elif seen == "end_tag":
            if state != _DOUBLE_ESCAPED:
                return found.start()
            state = _ESCAPED
        elif state == _ESCAPED:  # a "<script" inside "<!--"
            state = _DOUBLE_ESCAPED
    return -1


_SCRIPT, _ESCAPED, _DOUBLE_ESCAPED = range(3)
_SCRIPT_TOKENS = re.compile(
    "(?P<comment_open><!--)|(?P<comment_close>-->)"
    f"|(?P<end_tag></script(?=[{_WS}/>]))|(?P<start_tag><script(?=[{_WS}/>]))",
    re.IGNORECASE,
)
_END_TAGS: dict[str, re.Pattern[str]] = {}


def _end_tag_of(name: str) -> re.Pattern[str]:
    if name not in _END_TAGS:
        _END_TAGS[name] = re.compile(f"</{name}(?=[{_WS}/>])", re.IGNORECASE)
    return _END_TAGS[name]


def _attribute(attributes: str, wanted: str) -> str | None:
    """The value of the first attribute named `wanted` (lower case) in a tag's attributes,
    character references decoded, as the tokenizer reads it; None when there is none."""
    for piece in _ATTRIBUTE_PIECE.finditer(attributes):
        name = piece.group("name")
        if name is not None and name.lower() == wanted:
            value = piece.group("value") or ""
            if value[:1] in {'"', "'"}:
                value = value[1:-1]
            return html_module.unescape(value)
    return None


_ATTRIBUTE_PIECE = re.compile(
    f"[{_WS}/]+|(?P<name>[^{_WS}/>][^{_WS}/>=]*)"
    f"(?:[{_WS}]*=[{_WS}]*(?P<value>\"[^\"]*\"|'[^']*'|[^{_WS}>\"'][^{_WS}>]*|))?"
)


def _comment_end(html: str, pos: int) -> int:
    """Where the comment opened at `pos` ends (after its "-->"), or -1 when it never does."""
    if html.startswith(">", pos + 4):  # "<!-->" and "<!--->" end at once
        return pos + 5
    if html.startswith("->", pos + 4):
        return pos + 6
    found = _COMMENT_END.search(html, pos + 4)
    return -1 if found is None else found.end()


class _Formatting:
    """An entry of the parser's list of active formatting elements (``<b>``, ``<a>``...): an
    element that the parser opens again after it was closed by anything but its own end tag
    (``<p><b>x</p><p>y`` makes "y" bold), so it counts as open until that end tag comes."""

    __slots__ = ("alive", "displaced", "key", "name", "on_stack")

    def __init__(self, name: str, key: str) -> None:
        self.name = name
        self.key = key  # its attributes, to tell identical ones apart
        self.on_stack = True
        self.alive = True  # still in the list
        # The parser moved it (its adoption agency ran with a special element above it): its
        # place on the parser's stack is not the model's, so the model never closes it.
        self.displaced = False


_MARKER = None  # in the list: a cell, caption, object...; formatting before it stays there
_MARKS = object()  # in `entries`: the element put a marker in the list


class _Model:
    """The parser's stack of open elements, and its list of active formatting elements, as
    this pass sees them: never fewer open than the parser has.

    An element is closed only by a tag that the specification says closes it, only when
    nothing that would stop the parser's search (a scope boundary, a special element) lies
    above it here, and only when the parser certainly opened it (it ignores a ``<td>`` outside
    a table, and nearly everything inside a ``<select>``); then the parser closes it too, or
    had closed it already. A formatting element closed by anything but its own end tag stays
    counted (`pending`): the parser opens it again.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.names: list[str] = []
        self.kinds: list[int] = []
        self.certain: list[bool] = []  # the parser opened it for sure
        self.entries: list[_Formatting | object | None] = []
        self.modal = 0  # how many <select>, <template> and <form> are open
        self.active: list[_Formatting | None] = []
        self.pending = 0  # formatting elements the parser will open again
        self.dropped: dict[str, int] = {}  # start tags left out, by name: their end tags go
        self.written: list[str] = []  # end tags written out before the current tag
        self.open: dict[str, int] = {}  # how many HTML elements of each name are open
        self.raw_text = ""  # the element just opened holds text, not markup (<style>...)

    def in_foreign_content(self) -> bool:
        """The current node is SVG or MathML that leaving foreign content closes."""
        return bool(self.kinds) and self.kinds[-1] in _LEFT_BY_BREAKOUT

    def _foreign_start(self, name: str) -> bool:
        """The parser takes the start tag `name` by the rules of foreign content (the
        specification's tree construction dispatcher, for start tags)."""
        kind = self.kinds[-1] if self.kinds else _HTML_ELEMENT
        if kind in (_SVG, _MATHML):
            return True
        if kind == _ANNOTATION:
            return name != "svg"
        return kind == _MATH_TEXT and name in _MATH_ONLY

    def _foreign_kind(self, name: str, attributes: str) -> int:
        """The kind of the element `name` opened inside the foreign element on top."""
        if self.kinds[-1] == _SVG:
            return _SVG_POINT if name in _SVG_POINTS else _SVG
        if name in _MATH_TEXT_POINTS:
            return _MATH_TEXT
        if name == "annotation-xml":
            encoding = _attribute(attributes, "encoding")
            if encoding is not None and encoding.lower() in _HTML_ENCODINGS:
                return _MATH_HTML
            return _ANNOTATION
        return _MATHML

    def start(self, name: str, tag: str, attributes: str) -> str:
        """What to write for a start tag (`tag`, with `attributes` after its name)."""
        if (  # the common case, in short: an element that closes nothing and has no rules
            name not in _RULED
            and len(self.names) < self.limit
            and not self.pending
            and not self.modal
            and not (self.kinds and self.kinds[-1] != _HTML_ELEMENT)
        ):
            self.names.append(name)
            self.kinds.append(_HTML_ELEMENT)
            self.certain.append(True)
            self.entries.append(None)
            self.open[name] = self.open.get(name, 0) + 1
            return tag
        self.written.clear()
        written = self._start(name, tag, attributes)
        return "".join(self.written) + written if self.written else written

    def end(self, name: str, tag: str) -> str:
        """What to write for an end tag."""
        names = self.names
        if names and names[-1] == name and self.entries[-1] is None and not self.dropped:
            # The common case, in short: the end tag of the element on top (not formatting).
            names.pop()
            if self.kinds.pop() == _HTML_ELEMENT:
                self.open[name] -= 1
            self.certain.pop()
            self.entries.pop()
            if name in _MODAL:
                self.modal -= 1
            return tag
        self.written.clear()
        written = self._end(name, tag)
        return "".join(self.written) + written if self.written else written

    def _start(self, name: str, tag: str, attributes: str) -> str:
        if self._foreign_start(name):
            if name not in _BREAKOUT and not (name == "font" and _FONT_BREAKOUT.search(attributes)):
                if attributes.endswith("/") and _self_closing(attributes):
                    # Opens nothing; written as start and end tag, which opens nothing in
                    # HTML either.
                    return f"{tag[:-2].rstrip()}></{name}>"
                return self._open(name, tag, self._foreign_kind(name, attributes), attributes)
            while self.in_foreign_content():  # the parser leaves SVG or MathML here
                self._pop(len(self.names) - 1, written=True)
        self._close_implied(name)
        if name in _IGNORED:
            return tag
        if name in _VOID or (
            name in _FOREIGN_ROOTS and attributes.endswith("/") and _self_closing(attributes)
        ):  # opens nothing
            if name not in _NO_RECONSTRUCT:
                self._reconstruct()
            return tag
        kind = (_SVG if name == "svg" else _MATHML) if name in _FOREIGN_ROOTS else _HTML_ELEMENT
        return self._open(name, tag, kind, attributes)

    def _open(self, name: str, tag: str, kind: int, attributes: str) -> str:
        if len(self.names) + self.pending >= self.limit:
            self.dropped[name] = self.dropped.get(name, 0) + 1
            return ""
        if kind == _HTML_ELEMENT and name not in _NO_RECONSTRUCT:
            self._reconstruct()
        # Inside a <select> or <template> the parser opens elements by other rules, and it
        # ignores a second <form> and table parts outside a table.
        certain = not self.modal and (
            name not in _TABLE_PARTS or self._find(_TABLE, _TEMPLATE_OR_HTML) >= 0
        )
        entry: _Formatting | object | None = None
        if certain and kind == _HTML_ELEMENT:
            if name in _FORMATTING:
                entry = self._add_formatting(name, attributes.strip(f"{_WS}/"))
            elif name in _MARKER_ELEMENTS:
                self.active.append(_MARKER)
                entry = _MARKS
        self.names.append(name)
        self.kinds.append(kind)
        if kind == _HTML_ELEMENT:
            self.open[name] = self.open.get(name, 0) + 1
            if name in _RAW_TEXT:
                self.raw_text = name
        self.certain.append(certain)
        self.entries.append(entry)
        if name in _MODAL:
            self.modal += 1
        return tag

    def _add_formatting(self, name: str, key: str) -> _Formatting:
        """A new entry in the list; as the parser does, the earliest of three identical ones
        since the last marker leaves it."""
        same = []
        for entry in reversed(self.active):
            if entry is _MARKER:
                break
            if entry.name == name and entry.key == key:
                same.append(entry)
        if len(same) >= 3:  # the specification's "Noah's Ark" clause
            self._forget(same[-1])
        entry = _Formatting(name, key)
        self.active.append(entry)
        return entry

    def _forget(self, entry: _Formatting) -> None:
        """The entry leaves the list (its element, if open, is an ordinary one now)."""
        self.active.remove(entry)
        entry.alive = False
        if not entry.on_stack:
            self.pending -= 1

    def _reconstruct(self) -> None:
        """Open again, as the parser does here, the formatting elements that were closed by
        something else than their end tag since the last marker."""
        if not self.pending:
            return
        first = len(self.active)
        while first > 0:
            entry = self.active[first - 1]
            if entry is _MARKER or entry.on_stack:
                break
            first -= 1
        for entry in self.active[first:]:
            assert entry is not _MARKER
            entry.on_stack = True
            entry.displaced = False
            self.pending -= 1
            self.names.append(entry.name)
            self.kinds.append(_HTML_ELEMENT)
            self.open[entry.name] = self.open.get(entry.name, 0) + 1
            self.certain.append(True)
            self.entries.append(entry)

    def _close_implied(self, name: str) -> None:
        """Close what the start tag `name` closes. The parser closes that element itself (not
        written out: a ``</p>`` for a paragraph it had closed already would open another)."""
        if name in _LIST_ITEMS:
            targets = _LI if name == "li" else _DESCRIPTIONS
            for index in range(len(self.names) - 1, -1, -1):
                found = self.names[index]
                if found in targets and self.kinds[index] == _HTML_ELEMENT:
                    self._close(index if self.certain[index] else -1)
                    break
                if found in _SPECIAL and found not in _LI_PASSES:
                    break
        if name in _CLOSE_P:
            self._close(self._find(_P, _BUTTON_SCOPE))
        if not self.names:
            return
        top = self.names[-1]
        if (name in _HEADINGS and top in _HEADINGS) or (name in _OPTIONS and top == "option"):
            self._close(len(self.names) - 1 if self.certain[-1] else -1)
        elif name == "a":  # the parser's adoption agency closes the open <a>
            self._adopt("a", closing=False)
        elif name == "button":
            self._close(self._find(_BUTTON, _SCOPE))
        elif name in _CELLS:
            self._close(self._find(_CELLS, _TABLE_SCOPE))
        elif name == "tr":
            self._close(self._find(_ROW, _TABLE_SCOPE))
        elif name in _TABLE_SECTIONS:
            self._close(self._find(_TABLE_SECTIONS, _TABLE_SCOPE))

    def _end(self, name: str, tag: str) -> str:
        if self.dropped.get(name):
            self.dropped[name] -= 1
            return ""
        if name in _END_BREAKOUT and self.kinds and self.kinds[-1] != _HTML_ELEMENT:
            while self.in_foreign_content():  # "</p>" and "</br>" leave foreign content too
                self._pop(len(self.names) - 1, written=True)
        names = self.names
        index = len(names) - 1
        while index >= 0 and self.kinds[index] != _HTML_ELEMENT:  # in SVG or MathML
            if names[index] == name:
                if self.certain[index]:
                    self._pop(index)
                return tag
            index -= 1
        if names and names[-1] == name and not self.certain[-1]:
            self._pop(len(names) - 1)  # one the parser may not have opened: nothing above
            return tag
        if name in _FORMATTING:
            self._adopt(name, closing=True)
            return tag
        if names and names[-1] == name:
            found = len(names) - 1
        elif name in _BLOCK_ENDS:
            found = self._find(frozenset((name,)), _SCOPE)
        elif name == "p":
            found = self._find(_P, _BUTTON_SCOPE)
        elif name == "li":
            found = self._find(_LI, _LIST_ITEM_SCOPE)
        elif name in _HEADINGS:
            found = self._find(_HEADINGS, _SCOPE)
        elif name in _TABLE_ENDS:
            found = self._find(frozenset((name,)), _TABLE_SCOPE)
        elif name == "select":
            found = self._find(_SELECT, frozenset(), passable=_OPTIONS)
        elif name == "template":
            found = self._find(_TEMPLATE, frozenset())
        elif name in _SPECIAL:  # body, html, br, form, colgroup...: only on top (above)
            found = -1
        else:  # any other end tag: up to the first special element
            found = self._find(frozenset((name,)), _SPECIAL)
        if found >= 0 and self.certain[found]:
            self._pop(found)
        return tag

    def _adopt(self, name: str, *, closing: bool) -> None:
        """The parser's adoption agency for the formatting element `name` (for its end tag
        when `closing`, else for a new ``<a>``), where it is simple: the element's entry
        leaves the list, and the element closes with all above it, when no special element
        lies above it. Where one does, the parser moves elements about without opening more:
        the model leaves them."""
        entry = None
        for candidate in reversed(self.active):
            if candidate is _MARKER:
                break
            if candidate.name == name:
                entry = candidate
                break
        if entry is None:  # the parser takes it as any other end tag
            if closing:
                self._close(self._find(frozenset((name,)), _SPECIAL))
            return
        if not entry.on_stack:
            self._forget(entry)
            return
        if entry.displaced:
            if closing:  # the parser may still keep a copy of it in its list: count it
                self.active.remove(entry)  # for good, but never open it again or close it
            return
        for index in range(len(self.names) - 1, -1, -1):
            if self.entries[index] is entry:
                self._forget(entry)
                self._pop(index)
                return
            if self.names[index] in _SPECIAL:
                entry.displaced = True
                return

    def _find(
        self, targets: frozenset[str], stops: frozenset[str], passable: frozenset[str] | None = None
    ) -> int:
        """The index of the topmost HTML element named in `targets` that the parser's search
        from the top reaches (it stops at `stops`, or at anything not `passable`); -1 when
        there is none, or when the parser may not have opened it."""
        if not any(self.open.get(target) for target in targets):
            return -1  # none open: no need to look (most searches, and cheap)
        names = self.names
        kinds = self.kinds
        for index in range(len(names) - 1, -1, -1):
            found = names[index]
            if found in targets and kinds[index] == _HTML_ELEMENT:
                return index if self.certain[index] else -1
            if (
                found in stops
                or found in _MODES  # the parser may follow other rules above these
                or (passable is not None and found not in passable)
            ):
                return -1
        return -1

    def _close(self, index: int) -> None:
        """Close the element at `index` and all above it (none when `index` is -1)."""
        if index >= 0:
            self._pop(index)

    def _pop(self, index: int, *, written: bool = False) -> None:
        """Close the elements from `index` up. Each above it (and it too when `written`) gets
        its end tag written out: the parser closes them too, whatever it made of the one at
        `index`, and a raw-text element among them (a ``<style>`` whose text the pass read as
        tags) ends there for the parser too. Formatting elements are not written out: the
        parser keeps those in its list to open again, so they stay pending. A cell, caption
        or object clears the list back to its marker (once, as the parser does)."""
        marked = False
        for above in range(len(self.names) - 1, index - 1, -1):
            entry = self.entries[above]
            if entry is _MARKS:
                marked = True
            if isinstance(entry, _Formatting) and entry.alive:
                entry.on_stack = False
                self.pending += 1
            elif above > index or written:
                self.written.append(f"</{self.names[above]}>")
            if self.kinds[above] == _HTML_ELEMENT:
                self.open[self.names[above]] -= 1
        if self.modal:
            self.modal -= sum(1 for name in self.names[index:] if name in _MODAL)
        del self.names[index:]
        del self.kinds[index:]
        del self.certain[index:]
        del self.entries[index:]
        if marked:
            while self.active:
                entry = self.active.pop()
                if entry is _MARKER:
                    break
                entry.alive = False
                if not entry.on_stack:
                    self.pending -= 1


_P = _names("p")
_TABLE = _names("table")
_TEMPLATE_OR_HTML = _names("template html")
_TABLE_PARTS = _names("caption colgroup tbody thead tfoot tr td th")
_MODAL = _names("select template form")
_MODES = _names("select template")
# Elements whose content the tokenizer reads as text (the sanitiser's parser runs scripting on:
# <noscript> is one of them).
_RAW_TEXT = _names("script style xmp iframe noembed noframes noscript textarea title plaintext")
_MARKER_ELEMENTS = _names("applet caption marquee object template td th")
# Start tags before which the parser does not open the pending formatting elements again.
_NO_RECONSTRUCT = _SPECIAL - _names(
    "applet marquee object area br embed img keygen wbr input xmp select button"
)
_LIST_ITEMS = _names("li dd dt")
_LI = _names("li")
_LI_PASSES = _names("address div p")
_DESCRIPTIONS = _names("dd dt")
_OPTIONS = _names("option optgroup")
_A = _names("a")
_BUTTON = _names("button")
_ROW = _names("tr")
_SELECT = _names("select")
_TEMPLATE = _names("template")


# Start tags the model has a rule for (the others are simply opened).
_RULED = (
    _VOID
    | _IGNORED
    | _CLOSE_P
    | _HEADINGS
    | _LIST_ITEMS
    | _OPTIONS
    | _FORMATTING
    | _CELLS
    | _TABLE_PARTS
    | _MODAL
    | _MARKER_ELEMENTS
    | _FOREIGN_ROOTS
    | _RAW_TEXT
    | _names("button tr")
)


def _ascii_lower(name: str) -> str:
    """Lower case as the HTML5 tokenizer makes it: ASCII letters only."""
    return "".join(c.lower() if c.isascii() else c for c in name)

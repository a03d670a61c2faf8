"""Split YAML (``---``) or TOML (``+++``) front matter from an article body; the only yaml user.

Rules shared by `split_front_matter` (whole text in memory) and `read_front_matter` (cheap scan
that stops at the closing delimiter):

* The first line opens front matter when it is exactly ``---`` (YAML) or ``+++`` (TOML); trailing
  spaces and tabs are ignored. YAML closes with ``---`` or ``...``, TOML with ``+++``.
* A UTF-8 byte-order mark at the start is dropped; CRLF line ends are read as LF, so line numbers
  are the ones an editor shows.
* The front matter between the delimiters may be at most `MAX_FRONT_MATTER_BYTES` bytes (UTF-8,
  LF line ends); the scan stops there, so a file whose front matter is never closed costs at most
  that much reading.
* Every problem raises `ArticleError` with the 1-based line in the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import yaml

from feeds import toml
from feeds.errors import ArticleError
from feeds.rules import describe_value

#: Largest front matter accepted, in bytes between the delimiters.
MAX_FRONT_MATTER_BYTES = 64 * 1024

#: YAML anchors are handy for small reuse; past these limits they are an "alias bomb".
MAX_YAML_ALIASES = 100
MAX_YAML_EXPANDED_VALUES = 10_000

FrontMatterFormat = Literal["yaml", "toml", "none"]

# C loader when libyaml is compiled in: the scan reads every article's front matter.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _ImpossibleValueError(Exception):
    """A scalar YAML resolved to a type it then could not build (2026-13-45 is no date)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader, but a date that does not exist is a located error, not a crash."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> object:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise _ImpossibleValueError(
                node.start_mark.line,
                f"{node.value!r} is not a real date ({exc}): write a date that exists, "
                "such as 2026-03-02, or put it in quotes to keep it as text",
            ) from exc


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)

_OPENERS: dict[str, FrontMatterFormat] = {"---": "yaml", "+++": "toml"}
_CLOSERS: dict[FrontMatterFormat, frozenset[str]] = {
    "yaml": frozenset({"---", "..."}),
    "toml": frozenset({"+++"}),
}
# A closing delimiter line (CRLF line ends read as LF), found in one search.
_CLOSER_TEXT: dict[FrontMatterFormat, re.Pattern[str]] = {
    "yaml": re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE),
    "toml": re.compile(r"^\+\+\+[ \t]*$", re.MULTILINE),
}
_CLOSER_BYTES: dict[FrontMatterFormat, re.Pattern[bytes]] = {
    "yaml": re.compile(rb"^(?:---|\.\.\.)[ \t]*(?=\r\n|\n|\Z)", re.MULTILINE),
    "toml": re.compile(rb"^\+\+\+[ \t]*(?=\r\n|\n|\Z)", re.MULTILINE),
}
#: How much of an article the scan reads at once: enough for nearly every front matter.
_QUICK_READ = 16 * 1024
_O_BINARY: int = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
# A regular file reads the same without blocking; a named pipe swapped in for an article since
# the listing (which opens only regular files) then reads as empty instead of hanging the build.
_O_NONBLOCK: int = getattr(os, "O_NONBLOCK", 0)
_BOM = "\ufeff"
_BOM_BYTES = _BOM.encode("utf-8")
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
# A delimiter line is short; reading a bit more than the cap per line keeps one huge line cheap.
_LINE_READ_LIMIT = MAX_FRONT_MATTER_BYTES + 64
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)$")
_TOML_KEY = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_TOML_KEY_LINE = re.compile(rf"\s*({_TOML_KEY})\s*(?:\.|=)")
_TOML_TABLE_LINE = re.compile(rf"\s*\[\[?\s*({_TOML_KEY})")


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """An article file split into its front matter and its body.

    Attributes:
        data: The fields; ``{}`` when the file has no front matter.
        format: Which syntax the front matter used.
        body: The text after the closing delimiter (LF line ends); ``""`` from
            `read_front_matter`, which does not read the body.
        body_line: 1-based line of the file where `body` starts.
        line_of: Top-level key -> 1-based file line where it is written (best effort, for
            messages).
    """

    data: dict[str, object]
    format: FrontMatterFormat
    body: str
    body_line: int
    line_of: dict[str, int]


def split_front_matter(text: str, *, path: str) -> FrontMatter:
    """Split a whole article text into front matter and body.

    Args:
        text: The file's decoded text (see `decode_utf8`).
        path: The article's path, for messages.

    Raises:
        ArticleError: the front matter is unclosed, too large or invalid.
    """
    text = text.removeprefix(_BOM).replace("\r\n", "\n")
    end = text.find("\n")
    first = text if end < 0 else text[:end]
    fmt = _opening_format(first)
    if fmt == "none":
        return FrontMatter({}, "none", text, 1, {})
    pos = len(text) if end < 0 else end + 1

    def rest() -> Iterator[str]:
        nonlocal pos
        while pos < len(text):
            nl = text.find("\n", pos)
            stop = len(text) if nl < 0 else nl + 1
            line = text[pos:stop]
            pos = stop
            yield line

    closer = _CLOSER_TEXT[fmt].search(text, pos)
    if closer is not None and _within_limit(text[pos : closer.start()]):
        # The usual case, found at once: the lines up to the first closing delimiter.
        content = text[pos : closer.start()]
        body_line = content.count("\n") + 3
        pos = closer.end() + 1 if closer.end() < len(text) else len(text)
    else:
        content, body_line = _collect(fmt, rest(), path=path)  # says what is wrong, and where
    data, line_of = _parse(fmt, content, path=path)
    return FrontMatter(data, fmt, text[pos:], body_line, line_of)


def read_front_matter(file: str | Path, *, path: str, size: int | None = None) -> FrontMatter:
    """Read only the front matter of an article file; the body is never read or decoded.

    Gives the same `data`, `format`, `body_line` and `line_of` as `split_front_matter` on the
    whole file, with ``body=""``.

    Args:
        file: The article file.
        path: The article's path, for messages.
        size: The file's size as a listing found it (see `read_start`).

    Raises:
        ArticleError: the front matter is unclosed, too large, invalid, or not UTF-8.
        OSError: the file cannot be opened or read.
    """
    head = read_start(file, _QUICK_READ, size=size)
    quick = _quick_split(head, complete=len(head) < _QUICK_READ)
    if quick is not None:
        fmt, content, body_line = quick
        if fmt == "none":
            return FrontMatter({}, "none", "", 1, {})
        data, line_of = _parse(fmt, content, path=path)
        return FrontMatter(data, fmt, "", body_line, line_of)
    with os.fdopen(os.open(file, os.O_RDONLY | _O_BINARY | _O_NONBLOCK), "rb") as stream:
        # A long front matter, or one with a problem to locate: line by line.
        raw = _read_line(stream)
        # Decide on the raw bytes: a body that is not UTF-8 must not fail the cheap scan.
        opening = raw.removeprefix(_BOM_BYTES)
        opening = opening.removesuffix(b"\r\n" if opening.endswith(b"\r\n") else b"\n")
        fmt = _opening_format(opening.decode("utf-8", errors="replace"))
        if fmt == "none":
            return FrontMatter({}, "none", "", 1, {})
        content, body_line = _collect(fmt, _decoded_lines(stream, len(raw), path=path), path=path)
    data, line_of = _parse(fmt, content, path=path)
    return FrontMatter(data, fmt, "", body_line, line_of)


def read_start(file: str | Path, limit: int, *, size: int | None = None) -> bytes:
    """The first `limit` bytes of a file (all of it when shorter).

    Read through the file descriptor: a buffered file object costs three times as much to
    set up as the read itself, and a scan reads 100,000 files.

    Args:
        file: The file.
        limit: At most this many bytes.
        size: The file's size as a listing found it: when it still is, one read is enough
            (asked for one byte more, it gives exactly `size`: that is the end).

    Raises:
        OSError: the file cannot be opened or read.
    """
    fd = os.open(file, os.O_RDONLY | _O_BINARY | _O_NONBLOCK)
    try:
        if size is not None and size < limit:
            data = os.read(fd, size + 1)
            if len(data) == size:
                return data  # the whole file, as listed
        else:
            if limit > _QUICK_READ:  # do not make a buffer of `limit` bytes for a small file
                limit = min(limit, os.fstat(fd).st_size + 1)
            data = os.read(fd, limit)
        if not data or len(data) == limit:
            return data
        parts = [data]  # a short read is nearly always the end of the file: make sure
        while (got := sum(map(len, parts))) < limit and (more := os.read(fd, limit - got)):
            parts.append(more)
        return b"".join(parts)
    finally:
        os.close(fd)


def _within_limit(content: str) -> bool:
    # A character is at most 4 bytes of UTF-8: most front matter needs no encoding to tell.
    return len(content) <= MAX_FRONT_MATTER_BYTES // 4 or (
        len(content.encode("utf-8")) <= MAX_FRONT_MATTER_BYTES
    )


def _quick_split(head: bytes, *, complete: bool) -> tuple[FrontMatterFormat, str, int] | None:
    """The front matter of a file from its first bytes, when they hold all of it and it is
    valid UTF-8; None leaves the file to the line-by-line reader (same result, or the error).

    Args:
        head: The file's first bytes.
        complete: `head` is the whole file.
    """
    raw = head.removeprefix(_BOM_BYTES)
    end = raw.find(b"\n")
    if end < 0:
        return None
    fmt = _OPENERS.get(raw[:end].removesuffix(b"\r").rstrip(b" \t").decode("latin-1"), "none")
    if fmt == "none":
        return fmt, "", 1
    closer = _CLOSER_BYTES[fmt].search(raw, end + 1)
    if closer is None or (closer.end() == len(raw) and not complete):
        return None  # not closed in `head`, or the closing line may go on after it
    try:
        content = raw[end + 1 : closer.start()].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return fmt, content.replace("\r\n", "\n"), content.count("\n") + 3


def decode_utf8(data: bytes, *, path: str) -> str:
    """Decode a file's bytes as UTF-8, naming the line of the first bad byte.

    Raises:
        ArticleError: the bytes are not valid UTF-8.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _not_utf8(path, line, exc.start) from exc


def _not_utf8(path: str, line: int, offset: int) -> ArticleError:
    return ArticleError(
        path, line, f"not valid UTF-8 at line {line}, byte offset {offset}: save the file as UTF-8"
    )


def _opening_format(first_line: str) -> FrontMatterFormat:
    return _OPENERS.get(first_line.rstrip(" \t"), "none")


def _read_line(stream: BinaryIO) -> bytes:
    """One line of at most about `_LINE_READ_LIMIT` bytes (a longer one is content, too big)."""
    line = stream.readline(_LINE_READ_LIMIT)
    # A delimiter followed by a freak amount of trailing blanks is still a delimiter: finish it.
    while (
        len(line) == _LINE_READ_LIMIT
        and not line.endswith(b"\n")
        and line.removeprefix(_BOM_BYTES).rstrip(b" \t\r") in (b"---", b"+++", b"...")
    ):
        more = stream.readline(_LINE_READ_LIMIT)
        if not more or more.rstrip(b" \t\r\n"):
            return line + more
        line += more
    return line


def _decoded_lines(stream: BinaryIO, offset: int, *, path: str) -> Iterator[str]:
    """The lines after the opening one, decoded, with CRLF read as LF."""
    number = 1
    while raw := _read_line(stream):
        number += 1
        start, offset = offset, offset + len(raw)
        if raw.endswith(b"\r\n"):
            raw = raw[:-2] + b"\n"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            # Past the size cap the line is too big anyway; say that, not "bad UTF-8" on a cut.
            if len(raw) > MAX_FRONT_MATTER_BYTES:
                line = raw.decode("utf-8", errors="replace")
            else:
                raise _not_utf8(path, number, start + exc.start) from exc
        yield line


def _collect(fmt: FrontMatterFormat, lines: Iterator[str], *, path: str) -> tuple[str, int]:
    """Gather the front matter up to its closing delimiter.

    Returns:
        The front matter text (LF line ends) and the file line where the body starts.
    """
    closers = _CLOSERS[fmt]
    delimiter = "---" if fmt == "yaml" else "+++"
    parts: list[str] = []
    size = 0
    number = 1
    for line in lines:
        number += 1
        if line.rstrip("\n").rstrip(" \t") in closers:
            return "".join(parts), number + 1
        size += len(line.encode("utf-8"))
        if size > MAX_FRONT_MATTER_BYTES:
            raise ArticleError(
                path,
                1,
                f"front matter opened on line 1 is larger than {MAX_FRONT_MATTER_BYTES} bytes "
                f"(no closing '{delimiter}' before line {number} ends): close it with a line "
                f"'{delimiter}' and move long text into the body",
            )
        parts.append(line)
    raise ArticleError(
        path,
        1,
        f"front matter opened on line 1 is never closed: add a line '{delimiter}' after the "
        "last field",
    )


def _parse(
    fmt: FrontMatterFormat, content: str, *, path: str
) -> tuple[dict[str, object], dict[str, int]]:
    nul = content.find("\0")
    if nul >= 0:
        raise ArticleError(
            path,
            2 + content.count("\n", 0, nul),
            "NUL byte in front matter: remove it (is the file binary, or saved as UTF-16?)",
        )
    if fmt == "toml":
        return _parse_toml(content, path=path)
    return _parse_yaml(content, path=path)


def _parse_toml(content: str, *, path: str) -> tuple[dict[str, object], dict[str, int]]:
    try:
        data = toml.loads(content)
    except toml.TOMLDecodeError as exc:
        message = str(exc)
        # The front matter starts on file line 2, after the opening '+++'.
        where = _TOML_POSITION.search(message)
        if where:
            line = 1 + int(where.group(1))
            detail = f"{message[: where.start()]} (column {where.group(2)})"
        else:
            line = 2 + content.count("\n")  # the closing delimiter: "at end of document"
            detail = _TOML_AT_END.sub("", message)
        raise ArticleError(
            path, line, f"TOML front matter is not valid: {detail}: fix the syntax on this line"
        ) from exc
    return data, _toml_lines(content)


def _toml_lines(content: str) -> dict[str, int]:
    """Best-effort line of each top-level key: bare/dotted keys before any table, and tables."""
    line_of: dict[str, int] = {}
    in_table = False
    for index, line in enumerate(content.split("\n")):
        table = _TOML_TABLE_LINE.match(line)
        if table:
            in_table = True
            line_of.setdefault(_toml_key(table.group(1)), index + 2)
            continue
        key = None if in_table else _TOML_KEY_LINE.match(line)
        if key:
            line_of.setdefault(_toml_key(key.group(1)), index + 2)
    return line_of


def _toml_key(written: str) -> str:
    if written[:1] == '"':
        # A basic string key; the parser would have refused a bad escape already.
        return str(toml.loads(f"k = {written}")["k"])
    if written[:1] == "'":
        return written[1:-1]
    return written


def _parse_yaml(content: str, *, path: str) -> tuple[dict[str, object], dict[str, int]]:
    if not content.strip():
        return {}, {}
    try:
        _check_aliases(content, path=path)
        loader = _Loader(content)
        try:
            node = loader.get_single_node()
            line_of = _yaml_key_lines(node, path=path)
            data = _construct(loader, node, aliases="*" in content)
        finally:
            loader.dispose()
    except _ImpossibleValueError as exc:
        raise ArticleError(path, 2 + exc.line, exc.reason) from exc
    except yaml.reader.ReaderError as exc:
        # Its position is in characters or bytes depending on the loader: find the character.
        index = max(content.find(chr(exc.character)), 0)
        raise ArticleError(
            path,
            2 + content.count("\n", 0, index),
            f"YAML front matter contains the control character {exc.character:#06x}: remove it",
        ) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        last = content.count("\n")
        if mark and mark.line >= last and exc.context_mark:
            # "Unexpected end of stream": the line that opened the quote or bracket helps more.
            mark = exc.context_mark
        line = 2 + min(mark.line, last) if mark else 2
        context = f" ({exc.context})" if exc.context else ""
        raise ArticleError(
            path,
            line,
            f"YAML front matter is not valid: {exc.problem}{context}: "
            "check the quotes, colons and indentation on this line",
        ) from exc
    except yaml.YAMLError as exc:
        raise ArticleError(path, 2, f"YAML front matter is not valid: {exc}") from exc
    if data is None:
        return {}, {}  # only comments
    if not isinstance(data, dict):
        raise ArticleError(
            path,
            2,
            f"front matter is {describe_value(data)}, not a set of fields: "
            "write one 'key: value' per line",
        )
    for key in data:
        if not isinstance(key, str):
            # Only reachable through a merge ("<<: *anchor") of a mapping with such keys.
            raise ArticleError(
                path,
                2,
                f"front matter key {key!r} is not text: put it in quotes, e.g. '{key}': ...",
            )
    return data, line_of


class _NotPlainError(Exception):
    """A node `_plain_value` leaves to PyYAML's own construction."""


_SCALAR_NODE, _SEQUENCE_NODE, _MAPPING_NODE = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
#: The implicit scalar types of YAML 1.1 (and `!!str`), made by the loader's own constructors.
_SCALAR_CONSTRUCTORS = {
    tag: _Loader.yaml_constructors[tag]
    for tag in (
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:timestamp",
    )
}


def _construct(loader: _Loader, node: yaml.Node | None, *, aliases: bool) -> object:
    """The document's value, as `loader.construct_document(node)` gives it.

    Front matter is nearly always plain maps, lists and scalars: those are built here with
    the loader's own scalar constructors, without the generic machinery (which cost as much
    as parsing the text). Anything else (aliases, merge keys, sets, binary, unknown tags) is
    PyYAML's.
    """
    if node is None:
        return None
    if not aliases:
        try:
            return _plain_value(loader, node)
        except Exception:  # noqa: S110 - PyYAML's own construction says what is wrong
            pass  # (it may meet another problem first, as it goes in another order)
    return loader.construct_document(node)


def _plain_value(loader: _Loader, node: yaml.Node) -> object:
    kind, tag = type(node), node.tag
    if kind is _SCALAR_NODE:
        if tag == _STR_TAG:
            return node.value
        constructor = _SCALAR_CONSTRUCTORS.get(tag)
        if constructor is None:
            raise _NotPlainError
        return constructor(loader, node)
    if kind is _SEQUENCE_NODE and tag == _SEQ_TAG:
        return [_plain_value(loader, item) for item in node.value]
    if kind is _MAPPING_NODE and tag == _MAP_TAG:
        mapping = {}
        for key, value in node.value:
            if type(key) is not _SCALAR_NODE or key.tag != _STR_TAG:
                raise _NotPlainError  # a merge key, or a key that is not text
            mapping[key.value] = _plain_value(loader, value)
        return mapping
    raise _NotPlainError


def _yaml_key_lines(node: yaml.Node | None, *, path: str) -> dict[str, int]:
    """Line of each top-level key; refuses non-text and repeated keys, naming their line."""
    line_of: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return line_of
    for key_node, _ in node.value:
        line = 2 + key_node.start_mark.line
        if key_node.tag == _MERGE_TAG:
            continue
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR_TAG:
            shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a collection"
            raise ArticleError(
                path,
                line,
                f"front matter key {shown!r} is not text: put it in quotes, e.g. '{shown}': ...",
            )
        key = str(key_node.value)
        if key in line_of:
            raise ArticleError(
                path,
                line,
                f"front matter key {key!r} is written twice (lines {line_of[key]} and {line}): "
                "keep one of them",
            )
        line_of[key] = line
    return line_of


def _check_aliases(content: str, *, path: str) -> None:
    """Refuse YAML whose aliases are too many or expand into too many values.

    PyYAML shares aliased objects, so loading is cheap, but anything that walks the result
    (validation, rendering) would pay for every expansion: a few nested anchors make billions.
    """
    if "*" not in content:
        return  # no alias can be written without "*": skip the second parse (most files)
    aliases = 0
    expanded = 0  # values the document would have with every alias written out
    sizes: dict[str, int] = {}
    open_anchors: list[tuple[str | None, int]] = []
    for event in yaml.parse(content, Loader=_Loader):
        line = 2 + (event.start_mark.line if event.start_mark else 0)
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            name = str(event.anchor)
            if aliases > MAX_YAML_ALIASES:
                raise ArticleError(
                    path,
                    line,
                    f"front matter uses more than {MAX_YAML_ALIASES} YAML aliases (*name): "
                    "write the values out instead",
                )
            if name not in sizes and any(name == anchor for anchor, _ in open_anchors):
                raise ArticleError(
                    path,
                    line,
                    f"YAML alias *{name} refers to the value that contains it: "
                    "write the value out instead",
                )
            expanded += sizes.get(name, 1)
        elif isinstance(event, yaml.ScalarEvent):
            expanded += 1
            if event.anchor is not None:
                sizes[str(event.anchor)] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            expanded += 1
            anchor = None if event.anchor is None else str(event.anchor)
            open_anchors.append((anchor, expanded - 1))
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, start = open_anchors.pop()
            if anchor is not None:
                sizes[anchor] = expanded - start
        if expanded > MAX_YAML_EXPANDED_VALUES:
            raise ArticleError(
                path,
                line,
                f"front matter expands to more than {MAX_YAML_EXPANDED_VALUES} values through "
                "YAML aliases (*name): write the values out instead of reusing anchors",
            )

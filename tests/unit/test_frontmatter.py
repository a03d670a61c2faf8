"""Tests for feeds.sources.files.frontmatter: YAML/TOML front matter, its errors and the cheap scan."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.errors import ArticleError
from feeds.sources.files import frontmatter
from feeds.sources.files.frontmatter import (
    MAX_FRONT_MATTER_BYTES,
    FrontMatter,
    decode_utf8,
    read_front_matter,
    split_front_matter,
)

PATH = "articles/2024/harbour.md"

YAML_ARTICLE = """---
title: Council Delays Vote on Harbour Dredging Plan
date: 2024-02-13
tags: [harbour, council]
image:
  path: dredger.jpg
  credit: Mara Quill/Coastal Ledger
---
The council postponed its vote.
"""

TOML_ARTICLE = """+++
title = "Lighthouse Reopens"
draft = false

[image]
path = "lighthouse.jpg"
+++

The lighthouse opened again on Saturday.
"""


def split(text: str) -> FrontMatter:
    return split_front_matter(text, path=PATH)


def split_error(text: str) -> ArticleError:
    with pytest.raises(ArticleError) as caught:
        split(text)
    return caught.value


def write(tmp_path: Path, content: str | bytes) -> Path:
    file = tmp_path / "article.md"
    if isinstance(content, str):
        content = content.encode("utf-8")
    file.write_bytes(content)
    return file


def both_errors(tmp_path: Path, text: str) -> str:
    """The message split_front_matter gives, checked to be the one read_front_matter gives."""
    with pytest.raises(ArticleError) as split_caught:
        split(text)
    with pytest.raises(ArticleError) as read_caught:
        read_front_matter(write(tmp_path, text), path=PATH)
    assert str(read_caught.value) == str(split_caught.value)
    return str(split_caught.value)


class TestFormats:
    def test_yaml(self):
        fm = split(YAML_ARTICLE)
        assert fm == FrontMatter(
            data={
                "title": "Council Delays Vote on Harbour Dredging Plan",
                "date": dt.date(2024, 2, 13),
                "tags": ["harbour", "council"],
                "image": {"path": "dredger.jpg", "credit": "Mara Quill/Coastal Ledger"},
            },
            format="yaml",
            body="The council postponed its vote.\n",
            body_line=9,
            line_of={"title": 2, "date": 3, "tags": 4, "image": 5},
        )

    def test_yaml_closed_by_dots_and_trailing_spaces_on_delimiters(self):
        fm = split("---  \ntitle: x\n... \t\nBody")
        assert (fm.data, fm.format, fm.body, fm.body_line) == ({"title": "x"}, "yaml", "Body", 4)

    def test_toml(self):
        fm = split(TOML_ARTICLE)
        assert fm == FrontMatter(
            data={
                "title": "Lighthouse Reopens",
                "draft": False,
                "image": {"path": "lighthouse.jpg"},
            },
            format="toml",
            body="\nThe lighthouse opened again on Saturday.\n",
            body_line=8,
            line_of={"title": 2, "draft": 3, "image": 5},
        )

    def test_toml_dotted_and_quoted_keys_get_lines(self):
        fm = split('+++\n"a b" = 1\nsite.name = "x"\n\n[[links]]\nurl = "u"\n+++\n')
        assert fm.line_of == {"a b": 2, "site": 3, "links": 5}

    def test_none(self):
        text = "Headline\n\nBody.\n"
        assert split(text) == FrontMatter({}, "none", text, 1, {})

    def test_dashes_not_alone_on_the_first_line_are_not_front_matter(self):
        assert split("--- not a delimiter\n---\n").format == "none"

    def test_bom_is_dropped(self):
        fm = split("\ufeff" + YAML_ARTICLE)
        assert fm.data["title"] == "Council Delays Vote on Harbour Dredging Plan"
        assert fm.body_line == 9
        assert split("\ufeffHeadline\n").body == "Headline\n"

    def test_crlf_is_read_as_lf_and_lines_stay_right(self):
        crlf = split(YAML_ARTICLE.replace("\n", "\r\n"))
        assert crlf == split(YAML_ARTICLE)
        assert split(TOML_ARTICLE.replace("\n", "\r\n")) == split(TOML_ARTICLE)

    @pytest.mark.parametrize(
        "text", ["---\n---\nBody", "---\n\n  \n---\nBody", "---\n# x\n---\nBody"]
    )
    def test_empty_yaml_block(self, text):
        fm = split(text)
        assert (fm.data, fm.format, fm.body) == ({}, "yaml", "Body")

    def test_empty_toml_block(self):
        assert split("+++\n+++\n").data == {}

    def test_closing_delimiter_at_end_of_file_without_newline(self):
        fm = split("---\na: 1\n---")
        assert (fm.data, fm.body, fm.body_line) == ({"a": 1}, "", 4)

    def test_small_anchors_are_fine(self):
        fm = split("---\nbase: &b {x: 1}\nother: *b\n---\n")
        assert fm.data == {"base": {"x": 1}, "other": {"x": 1}}

    def test_front_matter_of_exactly_the_limit_is_fine(self):
        value = "x" * (MAX_FRONT_MATTER_BYTES - len("k: \n"))
        assert split(f"---\nk: {value}\n---\n").data == {"k": value}


class TestErrors:
    def test_unclosed_yaml(self, tmp_path):
        assert both_errors(tmp_path, "---\ntitle: x\n\nBody without a closing line.\n") == (
            f"{PATH}:1: front matter opened on line 1 is never closed: add a line '---' after "
            "the last field"
        )

    def test_unclosed_toml(self, tmp_path):
        assert both_errors(tmp_path, "+++\ntitle = 'x'\n") == (
            f"{PATH}:1: front matter opened on line 1 is never closed: add a line '+++' after "
            "the last field"
        )

    def test_yaml_syntax_error_names_the_line(self, tmp_path):
        text = "---\ntitle: x\nsummary: 'an open quote\n---\nBody\n"
        assert both_errors(tmp_path, text) == (
            f"{PATH}:3: YAML front matter is not valid: found unexpected end of stream "
            "(while scanning a quoted scalar): check the quotes, colons and indentation on "
            "this line"
        )

    def test_yaml_syntax_error_line_with_crlf_and_bom(self, tmp_path):
        text = "\ufeff---\r\ntitle: x\r\ntags: [a, b\r\n---\r\n"
        with pytest.raises(ArticleError) as caught:
            split(text)
        assert caught.value.line == 3
        assert caught.value.reason.startswith("YAML front matter is not valid: ")

    def test_toml_syntax_error_translated_to_file_line(self, tmp_path):
        text = "+++\ntitle = 'x'\n\ndate = \n+++\n"
        assert both_errors(tmp_path, text) == (
            f"{PATH}:4: TOML front matter is not valid: Invalid value (column 8): "
            "fix the syntax on this line"
        )

    def test_toml_error_at_end_of_document(self, tmp_path):
        assert both_errors(tmp_path, "+++\ntitle = 'x\n+++\n") == (
            f'{PATH}:3: TOML front matter is not valid: Expected "\'": fix the syntax on this line'
        )

    def test_toml_duplicate_key(self, tmp_path):
        assert both_errors(tmp_path, "+++\na = 1\na = 2\n+++\n") == (
            f"{PATH}:3: TOML front matter is not valid: Cannot overwrite a value (column 6): "
            "fix the syntax on this line"
        )

    def test_over_size_cap(self, tmp_path):
        text = "---\ntitle: x\nsummary: " + "y" * MAX_FRONT_MATTER_BYTES + "\n---\nBody\n"
        assert both_errors(tmp_path, text) == (
            f"{PATH}:1: front matter opened on line 1 is larger than 65536 bytes (no closing "
            "'---' before line 3 ends): close it with a line '---' and move long text into "
            "the body"
        )

    def test_unclosed_front_matter_over_the_cap_stops_at_the_cap(self, tmp_path):
        text = "+++\n" + "k = 1\n" * 20_000
        assert both_errors(tmp_path, text) == (
            f"{PATH}:1: front matter opened on line 1 is larger than 65536 bytes (no closing "
            "'+++' before line 10924 ends): close it with a line '+++' and move long text into "
            "the body"
        )

    @pytest.mark.parametrize(
        ("block", "kind"),
        [
            ("- a\n- b\n", "a list"),
            ("just a sentence\n", "plain text"),
            ("42\n", "a number"),
            ("true\n", "a true/false value"),
        ],
    )
    def test_non_mapping(self, tmp_path, block, kind):
        assert both_errors(tmp_path, f"---\n{block}---\n") == (
            f"{PATH}:2: front matter is {kind}, not a set of fields: write one 'key: value' "
            "per line"
        )

    @pytest.mark.parametrize(("key", "shown"), [("2024", "2024"), ("yes", "yes"), ("~", "~")])
    def test_non_string_key(self, tmp_path, key, shown):
        assert both_errors(tmp_path, f"---\ntitle: x\n{key}: value\n---\n") == (
            f"{PATH}:3: front matter key '{shown}' is not text: put it in quotes, "
            f"e.g. '{shown}': ..."
        )

    def test_collection_key(self, tmp_path):
        assert both_errors(tmp_path, "---\n? [a, b]\n: 1\n---\n") == (
            f"{PATH}:2: front matter key 'a collection' is not text: put it in quotes, "
            "e.g. 'a collection': ..."
        )

    def test_quoted_number_key_is_fine(self):
        assert split("---\n'2024': x\n---\n").data == {"2024": "x"}

    def test_duplicate_yaml_key(self, tmp_path):
        assert both_errors(tmp_path, "---\ntitle: a\ndate: 2024-01-01\ntitle: b\n---\n") == (
            f"{PATH}:4: front matter key 'title' is written twice (lines 2 and 4): keep one of them"
        )

    def test_nul_byte(self, tmp_path):
        assert both_errors(tmp_path, "---\ntitle: x\nsum\0mary: y\n---\n") == (
            f"{PATH}:3: NUL byte in front matter: remove it (is the file binary, or saved as "
            "UTF-16?)"
        )

    def test_control_character(self, tmp_path):
        assert both_errors(tmp_path, "---\ntitle: x\nsummary: caf\u00e9 \x07\n---\n") == (
            f"{PATH}:3: YAML front matter contains the control character 0x0007: remove it"
        )

    def test_billion_laughs(self, tmp_path):
        lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in "bcdefghi":
            previous = chr(ord(level) - 1)
            lines.append(f"{level}: &{level} [{', '.join([f'*{previous}'] * 10)}]")
        text = "---\n" + "\n".join(lines) + "\n---\n"
        assert both_errors(tmp_path, text) == (
            f"{PATH}:5: front matter expands to more than 10000 values through YAML aliases "
            "(*name): write the values out instead of reusing anchors"
        )

    def test_too_many_aliases(self, tmp_path):
        text = "---\nx: &x 1\nlist:\n" + "  - *x\n" * 101 + "---\n"
        assert both_errors(tmp_path, text) == (
            f"{PATH}:104: front matter uses more than 100 YAML aliases (*name): write the values "
            "out instead"
        )

    def test_self_referencing_alias(self, tmp_path):
        assert both_errors(tmp_path, "---\ntitle: x\nloop: &l [a, *l]\n---\n") == (
            f"{PATH}:3: YAML alias *l refers to the value that contains it: write the value out "
            "instead"
        )


class TestUtf8:
    def test_decode_utf8_names_line_and_offset(self):
        data = b"---\ntitle: caf\xe9\n---\n"
        with pytest.raises(ArticleError) as caught:
            decode_utf8(data, path=PATH)
        assert str(caught.value) == (
            f"{PATH}:2: not valid UTF-8 at line 2, byte offset 14: save the file as UTF-8"
        )

    def test_read_front_matter_names_line_and_offset(self, tmp_path):
        file = write(tmp_path, b"\xef\xbb\xbf---\r\ntitle: x\r\nsummary: caf\xe9\r\n---\r\n")
        with pytest.raises(ArticleError) as caught:
            read_front_matter(file, path=PATH)
        assert str(caught.value) == (
            f"{PATH}:3: not valid UTF-8 at line 3, byte offset 30: save the file as UTF-8"
        )

    def test_decode_utf8_reports_bad_body_bytes(self):
        with pytest.raises(ArticleError) as caught:
            decode_utf8(b"---\ntitle: x\n---\nfine\n\xff\n", path=PATH)
        assert str(caught.value) == (
            f"{PATH}:5: not valid UTF-8 at line 5, byte offset 22: save the file as UTF-8"
        )

    def test_crlf_document_splits_like_lf(self):
        assert split(YAML_ARTICLE.replace("\n", "\r\n")) == split(YAML_ARTICLE)


class _CountingReader(io.BufferedReader):
    """A real file that remembers how many bytes were handed out."""

    handed_out = 0

    def readline(self, size: int | None = -1, /) -> bytes:
        line = super().readline(-1 if size is None else size)
        type(self).handed_out += len(line)
        return line

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size)
        type(self).handed_out += len(data)
        return data


class TestCheapScan:
    @pytest.mark.parametrize("article", [YAML_ARTICLE, TOML_ARTICLE, "Headline\n\nBody\n"])
    def test_agrees_with_split(self, tmp_path, article):
        full = split(article)
        cheap = read_front_matter(write(tmp_path, article), path=PATH)
        assert cheap == FrontMatter(full.data, full.format, "", full.body_line, full.line_of)

    def test_body_is_not_read(self, tmp_path, monkeypatch):
        head = b"---\ntitle: x\n---\n"
        body = b"\xff\xfe not UTF-8 at all " * 300_000  # about 5 MB
        file = write(tmp_path, head + body)

        def counting_open(name: str | Path, mode: str = "r"):
            assert mode == "rb"
            return _CountingReader(io.FileIO(name, "r"))

        monkeypatch.setattr(frontmatter, "open", counting_open, raising=False)
        _CountingReader.handed_out = 0
        fm = read_front_matter(file, path=PATH)
        assert (fm.data, fm.body, fm.body_line) == ({"title": "x"}, "", 4)
        assert _CountingReader.handed_out <= frontmatter._QUICK_READ  # one bounded read

    def test_no_front_matter_reads_one_bounded_line(self, tmp_path):
        file = write(tmp_path, b"x" * 5_000_000 + b"\n\xff")
        assert read_front_matter(file, path=PATH) == FrontMatter({}, "none", "", 1, {})

    def test_opening_delimiter_with_many_trailing_blanks(self, tmp_path):
        text = "---" + " " * (MAX_FRONT_MATTER_BYTES + 100) + "\na: 1\n---\n"
        assert read_front_matter(write(tmp_path, text), path=PATH).data == {"a": 1}
        assert split(text).data == {"a": 1}


# --- property: the cheap scan gives what the full split gives ---------------------------------

_KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=30
)
_VALUES = st.one_of(
    _TEXT,
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.lists(_TEXT, max_size=3),
)
_BODY = st.text(max_size=200)


def _toml_value(value: object) -> str:
    # JSON scalars and arrays are TOML values once True/False are spelt in lower case.
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
@given(
    data=st.dictionaries(_KEYS, _VALUES, max_size=6),
    fmt=st.sampled_from(["yaml", "toml", "none"]),
    body=_BODY,
    crlf=st.booleans(),
    bom=st.booleans(),
)
def test_property_read_agrees_with_split(tmp_path, data, fmt, body, crlf, bom):
    if fmt == "yaml":
        block = yaml.safe_dump(data, allow_unicode=True, sort_keys=False) if data else ""
        text = f"---\n{block}---\n{body}"
    elif fmt == "toml":
        block = "".join(f"{key} = {_toml_value(value)}\n" for key, value in data.items())
        text = f"+++\n{block}+++\n{body}"
    else:
        text = body
    if crlf:
        text = text.replace("\n", "\r\n")
    if bom:
        text = "\ufeff" + text
    file = tmp_path / "property.md"
    file.write_bytes(text.encode("utf-8"))
    try:
        full = split(text)
    except ArticleError as exc:
        assert fmt == "none"  # a body that happens to open with a delimiter line
        with pytest.raises(ArticleError) as caught:
            read_front_matter(file, path=PATH)
        assert str(caught.value) == str(exc)
        return
    if fmt != "none":
        assert full.format == fmt
        assert full.data == data
        assert list(full.line_of) == list(data)
        written_body = body.replace("\n", "\r\n") if crlf else body
        assert full.body == written_body.replace("\r\n", "\n")
    cheap = read_front_matter(file, path=PATH)
    assert cheap == FrontMatter(full.data, full.format, "", full.body_line, full.line_of)


_PIECES = [
    b"---", b"--- ", b"---\t", b"...", b"+++", b"+++ ", b" ---", b"----", b"---\r", b"",
    b"title: x", b"a: 1", b"b = 2", b'c = "d"', b"e: [1, 2]", b"\xff\xfe", b"\x00", b"\xef\xbb\xbf",
]  # fmt: skip


def _outcome(read: Callable[[], FrontMatter]) -> FrontMatter | str:
    try:
        return read()
    except ArticleError as exc:
        return str(exc)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300)
@given(
    lines=st.lists(st.sampled_from(_PIECES), max_size=8),
    ends=st.lists(st.sampled_from([b"\n", b"\r\n", b"\r"]), min_size=8, max_size=8),
    last_end=st.booleans(),
)
def test_property_quick_reading_agrees_with_line_by_line(
    tmp_path, monkeypatch, lines, ends, last_end
):
    """The one-search reading of the usual front matter gives what the line-by-line reader
    gives (which locates every problem), on any mix of delimiters, line ends and bad bytes."""
    data = b"".join(line + end for line, end in zip(lines, ends, strict=False))
    if not last_end and lines:
        data = data[: -len(ends[len(lines) - 1])]
    file = tmp_path / "quick.md"
    file.write_bytes(data)
    quick_read = _outcome(lambda: read_front_matter(file, path=PATH))
    text = data.decode("utf-8", errors="replace")
    quick_split = _outcome(lambda: split(text))
    with monkeypatch.context() as patched:
        patched.setattr(frontmatter, "_QUICK_READ", 0)
        never = re.compile(r"(?!)")
        patched.setattr(frontmatter, "_CLOSER_TEXT", {"yaml": never, "toml": never})
        assert quick_read == _outcome(lambda: read_front_matter(file, path=PATH))
        assert quick_split == _outcome(lambda: split(text))


@pytest.mark.parametrize("size", [0, 1, 5, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 70_000])
@pytest.mark.parametrize("limit", [16 * 1024, 65_536])
def test_read_start_gives_the_first_bytes_even_when_reads_come_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int, limit: int
) -> None:
    data = bytes(range(256)) * (size // 256 + 1)
    path = tmp_path / "a.md"
    path.write_bytes(data[:size])
    expected = data[: min(size, limit)]
    # The size as listed, or as it was before the file grew or shrank:
    hints = [None, size, size // 2, size + 10, 0]
    assert [frontmatter.read_start(path, limit, size=hint) for hint in hints] == [expected] * 5
    real_read = frontmatter.os.read
    monkeypatch.setattr(frontmatter.os, "read", lambda fd, n: real_read(fd, min(n, 1000)))
    assert [frontmatter.read_start(path, limit, size=hint) for hint in hints] == [expected] * 5


def test_read_start_of_a_missing_file_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        frontmatter.read_start(tmp_path / "gone.md", 100)


_TRICKY_PLAIN = [
    "yes", "No", "on", "OFF", "~", "null", "", "0x1F", "0o17", "017", "1_000", "1:20:30",
    "-1.5e3", ".inf", "-.Inf", ".nan", "2026-03-02", "2026-03-02 07:30:00", "2026-13-45",
    "2026-03-02T07:30:00+01:00", "2026-03-02t07:30:00.5z", "=", "<<", "!!str 12",
    "!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1]", "&a 1", "[1, &b two]", "{x: 1, y: [2]}",
    "'quoted'", '"double\\tquoted"', "plain words, with comma", "- item",
]  # fmt: skip
_YAML_SCALARS = st.one_of(
    st.text(max_size=12),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(),
)
_YAML_VALUES = st.recursive(
    _YAML_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _constructed(text: str) -> object:
    """The value PyYAML's own construction gives, or the error it raises."""
    loader = frontmatter._Loader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else loader.construct_document(node)
    except Exception as exc:  # the outcome is compared
        return (type(exc), str(exc))
    finally:
        loader.dispose()


def _fast(text: str) -> object:
    loader = frontmatter._Loader(text)
    try:
        node = loader.get_single_node()
        return frontmatter._construct(loader, node, aliases="*" in text)
    except Exception as exc:  # the outcome is compared
        return (type(exc), str(exc))
    finally:
        loader.dispose()


@given(
    data=st.dictionaries(st.text(max_size=8), _YAML_VALUES, max_size=6),
    flow=st.sampled_from([None, True, False]),
)
def test_property_plain_construction_agrees_with_pyyaml_on_dumped_values(data, flow):
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow)
    assert _fast(text) == _constructed(text)


@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(["title", "date", "a", "<<", "1", "tags"]),
            st.sampled_from(_TRICKY_PLAIN),
        ),
        max_size=6,
    )
)
def test_property_plain_construction_agrees_with_pyyaml_on_tricky_scalars(lines):
    text = "".join(f"{key}: {value}\n" for key, value in lines)
    assert _fast(text) == _constructed(text)

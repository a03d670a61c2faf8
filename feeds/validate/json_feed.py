"""JSON Feed 1.1 rules: required members, types, absolute URLs and RFC 3339 dates."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Collection
from typing import Final

from feeds.rules import is_absolute_iri as is_absolute_url
from feeds.rules import is_language_tag
from feeds.validate.base import Issue, Severity, check_rfc3339, is_mime_type

E = Severity.ERROR
W = Severity.WARNING

VERSIONS: Final = ("https://jsonfeed.org/version/1.1", "https://jsonfeed.org/version/1")

#: Every issue code of the JSON Feed rules, with its severity and a one-line summary.
JSON_CODES: Final[dict[str, tuple[Severity, str]]] = {
    "json-not-well-formed": (E, "the document is not well-formed JSON"),
    "json-encoding": (E, "the document is not UTF-8"),
    "json-bom": (W, "the document starts with a byte order mark"),
    "json-not-object": (E, "the top-level value is not an object"),
    "json-duplicate-key": (W, "an object has the same member twice (readers keep either)"),
    "json-version": (E, "version is missing or not a JSON Feed version URL"),
    "json-missing-member": (E, "a required member is missing"),
    "json-type": (E, "a member has the wrong type"),
    "json-url-invalid": (E, "a URL member is not an absolute URL"),
    "json-date-format": (E, "a date that is not RFC 3339"),
    "json-language": (E, "language is not a language tag"),
    "json-mime-type": (E, "mime_type is not a MIME media type"),
    "json-number": (E, "size_in_bytes/duration_in_seconds is not a non-negative number"),
    "json-item-missing-content": (E, "an item has neither content_html nor content_text"),
    "json-duplicate-id": (E, "two items share an id"),
    "json-author-empty": (E, "an author without name, url or avatar"),
    "json-id-not-string": (W, "an item id that is a number, not a string"),
    "json-deprecated": (W, "a JSON Feed 1.0 member that 1.1 replaced (author)"),
    "json-missing-recommended": (W, "feed_url or home_page_url is missing"),
    "json-unknown-member": (W, "a member JSON Feed does not define (extensions start with _)"),
    # the _archive extension: RFC 5005's links and markers (what feeds writes)
    "json-archive-and-complete": (E, '_archive says both "archive" and "complete"'),
    "json-archive-complete-with-links": (
        E,
        '_archive of a complete feed with "prev_archive" or "next_archive"',
    ),
    "json-archive-without-current": (W, '_archive of an archive document without "current"'),
}

_FEED_MEMBERS: Final = (
    "version",
    "title",
    "home_page_url",
    "feed_url",
    "description",
    "user_comment",
    "next_url",
    "icon",
    "favicon",
    "author",
    "authors",
    "language",
    "expired",
    "hubs",
    "items",
)
_ITEM_MEMBERS: Final = (
    "id",
    "url",
    "external_url",
    "title",
    "content_html",
    "content_text",
    "summary",
    "image",
    "banner_image",
    "date_published",
    "date_modified",
    "author",
    "authors",
    "tags",
    "language",
    "attachments",
)
_AUTHOR_MEMBERS: Final = ("name", "url", "avatar")
_ATTACHMENT_MEMBERS: Final = ("url", "mime_type", "title", "size_in_bytes", "duration_in_seconds")
_HUB_MEMBERS: Final = ("type", "url")

Json = object


def looks_like_json(data: bytes) -> bool:
    """Whether the document is JSON rather than XML: it starts (after a BOM) with ``{``."""
    return data.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n").startswith(b"{")


class _Out:
    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def add(self, code: str, path: str, message: str) -> None:
        # Paths inside an item start "items[N]" (N from 1), as `_check_feed` writes them.
        item = int(path[6 : path.index("]")]) - 1 if path.startswith("items[") else None
        self.issues.append(Issue(code, JSON_CODES[code][0], message, 0, 0, path, item))


def check_json_feed(data: bytes) -> list[Issue]:
    """Validate a JSON Feed document.

    Paths name members the way a reader writes them, items counted from 1 like the XML paths
    (``items[3].attachments[1].url``).

    Args:
        data: The document's bytes.

    Returns:
        The issues found, in document order.
    """
    out = _Out()
    if data.startswith(codecs.BOM_UTF8):
        out.add("json-bom", "", "remove the UTF-8 byte order mark: JSON must not start with one")
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        out.add(
            "json-encoding",
            "",
            f"byte {exc.start} (0x{data[exc.start]:02X}) is not UTF-8: JSON Feed is always"
            " UTF-8; re-save the file as UTF-8",
        )
        return out.issues
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Json]]) -> dict[str, Json]:
        seen: dict[str, Json] = {}
        for key, value in items:
            if key in seen:
                duplicates.append(key)
            seen[key] = value
        return seen

    try:
        document = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        out.issues.append(
            Issue(
                "json-not-well-formed",
                E,
                f"not well-formed JSON: {exc.msg}: fix the document at this position",
                exc.lineno,
                exc.colno,
                "",
            )
        )
        return out.issues
    except RecursionError:
        out.add("json-not-well-formed", "", "values are nested too deeply: flatten the document")
        return out.issues
    for key in dict.fromkeys(duplicates):
        out.add("json-duplicate-key", key, f'the member "{key}" appears twice in one object')
    if not isinstance(document, dict):
        out.add(
            "json-not-object",
            "",
            f"the document is a JSON {_kind(document)}; a JSON Feed is an object with"
            ' "version", "title" and "items"',
        )
        return out.issues
    _check_feed(document, out)
    return out.issues


def _kind(value: Json) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string" if isinstance(value, str) else "value"


def _check_feed(feed: dict[str, Json], out: _Out) -> None:
    version = feed.get("version")
    if version is None:
        out.add(
            "json-version",
            "version",
            f'the feed has no "version": add "version": "{VERSIONS[0]}"',
        )
    elif version not in VERSIONS:
        out.add(
            "json-version",
            "version",
            f'"version" is {json.dumps(version)}, not a JSON Feed version: use "{VERSIONS[0]}"',
        )
    _required(feed, "title", "", out, _string)
    for name in ("home_page_url", "feed_url"):
        if name not in feed:
            out.add(
                "json-missing-recommended",
                name,
                f'the feed has no "{name}": add it so readers can find the '
                + ("site" if name == "home_page_url" else "feed's own address"),
            )
    for name in ("home_page_url", "feed_url", "next_url", "icon", "favicon"):
        _optional_url(feed, name, "", out)
    for name in ("description", "user_comment"):
        _optional(feed, name, "", out, _string)
    _optional(feed, "expired", "", out, _boolean)
    _language(feed, "", out)
    _authors(feed, "", out)
    _archive_extension(feed, out)
    hubs = feed.get("hubs")
    if hubs is not None and _type_ok(hubs, _array, "hubs", out):
        assert isinstance(hubs, list)
        for number, hub in enumerate(hubs, start=1):
            where = f"hubs[{number}]"
            if _type_ok(hub, _object, where, out):
                assert isinstance(hub, dict)
                _unknown(hub, _HUB_MEMBERS, where, out)
                _required(hub, "type", where, out, _string)
                if _required(hub, "url", where, out, _string):
                    _optional_url(hub, "url", where, out)
    _unknown(feed, _FEED_MEMBERS, "", out)
    if not _required(feed, "items", "", out, _array):
        return
    items = feed["items"]
    assert isinstance(items, list)
    ids: dict[str, int] = {}
    for number, item in enumerate(items, start=1):
        where = f"items[{number}]"
        if _type_ok(item, _object, where, out):
            assert isinstance(item, dict)
            _check_item(item, where, out, ids, number)


def _check_item(
    item: dict[str, Json], where: str, out: _Out, ids: dict[str, int], number: int
) -> None:
    item_id = item.get("id")
    if "id" not in item:
        out.add(
            "json-missing-member",
            _at(where, "id"),
            'the item has no "id": give it a permanent, unique string id',
        )
    elif isinstance(item_id, int | float) and not isinstance(item_id, bool):
        out.add(
            "json-id-not-string",
            _at(where, "id"),
            f'the id {item_id} is a number: write it as a string ("{item_id}"), as readers'
            " compare ids as strings",
        )
    elif not isinstance(item_id, str):
        out.add("json-type", _at(where, "id"), f'"id" is a {_kind(item_id)}: it must be a string')
    if isinstance(item_id, str | int | float) and not isinstance(item_id, bool):
        key = str(item_id)
        if key in ids:
            out.add(
                "json-duplicate-id",
                _at(where, "id"),
                f'items[{ids[key]}] already has the id "{key}": every item needs its own id,'
                " or readers drop one of them",
            )
        else:
            ids[key] = number
    for name in ("url", "external_url", "image", "banner_image"):
        _optional_url(item, name, where, out)
    for name in ("title", "content_html", "content_text", "summary"):
        _optional(item, name, where, out, _string)
    if "content_html" not in item and "content_text" not in item:
        out.add(
            "json-item-missing-content",
            where,
            'the item has neither "content_html" nor "content_text": add one (it may be empty)',
        )
    for name in ("date_published", "date_modified"):
        if _optional(item, name, where, out, _string):
            problem = check_rfc3339(str(item[name]))
            if problem:
                out.add(
                    "json-date-format",
                    _at(where, name),
                    f"{json.dumps(item[name])} {problem}: write a date such as"
                    ' "2026-03-02T07:30:00+01:00"',
                )
    tags = item.get("tags")
    if tags is not None and _type_ok(tags, _array, _at(where, "tags"), out):
        assert isinstance(tags, list)
        for index, tag in enumerate(tags, start=1):
            _type_ok(tag, _string, f"{_at(where, 'tags')}[{index}]", out)
    _language(item, where, out)
    _authors(item, where, out)
    attachments = item.get("attachments")
    if attachments is not None and _type_ok(attachments, _array, _at(where, "attachments"), out):
        assert isinstance(attachments, list)
        for index, attachment in enumerate(attachments, start=1):
            at = f"{_at(where, 'attachments')}[{index}]"
            if _type_ok(attachment, _object, at, out):
                assert isinstance(attachment, dict)
                _check_attachment(attachment, at, out)
    _unknown(item, _ITEM_MEMBERS, where, out)


def _check_attachment(attachment: dict[str, Json], where: str, out: _Out) -> None:
    if _required(attachment, "url", where, out, _string):
        _optional_url(attachment, "url", where, out)
    if _required(attachment, "mime_type", where, out, _string) and not is_mime_type(
        str(attachment["mime_type"])
    ):
        out.add(
            "json-mime-type",
            _at(where, "mime_type"),
            f"{json.dumps(attachment['mime_type'])} is not a MIME type: write one such as"
            ' "image/jpeg"',
        )
    _optional(attachment, "title", where, out, _string)
    for name in ("size_in_bytes", "duration_in_seconds"):
        value = attachment.get(name)
        if value is None:
            continue
        whole = name == "size_in_bytes"
        number_ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
        if not number_ok or (whole and not float(value).is_integer()):  # type: ignore[arg-type]
            kind = "a whole number of bytes" if whole else "a number of seconds"
            out.add(
                "json-number",
                _at(where, name),
                f'"{name}" is {json.dumps(value)}: write {kind} (0 or more), without quotes',
            )
    _unknown(attachment, _ATTACHMENT_MEMBERS, where, out)


def _authors(parent: dict[str, Json], where: str, out: _Out) -> None:
    if "author" in parent:
        out.add(
            "json-deprecated",
            _at(where, "author"),
            'JSON Feed 1.1 replaced "author" with the array "authors": write'
            ' "authors": [{...}] (keep "author" only for 1.0 readers)',
        )
    authors = parent.get("authors")
    if authors is None or not _type_ok(authors, _array, _at(where, "authors"), out):
        return
    assert isinstance(authors, list)
    for index, author in enumerate(authors, start=1):
        at = f"{_at(where, 'authors')}[{index}]"
        if not _type_ok(author, _object, at, out):
            continue
        assert isinstance(author, dict)
        if not any(author.get(name) for name in _AUTHOR_MEMBERS):
            out.add(
                "json-author-empty",
                at,
                'the author has none of "name", "url" and "avatar": add at least a name',
            )
        _optional(author, "name", at, out, _string)
        _optional_url(author, "url", at, out)
        _optional_url(author, "avatar", at, out)
        _unknown(author, _AUTHOR_MEMBERS, at, out)


def _language(parent: dict[str, Json], where: str, out: _Out) -> None:
    if _optional(parent, "language", where, out, _string) and not is_language_tag(
        str(parent["language"])
    ):
        out.add(
            "json-language",
            _at(where, "language"),
            f"{json.dumps(parent['language'])} is not a language tag: use one such as"
            ' "en" or "en-GB"',
        )


def _unknown(parent: dict[str, Json], known: Collection[str], where: str, out: _Out) -> None:
    for name in parent:
        if name not in known and not name.startswith("_"):
            out.add(
                "json-unknown-member",
                _at(where, name),
                f'"{name}" is not a JSON Feed member: readers ignore it; start the names of'
                ' extensions with "_" (e.g. "_feeds")',
            )


# --- types ---------------------------------------------------------------------------------

_Check = tuple[str, Callable[[Json], bool]]
_string: _Check = ("a string", lambda value: isinstance(value, str))
_boolean: _Check = ("true or false", lambda value: isinstance(value, bool))
_array: _Check = ("an array", lambda value: isinstance(value, list))
_object: _Check = ("an object", lambda value: isinstance(value, dict))


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _type_ok(value: Json, check: _Check, where: str, out: _Out) -> bool:
    expected, test = check
    if test(value):
        return True
    shown = where or "the document"
    out.add("json-type", where, f"{shown} is {_a(_kind(value))}: it must be {expected}")
    return False


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _required(parent: dict[str, Json], name: str, where: str, out: _Out, check: _Check) -> bool:
    if name not in parent:
        owner = {"": "the feed"}.get(where, where)
        out.add(
            "json-missing-member",
            _at(where, name),
            f'{owner} has no "{name}": add it ({check[0]})',
        )
        return False
    return _type_ok(parent[name], check, _at(where, name), out)


def _optional(parent: dict[str, Json], name: str, where: str, out: _Out, check: _Check) -> bool:
    """True when the member is present and of the right type."""
    if name not in parent:
        return False
    return _type_ok(parent[name], check, _at(where, name), out)


def _archive_extension(feed: dict[str, Json], out: _Out) -> None:
    """The `_archive` extension object (RFC 5005 archived and complete feeds, as feeds writes
    them): URLs absolute, markers booleans, and no contradiction between them."""
    extension = feed.get("_archive")
    if extension is None or not _type_ok(extension, _object, "_archive", out):
        return
    assert isinstance(extension, dict)
    for name in ("about", "current", "prev_archive", "next_archive"):
        _optional_url(extension, name, "_archive", out)
    archive = _optional(extension, "archive", "_archive", out, _boolean) and extension["archive"]
    complete = _optional(extension, "complete", "_archive", out, _boolean) and extension["complete"]
    if archive and complete:
        out.add(
            "json-archive-and-complete",
            "_archive",
            "an archive document holds part of a feed, a complete feed all of it: remove"
            ' "archive" or "complete"',
        )
    if complete:
        for name in ("prev_archive", "next_archive"):
            if name in extension:
                out.add(
                    "json-archive-complete-with-links",
                    f"_archive.{name}",
                    f'a complete feed has no other documents, yet names "{name}": remove it'
                    ' or "complete"',
                )
    if archive and "current" not in extension:
        out.add(
            "json-archive-without-current",
            "_archive",
            'an archive document should name the subscription document: add "current" with'
            " the feed's own URL (RFC 5005 §4)",
        )


def _optional_url(parent: dict[str, Json], name: str, where: str, out: _Out) -> None:
    if not _optional(parent, name, where, out, _string):
        return
    value = str(parent[name])
    if not is_absolute_url(value) or not value.startswith(("http://", "https://", "mailto:")):
        out.add(
            "json-url-invalid",
            _at(where, name),
            f"{json.dumps(value)} is not an absolute URL: write the full address, such as"
            ' "https://news.example.org/story/"',
        )

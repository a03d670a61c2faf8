"""JSON Feed 1.1: the rendered document against a schema of our own, and the JSON validator."""

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.model import Article, Author, Channel, Entry, FeedSpec, Image
from feeds.render.jsonfeed import VERSION, render_json_feed
from feeds.validate import validate_feed
from feeds.validate.json_feed import JSON_CODES, check_json_feed, looks_like_json

CET = timezone(timedelta(hours=1))
CHANNEL = Channel(
    title="Harbour Times",
    url="https://news.example.org/",
    description="News from the harbour",
    language="en-GB",
    timezone="Europe/Berlin",
    author=Author("Newsroom", "newsroom@news.example.org"),
)
SPEC = FeedSpec(
    name="main", formats=("json",), limit=50, title="Harbour Times", description="News", path=""
)
SPORT = FeedSpec(
    name="sport", formats=("json",), limit=5, title="Sport", description="", path="sport"
)
OUT = "https://news.example.org/"


def image(name: str, caption: str, credit: str, length: int) -> Image:
    return Image(
        url=f"https://news.example.org/media/{name}",
        media_type="image/jpeg",
        length=length,
        width=640,
        height=400,
        source=Path("/repo") / name,
        media_path=name,
        alt=f"alt of {name}",
        caption=caption,
        credit=credit,
    )


def entry(n: int, images: tuple[Image, ...] = (), authors: tuple[Author, ...] = ()) -> Entry:
    published = datetime(2026, 3, 2, 7, 30, tzinfo=CET) + timedelta(days=n)
    article = Article(
        id=f"tag:news.example.org,2026:{n}",
        source=Path(f"/repo/{n}.md"),
        rel_path=f"{n}.md",
        title=f"Story {n}",
        slug=f"story-{n}",
        url=f"https://news.example.org/story-{n}/",
        published=published,
        updated=published + timedelta(hours=2),
        authors=authors,
        summary="",
        categories=("Harbour",),
        tags=("ferry", "Harbour"),
        section="news",
        images=(),
        related=(),
        draft=False,
        body_format="markdown",
        body_line=4,
    )
    return Entry(article, f"<p>Body {n} — ünïcode</p>", f"Summary {n}", images)


LEAD = image("ferry.jpg", "The ferry at North Quay.", "Mara Lind/Harbour Times", 5000)
SECOND = image("quay.jpg", "", "Archive", 700)
ENTRIES = [
    entry(2, (LEAD, SECOND), (Author("Tomas Berg", "tomas@news.example.org"),)),
    entry(1, (), (Author("Lea Sundin", uri="https://news.example.org/staff/lea/"),)),
]

# --- a schema of our own (not the validator under test) ------------------------------------

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)")
ABSOLUTE = re.compile(r"(https?|mailto):\S+")


def check_schema(doc: dict[str, Any]) -> None:
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(doc["title"], str)
    assert ABSOLUTE.fullmatch(doc["home_page_url"])
    assert ABSOLUTE.fullmatch(doc["feed_url"])
    assert isinstance(doc["items"], list)
    for author in doc.get("authors", []):
        assert set(author) <= {"name", "url", "avatar"}
        assert author.get("name") or author.get("url")
    for item in doc["items"]:
        assert isinstance(item["id"], str)
        assert ABSOLUTE.fullmatch(item["url"])
        assert isinstance(item["content_html"], str)
        assert RFC3339.fullmatch(item["date_published"])
        assert RFC3339.fullmatch(item["date_modified"])
        assert all(isinstance(tag, str) for tag in item.get("tags", []))
        for attachment in item.get("attachments", []):
            assert ABSOLUTE.fullmatch(attachment["url"])
            assert re.fullmatch(r"[a-z]+/[a-z0-9.+-]+", attachment["mime_type"])
            assert isinstance(attachment["size_in_bytes"], int)
            assert attachment["size_in_bytes"] >= 0


def rendered(entries: list[Entry], spec: FeedSpec = SPEC) -> dict[str, Any]:
    body = render_json_feed(CHANNEL, spec, entries, output_url=OUT).body
    document: dict[str, Any] = json.loads(body)
    return document


def test_document_matches_the_schema_and_validates_clean():
    feed = render_json_feed(CHANNEL, SPEC, ENTRIES, output_url=OUT)
    assert (feed.format, feed.rel_path, feed.url) == ("json", "feed.json", OUT + "feed.json")
    assert feed.article_ids == ("tag:news.example.org,2026:2", "tag:news.example.org,2026:1")
    check_schema(json.loads(feed.body))
    report = validate_feed(feed.body, source="feed.json")
    assert (report.kind, report.issues) == ("json", ())
    assert VERSION == "https://jsonfeed.org/version/1.1"


def test_feed_level_members_in_a_fixed_order():
    doc = rendered(ENTRIES, SPORT)
    assert list(doc) == [
        "version",
        "title",
        "home_page_url",
        "feed_url",
        "description",
        "language",
        "authors",
        "items",
    ]
    assert doc["feed_url"] == "https://news.example.org/sport/feed.json"
    assert doc["home_page_url"] == CHANNEL.url
    assert doc["description"] == "Sport"  # an empty description falls back to the title
    assert doc["language"] == "en-GB"
    assert doc["authors"] == [{"name": "Newsroom", "url": "mailto:newsroom@news.example.org"}]


def test_item_carries_what_the_rss_item_carries():
    first, second = rendered(ENTRIES)["items"]
    assert first == {
        "id": "tag:news.example.org,2026:2",
        "url": "https://news.example.org/story-2/",
        "title": "Story 2",
        "content_html": "<p>Body 2 — ünïcode</p>",
        "summary": "Summary 2",
        "image": "https://news.example.org/media/ferry.jpg",
        "date_published": "2026-03-04T07:30:00+01:00",
        "date_modified": "2026-03-04T09:30:00+01:00",
        "authors": [{"name": "Tomas Berg", "url": "mailto:tomas@news.example.org"}],
        "tags": ["Harbour", "ferry"],
        "language": "en-GB",
        "attachments": [
            {
                "url": "https://news.example.org/media/ferry.jpg",
                "mime_type": "image/jpeg",
                "title": "The ferry at North Quay.",
                "size_in_bytes": 5000,
            },
            {
                "url": "https://news.example.org/media/quay.jpg",
                "mime_type": "image/jpeg",
                "title": "alt of quay.jpg",  # no caption: the alt text names it
                "size_in_bytes": 700,
            },
        ],
    }
    assert "image" not in second
    assert "attachments" not in second
    assert second["authors"] == [
        {"name": "Lea Sundin", "url": "https://news.example.org/staff/lea/"}
    ]


def test_bytes_are_deterministic_utf8_with_a_final_newline():
    one = render_json_feed(CHANNEL, SPEC, ENTRIES, output_url=OUT).body
    assert one == render_json_feed(CHANNEL, SPEC, ENTRIES, output_url=OUT).body
    assert one.endswith(b"}\n")
    assert "ünïcode".encode() in one
    assert b'\n  "title": ' in one  # indented by two spaces


def test_utc_dates_end_in_z():
    e = entry(1)
    utc = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)
    moved = replace(e, article=replace(e.article, published=utc))
    assert rendered([moved])["items"][0]["date_published"] == "2026-03-02T07:30:00Z"


def test_an_empty_feed_is_valid():
    feed = render_json_feed(CHANNEL, SPEC, [], output_url=OUT)
    assert json.loads(feed.body)["items"] == []
    assert validate_feed(feed.body).issues == ()


@given(
    title=st.text(min_size=1, max_size=40),
    body=st.text(max_size=80),
    caption=st.text(max_size=30),
)
def test_any_text_renders_to_a_valid_feed(title: str, body: str, caption: str):
    e = entry(1, (image("x.jpg", caption, "", 10),))
    weird = replace(e, article=replace(e.article, title=title), content_html=body)
    data = render_json_feed(CHANNEL, SPEC, [weird], output_url=OUT).body
    assert validate_feed(data).errors == ()
    assert json.loads(data)["items"][0]["title"] == title


# --- the validator ------------------------------------------------------------------------

GOOD: dict[str, Any] = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "T",
    "home_page_url": "https://example.org/",
    "feed_url": "https://example.org/feed.json",
    "items": [{"id": "1", "content_html": "<p>x</p>", "date_published": "2026-01-01T00:00:00Z"}],
}


def check(document: object) -> list[tuple[str, str]]:
    return [(i.code, i.path) for i in check_json_feed(json.dumps(document).encode())]


def with_item(**members: object) -> dict[str, Any]:
    return {**GOOD, "items": [{**GOOD["items"][0], **members}]}


def test_the_good_document_has_no_issues():
    assert check(GOOD) == []


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({k: v for k, v in GOOD.items() if k != "version"}, [("json-version", "version")]),
        ({**GOOD, "version": "1.1"}, [("json-version", "version")]),
        ({k: v for k, v in GOOD.items() if k != "title"}, [("json-missing-member", "title")]),
        ({**GOOD, "title": 5}, [("json-type", "title")]),
        ({k: v for k, v in GOOD.items() if k != "items"}, [("json-missing-member", "items")]),
        ({**GOOD, "items": {}}, [("json-type", "items")]),
        (
            {k: v for k, v in GOOD.items() if k != "feed_url"},
            [("json-missing-recommended", "feed_url")],
        ),
        ({**GOOD, "home_page_url": "/"}, [("json-url-invalid", "home_page_url")]),
        ({**GOOD, "language": "en_GB"}, [("json-language", "language")]),
        ({**GOOD, "expired": "no"}, [("json-type", "expired")]),
        ({**GOOD, "authors": [{}]}, [("json-author-empty", "authors[1]")]),
        ({**GOOD, "author": {"name": "A"}}, [("json-deprecated", "author")]),
        ({**GOOD, "colour": "red"}, [("json-unknown-member", "colour")]),
        ({**GOOD, "_private": {"any": 1}}, []),
        ({**GOOD, "hubs": [{"type": "WebSub"}]}, [("json-missing-member", "hubs[1].url")]),
        (with_item(id=None), [("json-type", "items[1].id")]),
        (with_item(id=7), [("json-id-not-string", "items[1].id")]),
        (with_item(url="story/"), [("json-url-invalid", "items[1].url")]),
        (with_item(image="//cdn/x.jpg"), [("json-url-invalid", "items[1].image")]),
        (
            with_item(date_published="Mon, 02 Mar 2026 07:30:00 +0100"),
            [("json-date-format", "items[1].date_published")],
        ),
        (
            with_item(date_modified="2026-02-30T00:00:00Z"),
            [("json-date-format", "items[1].date_modified")],
        ),
        (with_item(tags=["a", 2]), [("json-type", "items[1].tags[2]")]),
        (
            with_item(attachments=[{"url": "https://e.org/a.jpg"}]),
            [("json-missing-member", "items[1].attachments[1].mime_type")],
        ),
        (
            with_item(attachments=[{"url": "a.jpg", "mime_type": "image"}]),
            [
                ("json-url-invalid", "items[1].attachments[1].url"),
                ("json-mime-type", "items[1].attachments[1].mime_type"),
            ],
        ),
        (
            with_item(
                attachments=[
                    {"url": "https://e.org/a.jpg", "mime_type": "image/jpeg", "size_in_bytes": "5"}
                ]
            ),
            [("json-number", "items[1].attachments[1].size_in_bytes")],
        ),
        (
            with_item(
                attachments=[
                    {"url": "https://e.org/a.jpg", "mime_type": "image/jpeg", "size_in_bytes": 1.5}
                ]
            ),
            [("json-number", "items[1].attachments[1].size_in_bytes")],
        ),
        ({**GOOD, "items": [{"id": "1"}]}, [("json-item-missing-content", "items[1]")]),
        (
            {**GOOD, "items": [*GOOD["items"], *GOOD["items"]]},
            [("json-duplicate-id", "items[2].id")],
        ),
        ({**GOOD, "items": ["x"]}, [("json-type", "items[1]")]),
        ([GOOD], [("json-not-object", "")]),
        # the _archive extension (RFC 5005)
        (
            {**GOOD, "_archive": {"archive": True, "current": "https://e.org/feed.json"}},
            [],
        ),
        (
            {**GOOD, "_archive": {"archive": True, "complete": True, "current": "https://e.org/"}},
            [("json-archive-and-complete", "_archive")],
        ),
        (
            {**GOOD, "_archive": {"complete": True, "prev_archive": "https://e.org/a.json"}},
            [("json-archive-complete-with-links", "_archive.prev_archive")],
        ),
        (
            {**GOOD, "_archive": {"archive": True}},
            [("json-archive-without-current", "_archive")],
        ),
        (
            {**GOOD, "_archive": {"prev_archive": "archive/2026-10/feed.json"}},
            [("json-url-invalid", "_archive.prev_archive")],
        ),
        ({**GOOD, "_archive": {"archive": "yes"}}, [("json-type", "_archive.archive")]),
        ({**GOOD, "_archive": []}, [("json-type", "_archive")]),
    ],
)
def test_each_defect_gives_its_code_and_path(document: object, expected: list[tuple[str, str]]):
    assert check(document) == expected


def test_every_json_code_is_documented_with_a_severity():
    for code, (severity, summary) in JSON_CODES.items():
        assert code.startswith("json-")
        assert severity.value in {"error", "warning"}
        assert summary


def test_byte_level_problems():
    good = json.dumps(GOOD).encode()
    (bom,) = check_json_feed(b"\xef\xbb\xbf" + good)
    assert (bom.code, bom.severity.value) == ("json-bom", "warning")
    (latin,) = check_json_feed(good.replace(b'"T"', b'"\xe9"'))
    assert latin.code == "json-encoding"
    assert latin.message.startswith("byte ")
    (broken,) = check_json_feed(b'{"version": }')
    assert (broken.code, broken.line, broken.column) == ("json-not-well-formed", 1, 13)
    assert broken.message == (
        "not well-formed JSON: Expecting value: fix the document at this position"
    )
    (dup,) = check_json_feed(good.replace(b'{"version"', b'{"title": "X", "version"'))
    assert (dup.code, dup.path) == ("json-duplicate-key", "title")


def test_exact_messages_editors_read():
    (issue,) = check_json_feed(json.dumps(with_item(url="story/")).encode())
    assert issue.message == (
        '"story/" is not an absolute URL: write the full address, such as'
        ' "https://news.example.org/story/"'
    )
    (issue,) = check_json_feed(json.dumps({**GOOD, "items": [{"id": "1"}]}).encode())
    assert issue.message == (
        'the item has neither "content_html" nor "content_text": add one (it may be empty)'
    )


def test_validate_feed_dispatches_json_and_xml():
    report = validate_feed(b'  \n{"version": "https://jsonfeed.org/version/1.1"}', source="x")
    assert report.kind == "json"
    assert {i.code for i in report.errors} == {"json-missing-member"}
    assert not report.ok
    assert looks_like_json(b"\xef\xbb\xbf {")
    assert not looks_like_json(b"<?xml version='1.0'?><rss/>")

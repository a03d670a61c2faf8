"""Every issue says, as data, which item or entry of the feed it is about (`Issue.item`)."""

from feeds.validate import validate_feed

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>https://x.example/</link>
<description>D</description>
<item><title>One</title><guid isPermaLink="false">urn:x:1</guid></item>
<item><title>Two</title><guid isPermaLink="false">urn:x:2</guid><pubDate>yesterday</pubDate></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x:feed</id><title>T</title>
<updated>2026-01-01T00:00:00Z</updated><author><name>A</name></author>
<entry><id>urn:x:1</id><title>One</title><updated>2026-01-01T00:00:00Z</updated><content>c</content></entry>
<entry><id>urn:x:2</id><title>Two</title><updated>2026-01-01T00:00:00Z</updated><content>c</content></entry>
<entry><id>urn:x:3</id><title>Three</title><updated>soon</updated><content>c</content></entry>
</feed>"""

JSON = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "T",
"items": [{"id": "1", "content_text": "a"}, {"id": "2", "content_text": "b",
"date_published": "yesterday"}]}"""


def errors(body: bytes) -> list[tuple[str, int | None]]:
    return [(issue.code, issue.item) for issue in validate_feed(body, source="f").errors]


def test_an_rss_item_issue_names_its_item_from_zero() -> None:
    assert errors(RSS) == [("rss-date-format", 1)]


def test_an_atom_entry_issue_names_its_entry() -> None:
    assert errors(ATOM) == [("atom-date-format", 2)]


def test_a_json_feed_item_issue_names_its_item() -> None:
    assert [item for _, item in errors(JSON)] == [1]
    assert errors(JSON.replace(b'"id": "2"', b'"id": "1"'))[0][1] == 1  # the second "1"


def test_a_channel_issue_names_no_item() -> None:
    broken = RSS.replace(b"<title>T</title>", b"")
    assert errors(broken) == [("rss-missing-element", None), ("rss-date-format", 1)]

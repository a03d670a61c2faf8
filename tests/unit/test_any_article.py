"""Property: any article a user can write either publishes as a valid feed or is a clear problem."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage

from feeds.errors import ArticleError
from feeds.load import load_entry
from feeds.model import Channel, FeedSpec, Site
from feeds.render.jsonfeed import render_json_feed
from feeds.render.rss_atom import render_feed
from feeds.sources.files import FileSource
from feeds.sources.files.reader import ArticleReader
from feeds.sources.files.scan import scan_repository
from feeds.validate import validate_feed

SITE = Site(url="https://news.example.org/", timezone="Europe/Berlin")
CHANNEL = Channel(
    title="Harbour Times", url=SITE.url, description="News", language="en", timezone=SITE.timezone
)
SPEC = FeedSpec(
    name="main", formats=("rss", "atom"), limit=5, title="Harbour Times", description="", path=""
)

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


def yaml_quote(value: str) -> str:
    escaped = "".join(
        c if c.isprintable() and c not in '"\\' else f"\\U{ord(c):08x}" for c in value
    )
    return f'"{escaped}"'


urls = st.one_of(
    text,
    st.builds(lambda path: "https://news.example.org/" + path, text),
    st.sampled_from(["/news/ferry/", "javascript:alert(1)", "data:text/html,x", "ftp://x", ""]),
)
dates = st.one_of(
    st.sampled_from(["2026-03-02T07:30:00+01:00", "2026-03-02", "2026-13-45", "99999-01-01"]),
    text,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=text,
    body=st.text(max_size=300),
    caption=text,
    credit=text,
    alt=text,
    tag=text,
    related_title=text,
    related_url=urls,
    date=dates,
    author=text,
)
def test_any_article_renders_to_a_valid_feed_or_a_located_problem(
    tmp_path_factory,
    title: str,
    body: str,
    caption: str,
    credit: str,
    alt: str,
    tag: str,
    related_title: str,
    related_url: str,
    date: str,
    author: str,
) -> None:
    root: Path = tmp_path_factory.mktemp("repo")
    PILImage.new("RGB", (8, 8)).save(root / "a.png")
    front = "\n".join(
        [
            "---",
            f"title: {yaml_quote(title)}",
            f"date: {date if date[:1].isdigit() and '#' not in date else yaml_quote(date)}",
            "image: a.png",
            f"image_alt: {yaml_quote(alt)}",
            f"image_caption: {yaml_quote(caption)}",
            f"image_credit: {yaml_quote(credit)}",
            f"tags: [{yaml_quote(tag)}]",
            f"author: {yaml_quote(author)}",
            "related:",
            f"  - title: {yaml_quote(related_title)}",
            f"    url: {yaml_quote(related_url)}",
            "---",
        ]
    )
    (root / "a.md").write_text(front + "\n" + body, encoding="utf-8")
    scan = scan_repository(root, SITE)
    entries = []
    reader = ArticleReader(root, SITE, max_article_bytes=5 * 1024 * 1024)
    for brief in scan.articles:
        article = reader.read(brief.rel_path)
        assert article.brief() == brief
        try:
            entries.append(
                load_entry(
                    article,
                    FileSource(root, SITE, max_article_bytes=5 * 1024 * 1024).read_body(article),
                    repository=root,
                    media_url=SITE.url + "media/",
                    max_image_bytes=10**6,
                )
            )
        except ArticleError as problem:
            assert str(problem).startswith("a.md")
    for problem in scan.problems:
        assert str(problem).startswith("a.md")
    assert len(scan.articles) + len(scan.problems) == 1
    for fmt in ("rss", "atom", "json"):
        if fmt == "json":
            feed = render_json_feed(CHANNEL, SPEC, entries, output_url=SITE.url)
        else:
            feed = render_feed(CHANNEL, SPEC, fmt, entries, output_url=SITE.url)
        report = validate_feed(feed.body, source=feed.rel_path)
        assert report.ok, [(i.code, i.message) for i in report.errors]

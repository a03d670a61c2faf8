"""Any repository a careless editor or a hostile contributor can write builds: no internal
error, every feed written validates, every article without a located problem is in the feeds
it belongs to, and the summary counts what the feeds hold (FEEDS_HYPOTHESIS_PROFILE=long for a
deeper run)."""

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from feeds.build import publish
from feeds.config import load_config
from feeds.errors import FeedsError
from feeds.scan import is_published
from feeds.validate import validate_feed

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CONFIG = """\
[site]
title = "T"
url = "https://news.example.org/"
timezone = "Europe/Berlin"

[[feeds]]
name = "main"
formats = ["rss", "atom", "json"]
limit = 1000

[[feeds]]
name = "tags"
per = ["tag"]
formats = ["rss", "atom", "json"]
"""

hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    st.sampled_from(["", " ", "]]>", "<b>x</b>", "a\x00b", "\x01\x0b\ufffe", "é" * 300]),
)
plausible_date = st.one_of(
    st.datetimes(
        min_value=datetime(900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ).map(lambda d: d.isoformat()),
    st.sampled_from(
        ["2026-05-01", "2026-13-45", "yesterday", "2026-05-01T10:00:00+01:00:30", "0999-01-01"]
    ),
)
plausible_email = st.sampled_from(
    ["", "jo@example.org", "bad@", "mailto:jo@example.org", "Jo <jo@example.org>", "a@b, c@d"]
)
plausible_url = st.sampled_from(
    ["", "/x/", "https://news.example.org/y/", "http://[::1", "javascript:alert(1)", "ü ber"]
)
plain_or_iri_id = st.sampled_from(["", "12345", "same", "tag:x.org,2026:1", "urn:uuid:zz", "a b"])

article = st.fixed_dictionaries(
    {
        "title": hostile_text,
        "date": plausible_date,
        "id": plain_or_iri_id,
        "author": st.fixed_dictionaries({"name": hostile_text, "email": plausible_email}),
        "tags": st.lists(hostile_text, max_size=3),
        "draft": st.sampled_from([False, True, "yes"]),
        "url": plausible_url,
        "related": st.lists(
            st.fixed_dictionaries({"title": hostile_text, "url": plausible_url}), max_size=2
        ),
        "image": st.sampled_from(["", "pic.png", "missing.jpg"]),
    }
)


def write_repository(root: Path, articles: list[dict[str, object]]) -> None:
    (root / "config.toml").write_text(CONFIG, encoding="utf-8")
    folder = root / "articles" / "news"
    folder.mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(folder / "pic.png")
    for number, fields in enumerate(articles):
        front = {key: value for key, value in fields.items() if value not in ("", [])}
        text = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\nThe story.\n"
        (folder / f"a{number}.md").write_text(text, encoding="utf-8", errors="surrogatepass")


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(article, min_size=1, max_size=5))
def test_any_repository_builds_and_one_bad_article_never_blocks_another(
    articles: list[dict[str, object]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_repository(root, articles)
        try:
            result = publish(load_config(root / "config.toml"), now=NOW, allow_empty=True)
        except FeedsError as error:  # a located refusal is allowed, an internal error is not
            raise AssertionError(f"the build refused a repository: {error}") from error
        assert result.refused == ()
        # Every rule is checked where the value is read: the validator's quarantine (the last
        # line of defence) never has to catch an article.
        assert not [p for p in result.problems if "does not validate" in p.reason]
        in_feeds: set[str] = set()
        for feed in result.feeds:
            report = validate_feed(feed.body, source=feed.rel_path)
            assert report.ok, (feed.rel_path, report.errors)
            in_feeds.update(feed.article_ids)
        with_problems = {problem.path for problem in result.problems}
        main = {
            feed.format: set(feed.article_ids)
            for feed in result.feeds
            if feed.rel_path in {"rss.xml", "atom.xml", "feed.json"}
        }
        for brief in result.scan.articles:
            if is_published(brief, NOW) and brief.rel_path not in with_problems:
                for fmt, ids in main.items():
                    assert brief.id in ids, (fmt, brief.rel_path)
        assert result.published == len(in_feeds)

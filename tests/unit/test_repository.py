"""Reading the article repository: formats, derived fields, and one located error per bad file."""

import itertools
import os
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image as PILImage

from feeds.errors import ArticleError, RepositoryError
from feeds.load import load_entry
from feeds.model import Article, Site
from feeds.rules import slugify
from feeds.scan import rule_out_duplicates
from feeds.sources.fields import name_uuid
from feeds.sources.files import FileSource, reader
from feeds.sources.files import scan as files_scan
from feeds.sources.files.reader import ArticleReader
from feeds.sources.files.scan import scan_repository
from feeds.state.cache import ScanCache

SITE = Site(url="https://news.example.org/", timezone="Europe/Berlin")
MEDIA = "https://news.example.org/media/"


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def picture(root: Path, rel: str, fmt: str = "JPEG") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.new("RGB", (40, 25), (200, 120, 40)).save(path, fmt)
    return path


class Scanned(NamedTuple):
    articles: tuple[Article, ...]
    problems: tuple[ArticleError, ...]


def read_full(root: Path, site: Site, briefs, max_article_bytes: int = 5 * 1024 * 1024):
    """The full articles behind the scan's briefs, read as a build reads the selected ones."""
    reader = ArticleReader(root, site, max_article_bytes=max_article_bytes)
    articles = tuple(reader.read(brief.rel_path) for brief in briefs)
    assert [a.brief() for a in articles] == list(briefs)
    return articles


def scan(root: Path, site: Site = SITE) -> Scanned:
    result = rule_out_duplicates(scan_repository(root, site), datetime(2100, 1, 1, tzinfo=UTC))
    return Scanned(read_full(root, site, result.articles), result.problems)


def only(root: Path, site: Site = SITE):
    result = scan(root, site)
    assert result.problems == ()
    (article,) = result.articles
    return article


def body_of(article, root: Path, max_article_bytes: int = 5 * 1024 * 1024):
    return FileSource(root, SITE, max_article_bytes=max_article_bytes).read_body(article)


def load(article, root: Path):
    return load_entry(
        article, body_of(article, root), repository=root, media_url=MEDIA, max_image_bytes=10**7
    )


YAML_ARTICLE = """\
---
title: Ferry moves to summer timetable
date: 2026-03-02T07:30:00+01:00
updated: 2026-03-03 09:00
authors:
  - name: Tomas Berg
    email: tomas@news.example.org
  - Mara Lind
categories: [Transport]
tags: [ferry, island]
images:
  - src: images/ferry.jpg
    alt: The ferry at the quay
    caption: The island ferry at North Quay.
    credit: Mara Lind/Harbour Times
related:
  - title: Timetable
    url: /ferries/timetable/
---
The ferry sails **every ninety minutes** from [the quay](/quay/).

## Fares

Fares stay the same.
"""


def test_markdown_with_yaml_front_matter(tmp_path: Path) -> None:
    write(tmp_path, "news/2026-03-02-ferry.md", YAML_ARTICLE)
    picture(tmp_path, "news/images/ferry.jpg")
    article = only(tmp_path)
    berlin = timezone(timedelta(hours=1))
    assert article.title == "Ferry moves to summer timetable"
    assert article.published == datetime(2026, 3, 2, 7, 30, tzinfo=berlin)
    assert article.updated.isoformat() == "2026-03-03T09:00:00+01:00"
    assert article.slug == "ferry"
    assert article.url == "https://news.example.org/ferry/"
    assert article.section == "news"
    assert [(a.name, a.email) for a in article.authors] == [
        ("Tomas Berg", "tomas@news.example.org"),
        ("Mara Lind", ""),
    ]
    assert article.categories == ("Transport",)
    assert article.tags == ("ferry", "island")
    assert [(r.title, r.url) for r in article.related] == [
        ("Timetable", "https://news.example.org/ferries/timetable/")
    ]
    (ref,) = article.images
    assert ref.path == str(tmp_path / "news/images/ferry.jpg")
    assert (ref.alt, ref.caption, ref.credit, ref.line) == (
        "The ferry at the quay",
        "The island ferry at North Quay.",
        "Mara Lind/Harbour Times",
        11,
    )
    assert article.id.startswith("urn:uuid:")
    assert not article.draft


def test_loading_renders_the_body_with_the_lead_figure_and_a_derived_summary(
    tmp_path: Path,
) -> None:
    write(tmp_path, "news/2026-03-02-ferry.md", YAML_ARTICLE)
    image_path = picture(tmp_path, "news/images/ferry.jpg")
    entry = load(only(tmp_path), tmp_path)
    assert entry.content_html.startswith(
        '<figure><img src="https://news.example.org/media/news/images/ferry.jpg" '
        'alt="The ferry at the quay" width="40" height="25"><figcaption>'
        "The island ferry at North Quay. — Mara Lind/Harbour Times</figcaption></figure>"
    )
    assert '<a href="https://news.example.org/quay/">the quay</a>' in entry.content_html
    assert "<h2>Fares</h2>" in entry.content_html
    assert entry.summary == "The ferry sails every ninety minutes from the quay."
    (image,) = entry.images
    assert image.length == image_path.stat().st_size
    assert image.media_type == "image/jpeg"


def test_toml_front_matter_and_image_shorthand(tmp_path: Path) -> None:
    write(
        tmp_path,
        "storm.md",
        '+++\ntitle = "Storm"\ndate = 2026-04-14T18:05:00\nimage = "storm.png"\n'
        'image_alt = "Waves"\nimage_caption = "Waves over the wall."\nimage_credit = "Archive"\n'
        'summary = "A storm."\n+++\nBody.\n',
    )
    picture(tmp_path, "storm.png", "PNG")
    article = only(tmp_path)
    assert article.published.isoformat() == "2026-04-14T18:05:00+02:00"
    assert article.section == ""
    assert article.summary == "A storm."
    entry = load(article, tmp_path)
    assert entry.images[0].media_type == "image/png"
    assert entry.images[0].caption == "Waves over the wall."


def test_page_bundle_with_two_images_and_an_inline_one(tmp_path: Path) -> None:
    write(
        tmp_path,
        "culture/2026-09-12-lighthouse/index.md",
        "---\ntitle: Lighthouse\nimages:\n  - {src: lamp.jpg, alt: Lamp, caption: The lamp., credit: A}\n"
        "  - {src: keeper.png, alt: Keeper, caption: The keeper., credit: B}\n---\n"
        "Text.\n\n![Map](map.webp)\n",
    )
    picture(tmp_path, "culture/2026-09-12-lighthouse/lamp.jpg")
    picture(tmp_path, "culture/2026-09-12-lighthouse/keeper.png", "PNG")
    picture(tmp_path, "culture/2026-09-12-lighthouse/map.webp", "WEBP")
    write(tmp_path, "culture/2026-09-12-lighthouse/notes.md", "not an article: a bundle resource")
    article = only(tmp_path)
    assert article.rel_path == "culture/2026-09-12-lighthouse/index.md"
    assert article.slug == "lighthouse"
    assert article.published.isoformat() == "2026-09-12T00:00:00+02:00"
    entry = load(article, tmp_path)
    assert [i.media_path for i in entry.images] == [
        "culture/2026-09-12-lighthouse/lamp.jpg",
        "culture/2026-09-12-lighthouse/keeper.png",
    ]
    assert [i.media_path for i in entry.inline_images] == ["culture/2026-09-12-lighthouse/map.webp"]
    assert (
        'src="https://news.example.org/media/culture/2026-09-12-lighthouse/map.webp"'
        in entry.content_html
    )
    assert entry.content_html.count("keeper.png") == 1  # appended once as a figure


WIRE = """\
Gulls return to the breakwater after the storm

Gulls rest on the breakwater.
Gulls rest on the repaired breakwater at dawn, April 20, 2026. (Ane Moe/Harbour Times)

The colony of herring gulls came back to the breakwater this week.

Read Next: Storm clean-up begins

Wardens counted more than three hundred birds on Tuesday.

-- Ane Moe can be reached at Follow her on Twitter @anemoe.

Related: Ferry timetable changes <https://news.example.org/ferry/>

Story Continues"""


def test_wire_article_with_date_in_name_and_same_stem_image(tmp_path: Path) -> None:
    write(tmp_path, "nature/2026-04-21-gulls.txt", WIRE)
    picture(tmp_path, "nature/2026-04-21-gulls.webp", "WEBP")
    picture(tmp_path, "nature/other.jpg")
    article = only(tmp_path)
    assert article.title == "Gulls return to the breakwater after the storm"
    assert article.published.isoformat() == "2026-04-21T00:00:00+02:00"
    assert [(a.name, a.handle) for a in article.authors] == [("Ane Moe", "anemoe")]
    assert [(r.title, r.url) for r in article.related] == [
        ("Storm clean-up begins", ""),
        ("Ferry timetable changes", "https://news.example.org/ferry/"),
    ]
    (ref,) = article.images
    assert ref.path.endswith("/2026-04-21-gulls.webp")
    assert (ref.alt, ref.credit) == ("Gulls rest on the breakwater.", "Ane Moe/Harbour Times")
    entry = load(article, tmp_path)
    body = entry.content_html
    assert "<p>The colony of herring gulls came back to the breakwater this week.</p>" in body
    assert "<p>Wardens counted more than three hundred birds on Tuesday.</p>" in body
    for artefact in ("Read Next", "can be reached", "Story Continues", "Related:"):
        assert artefact not in body
    assert '<li><a href="https://news.example.org/ferry/">Ferry timetable changes</a></li>' in body
    assert entry.summary == "The colony of herring gulls came back to the breakwater this week."


def test_wire_image_block_without_an_image_file(tmp_path: Path) -> None:
    write(tmp_path, "2026-04-21-gulls.txt", WIRE)
    result = scan(tmp_path)
    assert result.articles == ()
    assert [str(p) for p in result.problems] == [
        "2026-04-21-gulls.txt:3: the image block needs an image file: "
        "add one named 2026-04-21-gulls.jpg (or .png, .webp) beside it"
    ]


def test_id_is_stable_and_derived_from_the_path_not_the_content(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: One\ndate: 2026-01-01\n---\nx\n")
    first = only(tmp_path).id
    write(tmp_path, "a.md", "---\ntitle: Changed title\ndate: 2026-02-01\n---\ny\n")
    assert only(tmp_path).id == first
    other = tmp_path / "b"
    write(other, "a.md", "---\ntitle: One\ndate: 2026-01-01\n---\nx\n")
    assert only(other).id == first  # same path in another checkout: same id
    write(other, "renamed.md", "---\ntitle: One\ndate: 2026-01-01\n---\nx\n")
    (other / "a.md").unlink()
    assert only(other).id != first


def test_explicit_id_url_and_permalink_pattern(tmp_path: Path) -> None:
    write(
        tmp_path,
        "news/x.md",
        "---\ntitle: X\ndate: 2026-05-06T10:00:00Z\nid: tag:x,2026:1\n---\nx\n",
    )
    site = Site(
        url="https://news.example.org/",
        timezone="UTC",
        permalink="{section}/{year}/{month}/{slug}/",
    )
    article = only(tmp_path, site)
    assert article.id == "tag:x,2026:1"
    assert article.url == "https://news.example.org/news/2026/05/x/"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "---\ndate: 2026-01-01\n---\nBody\n",
            "bad.md:1: no title: add `title` to the front matter",
        ),
        (
            "---\ntitle: T\n---\nBody\n",
            "bad.md:1: no date: add `date` to the front matter (e.g. date: 2026-03-02T07:30:00+01:00) "
            "or start the file name with the date (2026-03-02-title.md)",
        ),
        (
            "---\ntitle: T\ndate: 99999-01-01\n---\nBody\n",
            "bad.md:3: date: '99999-01-01' is not a date and time: write it like "
            "2026-03-02T07:30:00+01:00 (or 2026-03-02 07:30 in the site's time zone)",
        ),
        (
            "---\ntitle: T\ndate: 2026-03-02\nupdated: 2026-03-01\n---\nBody\n",
            "bad.md:4: updated: 2026-03-01T00:00:00+01:00 is before the article's date "
            "2026-03-02T00:00:00+01:00: correct it or remove it",
        ),
        (
            "---\ntitle: [a, b]\ndate: 2026-03-02\n---\nBody\n",
            "bad.md:2: title: expected text, got a list: write it as a quoted string",
        ),
        (
            "---\ntitle: T\ndate: 2026-03-02\ndraft: perhaps\n---\nBody\n",
            "bad.md:4: draft: expected true or false, got plain text",
        ),
        (
            "---\ntitle: T\ndate: 2026-03-02\nimage: https://cdn.example.org/x.jpg\n---\nBody\n",
            "bad.md:4: image: 'https://cdn.example.org/x.jpg' is a URL: images must be files in the "
            "repository (put the file beside the article)",
        ),
        (
            "---\ntitle: T\ndate: 2026-03-02\nimage: /etc/x.jpg\n---\nBody\n",
            "bad.md:4: image: '/etc/x.jpg' is an absolute path: write it relative to the article's folder",
        ),
        (
            "---\ntitle: T\ndate: 2026-03-02\nauthor: {email: a@b.c}\n---\nBody\n",
            "bad.md:4: author: expected a name, or {name, email, uri} with a non-empty name",
        ),
    ],
)
def test_bad_article_gives_one_located_problem_and_the_others_still_publish(
    tmp_path: Path, text: str, message: str
) -> None:
    write(tmp_path, "bad.md", text)
    write(tmp_path, "good.md", "---\ntitle: Good\ndate: 2026-01-01\n---\nFine.\n")
    result = scan(tmp_path)
    assert [str(p) for p in result.problems] == [message]
    assert [a.rel_path for a in result.articles] == ["good.md"]


def test_image_path_escaping_the_repository_is_refused_at_load(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    picture(tmp_path, "outside.jpg")
    write(repo, "a.md", "---\ntitle: T\ndate: 2026-03-02\nimage: ../outside.jpg\n---\nBody\n")
    with pytest.raises(ArticleError) as caught:
        load(only(repo), repo)
    assert str(caught.value).startswith("a.md:4: image 'outside.jpg' leads outside the repository")


def test_invalid_utf8_in_the_body_is_reported_with_its_line(tmp_path: Path) -> None:
    write(tmp_path, "a.md", b"---\ntitle: T\ndate: 2026-03-02\n---\nfine\nbroken \xff here\n")
    article = only(tmp_path)  # the cheap scan never reads the body
    with pytest.raises(ArticleError) as caught:
        load(article, tmp_path)
    assert (
        str(caught.value)
        == "a.md:6: not valid UTF-8 at line 6, byte offset 46: save the file as UTF-8"
    )


def test_symlinks_are_not_followed_and_hidden_files_are_ignored(tmp_path: Path) -> None:
    outside = write(tmp_path, "outside.md", "---\ntitle: Secret\ndate: 2026-01-01\n---\nx\n")
    repo = tmp_path / "repo"
    write(repo, "real.md", "---\ntitle: Real\ndate: 2026-01-01\n---\nx\n")
    write(repo, ".draft.md", "---\ntitle: Hidden\ndate: 2026-01-01\n---\nx\n")
    write(repo, "_templates/t.md", "---\ntitle: Template\ndate: 2026-01-01\n---\nx\n")
    os.symlink(outside, repo / "link.md")
    os.symlink(tmp_path, repo / "loop")
    result = scan(repo)
    assert [a.title for a in result.articles] == ["Real"]
    assert [str(p) for p in result.problems] == [
        "link.md: is a symbolic link, which feeds never follows: move the real file into the repository",
        "loop: is a symbolic link, which feeds never follows: move the real file into the repository",
    ]


def test_duplicate_ids_and_urls_name_both_files(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: A\ndate: 2026-01-01\nid: tag:x.org,2026:same\n---\nx\n")
    write(tmp_path, "b.md", "---\ntitle: B\ndate: 2026-01-01\nid: tag:x.org,2026:same\n---\nx\n")
    write(tmp_path, "news/c.md", "---\ntitle: C\ndate: 2026-01-01\nslug: a\n---\nx\n")
    result = scan(tmp_path)
    assert [a.rel_path for a in result.articles] == ["a.md"]
    assert [str(p) for p in result.problems] == [
        "b.md: has the same id 'tag:x.org,2026:same' as a.md: give one of them its own `id` in"
        " the front matter",
        "news/c.md: has the same URL https://news.example.org/a/ as a.md: "
        "give one of them another `slug` (or `url`)",
    ]


def test_missing_repository(tmp_path: Path) -> None:
    with pytest.raises(RepositoryError) as caught:
        scan(tmp_path / "nope")
    assert str(caught.value) == (
        f"{tmp_path / 'nope'}: article repository not found: create the folder or set repository.path"
    )


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Ferry Timetable!", "ferry-timetable"),
        ("Fähre über Øresund", "fahre-uber-resund"),
        ("--a--b--", "a-b"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_gigantic_article_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    write(tmp_path, "big.md", "---\ntitle: Big\ndate: 2026-01-01\n---\n" + "word " * 400)
    write(tmp_path, "big.txt", "Headline\n\n" + "word " * 400)
    result = scan_repository(tmp_path, SITE, max_article_bytes=1000)
    assert [str(p) for p in result.problems] == [
        "big.txt: is larger than 1000 bytes: split the article, or raise "
        "repository.max_article_bytes if it really is this long"
    ]
    (article,) = read_full(tmp_path, SITE, result.articles, max_article_bytes=1000)
    # the Markdown scan reads only the front matter
    with pytest.raises(ArticleError, match=r"^big\.md: is larger than 1000 bytes"):
        body_of(article, tmp_path, max_article_bytes=1000)


def test_binary_file_with_nul_bytes_is_a_located_problem(tmp_path: Path) -> None:
    write(tmp_path, "photo.txt", b"Headline\n\nsome text\x00\x01\x02binary")
    result = scan(tmp_path)
    assert [str(p) for p in result.problems] == [
        "photo.txt:3: contains a NUL byte, so it is binary, not text: save it as UTF-8 text"
    ]


def test_article_vanishing_between_listing_and_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "a.md", "---\ntitle: A\ndate: 2026-01-01\n---\nx\n")
    write(tmp_path, "b.md", "---\ntitle: B\ndate: 2026-01-01\n---\nx\n")
    real = reader.read_front_matter

    def vanish(file: Path, *, path: str, size: int | None = None):
        if path == "a.md":
            Path(file).unlink()
        return real(file, path=path, size=size)

    monkeypatch.setattr(reader, "read_front_matter", vanish)
    result = scan(tmp_path)
    assert [a.title for a in result.articles] == ["B"]
    assert [str(p) for p in result.problems] == ["a.md: cannot be read: No such file or directory"]


def test_hostile_html_in_markdown_is_sanitised_not_rejected(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.md",
        "---\ntitle: 'Tide <script>alert(1)</script> ]]>'\ndate: 2026-01-01\n---\n"
        '<p onmouseover="x()">Hi <a href="javascript:alert(1)">link</a></p>\n\n'
        '<iframe src="https://evil.example/"></iframe>\n\n<img src="data:image/png;base64,AA" alt="d">\n'
        "\n[a Markdown link](javascript:alert(2)) and [another](JaVaScRiPt:alert(3)) and "
        "![a Markdown image](data:image/png;base64,AA) and <vbscript:msgbox(4)>\n",
    )
    entry = load(only(tmp_path), tmp_path)
    for bad in ("<script", "onmouseover", "javascript:", "<iframe", "data:"):
        assert bad not in entry.content_html.lower()
    addresses = re.findall(r'(?:href|src)="([^"]*)"', entry.content_html)
    assert not [a for a in addresses if not a.startswith("https://")], addresses
    assert "a Markdown link" in entry.content_html
    assert entry.article.title == "Tide <script>alert(1)</script> ]]>"  # escaped by the XML writer


def test_an_image_the_body_shows_must_exist(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: T\ndate: 2026-03-02\n---\nSee ![map](maps/harbour.png).\n")
    with pytest.raises(ArticleError) as caught:
        load(only(tmp_path), tmp_path)
    assert str(caught.value) == (
        # The line of the article file that shows it.
        "a.md:5: the body shows the image 'maps/harbour.png', which is not in the repository: "
        "add the file beside the article, or write its full https:// address"
    )


def test_related_links_must_be_web_addresses(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.md",
        "---\ntitle: T\ndate: 2026-03-02\nrelated:\n  - {title: Bad, url: 'javascript:alert(1)'}\n---\nx\n",
    )
    assert [str(p) for p in scan(tmp_path).problems] == [
        "a.md:4: related: url 'javascript:alert(1)' of 'Bad' is not a web address: write an "
        "http(s) URL or a path on the site such as /news/ferry/"
    ]


def test_an_impossible_yaml_date_is_a_located_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: T\ndate: 2026-13-45\n---\nx\n")
    write(tmp_path, "b.md", "---\ntitle: B\ndate: 2026-01-01\n---\nx\n")
    result = scan(tmp_path)
    assert [str(p) for p in result.problems] == [
        "a.md:3: '2026-13-45' is not a real date (month must be in 1..12): write a date that "
        "exists, such as 2026-03-02, or put it in quotes to keep it as text"
    ]
    assert [a.title for a in result.articles] == ["B"]


def test_default_ids_survive_a_move_to_https_and_www(tmp_path: Path) -> None:
    write(tmp_path, "news/a.md", "---\ntitle: T\ndate: 2026-03-02\n---\nx\n")
    ids = {
        only(tmp_path, Site(url=url, timezone="UTC")).id
        for url in (
            "http://news.example.org/",
            "https://news.example.org/",
            "https://www.news.example.org/",
        )
    }
    assert len(ids) == 1
    assert only(tmp_path, Site(url="https://other.example/", timezone="UTC")).id not in ids


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "Draft: true",
            "bad.md:4: Draft: unknown field: did you mean `draft`? (field names are lower-case)",
        ),
        (
            "drafts: true",
            "bad.md:4: drafts: unknown field: did you mean `draft`? (field names are lower-case)",
        ),
        (
            "tag: ferry",
            "bad.md:4: tag: unknown field: did you mean `tags`? (field names are lower-case)",
        ),
    ],
)
def test_near_miss_field_names_are_refused(tmp_path: Path, line: str, message: str) -> None:
    write(tmp_path, "bad.md", f"---\ntitle: T\ndate: 2026-03-02\n{line}\n---\nx\n")
    assert [str(p) for p in scan(tmp_path).problems] == [message]


def test_other_tools_fields_are_left_alone(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.md",
        "---\ntitle: T\ndate: 2026-03-02\nlayout: post\nweight: 3\nlastmod: 2026-03-03\n---\nx\n",
    )
    assert only(tmp_path).title == "T"


@given(st.text())
def test_name_uuid_is_the_standard_name_based_uuid(name: str) -> None:
    try:
        expected = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
    except UnicodeEncodeError:  # a lone surrogate: neither can encode it
        with pytest.raises(UnicodeEncodeError):
            name_uuid(name)
        return
    assert name_uuid(name) == expected


def test_a_parallel_scan_reads_what_one_process_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(40):
        write(tmp_path, f"news/s{n:02}.md", f"---\ntitle: Story {n}\ndate: 2026-05-01\n---\nB.\n")
        write(tmp_path, f"sport/2026-05-{n % 28 + 1:02}-r{n}.txt", f"Regatta {n}\n\nBoats.\n")
    write(tmp_path, "news/broken.md", "---\ntitle: [unclosed\n---\n")
    write(tmp_path, "news/undated.md", "---\ntitle: No date\n---\n")
    one = scan_repository(tmp_path, SITE, workers=1)
    monkeypatch.setattr(files_scan, "PARALLEL_MIN_FILES", 16)  # ranges of 2 files: many tasks
    waited: list[int] = []
    two = scan_repository(tmp_path, SITE, workers=2, while_waiting=lambda: waited.append(1))
    assert two.articles == one.articles
    assert [str(p) for p in two.problems] == [str(p) for p in one.problems]
    assert len(one.articles) == 80
    assert [p.path for p in one.problems] == ["news/broken.md", "news/undated.md"]
    assert waited == [1]  # this process had something to do while the workers read


def test_a_parallel_scan_fills_the_cache_as_one_process_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    for n in range(40):
        write(root, f"news/s{n:02}.md", f"---\ntitle: Story {n}\ndate: 2026-05-01\n---\nB.\n")
    write(root, "news/undated.md", "---\ntitle: No date\n---\n")
    serial = ScanCache(tmp_path / "serial", "settings")
    scan_repository(root, SITE, workers=1, cache=serial)
    serial.save()
    monkeypatch.setattr(files_scan, "PARALLEL_MIN_FILES", 16)
    chunks: list[bytes] = []
    real_adopt = ScanCache.adopt
    monkeypatch.setattr(ScanCache, "adopt", lambda self, c: chunks.append(c) or real_adopt(self, c))
    parallel = ScanCache(tmp_path / "parallel", "settings")
    scan_repository(root, SITE, workers=2, cache=parallel)
    assert chunks  # read by the workers: their chunks came back
    parallel.save()
    again = ScanCache(tmp_path / "parallel", "settings")
    assert {k: str(v) for k, v in again.items.items()} == {
        k: str(v) for k, v in ScanCache(tmp_path / "serial", "settings").items.items()
    }
    read: list[str] = []
    monkeypatch.setattr(files_scan, "read_chunk", lambda chunk, *a: read.extend(chunk) or [])
    result = scan_repository(root, SITE, workers=2, cache=again)
    assert read == []  # everything came from the cache the workers filled
    assert len(result.articles) == 40


@pytest.mark.parametrize("count", [1, 99, 100, 2000, 10_000, 100_001])
def test_parallel_ranges_cover_every_file_once_and_shrink(count: int) -> None:
    ranges = list(files_scan._ranges(count, 2))
    assert ranges[0][0] == 0 and ranges[-1][1] == count
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    sizes = [stop - start for start, stop in ranges]
    assert sizes == sorted(sizes, reverse=True)
    assert all(size >= 100 for size in sizes[:-1])

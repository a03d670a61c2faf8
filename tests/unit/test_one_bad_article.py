"""Issue 12's cases, as a careless editor and a hostile contributor write them: each is a
located problem or a documented normalisation, never a refused build, an internal error, a
leaked draft or a deleted file that is not ours."""

from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from feeds.build import publish
from feeds.cli import main
from feeds.config import load_config
from feeds.errors import ConfigError, RepositoryError
from feeds.rules import MAX_PATH_SLUG, path_slug
from feeds.validate import validate_feed

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CONFIG = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"
timezone = "Europe/Berlin"

[[feeds]]
name = "main"
formats = ["rss", "atom", "json"]

[[feeds]]
name = "tags"
per = ["tag", "author"]
formats = ["rss", "atom", "json"]
"""


def write(root: Path, rel: str, text: str) -> Path:
    path = root / "articles" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def story(root: Path, rel: str, front: str, body: str = "The story.\n") -> Path:
    return write(root, rel, f"---\n{front.strip()}\n---\n{body}")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "config.toml").write_text(CONFIG, encoding="utf-8")
    story(tmp_path, "news/good.md", "title: Good\ndate: 2026-05-01T10:00:00Z\ntags: [harbour]")
    return tmp_path


def build(site: Path, **kwargs: bool):
    return publish(load_config(site / "config.toml"), now=NOW, **kwargs)


def every_feed(site: Path) -> dict[str, bytes]:
    out = site / "output"
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in out.rglob("*")
        if p.name in {"rss.xml", "atom.xml", "feed.json"}
    }


def titles(body: bytes) -> list[str]:
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.bozo_exception
    return [entry.title for entry in parsed.entries]


def assert_all_valid_with(site: Path, *wanted: str) -> None:
    """Every feed written validates, and the main feeds hold the wanted titles."""
    feeds = every_feed(site)
    for name, body in feeds.items():
        report = validate_feed(body, source=name)
        assert report.ok, (name, report.errors)
    for name in ("rss.xml", "atom.xml"):
        assert sorted(titles(feeds[name])) == sorted(wanted)


# --- one article (or one file) never blocks every feed ---------------------------------------


def test_a_plain_cms_id_is_mapped_for_ever_to_an_absolute_iri(site: Path) -> None:
    story(site, "news/cms.md", 'title: CMS\ndate: 2026-05-02T10:00:00Z\nid: "12345"')
    result = build(site)
    assert result.problems == ()
    assert_all_valid_with(site, "Good", "CMS")
    atom = feedparser.parse(every_feed(site)["atom.xml"])
    ids = {entry.title: entry.id for entry in atom.entries}
    assert ids["CMS"].startswith("urn:uuid:")
    # The same id, whatever else changes about the article: readers never see it again as new.
    story(site, "news/cms.md", 'title: CMS, updated\ndate: 2026-05-02T10:00:00Z\nid: "12345"')
    build(site)
    again = {e.title: e.id for e in feedparser.parse(every_feed(site)["atom.xml"]).entries}
    assert again["CMS, updated"] == ids["CMS"]


@pytest.mark.parametrize(
    ("email", "published"),
    [
        ("mailto:jo@example.org", "jo@example.org"),
        ("Jo Doe <jo@example.org>", "jo@example.org"),
        ("jo@example.org", "jo@example.org"),
    ],
)
def test_e_mails_as_people_write_them_are_taken_apart(
    site: Path, email: str, published: str
) -> None:
    story(
        site,
        "news/jo.md",
        f'title: Jo\ndate: 2026-05-02T10:00:00Z\nauthor: {{name: Jo Doe, email: "{email}"}}',
    )
    result = build(site)
    assert result.problems == ()
    assert_all_valid_with(site, "Good", "Jo")
    assert f"<author>{published} (Jo Doe)</author>".encode() in every_feed(site)["rss.xml"]


@pytest.mark.parametrize(
    ("email", "advice"),
    [
        ("bad@", "write it like jo@example.org"),
        ("jo@example.org, ed@example.org", "one address per author"),
    ],
)
def test_an_e_mail_that_is_not_one_is_a_located_problem(
    site: Path, email: str, advice: str
) -> None:
    story(
        site,
        "news/jo.md",
        f'title: Jo\ndate: 2026-05-02T10:00:00Z\nauthor: {{name: Jo, email: "{email}"}}',
    )
    result = build(site)
    (problem,) = result.problems
    assert str(problem).startswith(f"news/jo.md:4: author: {email!r} is not an e-mail address")
    assert advice in str(problem)
    assert_all_valid_with(site, "Good")


def test_a_wire_byline_with_a_bracketed_e_mail_keeps_the_address(site: Path) -> None:
    write(
        site,
        "sport/2026-05-03-swim.txt",
        "Harbour swim\n\nThe swimmers came.\n\n-- Jo Smith can be reached at (jo@example.org).\n",
    )
    result = build(site)
    assert result.problems == ()
    assert_all_valid_with(site, "Good", "Harbour swim")
    assert b"jo@example.org (Jo Smith)" in every_feed(site)["rss.xml"]


def test_an_author_uri_that_is_a_path_resolves_and_a_script_is_refused(site: Path) -> None:
    story(
        site,
        "news/jo.md",
        "title: Jo\ndate: 2026-05-02T10:00:00Z\nauthor: {name: Jo, uri: /staff/jo/}",
    )
    story(
        site,
        "news/evil.md",
        'title: Evil\ndate: 2026-05-02T11:00:00Z\nauthor: {name: Ev, uri: "javascript:alert(3)"}',
    )
    result = build(site)
    assert [str(p).split(": uri")[0] for p in result.problems] == ["news/evil.md:4: author"]
    assert_all_valid_with(site, "Good", "Jo")
    assert b"https://news.example.org/staff/jo/" in every_feed(site)["atom.xml"]
    assert not any(b"javascript:" in body for body in every_feed(site).values())


@pytest.mark.parametrize(
    ("written", "shown"),
    [("2026-05-02T10:00:00+01:00:30", "2026-05-02T09:59:30+01:00"), ("0999-05-02", None)],
)
def test_dates_feeds_cannot_carry_are_normalised_or_refused(
    site: Path, written: str, shown: str | None
) -> None:
    story(site, "news/odd.md", f"title: Odd\ndate: {written}")
    result = build(site)
    if shown is None:
        (problem,) = result.problems
        assert "the year 999 has fewer than four digits" in str(problem)
        assert_all_valid_with(site, "Good")
    else:
        assert result.problems == ()
        assert_all_valid_with(site, "Good", "Odd")
        json_feed = every_feed(site)["feed.json"].decode()
        # The same instant, in an offset of whole minutes.
        assert f'"date_published": "{shown}"' in json_feed


@pytest.mark.parametrize(
    "front",
    [
        'url: "http://[::1"',
        'related: [{title: Other, url: "http://[::1"}]',
        "url: https://news.example.org:99999/x/",
        'image: "http://[::1/a.jpg"',
    ],
)
def test_malformed_urls_are_located_problems(site: Path, front: str) -> None:
    story(site, "news/bad.md", f"title: Bad\ndate: 2026-05-02T10:00:00Z\n{front}")
    result = build(site)
    (problem,) = result.problems
    assert str(problem).startswith("news/bad.md:4: ")
    assert_all_valid_with(site, "Good")


def test_wire_related_urls_are_encoded_like_front_matter_ones(site: Path) -> None:
    write(
        site,
        "sport/2026-05-03-regatta.txt",
        "Regatta\n\nBoats raced.\n\nRelated: Results https://example.org/über/\n",
    )
    result = build(site)
    assert result.problems == ()
    assert_all_valid_with(site, "Good", "Regatta")
    assert b"https://example.org/%C3%BCber/" in every_feed(site)["atom.xml"]


def test_control_characters_in_wire_text_never_reach_a_feed(site: Path) -> None:
    write(site, "sport/2026-05-03-bell.txt", "Bell\x01 rings\x0b\n\nIt rang\x02.\n")
    result = build(site)
    assert result.problems == ()
    assert_all_valid_with(site, "Good", "Bell rings")


def test_toml_nested_too_deep_is_a_located_problem_in_an_article(site: Path) -> None:
    write(site, "news/deep.md", "+++\ntitle = 'Deep'\nx = " + "[" * 1000 + "]" * 1000 + "\n+++\n")
    result = build(site)
    (problem,) = result.problems
    assert str(problem).startswith("news/deep.md:3: ")
    assert "nested more than the allowed" in str(problem)


def test_toml_nested_too_deep_in_the_configuration_is_a_configuration_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG + "x = " + "[" * 1000 + "]" * 1000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="nested more than the allowed"):
        load_config(path)


def test_a_long_tag_gets_a_capped_folder_that_fits_and_never_collides(site: Path) -> None:
    long_a, long_b = "a" * 299 + "x", "a" * 299 + "y"
    story(site, "news/a.md", f"title: A\ndate: 2026-05-02T10:00:00Z\ntags: [{long_a}]")
    story(site, "news/b.md", f"title: B\ndate: 2026-05-02T11:00:00Z\ntags: [{long_b}]")
    result = build(site)
    assert result.problems == ()
    folders = {path_slug(long_a), path_slug(long_b)}
    assert len(folders) == 2 and all(len(f) <= MAX_PATH_SLUG for f in folders)
    for folder in folders:
        assert (site / "output/tag" / folder / "rss.xml").is_file()


# --- drafts and unpublished content never leak ------------------------------------------------


def test_a_draft_flag_that_slipped_into_an_image_table_is_an_error_not_a_leak(site: Path) -> None:
    write(site, "news/pic.png", "")
    write(
        site,
        "news/secret.md",
        '+++\ntitle = "Secret"\ndate = 2026-05-02T10:00:00Z\n'
        '[[images]]\nsrc = "pic.png"\ndraft = true\n+++\nbody\n',
    )
    result = build(site)
    (problem,) = result.problems
    assert "unknown key `draft` in an image" in str(problem)
    assert "is a field of the article, not of an image" in str(problem)
    assert not any(b"Secret" in body for body in every_feed(site).values())


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("authors: [{name: Jo, emial: jo@x.org}]", "emial"),
        ("related: [{title: T, ulr: /x/}]", "ulr"),
    ],
)
def test_unknown_keys_in_authors_and_related_are_errors(site: Path, table: str, key: str) -> None:
    story(site, "news/typo.md", f"title: Typo\ndate: 2026-05-02T10:00:00Z\n{table}")
    (problem,) = build(site).problems
    assert f"unknown key `{key}`" in str(problem) and "did you mean" in str(problem)


def test_state_inside_the_output_folder_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG + '\n[state]\npath = "output/.state"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"state.path: .* is inside the output folder"):
        load_config(path)


def test_a_draft_with_the_id_of_a_published_story_never_displaces_it(site: Path) -> None:
    story(
        site,
        "news/aaa-draft.md",
        "title: Draft\ndate: 2026-05-03T10:00:00Z\ndraft: true\nid: tag:x.org,2026:1",
    )
    story(site, "news/zzz-live.md", "title: Live\ndate: 2026-05-02T10:00:00Z\nid: tag:x.org,2026:1")
    result = build(site)
    assert_all_valid_with(site, "Good", "Live")
    (problem,) = result.problems
    assert str(problem).startswith("news/aaa-draft.md: has the same id")


# --- nothing outside the output folder is ever deleted --------------------------------------


@pytest.mark.parametrize("output", ['"articles"', '"articles/out"', '"."'])
def test_an_output_folder_overlapping_the_repository_is_refused(
    tmp_path: Path, output: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG + f"\n[output]\npath = {output}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"output.path: .* article repository"):
        load_config(path)


def test_a_slice_named_media_is_never_published(tmp_path: Path) -> None:
    config = CONFIG.replace('per = ["tag", "author"]', 'per = ["tag"]\npath = "{slug}"')
    (tmp_path / "config.toml").write_text(config, encoding="utf-8")
    story(tmp_path, "news/m.md", "title: M\ndate: 2026-05-02T10:00:00Z\ntags: [Media, sea]")
    result = build(tmp_path)
    (problem,) = result.problems
    assert 'tag "Media" would give feed "tags" the folder media/, inside media/' in str(problem)
    assert not (tmp_path / "output/media/rss.xml").exists()
    assert (tmp_path / "output/sea/rss.xml").is_file()


def test_an_emptied_repository_is_not_published_unless_asked(site: Path) -> None:
    build(site)
    before = every_feed(site)
    (site / "articles/news/good.md").unlink()
    with pytest.raises(RepositoryError, match=r"holds no articles, but the last build published"):
        build(site)
    assert every_feed(site) == before
    build(site, allow_empty=True)
    assert titles(every_feed(site)["rss.xml"]) == []


def test_feeds_build_allow_empty_flag_reaches_the_build(site: Path) -> None:
    build(site)
    (site / "articles/news/good.md").unlink()
    config = str(site / "config.toml")
    assert main(["-q", "build", "-c", config, "--now", NOW.isoformat()]) == 7
    assert main(["-q", "build", "-c", config, "--now", NOW.isoformat(), "--allow-empty"]) == 0


# --- stale results ---------------------------------------------------------------------------


def test_a_photo_that_arrives_after_its_story_gets_it_published(site: Path) -> None:
    from PIL import Image  # noqa: PLC0415

    story(site, "news/photo.md", "title: Photo\ndate: 2026-05-02T10:00:00Z\nimage: late.jpg")
    first = build(site)
    assert [p.path for p in first.problems] == ["news/photo.md"]
    assert build(site).up_to_date  # nothing changed: the shortcut may answer
    Image.new("RGB", (20, 10)).save(site / "articles/news/late.jpg")
    third = build(site)
    assert not third.up_to_date and third.problems == ()
    assert_all_valid_with(site, "Good", "Photo")


# --- the summary ----------------------------------------------------------------------------


def test_the_summary_counts_what_the_feeds_hold(site: Path) -> None:
    story(site, "news/noimage.md", "title: Broken\ndate: 2026-05-02T10:00:00Z\nimage: gone.jpg")
    result = build(site)
    assert result.summary().startswith("1 of 2 article(s) published")
    assert titles(every_feed(site)["rss.xml"]) == ["Good"]


def test_sighup_with_a_config_nested_too_deep_keeps_the_daemon_running(site: Path) -> None:
    from feeds.daemon import Control, Daemon  # noqa: PLC0415

    config = load_config(site / "config.toml")
    control = Control()
    daemon = Daemon(config, control, clock=lambda: NOW)
    daemon.tick()
    (site / "config.toml").write_text(CONFIG + "x = " + "[" * 1000 + "]" * 1000, encoding="utf-8")
    control.request_reload()
    daemon.tick()  # the reload is refused, not raised: the daemon keeps serving
    assert daemon.config is config


def test_an_index_md_dropped_into_a_section_says_what_it_hides(site: Path) -> None:
    story(site, "news/index.md", "title: Section page\ndate: 2026-05-02T10:00:00Z")
    result = build(site)
    (problem,) = result.problems
    assert str(problem).startswith(
        "news/index.md: makes the section news/ one page bundle, so the 1 other article"
    )


def test_a_daemon_whose_output_folder_is_made_anew_keeps_a_second_one_out(site: Path) -> None:
    import shutil  # noqa: PLC0415

    from feeds.daemon import Control, Daemon  # noqa: PLC0415
    from feeds.errors import LockedError  # noqa: PLC0415
    from feeds.state.locks import DaemonLock  # noqa: PLC0415

    config = load_config(site / "config.toml")
    daemon = Daemon(config, Control(), clock=lambda: NOW)
    daemon._lock.acquire()  # as `run` does
    try:
        daemon.tick()
        shutil.rmtree(config.output)
        config.output.mkdir()
        daemon.tick()  # notices the lock file is gone and takes the new one
        with pytest.raises(LockedError, match="another `feeds run`"):
            DaemonLock(config.output).acquire()
    finally:
        daemon._lock.release()


def test_an_exception_rendering_one_article_is_that_articles_problem(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from feeds.render import rss_atom  # noqa: PLC0415

    story(site, "news/cursed.md", "title: Cursed\ndate: 2026-05-02T10:00:00Z")
    real = rss_atom._add_entry

    def explode_on_cursed(fg, entry):  # a renderer bug that only this article meets
        if entry.article.title == "Cursed":
            raise TypeError("unexpected value")
        return real(fg, entry)

    monkeypatch.setattr(rss_atom, "_add_entry", explode_on_cursed)
    result = build(site)
    (problem,) = result.problems
    assert str(problem).startswith(
        "news/cursed.md: could not be rendered (TypeError: unexpected value): this is a bug"
    )
    assert_all_valid_with(site, "Good")


def test_an_exception_reading_one_article_is_that_articles_problem(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from feeds.sources.files import scan  # noqa: PLC0415

    story(site, "news/cursed.md", "title: Cursed\ndate: 2026-05-02T10:00:00Z")
    real = scan.read_article

    def explode_on_cursed(candidate, *args):  # a reader bug that only this file meets
        if candidate.rel_path == "news/cursed.md":
            raise KeyError("surprise")
        return real(candidate, *args)

    monkeypatch.setattr(scan, "read_article", explode_on_cursed)
    result = build(site)
    (problem,) = result.problems
    assert str(problem).startswith("news/cursed.md: could not be read (KeyError: 'surprise')")
    assert_all_valid_with(site, "Good")

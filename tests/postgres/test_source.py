"""PostgreSQL as the article repository, against a real server: the schema, `feeds db import`,
byte-identical builds, bad rows, cheap scans, images through the source, an unreachable server."""

from __future__ import annotations

import dataclasses
import io
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from PIL import Image as PILImage

from feeds.build import publish
from feeds.cli import main
from feeds.config import load_config
from feeds.errors import RepositoryError
from feeds.sources import postgres
from feeds.sources.postgres import PostgresSource

PROJECT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NOW_ARG = "2026-11-25T12:00:00+00:00"

CONFIG = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"
timezone = "Europe/Berlin"

[repository]
url = "{url}"

[output]
path = "output"

[[feeds]]
name = "main"
formats = ["rss", "atom", "json"]
limit = {limit}
"""


def write_config(folder: Path, url: str, *, limit: int = 50) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(CONFIG.format(url=url, limit=limit), encoding="utf-8")
    return path


def feeds(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def published(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def jpeg(colour: str = "red", size: tuple[int, int] = (8, 6)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection]:
    postgres.init_schema(database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


def article(conn: psycopg.Connection, key: str, title: str | None, date: str, **more: object):
    values = {"key": key, "title": title, "date": date, "body": f"The story of {title}.", **more}
    placeholders = ", ".join(["%s"] * len(values))
    conn.execute(
        f"INSERT INTO feeds.articles ({', '.join(values)}) VALUES ({placeholders})",
        list(values.values()),
    )


# --- the schema --------------------------------------------------------------------------------


def test_db_init_creates_a_versioned_schema_once_and_refuses_a_newer_one(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, database_url)
    code, out = feeds("db", "init", "-c", str(config), capsys=capsys)
    assert code == 0
    assert "created the feeds schema (version 1)" in out
    code, out = feeds("db", "init", "-c", str(config), capsys=capsys)
    assert code == 0
    assert "up to date (version 1)" in out
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert conn.execute("SELECT version FROM feeds.schema").fetchall() == [(1,)]
        conn.execute("UPDATE feeds.schema SET version = 2")
    code, out = feeds("db", "init", "-c", str(config), capsys=capsys)
    assert code == 7
    assert "made by a newer feeds" in out
    code, out = feeds("build", "-c", str(config), capsys=capsys)
    assert code == 7
    assert "upgrade feeds" in out


def test_a_database_without_the_schema_says_to_run_db_init(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = feeds("build", "-c", str(write_config(tmp_path, database_url)), capsys=capsys)
    assert code == 7
    assert "feeds db init" in out
    assert "Traceback" not in out


def test_the_schema_refuses_keys_that_are_no_repository_paths(db: psycopg.Connection) -> None:
    for key in ("/news/x.md", "news/../x.md", "news//x.md", "news/x.html", "news/x\x01.md"):
        with pytest.raises(psycopg.errors.CheckViolation):
            article(db, key, "Title", "2026-06-01 10:00+02")


# --- equivalence with the file build -----------------------------------------------------------


def test_the_sample_repository_imported_builds_byte_identical_feeds_pages_and_media(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = tmp_path / "files"
    files.mkdir()
    shutil.copytree(PROJECT / "articles", files / "articles")
    shutil.copy(PROJECT / "config.toml", files / "config.toml")
    shutil.copytree(PROJECT / "branding", files / "branding")
    base = (PROJECT / "config.toml").read_text(encoding="utf-8")
    database = tmp_path / "database"
    database.mkdir()
    shutil.copytree(PROJECT / "branding", database / "branding")
    (database / "config.toml").write_text(
        base.replace('path = "articles"', f'url = "{database_url}"'), encoding="utf-8"
    )

    assert feeds("db", "init", "-c", str(database / "config.toml"), capsys=capsys)[0] == 0
    code, out = feeds(
        "db", "import", str(files / "articles"), "-c", str(database / "config.toml"), capsys=capsys
    )
    assert code == 0, out
    assert "imported 11 article(s)" in out
    for project in (files, database):
        code, out = feeds(
            "build", "-c", str(project / "config.toml"), "--now", NOW_ARG, capsys=capsys
        )
        assert code == 0, out

    from_files, from_database = published(files / "output"), published(database / "output")
    assert sorted(from_database) == sorted(from_files)
    assert any(name.startswith("media/") for name in from_files)
    for name, body in from_files.items():
        assert from_database[name] == body, f"{name} differs between the file and database builds"

    # Importing again changes nothing: no new version, no rebuild.
    with psycopg.connect(database_url) as conn:
        before = conn.execute("SELECT generation FROM feeds.changes").fetchone()
    feeds(
        "db", "import", str(files / "articles"), "-c", str(database / "config.toml"), capsys=capsys
    )
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT generation FROM feeds.changes").fetchone() == before


def test_import_leaves_out_an_article_the_file_build_would_not_publish(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repository = tmp_path / "articles"
    (repository / "news").mkdir(parents=True)
    (repository / "news" / "good.md").write_text(
        "---\ntitle: Good\ndate: 2026-06-01\n---\nBody.\n", encoding="utf-8"
    )
    (repository / "news" / "bad.md").write_text("---\ndate: 2026-06-01\n---\nBody.\n", "utf-8")
    config = write_config(tmp_path, database_url)
    feeds("db", "init", "-c", str(config), capsys=capsys)
    code, out = feeds("db", "import", str(repository), "-c", str(config), capsys=capsys)
    assert code == 4
    assert "news/bad.md:1: no title" in out
    assert "imported 1 article(s)" in out
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT key FROM feeds.articles").fetchall() == [("news/good.md",)]


# --- bad rows ----------------------------------------------------------------------------------


def test_bad_rows_are_located_problems_and_the_other_rows_publish(
    db: psycopg.Connection, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article(db, "news/good.md", "A good story", "2026-06-01 10:00+02")
    article(db, "news/no-title.md", None, "2026-06-02 10:00+02")
    article(db, "news/infinite.md", "Forever", "infinity")
    article(
        db, "news/backwards.md", "Backwards", "2026-06-03 10:00+02", updated="2026-06-01 00:00+02"
    )
    article(db, "news/typo.md", "Typo", "2026-06-04 10:00+02", extra='{"Draft": true}')
    article(db, "news/not-an-image.md", "Not an image", "2026-06-05 10:00+02")
    db.execute(
        "INSERT INTO feeds.images (article, path, position, data, alt)"
        " VALUES ('news/not-an-image.md', 'news/photo.jpg', 0, 'plain text', 'x')"
    )
    article(
        db,
        "sport/wire.txt",
        None,
        "2026-06-06 10:00+02",
        body="Headline\n\nAlt text.\nA caption. (Credit)\n\nBody.\n",
    )

    code, out = feeds("build", "-c", str(write_config(tmp_path, database_url)), capsys=capsys)
    assert code == 4
    assert "postgresql:news/no-title.md: no title" in out
    assert "postgresql:news/infinite.md: date: 'infinity' is not a date and time" in out
    assert "postgresql:news/backwards.md: updated: 2026-06-01T00:00:00+02:00 is before" in out
    assert "postgresql:news/typo.md: Draft: unknown field: did you mean `draft`?" in out
    assert (
        "postgresql:news/not-an-image.md: image 'photo.jpg' is not a readable JPEG, PNG, WebP"
        in out
    )
    assert "postgresql:sport/wire.txt: the image block needs an image" in out
    assert "Traceback" not in out
    rss = (tmp_path / "output" / "rss.xml").read_text(encoding="utf-8")
    assert "A good story" in rss
    for title in ("Forever", "Backwards", "Typo", "Not an image"):
        assert title not in rss


def test_an_article_written_with_plain_sql_publishes_with_its_captioned_image(
    db: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    # The README's example, as a CMS would write it.
    with db.transaction():
        db.execute(
            "INSERT INTO feeds.articles (key, title, date, authors, categories, body) VALUES"
            " ('news/2026/harbour-lights.md', 'Harbour lights switched on',"
            " '2026-11-20 18:00+01', '[\"Mara Lind\"]', ARRAY['Harbour'],"
            " 'The new lights on the quay were switched on tonight.')"
        )
        db.execute(
            "INSERT INTO feeds.images (article, path, position, data, alt, caption, credit)"
            " VALUES ('news/2026/harbour-lights.md', 'news/2026/harbour-lights.jpg', 0, %s,"
            " 'Lamps along a stone quay at dusk.', 'The quay on Friday evening.', 'Mara Lind')",
            [jpeg()],
        )
    config = load_config(write_config(tmp_path, database_url))
    result = publish(config, now=NOW)
    assert result.problems == ()
    rss = (tmp_path / "output" / "rss.xml").read_text(encoding="utf-8")
    assert "Harbour lights switched on" in rss
    assert 'url="https://news.example.org/media/news/2026/harbour-lights.jpg"' in rss
    assert "The quay on Friday evening. — Mara Lind" in rss
    assert (tmp_path / "output/media/news/2026/harbour-lights.jpg").read_bytes() == jpeg()


# --- cheap scans -------------------------------------------------------------------------------


class Reads:
    """Counts what the source reads (it still reads it: nothing is replaced)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.rows = 0
        self.bodies = 0
        self.images = 0
        rows, body, image = (
            PostgresSource._rows,
            PostgresSource.read_body,
            PostgresSource.image_bytes,
        )

        def counted_rows(source, where, params=()):
            for row in rows(source, where, params):
                self.rows += 1
                yield row

        def counted_body(source, item):
            self.bodies += 1
            return body(source, item)

        def counted_image(source, item, path, *, max_bytes):
            self.images += 1
            return image(source, item, path, max_bytes=max_bytes)

        monkeypatch.setattr(PostgresSource, "_rows", counted_rows)
        monkeypatch.setattr(PostgresSource, "read_body", counted_body)
        monkeypatch.setattr(PostgresSource, "image_bytes", counted_image)

    def take(self) -> tuple[int, int, int]:
        counts = (self.rows, self.bodies, self.images)
        self.rows = self.bodies = self.images = 0
        return counts


def test_a_build_reads_only_what_changed_and_the_selected_articles_bodies(
    db: psycopg.Connection, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.execute(
        "INSERT INTO feeds.articles (key, title, date, body)"
        " SELECT 'news/story-' || n || '.md', 'Story ' || n,"
        "        timestamptz '2026-01-01 08:00+01' + n * interval '1 hour', 'Body ' || n"
        "   FROM generate_series(1, 60) n"
    )
    db.execute(
        "INSERT INTO feeds.images (article, path, position, data)"
        " SELECT 'news/story-' || n || '.md', 'news/story-' || n || '.jpg', 0, %s"
        "   FROM generate_series(1, 60) n",
        [jpeg()],
    )
    config = load_config(write_config(tmp_path, database_url, limit=5))
    reads = Reads(monkeypatch)
    rss = tmp_path / "output" / "rss.xml"

    publish(config, now=NOW)
    # Every row's fields for the scan; the 5 selected articles again in full, bodies, images.
    assert reads.take() == (65, 5, 5)

    result = publish(config, now=NOW)
    assert result.up_to_date
    assert reads.take() == (0, 0, 0)  # the change counter said nothing changed

    db.execute(
        "UPDATE feeds.articles SET title = 'Story 58, corrected' WHERE key = 'news/story-58.md'"
    )
    publish(config, now=NOW)
    assert reads.take() == (2, 1, 1)  # its row, by the scan and again in full; its body, image
    assert "Story 58, corrected" in rss.read_text(encoding="utf-8")

    db.execute(
        "UPDATE feeds.images SET data = %s WHERE article = 'news/story-57.md'",
        [jpeg("blue", (9, 9))],
    )
    publish(config, now=NOW)
    assert reads.take() == (2, 1, 1)  # a changed image is a change of its article
    assert (tmp_path / "output/media/news/story-57.jpg").read_bytes() == jpeg("blue", (9, 9))
    assert 'width="9" height="9"' in rss.read_text(encoding="utf-8")

    db.execute("DELETE FROM feeds.articles WHERE key = 'news/story-60.md'")
    publish(config, now=NOW)
    # Only Story 55, which joins the feed, is read: nothing for the deletion itself.
    assert reads.take() == (1, 1, 1)
    assert "Story 60" not in rss.read_text(encoding="utf-8")
    assert not (tmp_path / "output/media/news/story-60.jpg").exists()

    db.execute("UPDATE feeds.articles SET key = 'news/renamed.md' WHERE key = 'news/story-59.md'")
    result = publish(config, now=NOW)
    assert len(result.scan.articles) == 59
    assert "postgresql:news/renamed.md" in {a.rel_path for a in result.scan.articles}
    assert "postgresql:news/story-59.md" not in {a.rel_path for a in result.scan.articles}

    db.execute("TRUNCATE feeds.articles CASCADE")
    # A source that suddenly holds nothing is refused (it looks like a wrong database); asked,
    # the feeds are published empty.
    with pytest.raises(RepositoryError, match="holds no articles, but the last build published"):
        publish(config, now=NOW)
    result = publish(config, now=NOW, allow_empty=True)
    assert result.scan.articles == ()
    assert "<item>" not in rss.read_text(encoding="utf-8")


def test_changes_committed_out_of_order_are_all_seen(
    db: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    # Two writers: the first to write commits last. A build between the two commits must not
    # make the next one miss the later commit of the earlier writer.
    article(db, "news/a.md", "First A", "2026-06-01 10:00+02")
    article(db, "news/b.md", "First B", "2026-06-02 10:00+02")
    config = load_config(write_config(tmp_path, database_url))
    publish(config, now=NOW)
    with psycopg.connect(database_url) as first, psycopg.connect(database_url) as second:
        first.execute("UPDATE feeds.articles SET title = 'Second A' WHERE key = 'news/a.md'")
        # The second writer waits for the first (the change counter's row lock) ...
        second.execute("SET lock_timeout = '200ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            second.execute("UPDATE feeds.articles SET title = 'Second B' WHERE key = 'news/b.md'")
        second.rollback()
        publish(config, now=NOW)  # sees neither
        first.commit()
    publish(config, now=NOW)
    assert "Second A" in (tmp_path / "output" / "rss.xml").read_text(encoding="utf-8")


# --- the database going away -------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_database_is_its_own_exit_status_and_the_feeds_stay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, f"postgresql://feeds@127.0.0.1:{closed_port()}/newsroom")
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "rss.xml").write_text("<rss>the published feed</rss>", "utf-8")
    code, out = feeds("build", "-c", str(config), capsys=capsys)
    assert code == 9
    assert "cannot reach the article database" in out
    assert "the published feeds stay as they were" in out
    assert "Traceback" not in out
    assert (tmp_path / "output" / "rss.xml").read_text("utf-8") == "<rss>the published feed</rss>"
    code, out = feeds("run", "-c", str(config), capsys=capsys)
    assert code == 9
    assert "cannot reach the article database" in out


def test_a_password_in_the_configuration_is_refused_without_being_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for url in (
        "postgresql://feeds:s3cret-pw@127.0.0.1/newsroom",
        "postgresql://feeds@127.0.0.1/newsroom?password=s3cret-pw",
    ):
        code, out = feeds("build", "-c", str(write_config(tmp_path, url)), capsys=capsys)
        assert code == 3
        assert "repository.url: must not carry a password" in out
        assert "PGPASSWORD" in out
        assert "s3cret-pw" not in out
    (tmp_path / "config.toml").write_text(
        CONFIG.format(url="postgresql://h/db", limit=5).replace(
            "[repository]\n", '[repository]\npath = "articles"\n'
        ),
        encoding="utf-8",
    )
    code, out = feeds("build", "-c", str(tmp_path / "config.toml"), capsys=capsys)
    assert code == 3
    assert "use either `path`" in out


def test_a_build_from_the_database_closes_its_connection(
    db: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    article(db, "news/a.md", "A", "2026-06-01 10:00+02")
    config = dataclasses.replace(load_config(write_config(tmp_path, database_url)))
    publish(config, now=NOW)
    # A closed session's backend leaves pg_stat_activity a moment after the client hung up.
    deadline = time.monotonic() + 5
    while True:
        (left,) = db.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchone()
        if left == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert left == 0


def test_a_file_build_never_loads_the_database_driver(tmp_path: Path) -> None:
    shutil.copytree(PROJECT / "articles", tmp_path / "articles")
    shutil.copy(PROJECT / "config.toml", tmp_path / "config.toml")
    shutil.copytree(PROJECT / "branding", tmp_path / "branding")
    code = (
        "import sys; from feeds.cli import main;"
        f" status = main(['-q', 'build', '-c', {str(tmp_path / 'config.toml')!r}]);"
        " assert status == 0, status;"
        " print(sorted(m for m in sys.modules if m.startswith('psycopg')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert done.stdout.strip() == "[]"

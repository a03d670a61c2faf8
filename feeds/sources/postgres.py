"""PostgreSQL as the article repository (`repository.url`): its schema, the `ArticleSource`, the
change feed (LISTEN/NOTIFY) and the leader lock of several daemons. The only psycopg import.

An article is a row of ``feeds.articles`` keyed by its repository path (``news/2026/x.md``), with
the front matter's fields as columns and its body in its source format; its images are rows of
``feeds.images`` (bytes and their alt, caption, credit). Triggers give every change a version
in commit order (``feeds.changes.generation``), keep a tombstone per deleted article and send a
notification, so that a build that nothing changed reads one row, and one that a few rows
changed reads those rows only.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import operator
import posixpath
import socket
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from feeds.errors import ArticleError, RepositoryError, SourceUnreachableError
from feeds.model import Article, Blob, Brief, ImageRef, ScanResult, Site
from feeds.rules import strip_forbidden_chars
from feeds.sources import Listing, StoredImage
from feeds.sources.fields import EXTRA_FIELDS, KNOWN_FIELDS, article_from_fields
from feeds.sources.files.listing import BUNDLE_INDEXES, READERS, stem_of
from feeds.sources.wire import WireDocument, parse_wire
from feeds.state.cache import ScanCache

log = logging.getLogger(__name__)

#: What a problem's location starts with: ``postgresql:news/2026/x.md: ...``.
PREFIX = "postgresql:"
#: The schema this version of feeds reads and `init_schema` creates.
SCHEMA_VERSION = 1
#: The channel the triggers notify on; the payload is the article's key ("" for all).
CHANNEL = "feeds_articles"
#: Seconds to wait for the server when connecting.
CONNECT_TIMEOUT = 5
#: Seconds of silence after which the server, and the daemon, probe the other end, and how
#: many unanswered probes one second apart end the session: a leader whose host is gone loses
#: its lock within about 6 s.
KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT = 3, 1, 3
#: The first number of the advisory lock's key (ASCII "feed"); the second is the target's.
_LOCK_CLASS = 0x66656564

# --- the schema --------------------------------------------------------------------------------

#: The tables, the functions and the triggers (idempotent). A key or an image path is a
#: repository path: "/"-separated names, none empty, "." or "..", no control characters.
SCHEMA_SQL = r"""
CREATE SCHEMA IF NOT EXISTS feeds;

CREATE TABLE IF NOT EXISTS feeds.schema (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version   integer NOT NULL,
    instance  uuid NOT NULL DEFAULT gen_random_uuid(),
    created   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS feeds.changes (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    generation bigint NOT NULL DEFAULT 0,
    pruned     bigint NOT NULL DEFAULT 0
);
INSERT INTO feeds.changes DEFAULT VALUES ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS feeds.articles (
    key        text PRIMARY KEY
               CHECK (key ~ '^[^/\x01-\x1f\x7f\\]+(/[^/\x01-\x1f\x7f\\]+)*$'
                      AND key !~ '(^|/)\.\.?(/|$)' AND key ~ '\.(md|markdown|txt)$'
                      AND octet_length(key) <= 1024),
    title      text,
    date       timestamptz,
    updated    timestamptz,
    draft      boolean NOT NULL DEFAULT false,
    section    text,
    slug       text,
    url        text,
    id         text,
    summary    text,
    authors    jsonb,
    categories text[],
    tags       text[],
    related    jsonb,
    extra      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(extra) = 'object'),
    body       text NOT NULL DEFAULT '',
    version    bigint NOT NULL DEFAULT 0,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS articles_version ON feeds.articles (version);

CREATE TABLE IF NOT EXISTS feeds.images (
    article    text NOT NULL REFERENCES feeds.articles (key) ON UPDATE CASCADE ON DELETE CASCADE,
    path       text NOT NULL
               CHECK (path ~ '^[^/\x01-\x1f\x7f\\]+(/[^/\x01-\x1f\x7f\\]+)*$'
                      AND path !~ '(^|/)\.\.?(/|$)' AND octet_length(path) <= 1024),
    position   integer,
    data       bytea NOT NULL,
    alt        text NOT NULL DEFAULT '',
    caption    text NOT NULL DEFAULT '',
    credit     text NOT NULL DEFAULT '',
    title      text NOT NULL DEFAULT '',
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (article, path)
);

CREATE TABLE IF NOT EXISTS feeds.deleted (
    key     text NOT NULL,
    version bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS deleted_version ON feeds.deleted (version);

-- The version of every change a transaction makes: one step of the counter per transaction,
-- taken under the counter row's lock until it commits, so versions follow commit order and
-- "every row with a version above N" is all that changed since a reader saw N.
CREATE OR REPLACE FUNCTION feeds.generation() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    mark text := current_setting('feeds.transaction', true);
    here text := pg_current_xact_id()::text;
    stepped bigint;
BEGIN
    IF mark IS NOT NULL AND split_part(mark, ':', 1) = here THEN
        RETURN split_part(mark, ':', 2)::bigint;
    END IF;
    UPDATE feeds.changes SET generation = generation + 1 RETURNING generation INTO stepped;
    PERFORM set_config('feeds.transaction', here || ':' || stepped, true);
    RETURN stepped;
END $$;

CREATE OR REPLACE FUNCTION feeds.article_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- INSERT ... ON CONFLICT runs this before it finds the conflict: an update that follows
    -- is stamped by its own run, and one that changes nothing must not count as a change.
    IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM feeds.articles WHERE key = NEW.key) THEN
        RETURN NEW;
    END IF;
    NEW.version := feeds.generation();
    NEW.changed_at := clock_timestamp();
    IF TG_OP = 'UPDATE' AND NEW.key <> OLD.key THEN
        INSERT INTO feeds.deleted (key, version) VALUES (OLD.key, NEW.version);
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER stamp BEFORE INSERT OR UPDATE ON feeds.articles
    FOR EACH ROW EXECUTE FUNCTION feeds.article_stamp();

CREATE OR REPLACE FUNCTION feeds.article_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO feeds.deleted (key, version) VALUES (OLD.key, feeds.generation());
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER gone AFTER DELETE ON feeds.articles
    FOR EACH ROW EXECUTE FUNCTION feeds.article_gone();

CREATE OR REPLACE FUNCTION feeds.article_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('feeds_articles', OLD.key);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.key <> OLD.key) THEN
        PERFORM pg_notify('feeds_articles', NEW.key);
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER notify AFTER INSERT OR UPDATE OR DELETE ON feeds.articles
    FOR EACH ROW EXECUTE FUNCTION feeds.article_notify();

-- An image's change is a change of its article (its version, its notification).
CREATE OR REPLACE FUNCTION feeds.image_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_at := clock_timestamp();
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER stamp BEFORE INSERT OR UPDATE ON feeds.images
    FOR EACH ROW EXECUTE FUNCTION feeds.image_stamp();

CREATE OR REPLACE FUNCTION feeds.image_touch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    now_version bigint := feeds.generation();
BEGIN
    UPDATE feeds.articles SET version = now_version
     WHERE version <> now_version
       AND key IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.article END,
                   CASE WHEN TG_OP <> 'DELETE' THEN NEW.article END);
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER touch AFTER INSERT OR UPDATE OR DELETE ON feeds.images
    FOR EACH ROW EXECUTE FUNCTION feeds.image_touch();

-- TRUNCATE fires no row trigger: readers must then scan everything again.
CREATE OR REPLACE FUNCTION feeds.truncated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    now_version bigint := feeds.generation();
BEGIN
    UPDATE feeds.changes SET pruned = now_version;
    PERFORM pg_notify('feeds_articles', '');
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER truncated AFTER TRUNCATE ON feeds.articles
    FOR EACH STATEMENT EXECUTE FUNCTION feeds.truncated();
CREATE OR REPLACE TRIGGER truncated AFTER TRUNCATE ON feeds.images
    FOR EACH STATEMENT EXECUTE FUNCTION feeds.truncated();
CREATE OR REPLACE TRIGGER truncated AFTER TRUNCATE ON feeds.deleted
    FOR EACH STATEMENT EXECUTE FUNCTION feeds.truncated();
"""


# --- connections -------------------------------------------------------------------------------

Connection = psycopg.Connection[tuple[Any, ...]]


def _reason(exc: psycopg.Error) -> str:
    """libpq's message on one line (it never holds the password: there is none in the URL)."""
    text = " ".join(str(exc).split())
    return text.removeprefix("connection failed: ") or type(exc).__name__


def _unreachable(url: str, exc: psycopg.Error, *, lost: bool = False) -> SourceUnreachableError:
    what = "lost the connection to" if lost else "cannot reach"
    hint = ""
    if "password" in str(exc):
        hint = " (the password comes from PGPASSWORD, ~/.pgpass or PGSERVICE, never config.toml)"
    return SourceUnreachableError(
        f"{url}: {what} the article database: {_reason(exc)}{hint}: check that the server runs "
        "and accepts this user; the published feeds stay as they were"
    )


def _refused(url: str, exc: psycopg.Error) -> RepositoryError:
    """A database that answers but cannot be read as an article repository."""
    if isinstance(exc, psycopg.errors.UndefinedTable | psycopg.errors.InvalidSchemaName):
        return RepositoryError(
            f"{url}: the database has no feeds tables: create them with `feeds db init`"
        )
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return RepositoryError(
            f"{url}: {_reason(exc)}: grant this user SELECT on the tables of schema feeds "
            "(GRANT USAGE ON SCHEMA feeds TO ...;"
            " GRANT SELECT ON ALL TABLES IN SCHEMA feeds TO ...)"
        )
    return RepositoryError(f"{url}: the article database refused a query: {_reason(exc)}")


def connect(
    url: str,
    *,
    application_name: str = "feeds",
    timezone: str | None = None,
    keepalive: bool = False,
) -> Connection:
    """A connection in autocommit mode (every statement sees the latest commits).

    Args:
        url: `repository.url`; libpq adds the password from its usual places.
        application_name: How the session shows in ``pg_stat_activity``.
        timezone: The session's time zone, in which dates are read.
        keepalive: Probe a silent peer every second after 3 s (both ends), so that a vanished
            host's session ends within seconds.

    Raises:
        SourceUnreachableError: the server cannot be reached or refused the login.
    """
    options: dict[str, Any] = {
        "autocommit": True,
        "connect_timeout": CONNECT_TIMEOUT,
        "application_name": application_name,
    }
    if keepalive:
        options |= {
            "keepalives": 1,
            "keepalives_idle": KEEPALIVE_IDLE,
            "keepalives_interval": KEEPALIVE_INTERVAL,
            "keepalives_count": KEEPALIVE_COUNT,
            "tcp_user_timeout": (KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_COUNT) * 1000,
        }
    try:
        conn = psycopg.connect(url, **options)
    except psycopg.Error as exc:
        raise _unreachable(url, exc) from None
    try:
        if timezone is not None:
            conn.execute("SELECT set_config('TimeZone', %s, false)", [timezone])
        if keepalive:
            # The server's side of the same probes (settings of this session only).
            conn.execute(
                "SELECT set_config('tcp_keepalives_idle', %s, false),"
                " set_config('tcp_keepalives_interval', %s, false),"
                " set_config('tcp_keepalives_count', %s, false)",
                [str(KEEPALIVE_IDLE), str(KEEPALIVE_INTERVAL), str(KEEPALIVE_COUNT)],
            )
    except psycopg.OperationalError as exc:
        conn.close()
        raise _unreachable(url, exc, lost=True) from None
    return conn


def init_schema(url: str) -> str:
    """Create the schema (idempotent): what was done, in a sentence.

    Raises:
        SourceUnreachableError: the server cannot be reached.
        RepositoryError: the schema is newer than this program, or the user may not create it.
    """
    with connect(url) as conn:
        try:
            with conn.transaction():
                # Two `feeds db init` at once: the second waits, then finds it done.
                conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", [_LOCK_CLASS])
                found = conn.execute("SELECT to_regclass('feeds.schema') IS NOT NULL").fetchone()
                version = None
                if found and found[0]:
                    row = conn.execute("SELECT version FROM feeds.schema").fetchone()
                    version = row[0] if row else None
                if version is not None and version > SCHEMA_VERSION:
                    raise RepositoryError(
                        f"{url}: the feeds schema has version {version}, made by a newer feeds "
                        f"(this one knows version {SCHEMA_VERSION}): upgrade feeds"
                    )
                conn.execute(SCHEMA_SQL.encode())
                conn.execute(
                    "INSERT INTO feeds.schema (version) VALUES (%s) ON CONFLICT (singleton)"
                    " DO UPDATE SET version = EXCLUDED.version",
                    [SCHEMA_VERSION],
                )
        except psycopg.OperationalError as exc:
            raise _unreachable(url, exc, lost=True) from None
        except psycopg.Error as exc:
            raise _refused(url, exc) from None
    if version == SCHEMA_VERSION:
        return f"the feeds schema is up to date (version {SCHEMA_VERSION})"
    return f"created the feeds schema (version {SCHEMA_VERSION})"


# --- writing articles (`feeds db import`) -----------------------------------------------------


class ImageRow(NamedTuple):
    """One row of ``feeds.images``.

    Attributes:
        path: The image's repository path (its media path).
        position: Its place among the article's images (lead first); None for a file that
            only the body shows, or the picture of a wire article's image block.
    """

    path: str
    position: int | None
    data: bytes
    alt: str = ""
    caption: str = ""
    credit: str = ""
    title: str = ""


class ArticleRow(NamedTuple):
    """One row of ``feeds.articles`` with its images (None: the field is not given)."""

    key: str
    title: str | None
    date: datetime | None
    updated: datetime | None
    draft: bool
    section: str | None
    slug: str | None
    url: str | None
    id: str | None
    summary: str | None
    authors: object
    categories: Sequence[str] | None
    tags: Sequence[str] | None
    related: object
    extra: Mapping[str, object]
    body: str
    images: tuple[ImageRow, ...] = ()


_ARTICLE_COLUMNS = (
    "key", "title", "date", "updated", "draft", "section", "slug", "url", "id", "summary",
    "authors", "categories", "tags", "related", "extra", "body",
)  # fmt: skip
_IMAGE_COLUMNS = ("article", "path", "position", "data", "alt", "caption", "credit", "title")


def _json(value: object) -> str | None:
    # Front matter may hold dates (YAML, TOML): JSON keeps them as ISO 8601 text.
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def write_articles(url: str, rows: Iterable[ArticleRow]) -> int:
    """Insert or replace articles and their images, all in one transaction: the import is
    published whole or not at all. An article whose row and images are unchanged is left
    alone (no new version, no notification). Returns how many were written.

    Raises:
        SourceUnreachableError, RepositoryError: the database cannot be written.
    """
    columns = sql.SQL(", ").join(map(sql.Identifier, _ARTICLE_COLUMNS))
    upsert = sql.SQL(
        "INSERT INTO feeds.articles AS a ({columns}) VALUES ({values}) "
        "ON CONFLICT (key) DO UPDATE SET ({set_columns}) = ({excluded}) "
        "WHERE ({current}) IS DISTINCT FROM ({excluded})"
    ).format(
        columns=columns,
        values=sql.SQL(", ").join(sql.Placeholder() * len(_ARTICLE_COLUMNS)),
        set_columns=sql.SQL(", ").join(map(sql.Identifier, _ARTICLE_COLUMNS[1:])),
        excluded=sql.SQL(", ").join(
            sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in _ARTICLE_COLUMNS[1:]
        ),
        current=sql.SQL(", ").join(
            sql.SQL("a.{}").format(sql.Identifier(c)) for c in _ARTICLE_COLUMNS[1:]
        ),
    )
    insert_image = sql.SQL("INSERT INTO feeds.images ({}) VALUES ({})").format(
        sql.SQL(", ").join(map(sql.Identifier, _IMAGE_COLUMNS)),
        sql.SQL(", ").join(sql.Placeholder() * len(_IMAGE_COLUMNS)),
    )
    written = 0
    with connect(url) as conn:
        try:
            with conn.transaction():
                held = _image_digests(conn)
                for batch in _batches(rows, 500):
                    with conn.cursor() as cursor:
                        cursor.executemany(upsert, [_article_values(row) for row in batch])
                    changed = [
                        row for row in batch if held.get(row.key) != _digest_images(row.images)
                    ]
                    keys = [row.key for row in changed]
                    if keys:
                        conn.execute("DELETE FROM feeds.images WHERE article = ANY(%s)", [keys])
                        with conn.cursor() as cursor:
                            cursor.executemany(
                                insert_image,
                                [(row.key, *image) for row in changed for image in row.images],
                            )
                    written += len(batch)
        except psycopg.OperationalError as exc:
            raise _unreachable(url, exc, lost=True) from None
        except psycopg.Error as exc:
            raise _refused(url, exc) from None
    return written


def _article_values(row: ArticleRow) -> tuple[object, ...]:
    return (
        row.key,
        row.title,
        row.date,
        row.updated,
        row.draft,
        row.section,
        row.slug,
        row.url,
        row.id,
        row.summary,
        _json(row.authors),
        None if row.categories is None else list(row.categories),
        None if row.tags is None else list(row.tags),
        _json(row.related),
        _json(dict(row.extra)),
        row.body,
    )


def _digest_images(images: Iterable[ImageRow]) -> str:
    digest = hashlib.sha256()
    for image in sorted(images):
        meta = [image.path, image.position, image.alt, image.caption, image.credit, image.title]
        digest.update(json.dumps(meta).encode())
        digest.update(hashlib.sha256(image.data).digest())
    return digest.hexdigest()


def _image_digests(conn: Connection) -> dict[str, str]:
    """The digest of each article's images as the database holds them (`_digest_images`)."""
    held: dict[str, list[ImageRow]] = {}
    query = "SELECT article, path, position, data, alt, caption, credit, title FROM feeds.images"
    with conn.cursor() as cursor:
        for article, *image in cursor.execute(query):
            held.setdefault(article, []).append(ImageRow(*image))
    return {key: _digest_images(images) for key, images in held.items()}


def _batches(rows: Iterable[ArticleRow], size: int) -> Iterator[list[ArticleRow]]:
    batch: list[ArticleRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- reading: the listing and the source -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatabaseListing:
    """What the database holds now, told by its change counter: nothing is read per article.

    Attributes:
        instance: The schema's identity (a database made again gets a new one).
        generation: The version of the latest committed change.
        pruned: Scans that saw less than this must read everything again (a TRUNCATE).
    """

    instance: str
    generation: int
    pruned: int
    count: int

    @property
    def problems(self) -> tuple[ArticleError, ...]:
        return ()

    @property
    def article_count(self) -> int:
        return self.count

    def fingerprint(self) -> str:
        return f"{PREFIX}{self.instance}:{self.generation}:{self.pruned}"


#: The scan cache's entry that records which state of the database it reflects.
_MARK = "\x00postgresql"

_ROW_QUERY = """
SELECT a.key, a.version, a.title,
       CASE WHEN isfinite(a.date) THEN a.date END,
       CASE WHEN NOT isfinite(a.date) THEN a.date::text END,
       CASE WHEN isfinite(a.updated) THEN a.updated END,
       CASE WHEN NOT isfinite(a.updated) THEN a.updated::text END,
       a.draft, a.section, a.slug, a.url, a.id, a.summary,
       a.authors::text, a.categories, a.tags, a.related::text, a.extra::text,
       CASE WHEN a.key LIKE '%%.txt' THEN a.body END,
       CASE WHEN a.key LIKE '%%.txt' THEN octet_length(a.body) END,
       (SELECT json_agg(json_build_array(i.path, i.position, i.alt, i.caption, i.credit, i.title)
                        ORDER BY i.position NULLS LAST, i.path)::text
          FROM feeds.images i WHERE i.article = a.key)
  FROM feeds.articles a
"""


class _Row(NamedTuple):
    key: str
    version: int
    title: str | None
    date: datetime | None
    date_text: str | None
    updated: datetime | None
    updated_text: str | None
    draft: bool
    section: str | None
    slug: str | None
    url: str | None
    id: str | None
    summary: str | None
    authors: str | None
    categories: list[str | None] | None
    tags: list[str | None] | None
    related: str | None
    extra: str | None
    body: str | None
    body_bytes: int | None
    images: str | None


class _NoLines(Mapping[str, int]):
    """A row has no lines: every field is located at line 0 (the row as a whole)."""

    def __getitem__(self, key: str) -> int:
        return 0

    def get(self, key: str, default: object = None) -> int:
        return 0

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


_NO_LINES = _NoLines()


class _RowFields(NamedTuple):
    data: Mapping[str, object]
    line_of: Mapping[str, int]


#: Fields that come from their own columns or from ``feeds.images``, never from `extra`
#: (`corrections` and `retracted` have no column: they are kept in `extra`).
_COLUMN_FIELDS = KNOWN_FIELDS - EXTRA_FIELDS


class PostgresSource:
    """Articles in a PostgreSQL database (`repository.url`); keys are repository paths.

    A `Brief`'s path is ``postgresql:<key>``, so that every problem names the row. The source
    holds one connection for a build (autocommit: each query sees the latest commits; an article
    that changes between the scan and its reading is noticed as with files); `close` ends it.
    """

    def __init__(self, url: str, site: Site, *, max_article_bytes: int) -> None:
        self.url = url
        self._site = site
        self._zone = ZoneInfo(site.timezone)
        self._max_bytes = max_article_bytes
        self._conn: Connection | None = None

    def describe(self) -> str:
        return self.url

    def close(self) -> None:
        """End the connection (a no-op when none is open)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- queries --

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed:
            self._conn = connect(self.url, timezone=self._site.timezone)
        return self._conn

    def _query(self, query: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            with self._connection().cursor() as cursor:
                return cursor.execute(query, params).fetchall()
        except psycopg.OperationalError as exc:
            self.close()
            raise _unreachable(self.url, exc, lost=True) from None
        except psycopg.Error as exc:
            raise _refused(self.url, exc) from None

    def _rows(self, where: str, params: Sequence[object] = ()) -> Iterator[_Row]:
        try:
            with self._connection().cursor() as cursor:
                cursor.execute(_ROW_QUERY + where, params)
                for row in cursor:
                    yield _Row(*row)
        except psycopg.OperationalError as exc:
            self.close()
            raise _unreachable(self.url, exc, lost=True) from None
        except psycopg.Error as exc:
            raise _refused(self.url, exc) from None

    # -- ArticleSource --

    def list(self) -> DatabaseListing:
        rows = self._query(
            "SELECT s.version, s.instance::text, c.generation, c.pruned,"
            " (SELECT count(*) FROM feeds.articles) FROM feeds.schema s, feeds.changes c"
        )
        if not rows:
            raise RepositoryError(
                f"{self.url}: the feeds schema is incomplete: run `feeds db init` again"
            )
        version, instance, generation, pruned, count = rows[0]
        if version != SCHEMA_VERSION:
            newer = version > SCHEMA_VERSION
            raise RepositoryError(
                f"{self.url}: the feeds schema has version {version}, this feeds reads version "
                f"{SCHEMA_VERSION}: "
                + ("upgrade feeds" if newer else "run `feeds db init` to bring it up to date")
            )
        return DatabaseListing(instance, generation, pruned, count)

    def scan(
        self,
        listing: Listing,
        *,
        cache: ScanCache | None,
        while_waiting: Callable[[], object] | None = None,
    ) -> ScanResult:
        assert isinstance(listing, DatabaseListing), "a listing of this source"
        seen = cache.get(_MARK, listing.instance) if cache is not None else None
        results: dict[str, object]
        if (
            cache is not None
            and isinstance(seen, int)
            and listing.pruned <= seen <= listing.generation
        ):
            # Only what changed since the cache's state: the rows of a later version, and the
            # tombstones of deleted ones.
            gone = {
                PREFIX + key
                for (key,) in self._query(
                    "SELECT DISTINCT key FROM feeds.deleted WHERE version > %s", [seen]
                )
            }
            fresh = dict(self._read_rows("WHERE a.version > %s", [seen]))
            if gone:
                cache.keep_only(name for name in cache.items if name not in gone)
            read = len(fresh)
        else:
            fresh = dict(self._read_rows(""))
            if cache is not None:
                cache.keep_only(())
            read = len(fresh)
        if cache is not None:
            for name, (version, result) in fresh.items():
                cache.remember(name, version, result)
            cache.remember(_MARK, listing.instance, listing.generation)
            results = {name: found[1] for name, found in cache.items.items() if name != _MARK}
        else:
            results = {name: result for name, (_, result) in fresh.items()}
        articles = sorted((r for r in results.values() if isinstance(r, Brief)), key=_PATH)
        problems = sorted(
            (r for r in results.values() if isinstance(r, ArticleError)),
            key=lambda p: (p.path, p.line),
        )
        log.debug("scanned %d rows (%d read), %d problems", len(results), read, len(problems))
        return ScanResult(tuple(articles), tuple(problems))

    def _read_rows(
        self, where: str, params: Sequence[object] = ()
    ) -> Iterator[tuple[str, tuple[int, Brief | ArticleError]]]:
        for row in self._rows(where, params):
            try:
                result: Brief | ArticleError = self._article(row).brief()
            except ArticleError as problem:
                result = problem
            yield PREFIX + row.key, (row.version, result)

    def locate(self, key: str) -> Hashable:
        found = self._query(
            "SELECT version FROM feeds.articles WHERE key = %s", [key.removeprefix(PREFIX)]
        )
        if not found:
            raise ArticleError(key, 0, "disappeared while the feeds were being built")
        version: int = found[0][0]
        return version

    def locate_many(self, keys: Sequence[str]) -> dict[str, Hashable]:
        """The stamps of many articles in one query (the archives check every archived
        article's); a key the database no longer holds is left out."""
        found = self._query(
            "SELECT key, version FROM feeds.articles WHERE key = ANY(%s)",
            [[key.removeprefix(PREFIX) for key in keys]],
        )
        return {PREFIX + key: version for key, version in found}

    def read_article(self, key: str) -> Article:
        for row in self._rows("WHERE a.key = %s", [key.removeprefix(PREFIX)]):
            return self._article(row)
        raise ArticleError(key, 0, "disappeared while the feeds were being built")

    def read_body(self, article: Article) -> _Body:
        found = self._query(
            "SELECT body, octet_length(body) FROM feeds.articles WHERE key = %s",
            [article.source],
        )
        if not found:
            raise ArticleError(article.rel_path, 0, "disappeared while the feeds were being built")
        body, size = found[0]
        self._check_size(article.rel_path, size)
        return _Body(body, 1)

    def image_bytes(self, article: Article, path: str, *, max_bytes: int) -> StoredImage | None:
        found = self._query(
            "SELECT CASE WHEN octet_length(data) <= %s THEN data END, octet_length(data)"
            " FROM feeds.images WHERE article = %s AND path = %s",
            [max_bytes, article.source, path],
        )
        if not found:
            return None
        data, size = found[0]
        return StoredImage(
            None if data is None else bytes(data), size, _blob_key(article.source, path)
        )

    def open_blob(self, key: str) -> Blob:
        article, _, path = key.partition("\x00")
        found = self._query(
            "SELECT octet_length(data), changed_at FROM feeds.images"
            " WHERE article = %s AND path = %s",
            [article, path],
        )
        if not found:
            raise ArticleError(
                PREFIX + article, 0, f"image {path!r} disappeared while the feeds were being built"
            )
        size, changed = found[0]

        def open_bytes() -> io.BytesIO:
            rows = self._query(
                "SELECT data FROM feeds.images WHERE article = %s AND path = %s", [article, path]
            )
            if not rows:
                raise ArticleError(
                    PREFIX + article,
                    0,
                    f"image {path!r} disappeared while the feeds were being published",
                )
            return io.BytesIO(bytes(rows[0][0]))

        return Blob(size, _nanoseconds(changed), open_bytes)

    # -- rows into articles --

    def _check_size(self, where: str, size: int | None) -> None:
        if size is not None and size > self._max_bytes:
            raise ArticleError(
                where,
                0,
                f"body: is larger than {self._max_bytes} bytes: split the article, or raise "
                "repository.max_article_bytes if it really is this long",
            )

    def _article(self, row: _Row) -> Article:
        """The article a row describes, checked as a file's front matter is.

        Raises:
            ArticleError: a field is missing, of the wrong type or impossible.
        """
        key = row.key
        where = PREFIX + key
        name = posixpath.basename(key)
        bundle = "/" in key and name in BUNDLE_INDEXES
        body_format = READERS[posixpath.splitext(name)[1]]
        images = _parse_json(where, "images", row.images) or []
        wire: WireDocument | None = None
        if body_format == "wire":
            self._check_size(where, row.body_bytes)
            wire = parse_wire(row.body or "", path=where, first_line=1)
        try:
            article = article_from_fields(
                _RowFields(_fields_of(row, where, images), _NO_LINES),
                site=self._site,
                zone=self._zone,
                rel_path=key,
                source=key,
                stem=posixpath.basename(posixpath.dirname(key)) if bundle else stem_of(key),
                key=posixpath.dirname(key) if bundle else posixpath.splitext(key)[0],
                body_format=body_format,
                body_line=1,
                wire=wire,
                wire_image=None if wire is None else lambda: _wire_image(where, wire, images),
            )
        except ArticleError as problem:
            raise ArticleError(where, 0, problem.reason) from None
        return replace(article, rel_path=where)


class _Body(NamedTuple):
    text: str
    first_line: int


_PATH = operator.attrgetter("rel_path")


def _blob_key(article: str, path: str) -> str:
    # NUL can be in neither: PostgreSQL text never holds it.
    return f"{article}\x00{path}"


def _nanoseconds(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def _parse_json(where: str, column: str, text: str | None) -> Any:  # noqa: ANN401 - JSON
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:  # jsonb is always valid JSON: only a bug could get here
        raise ArticleError(where, 0, f"{column}: not JSON") from None


def _relative(path: str, folder: str) -> str:
    """`path` relative to `folder` (both repository paths, "/"-separated)."""
    if not folder:
        return path
    here, there = folder.split("/"), path.split("/")
    common = 0
    while common < min(len(here), len(there) - 1) and here[common] == there[common]:
        common += 1
    return "/".join([".."] * (len(here) - common) + there[common:])


def _fields_of(row: _Row, where: str, images: list[list[Any]]) -> dict[str, object]:
    """The row as front matter: its `extra` fields, then its columns, then its images."""
    extra = _parse_json(where, "extra", row.extra) or {}
    data: dict[str, object] = {}
    for name, value in extra.items():
        if name in _COLUMN_FIELDS:
            what = "the rows of feeds.images" if name.startswith("image") else f"column {name}"
            raise ArticleError(where, 0, f"extra: `{name}` is not kept in extra: use {what}")
        data[name] = value
    columns = (
        ("title", row.title),
        ("date", row.date if row.date is not None else row.date_text),
        ("updated", row.updated if row.updated is not None else row.updated_text),
        ("section", row.section),
        ("slug", row.slug),
        ("url", row.url),
        ("id", row.id),
        ("summary", row.summary),
        ("authors", _parse_json(where, "authors", row.authors)),
        ("categories", row.categories),
        ("tags", row.tags),
        ("related", _parse_json(where, "related", row.related)),
    )
    for name, value in columns:
        if value is not None:
            data[name] = value
    if row.draft:
        data["draft"] = True
    # An empty section column falls back to the top folder, as an empty field does in a file.
    if not strip_forbidden_chars(row.section or "").strip() and "/" in row.key:
        data["section"] = row.key.split("/", 1)[0]
    folder = posixpath.dirname(row.key)
    declared = [
        {
            "src": _relative(path, folder),
            "alt": alt,
            "caption": caption,
            "credit": credit,
            "title": title,
        }
        for path, position, alt, caption, credit, title in images
        if position is not None
    ]
    if declared:
        data["images"] = declared
    return data


def _wire_image(where: str, wire: WireDocument, images: list[list[Any]]) -> ImageRef:
    """The picture of a wire article's image block: its first image without a position."""
    assert wire.image is not None
    for path, position, *_ in images:
        if position is None:
            return ImageRef(
                path=path,
                alt=wire.image.alt,
                caption=wire.image.caption,
                credit=wire.image.credit,
                line=wire.image.line,
            )
    raise ArticleError(
        where,
        wire.image.line,
        "the image block needs an image: add its row to feeds.images (position NULL)",
    )


# --- the daemon's session: leader lock and change notifications -------------------------------


def lock_key(target: str) -> int:
    """The second number of the advisory lock for publishing to `target` (non-negative)."""
    return int.from_bytes(hashlib.sha256(target.encode()).digest()[:4], "big") & 0x7FFFFFFF


class Holder(NamedTuple):
    """Who holds a leader lock, as its session tells (`Session.leader`)."""

    host: str
    pid: int
    since: datetime


_LEADER_NAME = "feeds leader"


class Session:
    """A daemon's one session with the database: the session-level advisory lock that makes
    it the leader for a publish target, and LISTEN for changed articles (a `ChangeFeed`).

    The lock lives exactly as long as the session: a leader that dies, or whose connection
    drops, loses it at once (a vanished host within about 6 s, by keepalive probes).

    Args:
        url: `repository.url`.
        target: What is published to (the lock's key).
        host: This host's name, shown to the other daemons while this one leads.
    """

    def __init__(self, url: str, target: str, *, host: str, pid: int) -> None:
        self.url = url
        self.key = lock_key(target)
        self.host = host
        self.pid = pid
        self._conn: Connection | None = None

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.closed

    def open(self) -> None:
        """Connect and LISTEN (nothing changes when already connected).

        Raises:
            SourceUnreachableError: the server cannot be reached.
        """
        if self.connected:
            return
        conn = connect(self.url, application_name="feeds standby", keepalive=True)
        try:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
        except psycopg.Error as exc:
            conn.close()
            raise _unreachable(self.url, exc, lost=True) from None
        self._conn = conn

    def close(self) -> None:
        """End the session, and with it the lock."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _one(self, query: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None:
        if self._conn is None or self._conn.closed:
            raise SourceUnreachableError(f"{self.url}: not connected to the article database")
        try:
            return self._conn.execute(query, params).fetchone()
        except psycopg.OperationalError as exc:
            self.close()
            raise _unreachable(self.url, exc, lost=True) from None
        except psycopg.Error as exc:
            raise _refused(self.url, exc) from None

    def try_lead(self, since: datetime) -> bool:
        """Take the leader lock if nobody holds it; True when this session holds it now."""
        row = self._one("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, self.key])
        if not row or not row[0]:
            return False
        # Shown in pg_stat_activity, where the other daemons read who leads (63 bytes kept).
        name = f"{_LEADER_NAME} {int(since.timestamp())} {self.pid} {self.host}"
        self._one("SELECT set_config('application_name', %s, false)", [name[:63]])
        return True

    def holds(self) -> bool:
        """Whether this session still holds the leader lock, asked of the server.

        Raises:
            SourceUnreachableError: the session is gone (and the lock with it).
        """
        row = self._one(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
            " AND pid = pg_backend_pid() AND classid = %s AND objid = %s AND objsubid = 2"
            " AND granted)",
            [_LOCK_CLASS, self.key],
        )
        return bool(row and row[0])

    def leader(self) -> Holder | None:
        """Who holds the leader lock now, if anyone (as its session names itself)."""
        row = self._one(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.classid = %s AND l.objid = %s"
            " AND l.objsubid = 2 AND l.granted AND l.database ="
            " (SELECT oid FROM pg_database WHERE datname = current_database())",
            [_LOCK_CLASS, self.key],
        )
        if not row or not isinstance(row[0], str) or not row[0].startswith(_LEADER_NAME):
            return None
        parts = row[0][len(_LEADER_NAME) :].split(" ", 3)
        try:
            _, since, pid, host = parts
            return Holder(host, int(pid), datetime.fromtimestamp(int(since), UTC))
        except ValueError:
            return None

    def wait(self, timeout: float) -> list[str] | None:
        """The keys of the articles changed since the last call, waiting up to `timeout`
        seconds for the first; None when the session is gone (every change since is unknown).
        """
        conn = self._conn
        if conn is None or conn.closed:
            return None
        keys: list[str] = []
        try:
            for notice in conn.notifies(timeout=max(0.0, timeout), stop_after=1):
                keys.append(notice.payload)
            if keys:
                keys.extend(notice.payload for notice in conn.notifies(timeout=0))
        except psycopg.OperationalError as exc:
            log.debug("the database session ended: %s", _reason(exc))
            self.close()
            return None
        return keys


def host_name() -> str:
    """This host's name, as the daemons show each other."""
    return socket.gethostname()

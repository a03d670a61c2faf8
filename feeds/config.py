"""Read `config.toml` into one typed, frozen `Config`, reporting every problem at once."""

from __future__ import annotations

import codecs
import difflib
import json
import re
import string
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TypeVar, cast
from urllib.parse import parse_qsl, urlsplit

from feeds import toml
from feeds.errors import ConfigError
from feeds.model import (
    ArchivePolicy,
    Author,
    Channel,
    FeedSpec,
    Format,
    MediaSettings,
    SliceKey,
)
from feeds.rules import (
    MAX_ARTICLE_BYTES,
    MAX_IMAGE_BYTES,
    MEDIA_DIR,
    XML_FORBIDDEN,
    is_absolute_iri,
    is_plausible_email,
    is_plausible_language,
    is_slug,
    is_web_url,
)

_DEFAULT_MAX_IMAGE_BYTES = MAX_IMAGE_BYTES
_DEFAULT_MAX_ARTICLE_BYTES = MAX_ARTICLE_BYTES
_DEFAULT_STATE_DIR = ".feeds-state"


# --- [schedule]: when `feeds run` builds ----------------------------------------------------

WatchMethod = Literal["auto", "inotify", "poll"]

_DEFAULT_EVERY_SECONDS = 5 * 60
_MAX_EVERY_SECONDS = 24 * 60 * 60
_DEFAULT_RESCAN_SECONDS = 60 * 60
_MIN_RESCAN_SECONDS = 60
_MAX_RESCAN_SECONDS = 7 * 24 * 60 * 60
_EVERY = re.compile(r"\s*(\d+)\s*([a-z]*)\s*")
_EVERY_UNITS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
}
_AT = re.compile(r"([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?")


@dataclass(frozen=True, slots=True)
class Schedule:
    """When `feeds run` builds: every `every_seconds`, or daily at the `at` times.

    Attributes:
        every_seconds: Interval between regular runs (None when `at` is used).
        at: Daily times, wall-clock time in ``site.timezone``, sorted.
        watch: Also build soon after the repository changes.
        watch_method: How changes are noticed: "auto" (the kernel's notification, inotify,
            falling back to scanning when it cannot be had), "inotify" (the kernel's only) or
            "poll" (scanning the repository's files for changed stamps).
        rescan_seconds: How often the daemon walks and reads the whole repository again,
            although it keeps an index in memory that the changes it sees update: a safety
            net for a change it was never told of.
    """

    every_seconds: int | None = _DEFAULT_EVERY_SECONDS
    at: tuple[time, ...] = ()
    watch: bool = False
    watch_method: WatchMethod = "auto"
    rescan_seconds: int = _DEFAULT_RESCAN_SECONDS


def _interval(value: object) -> int:
    text = _text(value)
    match = _EVERY.fullmatch(text.lower())
    unit = _EVERY_UNITS.get(match.group(2)) if match else None
    if match is None or unit is None:
        raise _InvalidValueError(
            _expected('an interval such as "30s", "5m" or "1h" (s, m or h)', value)
        )
    return int(match.group(1)) * unit


def _rescan(value: object) -> int:
    # An interval as for `every`, or a number of seconds.
    is_number = isinstance(value, int) and not isinstance(value, bool)
    seconds = value if isinstance(value, int) and is_number else _interval(value)
    if not _MIN_RESCAN_SECONDS <= seconds <= _MAX_RESCAN_SECONDS:
        raise _InvalidValueError(_expected('an interval from "1m" to "168h" (a week)', value))
    return seconds


def _every(value: object) -> int:
    seconds = _interval(value)
    if not 1 <= seconds <= _MAX_EVERY_SECONDS:
        raise _InvalidValueError(
            _expected("an interval from 1s to 24h (use `at` for daily runs)", value)
        )
    return seconds


def _at_times(value: object) -> tuple[time, ...]:
    items = [value] if isinstance(value, str | time) else value
    expected = 'a list of daily times such as ["06:00", "18:30"]'
    if not isinstance(items, list) or not items:
        raise _InvalidValueError(_expected(expected, value))
    times: list[time] = []
    for item in items:
        if isinstance(item, time) and item.tzinfo is None:
            times.append(item.replace(microsecond=0))
            continue
        match = _AT.fullmatch(item) if isinstance(item, str) else None
        if match is None:
            raise _InvalidValueError(_expected(expected + ' ("HH:MM", 24-hour clock)', value))
        hour, minute, second = match.groups()
        times.append(time(int(hour), int(minute), int(second or 0)))
    if len(set(times)) != len(times):
        raise _InvalidValueError(_expected(expected + ", each time once", value))
    return tuple(sorted(times))


def _watch_method(value: object) -> WatchMethod:
    if value in _WATCH_METHODS:
        return value
    raise _InvalidValueError(_expected('"auto", "inotify" or "poll"', value))


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise _InvalidValueError(_expected("true or false", value))


@dataclass(frozen=True, slots=True)
class ObjectStore:
    """An S3-compatible publish target (``output.path = "s3://BUCKET/PREFIX/"``).

    Attributes:
        bucket: The bucket name.
        prefix: Key prefix of every object ("" or ending with "/").
        endpoint_url: The storage's endpoint (None: AWS itself).
        region: The region (None: from the AWS chain, else us-east-1).
    """

    bucket: str
    prefix: str
    endpoint_url: str | None = None
    region: str | None = None

    def url(self) -> str:
        """``s3://bucket/prefix/`` as the configuration writes it."""
        return f"s3://{self.bucket}/{self.prefix}"


#: `Cache-Control` of each kind of published object, when the target is object storage.
DEFAULT_CACHE_CONTROL = {
    "feeds": "public, max-age=300",
    "media": "public, max-age=86400",
    "pages": "public, max-age=300",
}


@dataclass(frozen=True, slots=True)
class CacheControl:
    """The `Cache-Control` header of feeds, media and pages on object storage."""

    feeds: str = DEFAULT_CACHE_CONTROL["feeds"]
    media: str = DEFAULT_CACHE_CONTROL["media"]
    pages: str = DEFAULT_CACHE_CONTROL["pages"]


#: How long Atom feeds carry a retracted or deleted item's tombstone by default, and at most.
DEFAULT_TOMBSTONE_DAYS: int = 30
_MAX_TOMBSTONE_DAYS = 3650


@dataclass(frozen=True, slots=True)
class Config:
    """The whole, validated configuration.

    Attributes:
        source: The configuration file.
        repository: The article repository folder (absolute).
        output: The output folder (absolute). With an object-storage target (`s3`) there is
            none, and this is the state folder, which then holds the daemon's lock.
        output_url: Public URL at which the output folder is served (ends with "/").
        media_url: Public URL of the published media folder (ends with "/").
        permalink: Pattern for article URLs relative to the site URL, e.g. "{slug}/".
        max_image_bytes: Images larger than this are an article error.
        max_article_bytes: Article files larger than this are an article error.
        state_dir: The state folder (status file, locks' records); a relative path resolves
            against the configuration file's folder.
        schedule: When `feeds run` builds (left out of `repr`: the published files do not
            depend on it, and a build's inputs digest is made from the repr).
        media: How images are published (``[media]``).
        repository_url: A PostgreSQL database holding the articles instead of `repository`
            (`repository.url`; never with a password in it).
        s3: The object-storage target, or None for the output folder.
        cache_control: The objects' `Cache-Control` on object storage.
        announce: Tell the WebSub hubs (``channel.hubs``) about changed feeds (off for a
            preview into another folder).
        tombstone_days: How many days Atom feeds that carried a retracted or deleted item
            keep its ``at:deleted-entry`` (``[retractions]``; 0: none).
    """

    source: Path
    channel: Channel
    repository: Path
    output: Path
    output_url: str
    media_url: str
    permalink: str
    feeds: tuple[FeedSpec, ...]
    max_image_bytes: int = _DEFAULT_MAX_IMAGE_BYTES
    max_article_bytes: int = _DEFAULT_MAX_ARTICLE_BYTES
    state_dir: Path = Path(_DEFAULT_STATE_DIR)
    schedule: Schedule = field(default=Schedule(), repr=False)
    media: MediaSettings = field(default_factory=MediaSettings)
    repository_url: str | None = None
    s3: ObjectStore | None = None
    cache_control: CacheControl = CacheControl()
    announce: bool = field(default=True, repr=False)
    tombstone_days: int = DEFAULT_TOMBSTONE_DAYS

    def __post_init__(self) -> None:
        if not self.state_dir.is_absolute():
            state_dir = (self.source.absolute().parent / self.state_dir).resolve()
            object.__setattr__(self, "state_dir", state_dir)


# The known keys of each table, in the order the documentation lists them (also the order of
# the "known keys" hint when a typo is too far from every key for a suggestion).
_TOP_KEYS = (
    "site",
    "repository",
    "output",
    "media",
    "feeds",
    "schedule",
    "state",
    "websub",
    "retractions",
)
_SITE_KEYS = (
    "title",
    "url",
    "description",
    "language",
    "timezone",
    "permalink",
    "copyright",
    "logo",
    "icon",
    "author",
)
_AUTHOR_KEYS = ("name", "email", "uri")
_REPOSITORY_KEYS = ("path", "url", "max_image_bytes", "max_article_bytes")
_OUTPUT_KEYS = ("path", "url", "media_url", "s3", "cache_control")
_STATE_KEYS = ("path",)
_RETRACTIONS_KEYS = ("tombstone_days",)
_MEDIA_KEYS = ("max_width", "max_height", "thumbnail_width", "quality", "keep_location")
# Renditions narrower than this would not be worth publishing; wider ones than this are
# larger than any screen shows.
_MIN_MEDIA_WIDTH, _MAX_MEDIA_WIDTH = 16, 16384
_BRANDING_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif"})
_SCHEDULE_KEYS = ("every", "at", "watch", "watch_method", "rescan")
_WATCH_METHODS: tuple[WatchMethod, ...] = ("auto", "inotify", "poll")
_FEED_KEYS = (
    "name",
    "formats",
    "limit",
    "title",
    "description",
    "path",
    "sections",
    "categories",
    "tags",
    "authors",
    "per",
    "archive",
    "complete",
)

_PLACEHOLDERS = ("slug", "year", "month", "day", "section")
_FORMATS: tuple[Format, ...] = ("rss", "atom", "json")
_DEFAULT_FORMATS: tuple[Format, ...] = ("rss", "atom")
_SLICE_KEYS: tuple[SliceKey, ...] = ("category", "tag", "author", "section")
_FILTER_KEYS = ("sections", "categories", "tags", "authors")
_DEFAULT_SLICE_PATH = "{per}/{slug}"
# Placeholders of the `path` pattern of a feed with `per`.
_SLICE_PATH_FIELD = re.compile(r"\{([^{}]*)\}")
_DEFAULT_FEED_NAME = "main"
_DEFAULT_LIMIT = 50
_MAX_LIMIT = 10_000

# The writer publishes images into this sub-folder of the output folder and deletes whatever
# else it finds there, so a feed must never be written into it. (Mirrors `writer.MEDIA_DIR`;
# config may not import the writer.)
_MEDIA_FOLDER = MEDIA_DIR

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_POSITION = re.compile(r"(?P<reason>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)", re.S)

_T = TypeVar("_T")


class _InvalidValueError(Exception):
    """A value has the wrong type or form; the message says what was expected (no key path)."""


class _Problems:
    """Every problem found in one configuration file, raised together as one `ConfigError`."""

    def __init__(self) -> None:
        self._values: list[str] = []
        # Unknown keys are listed after the value problems: they are usually typos, and a
        # typo'd key often explains a "missing" problem above it.
        self._unknown: list[str] = []

    def add(self, key: str, message: str) -> None:
        """Record a problem with the value at `key` (a key path such as ``feeds[2].limit``)."""
        self._values.append(f"{key}: {message}")

    def unknown_keys(self, table: Mapping[str, object], where: str, known: Sequence[str]) -> None:
        """Record every key of `table` that is not in `known`, with a "did you mean" hint."""
        for key in table:
            if key in known:
                continue
            close = difflib.get_close_matches(key, known, n=1)
            hint = f'did you mean "{close[0]}"?' if close else f"known keys: {', '.join(known)}"
            self._unknown.append(f"{_join(where, key)}: unknown key ({hint})")

    def raise_if_any(self, source: Path) -> None:
        """Raise one `ConfigError` listing every recorded problem, if there are any.

        Raises:
            ConfigError: one problem on one line, or a count followed by one indented line each.
        """
        problems = self._values + self._unknown
        if len(problems) == 1:
            raise ConfigError(f"{source}: {problems[0]}")
        if problems:
            lines = "".join(f"\n  {problem}" for problem in problems)
            raise ConfigError(f"{source}: {len(problems)} problems:{lines}")


@dataclass
class _Table:
    """One TOML table being read: its contents, its key path and where problems go.

    Attributes:
        broken: The table's own value was not a table (already reported), so its keys are not
            reported missing as well.
    """

    data: Mapping[str, object]
    where: str
    problems: _Problems
    broken: bool = field(default=False)

    def reject_unknown(self, known: Sequence[str]) -> None:
        """Report every key of this table that is not in `known`."""
        self.problems.unknown_keys(self.data, self.where, known)

    def key(self, name: str) -> str:
        """The key path of `name` in this table, for messages."""
        return _join(self.where, name)

    def get(self, name: str, convert: Callable[[object], _T]) -> _T | None:
        """The converted value of an optional key; None when absent or invalid (reported)."""
        if name not in self.data:
            return None
        try:
            return convert(self.data[name])
        except _InvalidValueError as exc:
            self.problems.add(self.key(name), str(exc))
            return None

    def require(self, name: str, convert: Callable[[object], _T], example: str) -> _T | None:
        """Like `get`, but a missing key is a problem; `example` shows a valid value."""
        if name not in self.data and not self.broken:
            self.problems.add(self.key(name), f"missing: add it, e.g. {name} = {example}")
        return self.get(name, convert)

    def table(self, name: str) -> _Table:
        """The sub-table `name` (empty when absent; reported when not a table)."""
        value = self.data.get(name, {})
        where = self.key(name)
        if isinstance(value, dict):
            return _Table(value, where, self.problems)
        self.problems.add(where, _expected(f"a table ([{where}])", value))
        return _Table({}, where, self.problems, broken=True)


# --- value converters: the typed (normalised) value, or raise _InvalidValueError ----------


def _text(value: object) -> str:
    if isinstance(value, str):
        bad = _CONTROL.search(value)
        if bad:
            raise _InvalidValueError(
                f"contains the control character {ord(bad.group()):#06x}, which feeds cannot "
                "publish: remove it"
            )
        return value
    # An unquoted date is a TOML date-time, not a string: the usual cause is missing quotes.
    hint = " (put it in quotes to make it a string)" if isinstance(value, date | time) else ""
    raise _InvalidValueError(_expected("a string", value) + hint)


# XML 1.0 forbids these; a feed title or description cannot carry them.
_CONTROL = XML_FORBIDDEN


def _nonempty_text(value: object) -> str:
    text = _text(value)
    if not text.strip():
        raise _InvalidValueError(_expected("a non-empty string", value))
    return text


def _folder(value: object) -> str:
    text = _text(value)
    if not text.strip():
        raise _InvalidValueError(_expected('a folder path such as "articles"', value))
    return text


def _positive_int(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise _InvalidValueError(_expected("a positive whole number of bytes such as 20971520", value))


def _tombstone_days(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_TOMBSTONE_DAYS:
        return value
    raise _InvalidValueError(
        _expected(f"a whole number of days from 0 (no tombstones) to {_MAX_TOMBSTONE_DAYS}", value)
    )


def _limit(value: object) -> int:
    # bool is a subclass of int, but `limit = true` is never what anybody meant.
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= _MAX_LIMIT:
        return value
    raise _InvalidValueError(_expected(f"a whole number from 1 to {_MAX_LIMIT}", value))


def _published_url(text: str, value: object, example: str, schemes: tuple[str, ...] | None) -> str:
    """A URL that goes out in every feed: one a reader can fetch and the validator accepts."""
    if not is_web_url(text, schemes=schemes) or not is_absolute_iri(text):
        what = "an absolute http(s) URL" if schemes else "an absolute URL"
        raise _InvalidValueError(_expected(f'{what} such as "{example}"', value))
    parts = urlsplit(text)
    if parts.username is not None or parts.password is not None:
        raise _InvalidValueError(
            "a URL with a user name or password in it would publish them in every feed:"
            " remove them (the public address needs none)"
        )
    return text


def _http_url(value: object) -> str:
    """An absolute http(s) URL that paths can be appended to, normalised to end with "/"."""
    text = _published_url(_text(value), value, "https://news.example.org/", ("http", "https"))
    if "?" in text or "#" in text:
        # Article and feed paths are appended to this URL; a query or fragment would swallow them.
        raise _InvalidValueError(_expected('a URL without "?query" or "#fragment"', value))
    return text if text.endswith("/") else f"{text}/"


#: Schemes of a PostgreSQL connection URI, as libpq reads it.
_DATABASE_SCHEMES = ("postgresql", "postgres")


def _database_url(value: object) -> str:
    """A PostgreSQL connection URI without a password (the value is never echoed: it might
    carry one)."""
    text = _text(value).strip()
    try:
        parts = urlsplit(text)
        has_password = parts.password is not None
    except ValueError:
        raise _InvalidValueError(
            'expected a PostgreSQL URL such as "postgresql://feeds@db.example.org:5432/newsroom"'
        ) from None
    if parts.scheme not in _DATABASE_SCHEMES or parts.fragment:
        raise _InvalidValueError(
            'expected a PostgreSQL URL such as "postgresql://feeds@db.example.org:5432/newsroom"'
        )
    if has_password or any(
        name.lower() == "password" for name, _ in parse_qsl(parts.query, keep_blank_values=True)
    ):
        raise _InvalidValueError(
            "must not carry a password: remove it from config.toml and give it to libpq instead"
            " (PGPASSWORD, ~/.pgpass or a service in pg_service.conf with PGSERVICE)"
        )
    return text


def _absolute_url(value: object) -> str:
    return _published_url(_text(value), value, "https://news.example.org/about/", None)


def _email(value: object) -> str:
    text = _text(value)
    if not is_plausible_email(text):
        raise _InvalidValueError(
            _expected('an e-mail address such as "desk@news.example.org"', value)
        )
    return text


def _language(value: object) -> str:
    text = _text(value)
    if is_plausible_language(text):
        return text
    hint = (
        f' (write "{text.replace("_", "-")}")'
        if is_plausible_language(text.replace("_", "-"))
        else ""
    )
    raise _InvalidValueError(
        _expected('a language tag such as "en", "en-GB" or "pt-BR"', value) + hint
    )


def _timezone(value: object) -> str:
    name = _text(value)
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError: malformed key ("", "/etc/x"); OSError: a folder such as "Europe".
        close = _closest_zone(name)
        hint = f' (did you mean "{close}"?)' if close else ""
        expected = 'an IANA time zone name such as "Europe/Berlin" or "UTC"'
        raise _InvalidValueError(_expected(expected, value) + hint) from None
    return name


def _closest_zone(name: str) -> str | None:
    """The zone a user most likely meant: a city name alone, or a near-miss spelling."""
    zones = sorted(zoneinfo.available_timezones())
    city = name.strip().replace(" ", "_").lower()
    for zone in zones:
        if zone.rsplit("/", 1)[-1].lower() == city:
            return zone
    # A high cutoff: "Europe" is not a near miss of "Europe/Rome", just a shared prefix.
    close = difflib.get_close_matches(name, zones, n=1, cutoff=0.8)
    return close[0] if close else None


def _permalink(value: object) -> str:
    pattern = _text(value)
    if not pattern.strip():
        raise _InvalidValueError(
            _expected('a pattern such as "{slug}/" or "{year}/{month}/{slug}/"', value)
        )
    try:
        # The repository fills the pattern with str.format, so parse it the same way.
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(pattern)]
    except ValueError:
        expected = 'a pattern with balanced braces (write "{{" or "}}" for a literal brace)'
        raise _InvalidValueError(_expected(expected, value)) from None
    known = ", ".join(f"{{{name}}}" for name in _PLACEHOLDERS[:-1]) + f" or {{{_PLACEHOLDERS[-1]}}}"
    for name, spec, conv in fields:
        if name is None:
            continue
        if name not in _PLACEHOLDERS:
            close = difflib.get_close_matches(name, _PLACEHOLDERS, n=1)
            hint = f" (did you mean {{{close[0]}}}?)" if close else ""
            raise _InvalidValueError(f"unknown placeholder {{{name}}}{hint}: use {known}")
        if spec or conv:
            raise _InvalidValueError(
                f"placeholder {{{name}}} takes no format or conversion: write {{{name}}}"
            )
    if "slug" not in {name for name, _, _ in fields}:
        raise _InvalidValueError(
            "needs {slug}: without it, articles of the same day (or all of them) would share one"
            ' URL; e.g. "{year}/{month}/{slug}/"'
        )
    return pattern


def _distinct_choices(items: object, allowed: tuple[str, ...]) -> bool:
    """`items` is a non-empty list of members of `allowed`, each once."""
    # Check the items before the set: a list of tables is unhashable.
    return (
        isinstance(items, list)
        and bool(items)
        and all(item in allowed for item in items)
        and len(set(items)) == len(items)
    )


#: Items per archive document of `archive = N`: at least 10 (fewer would make thousands of
#: documents), at most `_MAX_LIMIT` (a document a reader can still load).
_MIN_ARCHIVE_SIZE = 10


def _archive(value: object) -> ArchivePolicy:
    if value == "monthly" or value == "yearly":  # noqa: PLR1714 - narrows the type
        return ArchivePolicy(value)
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and _MIN_ARCHIVE_SIZE <= value <= _MAX_LIMIT
    ):
        return ArchivePolicy("count", value)
    raise _InvalidValueError(
        _expected(
            f'"monthly", "yearly" or a whole number of items per archive from'
            f" {_MIN_ARCHIVE_SIZE} to {_MAX_LIMIT} (archive = 500)",
            value,
        )
    )


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise _InvalidValueError(_expected("true or false", value))


def _formats(value: object) -> tuple[Format, ...]:
    if _distinct_choices(value, _FORMATS):
        return tuple(cast(list[Format], value))
    raise _InvalidValueError(
        _expected(
            'a list of "rss", "atom" and/or "json", each once, such as ["rss", "atom", "json"]',
            value,
        )
    )


def _feed_path(value: object) -> str:
    """A relative POSIX folder inside the output folder, normalised ("./a/" -> "a")."""
    text = _text(value)
    parts = PurePosixPath(text).parts
    if text.startswith("/") or "\\" in text or ".." in parts:
        expected = 'a relative folder such as "sport" (no leading "/", no "..")'
        raise _InvalidValueError(_expected(expected, value))
    return "/".join(part for part in parts if part != ".")


def _filter_values(value: object) -> tuple[str, ...]:
    if (
        isinstance(value, list)
        and value
        and all(isinstance(item, str) and item.strip() for item in value)
    ):
        return tuple(dict.fromkeys(item.strip() for item in value))
    raise _InvalidValueError(
        _expected('a non-empty list of names such as ["Harbour", "Council"]', value)
    )


def _per(value: object) -> tuple[SliceKey, ...]:
    # A single string is the common case ("one feed per tag"); a list makes several sets.
    items = [value] if isinstance(value, str) else value
    if _distinct_choices(items, _SLICE_KEYS):
        return tuple(cast(list[SliceKey], items))
    raise _InvalidValueError(
        _expected(
            'one or more of "category", "tag", "author" and "section", each once, such as'
            ' ["category", "tag"]',
            value,
        )
    )


def _slice_path(pattern: str, per: Sequence[SliceKey]) -> str:
    """Check the `path` pattern of a feed with `per`; returns "" when fine, else the problem."""
    fields = _SLICE_PATH_FIELD.findall(pattern)
    unknown = [name for name in fields if name not in ("slug", "per")]
    if unknown:
        name = unknown[0]
        return f'unknown placeholder {{{name}}}: use {{slug}} and {{per}}, e.g. "{{per}}/{{slug}}"'
    if "slug" not in fields:
        return 'needs {slug}, or every value would write the same files: e.g. "tag/{slug}"'
    if len(per) > 1 and "per" not in fields:
        return (
            f"needs {{per}} as well, as the feed makes one set for each of {', '.join(per)}:"
            ' e.g. path = "{per}/{slug}"'
        )
    return ""


#: What the title and description of a feed with `per` may name.
_TEMPLATE_FIELDS = ("value", "slug", "per")


def _template_problem(text: str) -> str:
    """The problem of a `per` feed's title or description template, or ""."""
    for name in _SLICE_PATH_FIELD.findall(text):
        if name not in _TEMPLATE_FIELDS:
            close = difflib.get_close_matches(name, _TEMPLATE_FIELDS, n=1)
            hint = f" (did you mean {{{close[0]}}}?)" if close else ""
            return f"unknown placeholder {{{name}}}{hint}: use {{value}}, {{slug}} or {{per}}"
    return ""


def _slug(value: object) -> str:
    text = _text(value)
    if not is_slug(text):
        expected = 'a lowercase name of a-z, 0-9 and "-" such as "sport"'
        raise _InvalidValueError(_expected(expected, value))
    return text


# --- helpers ---------------------------------------------------------------------------------


def _join(where: str, key: str) -> str:
    """Key path of `key` inside the table at `where`, quoting keys TOML would quote."""
    shown = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return f"{where}.{shown}" if where else shown


def _expected(what: str, value: object) -> str:
    return f"expected {what}, got {_describe(value)}"


def _describe(value: object) -> str:
    """A value as the user wrote it in TOML, as far as that can be told."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime):
        return f"the TOML date-time {value.isoformat()}"
    if isinstance(value, date):
        return f"the TOML date {value.isoformat()}"
    if isinstance(value, time):
        return f"the TOML time {value.isoformat()}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        if not value:
            return "an empty array"
        shown = f"[{', '.join(_describe(item) for item in value)}]"
        return shown if len(shown) <= 60 else f"an array of {len(value)} items"
    return str(value)


def _position(text: str) -> tuple[int, int]:
    """1-based line and column just after `text` (as the TOML parser counts them)."""
    line = text.count("\n") + 1
    return line, len(text) - (text.rfind("\n") + 1) + 1


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: configuration file not found: create it (see config.toml in the project"
            " for an example) or pass -c PATH"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc.strerror}") from exc
    # Editors on Windows like to start the file with a byte-order mark; the TOML parser rejects it.
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _position(data[: exc.start].decode("utf-8", "replace"))
        raise ConfigError(
            f"{path}:{line}:{col}: invalid TOML: not UTF-8 text (byte 0x{data[exc.start]:02x}):"
            " save the file as UTF-8"
        ) from exc
    try:
        return toml.loads(text)
    except toml.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_POSITION.fullmatch(message)
        if match:
            reason = match["reason"]
            line, col = int(match["line"]), int(match["col"])
        else:  # "... (at end of document)"
            reason = message.removesuffix(" (at end of document)")
            line, col = _position(text)
        raise ConfigError(f"{path}:{line}:{col}: invalid TOML: {reason}") from exc


# --- sections --------------------------------------------------------------------------------


def _branding_file(site: _Table, name: str, base: Path) -> Path | None:
    """`site.logo` / `site.icon`: an image file, relative to the configuration's folder."""
    written = site.get(name, _nonempty_text)
    if written is None:
        return None
    path = (base / written).absolute()
    key = site.key(name)
    if path.suffix.lower() not in _BRANDING_SUFFIXES:
        site.problems.add(
            key, f'"{written}" is not a PNG, JPEG, WebP or GIF file name: point it at one'
        )
    elif not path.is_file():
        site.problems.add(
            key,
            f'"{written}" not found (looked for {path}): add the file or fix the path; it is '
            "relative to the configuration file",
        )
    else:
        return path
    return None


def _read_site(site: _Table, base: Path) -> tuple[Channel, str]:
    """The `[site]` table: the channel, and the permalink pattern (not part of a channel)."""
    site.reject_unknown(_SITE_KEYS)
    # Read in the documented order so that problems are listed in that order too.
    title = site.require("title", _nonempty_text, '"Harbour Times"') or ""
    url = site.require("url", _http_url, '"https://news.example.org/"') or ""
    # RSS requires a channel description; the title is the least surprising stand-in.
    description = site.get("description", _text) or title
    language = site.get("language", _language) or "en"
    timezone = site.get("timezone", _timezone) or "UTC"
    permalink = site.get("permalink", _permalink) or "{slug}/"
    copyright_ = site.get("copyright", _text) or ""
    logo = _branding_file(site, "logo", base)
    icon = _branding_file(site, "icon", base)
    author = Author(name=title)
    if "author" in site.data:
        table = site.table("author")
        table.reject_unknown(_AUTHOR_KEYS)
        author = Author(
            name=table.require("name", _nonempty_text, '"Newsroom"') or "",
            email=table.get("email", _email) or "",
            uri=table.get("uri", _absolute_url) or "",
        )
    channel = Channel(
        title=title,
        url=url,
        description=description,
        language=language,
        timezone=timezone,
        author=author,
        copyright=copyright_,
        logo=logo,
        icon=icon,
    )
    return channel, permalink


def _media_width(value: object) -> int:
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and _MIN_MEDIA_WIDTH <= value <= _MAX_MEDIA_WIDTH
    ):
        return value
    raise _InvalidValueError(
        _expected(f"a number of pixels from {_MIN_MEDIA_WIDTH} to {_MAX_MEDIA_WIDTH}", value)
    )


def _quality(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 95:
        return value
    raise _InvalidValueError(
        _expected("an encoder quality from 1 to 95 (82 is a good web default)", value)
    )


def _read_media(media: _Table) -> MediaSettings:
    """The `[media]` table: how images are published."""
    media.reject_unknown(_MEDIA_KEYS)
    default = MediaSettings()
    max_width = media.get("max_width", _media_width)
    max_height = media.get("max_height", _media_width)
    thumbnail_width = media.get("thumbnail_width", _media_width)
    settings = MediaSettings(
        max_width=max_width or default.max_width,
        max_height=max_height or default.max_height,
        thumbnail_width=thumbnail_width
        or min(default.thumbnail_width, max_width or default.max_width),
        quality=media.get("quality", _quality) or default.quality,
        keep_location=bool(media.get("keep_location", _flag)),
    )
    if thumbnail_width is not None and settings.thumbnail_width > settings.max_width:
        media.problems.add(
            media.key("thumbnail_width"),
            f"{settings.thumbnail_width} is wider than max_width ({settings.max_width}): a "
            "thumbnail must be smaller than the published image",
        )
    return settings


@dataclass
class _FeedDraft:
    """A feed as read, plus what the cross-feed checks need to know about it.

    Attributes:
        path: The effective output sub-folder, or None when it cannot be known (a problem
            with the path or, for a defaulted path, with the name was already reported).
        path_is_default: `path` was derived, not written in the file.
    """

    index: int
    spec: FeedSpec
    path: str | None
    path_is_default: bool


def _read_feeds(root: _Table, channel: Channel) -> tuple[FeedSpec, ...]:
    problems = root.problems
    raw = root.data.get("feeds")
    if raw is None:
        default_feed = FeedSpec(
            name=_DEFAULT_FEED_NAME,
            formats=_DEFAULT_FORMATS,
            limit=_DEFAULT_LIMIT,
            title=channel.title,
            description=channel.description,
            path="",
        )
        return (default_feed,)
    if isinstance(raw, dict):
        problems.add(
            "feeds", _expected("an array of tables", raw) + ": write [[feeds]], not [feeds]"
        )
        return ()
    if not isinstance(raw, list) or not raw:
        hint = ' (remove it to publish the one default feed "main")' if raw == [] else ""
        problems.add("feeds", _expected("an array of tables ([[feeds]])", raw) + hint)
        return ()

    drafts: list[_FeedDraft] = []
    names: dict[str, int] = {}
    # Indexes are 1-based, the way a user counts the [[feeds]] tables in the file.
    for index, item in enumerate(raw, start=1):
        where = f"feeds[{index}]"
        if not isinstance(item, dict):
            problems.add(where, _expected("a table ([[feeds]])", item))
            continue
        feed = _Table(item, where, problems)
        feed.reject_unknown(_FEED_KEYS)
        name = feed.require("name", _slug, '"sport"')
        unique_name = name
        if name is not None and name in names:
            problems.add(
                feed.key("name"),
                f'"{name}" is already the name of feeds[{names[name]}]:'
                " give each feed its own name",
            )
            unique_name = None
        elif name is not None:
            names[name] = index

        filters = {key: feed.get(key, _filter_values) or () for key in _FILTER_KEYS}
        per = feed.get("per", _per) or ()
        path: str | None
        if "path" in feed.data:
            path, path_is_default = feed.get("path", _feed_path), False
            problem = _slice_path(path, per) if per and path is not None else ""
            if problem:
                problems.add(feed.key("path"), problem)
                path = None
        elif per:
            path, path_is_default = _DEFAULT_SLICE_PATH, True
        else:
            # A duplicate name already has its problem; its derived path would only echo it.
            path, path_is_default = ("" if index == 1 else unique_name), True
        formats = feed.get("formats", _formats)
        if formats is None and "formats" in feed.data:
            path = None  # which files it writes is unknown, so no clash can be told

        title = feed.get("title", _nonempty_text)
        if title is None and per:
            title = f"{channel.title}: {{value}}"
        elif title is None:
            title = channel.title if index == 1 else f"{channel.title}: {name or ''}"
        # Like the channel's: RSS needs a description, so an empty one falls back too.
        description = feed.get("description", _text) or channel.description
        if per:
            for key, text in (("title", title), ("description", description)):
                problem = _template_problem(text) if key in feed.data else ""
                if problem:
                    problems.add(feed.key(key), problem)
        archive = feed.get("archive", _archive)
        complete = feed.get("complete", _boolean) or False
        if complete and "archive" in feed.data:
            problems.add(
                feed.key("complete"),
                "a feed is either complete (it holds every item) or archived (older items in"
                " archive documents), not both: remove `complete` or `archive`",
            )
            complete, archive = False, None
        elif complete and "limit" in feed.data:
            problems.add(
                feed.key("limit"),
                "a complete feed holds every article it selects, so it takes no limit:"
                ' remove `limit`, or use archive = "monthly" for a long feed',
            )
        spec = FeedSpec(
            name=name or "",
            formats=formats or _DEFAULT_FORMATS,
            limit=feed.get("limit", _limit) or _DEFAULT_LIMIT,
            title=title,
            description=description,
            path=path or "",
            sections=filters["sections"],
            categories=filters["categories"],
            tags=filters["tags"],
            authors=filters["authors"],
            per=per,
            archive=archive,
            complete=complete,
        )
        drafts.append(_FeedDraft(index, spec, path, path_is_default))

    _check_feed_paths(drafts, problems)
    return tuple(draft.spec for draft in drafts)


def _check_feed_paths(drafts: Sequence[_FeedDraft], problems: _Problems) -> None:
    """Report feeds that would write into the media folder or over another feed's files."""
    writers: dict[str, int] = {}
    for draft in drafts:
        if draft.path is None:
            continue
        key = f"feeds[{draft.index}].path"
        shown = f'"{draft.path}"'
        if not draft.path:
            shown += " (the top of the output folder)"
        elif draft.path_is_default and draft.spec.per:
            shown += ' (the default with "per")'
        elif draft.path_is_default:
            shown += " (the default: the feed's name)"
        if draft.path.split("/")[0] == _MEDIA_FOLDER:
            problems.add(
                key,
                f'{shown} is inside "{_MEDIA_FOLDER}/", where images are published:'
                " choose another path",
            )
            continue
        files = _files_of(draft.spec)
        for file in files:
            if file in writers:
                problems.add(
                    key,
                    f"{shown} clashes with feeds[{writers[file]}]: both would write {file};"
                    " give each feed its own path",
                )
                break
        for file in files:
            writers.setdefault(file, draft.index)
    _check_archive_folders(drafts, problems)


def _check_archive_folders(drafts: Sequence[_FeedDraft], problems: _Problems) -> None:
    """Report feeds that would write inside another feed's archive folder."""
    folders = {
        draft.spec.archive_folder(): draft.index
        for draft in drafts
        if draft.path is not None and draft.spec.archive is not None and not draft.spec.per
    }
    for draft in drafts:
        if draft.path is None:
            continue
        for file in _files_of(draft.spec):
            owner = next((i for f, i in folders.items() if file.startswith(f"{f}/")), None)
            if owner is not None and owner != draft.index:
                problems.add(
                    f"feeds[{draft.index}].path",
                    f'"{draft.path}" is inside the archive folder of feeds[{owner}]'
                    f" ({file}): choose another path",
                )
                break


def _files_of(spec: FeedSpec) -> list[str]:
    """The files a feed writes; for a `per` template, its pattern for each field."""
    files = [spec.file_for(fmt) for fmt in spec.formats]
    if not spec.per:
        return files
    return list(dict.fromkeys(file.replace("{per}", key) for key in spec.per for file in files))


def load_config(path: Path) -> Config:
    """Read and validate a configuration file.

    Every problem is collected and reported together, each with its key path. Feed tables are
    counted from 1 as a user counts them in the file: ``feeds[1]`` is the first ``[[feeds]]``.
    Relative folders resolve against the folder of the configuration file, not the working
    directory.

    Args:
        path: The TOML configuration file.

    Returns:
        The validated configuration, with every default filled in.

    Raises:
        ConfigError: the file is missing or unreadable, is not TOML, or has problems; the
            message lists every problem with its key path.
    """
    problems = _Problems()
    root = _Table(_read_toml(path), "", problems)
    root.reject_unknown(_TOP_KEYS)
    base = path.absolute().parent
    channel, permalink = _read_site(root.table("site"), base)
    repository = root.table("repository")
    repository.reject_unknown(_REPOSITORY_KEYS)
    repository_path = base / (repository.get("path", _folder) or "articles")
    repository_url = repository.get("url", _database_url)
    if "url" in repository.data and "path" in repository.data:
        problems.add(
            repository.key("url"),
            "use either `path` (a folder of articles) or `url` (a database), not both",
        )
    max_image_bytes = repository.get("max_image_bytes", _positive_int) or _DEFAULT_MAX_IMAGE_BYTES
    max_article_bytes = (
        repository.get("max_article_bytes", _positive_int) or _DEFAULT_MAX_ARTICLE_BYTES
    )

    output = root.table("output")
    output.reject_unknown(_OUTPUT_KEYS)
    output_path = base / (output.get("path", _folder) or "output")
    s3, cache_control = _read_object_store(output)
    output_url = output.get("url", _http_url) or channel.url
    media_url = output.get("media_url", _http_url) or f"{output_url}{_MEDIA_FOLDER}/"

    media = _read_media(root.table("media"))
    feeds = _read_feeds(root, channel)
    schedule = _read_schedule(root.table("schedule"), problems)
    state = root.table("state")
    state.reject_unknown(_STATE_KEYS)
    state_dir = base / (state.get("path", _folder) or _DEFAULT_STATE_DIR)
    channel = replace(channel, hubs=_read_websub(root.table("websub")))
    retractions = root.table("retractions")
    retractions.reject_unknown(_RETRACTIONS_KEYS)
    tombstone_days = retractions.get("tombstone_days", _tombstone_days)
    if s3 is None:  # object storage has no local output folder to overlap
        _check_folders(
            problems,
            repository=(repository.key("path"), repository_path.resolve()),
            output=(output.key("path"), output_path.resolve()),
            state=(state.key("path"), state_dir.resolve()),
        )
    problems.raise_if_any(path)
    return Config(
        source=path,
        channel=channel,
        repository=repository_path.resolve(),
        output=(output_path if s3 is None else state_dir).resolve(),
        output_url=output_url,
        media_url=media_url,
        permalink=permalink,
        feeds=feeds,
        max_image_bytes=max_image_bytes,
        max_article_bytes=max_article_bytes,
        state_dir=state_dir.resolve(),
        schedule=schedule,
        media=media,
        repository_url=repository_url,
        s3=s3,
        cache_control=cache_control,
        tombstone_days=DEFAULT_TOMBSTONE_DAYS if tombstone_days is None else tombstone_days,
    )


def _read_schedule(table: _Table, problems: _Problems) -> Schedule:
    """The ``[schedule]`` table: without it, or with neither `every` nor `at`, the daemon builds
    every 5 minutes."""
    table.reject_unknown(_SCHEDULE_KEYS)
    every = table.get("every", _every)
    at = table.get("at", _at_times) or ()
    watch = table.get("watch", _flag) or False
    method = table.get("watch_method", _watch_method) or "auto"
    rescan = table.get("rescan", _rescan) or _DEFAULT_RESCAN_SECONDS
    if "every" in table.data and "at" in table.data:
        problems.add(
            table.key("at"),
            "use either `every` (an interval) or `at` (daily times), not both",
        )
    if at:
        return Schedule(
            every_seconds=None, at=at, watch=watch, watch_method=method, rescan_seconds=rescan
        )
    return Schedule(
        every_seconds=every or _DEFAULT_EVERY_SECONDS,
        watch=watch,
        watch_method=method,
        rescan_seconds=rescan,
    )


def _check_folders(
    problems: _Problems,
    *,
    repository: tuple[str, Path],
    output: tuple[str, Path],
    state: tuple[str, Path],
) -> None:
    """The repository, the output folder and the state folder must not overlap where that
    could lose or leak something: feeds removes files from the output folder it no longer
    publishes (an article there would be deleted), and the state folder holds the titles of
    drafts and embargoed stories (it must never be published)."""
    (_, repository_path), (output_key, output_path) = repository, output
    state_key, state_path = state
    if output_path == repository_path or repository_path in output_path.parents:
        problems.add(
            output_key,
            f"{output_path} is inside the article repository {repository_path}: put the"
            " output folder elsewhere (feeds removes files there that it no longer publishes)",
        )
    elif output_path in repository_path.parents:
        problems.add(
            output_key,
            f"{output_path} holds the article repository {repository_path}: put the output"
            " folder elsewhere (feeds removes files there that it no longer publishes)",
        )
    if state_path == output_path or output_path in state_path.parents:
        problems.add(
            state_key,
            f"{state_path} is inside the output folder {output_path}, which is published: the"
            " state holds the titles of drafts and embargoed stories; put it elsewhere (the"
            ' default ".feeds-state" beside config.toml)',
        )


# --- [output] on object storage, and [websub] -------------------------------------------------

_S3_SCHEME = "s3://"
_S3_KEYS = ("endpoint_url", "region")
_CACHE_CONTROL_KEYS = ("feeds", "media", "pages")
_WEBSUB_KEYS = ("hubs",)
# S3's bucket names (compatible stores accept these too): 3 to 63 of a-z, 0-9, "-" and ".".
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_REGION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
# Keys that would put a secret into the file: refused with their own explanation.
_SECRET_WORDS = ("key", "secret", "token", "password", "credential", "profile")
_CACHE_DIRECTIVE = re.compile(r"([a-z-]+)(?:=(\d+|\"[^\"]*\"))?")
_CACHE_DIRECTIVES = (
    "public",
    "private",
    "no-cache",
    "no-store",
    "no-transform",
    "must-revalidate",
    "proxy-revalidate",
    "must-understand",
    "max-age",
    "s-maxage",
    "stale-while-revalidate",
    "stale-if-error",
)
_CREDENTIALS_HINT = (
    "credentials never go in config.toml: they come from the AWS chain (AWS_ACCESS_KEY_ID and"
    " AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or the host's instance role): remove it"
)


def _object_store(value: object) -> ObjectStore:
    """``s3://bucket/prefix/`` -> bucket and prefix (normalised to end with "/")."""
    text = _text(value)
    expected = (
        '"s3://BUCKET/PREFIX/" with a bucket name of 3 to 63 lowercase letters, digits, "-"'
        ' and "." and a prefix of folder names'
    )
    bucket, _, prefix = text[len(_S3_SCHEME) :].partition("/")
    parts = prefix.split("/") if prefix else []
    if parts and parts[-1] == "":
        parts.pop()
    if (
        not _BUCKET.fullmatch(bucket)
        or ".." in bucket
        or any(not part or part.startswith(".") or "\\" in part for part in parts)
        or not all(char.isprintable() for char in prefix)
    ):
        hint = ""
        if any(part.startswith(".") for part in parts if part):
            hint = ' (no folder name of the prefix may start with ".": feeds keeps its state there)'
        raise _InvalidValueError(_expected(expected, text) + hint)
    return ObjectStore(bucket=bucket, prefix="".join(f"{part}/" for part in parts))


def _endpoint(value: object) -> str:
    text = _text(value)
    if not is_web_url(text) or "?" in text or "#" in text:
        raise _InvalidValueError(
            _expected('the storage\'s http(s) URL such as "http://127.0.0.1:8333"', value)
        )
    return text.rstrip("/")


def _region(value: object) -> str:
    text = _text(value)
    if not _REGION.fullmatch(text):
        raise _InvalidValueError(_expected('a region name such as "eu-north-1"', value))
    return text


def _cache_control(value: object) -> str:
    text = _text(value)
    if not text.strip() or not text.isascii() or not text.isprintable():
        raise _InvalidValueError(
            _expected('a Cache-Control header value such as "public, max-age=300"', value)
        )
    for directive in (part.strip() for part in text.split(",")):
        match = _CACHE_DIRECTIVE.fullmatch(directive.lower())
        name = match.group(1) if match else directive
        if name == "immutable":
            raise _InvalidValueError(
                "immutable is refused: feeds and pages change under their names, and so does"
                " an image that is replaced in the repository; use max-age instead"
            )
        if match is None or name not in _CACHE_DIRECTIVES:
            close = difflib.get_close_matches(name, _CACHE_DIRECTIVES, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            raise _InvalidValueError(
                f'"{directive}" is not a Cache-Control directive{hint}: write e.g.'
                ' "public, max-age=300"'
            )
    return text


def _read_object_store(output: _Table) -> tuple[ObjectStore | None, CacheControl]:
    """``output.path = "s3://..."`` with ``[output.s3]`` and ``[output.cache_control]``."""
    raw = output.data.get("path")
    is_s3 = isinstance(raw, str) and raw[: len(_S3_SCHEME)].lower() == _S3_SCHEME
    store = output.get("path", _object_store) if is_s3 else None
    cache_control = CacheControl()
    for name in ("s3", "cache_control"):
        if name in output.data and not is_s3:
            output.problems.add(
                output.key(name),
                'applies only to object storage (output.path = "s3://BUCKET/PREFIX/"); a web'
                " server sets the headers of a folder: remove it",
            )
    if not is_s3:
        return None, cache_control
    s3 = output.table("s3")
    secret_keys = [k for k in s3.data if any(word in k.lower() for word in _SECRET_WORDS)]
    for key in secret_keys:  # its value is never repeated in a message
        s3.problems.add(s3.key(key), _CREDENTIALS_HINT)
    s3.reject_unknown([*_S3_KEYS, *secret_keys])
    endpoint_url = s3.get("endpoint_url", _endpoint)
    region = s3.get("region", _region)
    table = output.table("cache_control")
    table.reject_unknown(_CACHE_CONTROL_KEYS)
    cache_control = CacheControl(
        **{
            key: table.get(key, _cache_control) or DEFAULT_CACHE_CONTROL[key]
            for key in _CACHE_CONTROL_KEYS
        }
    )
    if store is None:
        return None, cache_control
    return replace(store, endpoint_url=endpoint_url, region=region), cache_control


def _hub_urls(value: object) -> tuple[str, ...]:
    expected = 'a list of hub URLs such as ["https://pubsubhubbub.appspot.com/"]'
    if not isinstance(value, list):
        raise _InvalidValueError(_expected(expected, value))
    hubs: list[str] = []
    for item in value:
        text = _text(item)
        if not is_web_url(text) or "#" in text:
            raise _InvalidValueError(_expected(expected + ", each an absolute http(s) URL", item))
        if text in hubs:
            raise _InvalidValueError(f'"{text}" is listed twice: list each hub once')
        hubs.append(text)
    return tuple(hubs)


def _read_websub(table: _Table) -> tuple[str, ...]:
    """The ``[websub]`` table: the hubs every feed advertises and tells of its changes."""
    table.reject_unknown(_WEBSUB_KEYS)
    return table.get("hubs", _hub_urls) or ()

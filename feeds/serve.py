"""`feeds serve`: preview the output folder over HTTP, rebuilt whenever the articles change."""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import hashlib
import ipaddress
import logging
import os
import shutil
import socket
import stat
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO, Final
from urllib.parse import unquote, urlsplit

from feeds import __version__
from feeds.build import Publisher, PublishResult, publish, publish_recorded
from feeds.clock import Clock, utc_now
from feeds.config import Config, Schedule, load_config
from feeds.daemon import Control, open_watching
from feeds.daemon.planner import Decision, Planner, sleep_seconds
from feeds.errors import (
    ConfigError,
    ExitStatus,
    FeedInvalidError,
    FeedsError,
    LockedError,
    UsageError,
)
from feeds.model import FEED_FILE_NAMES, FEED_MEDIA_TYPES
from feeds.render.pages import FORMAT_LABELS, INDEX_FILE, OPML_FILE
from feeds.stopping import NEVER, BuildStopped, Cancellation

log = logging.getLogger(__name__)

DEFAULT_BIND: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8000
#: How long a preview build waits for another `feeds` process writing the same output folder.
SERVE_LOCK_WAIT: Final = 60.0
#: How often the configuration file is looked at for a change.
CONFIG_CHECK_SECONDS: Final = 0.5

# --- what each file is served as -------------------------------------------------------------

_UTF8 = "; charset=utf-8"
#: Feed files by name: their suffix (.xml, .json) alone does not say which format they are.
_BY_NAME: Final[dict[str, str]] = {
    FEED_FILE_NAMES[fmt]: FEED_MEDIA_TYPES[fmt] + _UTF8 for fmt in FEED_FILE_NAMES
}
_BY_SUFFIX: Final[dict[str, str]] = {
    ".html": "text/html" + _UTF8,
    ".htm": "text/html" + _UTF8,
    ".opml": "text/x-opml" + _UTF8,
    ".xml": "application/xml" + _UTF8,
    ".json": "application/json" + _UTF8,
    ".txt": "text/plain" + _UTF8,
    ".css": "text/css" + _UTF8,
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
}
_OTHER = "application/octet-stream"
#: Below this a gzip header and trailer cost more than they save.
_GZIP_MIN_BYTES = 256


def content_type(name: str) -> str:
    """The Content-Type a file of the output folder is served with, from its name.

    Feed files go by name (``rss.xml`` is RSS, ``atom.xml`` Atom, ``feed.json`` JSON Feed);
    images by suffix, which the build has checked against their bytes.
    """
    by_name = _BY_NAME.get(name)
    if by_name is not None:
        return by_name
    return _BY_SUFFIX.get(os.path.splitext(name)[1].lower(), _OTHER)  # noqa: PTH122


def is_compressible(media_type: str) -> bool:
    """Text (HTML, XML, JSON, OPML) is worth gzipping; images are compressed already."""
    base = media_type.split(";", 1)[0].strip()
    return base.startswith("text/") or base.endswith(("+xml", "/xml", "+json", "/json"))


def accepts_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding header allows gzip (``gzip;q=0`` refuses it, ``*`` allows)."""
    if not header:
        return False
    wildcard: bool | None = None
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        coding = coding.strip().lower()
        if coding in ("gzip", "x-gzip"):
            return quality > 0
        if coding == "*":
            wildcard = quality > 0
    return bool(wildcard)


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match: ``*`` or any listed tag equal to ours (weak comparison, RFC 9110)."""
    if header.strip() == "*":
        return True
    ours = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == ours for tag in header.split(","))


#: Files up to this size are kept in memory (with their gzip encoding); larger ones are
#: streamed from the disk, and only their tag is kept.
_KEEP_FILE_BYTES = 8 * 1024 * 1024
#: What the kept files may take together (a long preview of a large site must not grow).
_KEEP_TOTAL_BYTES = 64 * 1024 * 1024
_KEEP_ENTRIES = 4096
_CHUNK = 256 * 1024


@dataclass(frozen=True, slots=True)
class Representation:
    """One file as served, with the validators a reader polls with.

    Attributes:
        body: The bytes; None for a file too large to keep in memory (it is streamed).
        size: The byte count of the file.
        etag: Strong, from the bytes: equal bytes give the same tag in every run.
        modified: The file's mtime in whole seconds (HTTP dates have no fractions).
        gzipped: The gzip encoding of `body` (made without a timestamp, so its tag is stable
            too); None when the type is not worth compressing, or the file is not kept.
    """

    body: bytes | None
    size: int
    media_type: str
    etag: str
    modified: int
    gzipped: bytes | None

    @property
    def gzip_etag(self) -> str:
        """A distinct strong tag for the gzip encoding (different bytes, different tag)."""
        return self.etag[:-1] + '-gzip"'


def represent(body: bytes, name: str, mtime: float) -> Representation:
    """The representation of a file's bytes."""
    media_type = content_type(name)
    gzipped = None
    if is_compressible(media_type) and len(body) >= _GZIP_MIN_BYTES:
        gzipped = gzip.compress(body, compresslevel=6, mtime=0)
    digest = hashlib.sha256(body).hexdigest()[:32]
    return Representation(body, len(body), media_type, f'"{digest}"', int(mtime), gzipped)


class _Representations:
    """Representations by file stamp: a file is read and hashed again only when it changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[tuple[str, int, int, int, int], Representation] = {}
        self._kept_bytes = 0

    def open(self, path: str) -> tuple[Representation, BinaryIO | None]:
        """The representation of a file, and the open file when its bytes are to be streamed
        from it (the caller closes it).

        The open file is stat-ed and read, so that a build renaming a new file into place
        meanwhile cannot give the old bytes under the new tag or date.

        Raises:
            OSError: the file cannot be read (a build removed it meanwhile).
        """
        file = open(path, "rb")  # noqa: PTH123, SIM115 - a str path; closed below or by the caller
        try:
            info = os.fstat(file.fileno())
            key = (path, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
            with self._lock:
                found = self._known.get(key)
            if found is None:
                found = self._read(file, path, info.st_size, info.st_mtime)
                self._keep(key, found)
            if found.body is not None:
                file.close()
                return found, None
            file.seek(0)
        except BaseException:
            file.close()
            raise
        return found, file

    @staticmethod
    def _read(file: BinaryIO, path: str, size: int, mtime: float) -> Representation:
        name = os.path.basename(path)  # noqa: PTH119
        if size <= _KEEP_FILE_BYTES:
            return represent(file.read(), name, mtime)
        digest = hashlib.sha256()
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
        etag = f'"{digest.hexdigest()[:32]}"'
        return Representation(None, size, content_type(name), etag, int(mtime), None)

    def _keep(self, key: tuple[str, int, int, int, int], found: Representation) -> None:
        cost = len(found.body or b"") + len(found.gzipped or b"")
        with self._lock:
            if len(self._known) >= _KEEP_ENTRIES or self._kept_bytes + cost > _KEEP_TOTAL_BYTES:
                self._known.clear()
                self._kept_bytes = 0
            self._known[key] = found
            self._kept_bytes += cost


# --- which file a request names --------------------------------------------------------------


class RefusedError(Exception):
    """A request path that names nothing this server shows (answered 404, or 400)."""

    def __init__(self, reason: str, status: HTTPStatus = HTTPStatus.NOT_FOUND) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True, slots=True)
class Target:
    """What a request path resolved to.

    Attributes:
        path: The file's real path (every symbolic link resolved).
        rel_path: Its path inside the folder (POSIX).
        redirect: Set instead for a folder named without its final slash: where to go.
    """

    path: str = ""
    rel_path: str = ""
    redirect: str = ""


@dataclass(frozen=True, slots=True)
class Site:
    """The folder a server shows and what it must never show.

    Attributes:
        root: The output folder.
        hidden: Folders inside it that are never served (the state folder, when configured
            inside the output folder).
        public_url: The public URL of the folder (a feed's WebSub self link is
            ``public_url + rel_path``, the URL the feed says it is at).
        hubs: WebSub hubs to advertise in ``Link`` headers on feed files.
    """

    root: Path
    hidden: tuple[Path, ...] = ()
    public_url: str = ""
    hubs: tuple[str, ...] = ()
    _real_root: str = field(init=False, repr=False, compare=False)
    _real_hidden: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_real_root", os.path.realpath(self.root))
        object.__setattr__(
            self, "_real_hidden", tuple(os.path.realpath(folder) for folder in self.hidden)
        )

    def resolve(self, request_path: str) -> Target:
        """The file a request path names.

        Refused: dot-files and dot-folders (lock files, ``.feeds-state``, ``.git``), the
        hidden folders, ``..`` and ``.`` segments in any encoding, back-slashes, NUL, paths
        that are not UTF-8, and anything a symbolic link leads to outside the folder. A folder
        serves its ``index.html``; nothing is ever listed.

        Raises:
            RefusedError: the path names nothing to serve.
        """
        path = urlsplit(request_path).path
        if not path.startswith("/"):
            raise RefusedError("not an absolute path", HTTPStatus.BAD_REQUEST)
        try:
            decoded = unquote(path, errors="strict")
        except UnicodeDecodeError:
            raise RefusedError("not UTF-8", HTTPStatus.BAD_REQUEST) from None
        if "\x00" in decoded or "\\" in decoded:
            raise RefusedError("NUL or back-slash in the path")
        segments = [segment for segment in decoded.split("/") if segment]
        if any(segment.startswith(".") for segment in segments):
            raise RefusedError("a dot-file, or a . or .. segment")
        folder_wanted = decoded.endswith("/")
        real = os.path.realpath(os.path.join(self._real_root, *segments))  # noqa: PTH118
        self._check_inside(real)
        try:
            info = os.stat(real)  # noqa: PTH116
        except OSError:
            raise RefusedError("no such file") from None
        if stat.S_ISDIR(info.st_mode):
            if not folder_wanted:
                # Relative links in a folder's index page need the final slash.
                if not os.path.isfile(os.path.join(real, INDEX_FILE)):  # noqa: PTH113, PTH118
                    raise RefusedError("a folder without an index page")
                return Target(redirect=path + "/")
            real = os.path.join(real, INDEX_FILE)  # noqa: PTH118
            self._check_inside(real)
            try:
                info = os.stat(real)  # noqa: PTH116
            except OSError:
                raise RefusedError("a folder without an index page") from None
        elif folder_wanted:
            raise RefusedError("a file named as a folder")
        if not stat.S_ISREG(info.st_mode):
            raise RefusedError("not a regular file")
        rel_path = os.path.relpath(real, self._real_root).replace(os.sep, "/")
        return Target(path=real, rel_path=rel_path)

    def _check_inside(self, real: str) -> None:
        root = self._real_root
        if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
            raise RefusedError("outside the output folder (a symbolic link?)")
        inside = Path(os.path.relpath(real, root))
        if any(part.startswith(".") and part != "." for part in inside.parts):
            raise RefusedError("a symbolic link to a dot-file")
        for hidden in self._real_hidden:
            if real == hidden or real.startswith(hidden.rstrip(os.sep) + os.sep):
                raise RefusedError("the state folder")

    def links(self, rel_path: str) -> list[str]:
        """WebSub ``Link`` header values for a file: hubs and self, on feed files only."""
        if not self.hubs or rel_path.rsplit("/", 1)[-1] not in _BY_NAME:
            return []
        values = [f'<{hub}>; rel="hub"' for hub in self.hubs]
        values.append(f'<{self.public_url}{rel_path}>; rel="self"')
        return values


# --- the HTTP side ---------------------------------------------------------------------------

_ALLOWED = "GET, HEAD"


class PreviewServer(ThreadingHTTPServer):
    """A threading HTTP server of one `Site` (which a reload may replace)."""

    daemon_threads = True
    # Every response of a preview is revalidated: a rebuild must show at once.
    cache_control = "no-cache"

    def __init__(self, address: tuple[str, int], site: Site) -> None:
        self.site = site
        self.representations = _Representations()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, PreviewHandler)

    @property
    def port(self) -> int:
        """The port listened on (the one the system chose, for port 0)."""
        return int(self.server_address[1])


class PreviewHandler(BaseHTTPRequestHandler):
    """GET and HEAD of the site's files, with validators, 304s and gzip; nothing else."""

    server: PreviewServer
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        """The Server header: this program, not the Python version."""
        return f"feeds/{__version__} (preview)"

    def do_GET(self) -> None:
        """Serve a file."""
        self._serve(head=False)

    def do_HEAD(self) -> None:
        """Serve a file's headers."""
        self._serve(head=True)

    def _not_allowed(self) -> None:
        self._plain(HTTPStatus.METHOD_NOT_ALLOWED, [("Allow", _ALLOWED)])

    def _serve(self, *, head: bool) -> None:
        site = self.server.site
        try:
            target = site.resolve(self.path)
        except RefusedError as refused:
            log.debug("%s %s: %s", self.command, self.path, refused)
            self._plain(refused.status, head=head)
            return
        if target.redirect:
            self._plain(HTTPStatus.MOVED_PERMANENTLY, [("Location", target.redirect)], head=head)
            return
        try:
            found, stream = self.server.representations.open(target.path)
        except OSError:  # removed by a build between the look-up and the read
            self._plain(HTTPStatus.NOT_FOUND, head=head)
            return
        try:
            self._send(found, stream, site.links(target.rel_path), head=head)
        finally:
            if stream is not None:
                stream.close()

    def _send(
        self, found: Representation, stream: BinaryIO | None, links: list[str], *, head: bool
    ) -> None:
        body, etag = found.body, found.etag
        encoded = found.gzipped is not None and accepts_gzip(self.headers.get("Accept-Encoding"))
        if encoded and found.gzipped is not None:
            body, etag = found.gzipped, found.gzip_etag
        headers = [
            ("Content-Type", found.media_type),
            ("ETag", etag),
            ("Last-Modified", email.utils.formatdate(found.modified, usegmt=True)),
            ("Cache-Control", self.server.cache_control),
            ("X-Content-Type-Options", "nosniff"),
        ]
        if found.gzipped is not None:
            headers.append(("Vary", "Accept-Encoding"))
        headers += [("Link", value) for value in links]
        if self._not_modified(etag, found.modified):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            for name, value in headers:
                if name != "Content-Type":
                    self.send_header(name, value)
            self.end_headers()
            return
        self.send_response(HTTPStatus.OK)
        for name, value in headers:
            self.send_header(name, value)
        if encoded:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(found.size if body is None else len(body)))
        self.end_headers()
        if head:
            return
        if body is not None:
            self.wfile.write(body)
        elif stream is not None:
            shutil.copyfileobj(stream, self.wfile, _CHUNK)

    def _not_modified(self, etag: str, modified: int) -> bool:
        match = self.headers.get("If-None-Match")
        if match is not None:  # it takes precedence over If-Modified-Since (RFC 9110 13.2.2)
            return _etag_matches(match, etag)
        since = self.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            when = email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        return when.tzinfo is not None and modified <= when.timestamp()

    def _plain(
        self, status: HTTPStatus, headers: Iterable[tuple[str, str]] = (), *, head: bool = False
    ) -> None:
        body = f"{status.value} {status.phrase}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain" + _UTF8)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if not head and self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Requests go to the debug log (``feeds --verbose serve``), not straight to stderr."""
        log.debug("%s %s", self.address_string(), format % args)


# The other methods of RFC 9110 are known and refused with 405 and the methods allowed.
for _method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"):
    setattr(PreviewHandler, f"do_{_method}", PreviewHandler._not_allowed)


def is_loopback(host: str) -> bool:
    """Whether an address to bind to is reachable only from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_host(host: str) -> str:
    """A bind address as a URL's host ([::1] for IPv6)."""
    return f"[{host}]" if ":" in host else host


def open_server(site: Site, *, bind: str, port: int) -> PreviewServer:
    """Listen on `bind`:`port` (port 0: a free port the system picks).

    Raises:
        UsageError: the address cannot be listened on (in use, not this machine's).
    """
    try:
        return PreviewServer((bind, port), site)
    except (OSError, OverflowError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(
            f"cannot listen on {url_host(bind)}:{port}: {reason}; choose another --port, or a "
            "--bind address of this machine"
        ) from None


def hubs_of(config: Config) -> tuple[str, ...]:
    """The WebSub hubs a configuration names (``[websub] hubs``)."""
    return config.channel.hubs


def site_of(config: Config, hubs: Sequence[str]) -> Site:
    """What a configuration's output folder is served as."""
    return Site(
        root=config.output,
        hidden=(config.state_dir,),
        public_url=config.output_url,
        hubs=tuple(hubs),
    )


# --- building: once at start, then on every change --------------------------------------------


class HeldBackError(FeedsError):
    """A preview build found new article problems and wrote nothing (the last good files stay)."""

    status = ExitStatus.ARTICLE_PROBLEMS


class Previewer:
    """Builds for the server: at start, after a change to the repository or the configuration,
    and when an embargo lapses; a failed build leaves the last good files served.

    A build fails when it cannot publish (an invalid feed, an unusable folder), when the
    configuration stops being valid (the running one stays), and when an article that had no
    problem at the last good build has one now (it would drop out of the preview while it is
    being written): each is reported and nothing is written. Problems the last good build
    already had are reported but do not hold a build back, so a repository with a known broken
    article can still be previewed.

    Watching is the daemon's: `feeds.daemon.watch.RepositoryWatch` tells of changes (the
    kernel's notification, or scans, as ``[schedule] watch_method`` says), and
    `feeds.daemon.planner.Planner` debounces a burst of saves into one build and wakes up for
    embargoes. The configuration file is looked at every `CONFIG_CHECK_SECONDS`.

    Args:
        config: The validated configuration; its `source` is watched and reread.

    Raises:
        ConfigError: ``watch_method = "inotify"`` and the kernel's notification cannot be had.
        server: The server whose site follows the configuration.
        control: Stop requests.
        hubs: WebSub hubs for the ``Link`` headers (None: `hubs_of` the configuration).
        clock: The build clock (aware).
        publisher: `publish` (replaceable in tests).
    """

    def __init__(
        self,
        config: Config,
        server: PreviewServer,
        control: Control,
        *,
        hubs: Sequence[str] | None = None,
        clock: Clock = utc_now,
        publisher: Publisher = publish,
    ) -> None:
        self.config = config
        self.server = server
        self.control = control
        self.clock = clock
        self.publisher = publisher
        self._hubs = None if hubs is None else tuple(hubs)
        self.planner = Planner(Schedule(every_seconds=None, watch=True), "UTC", clock())
        self.watching = open_watching(config, control, clock)
        self._config_stamp = _stamp(config.source)
        self.failures = 0
        self.last_build: datetime | None = None
        self.next_embargo: datetime | None = None
        self._known_problems: set[str] | None = None
        self._forced: str | None = "start"
        self._next_config_check = clock()

    @property
    def hubs(self) -> tuple[str, ...]:
        """The hubs advertised now."""
        return hubs_of(self.config) if self._hubs is None else self._hubs

    def run(self) -> None:
        """Build and rebuild until a stop is requested."""
        while not self.control.stop.is_set():
            self.watching.sleep(self.tick())

    def close(self) -> None:
        """Stop watching the repository."""
        self.watching.close()

    def tick(self) -> float:
        """Look for changes and build if one is due; returns the seconds to sleep."""
        now = self.clock()
        if now >= self._next_config_check:
            stamp = _stamp(self.config.source)
            if stamp != self._config_stamp:
                self._config_stamp = stamp
                self._reload()
            self._next_config_check = self.clock() + timedelta(seconds=CONFIG_CHECK_SECONDS)
        decision = self._decide(now)
        reasons = decision.reasons
        if self._forced is not None:
            reasons = (self._forced, *reasons)
            self._forced = None
        if reasons and not self.control.stop.is_set():
            self.build(now, reasons)
            now = self.clock()
            decision = self._decide(now)
        return sleep_seconds(now, decision, CONFIG_CHECK_SECONDS)

    def _decide(self, now: datetime) -> Decision:
        return self.planner.decide(
            now,
            last_build=self.last_build,
            next_embargo=self.next_embargo,
            first_change=self.watching.first_change,
            last_change=self.watching.last_change,
            debounce=self.watching.debounce,
        )

    def build(self, now: datetime, reasons: Sequence[str]) -> bool:
        """One build (recorded in the status file like any other); True when it published."""
        self.last_build = now
        self.watching.take()
        why = "+".join(dict.fromkeys(reasons))
        try:
            result = publish_recorded(
                self.config,
                now=now,
                clock=self.clock,
                wait=SERVE_LOCK_WAIT,
                stop=self.control.stop,
                publisher=self._publish,
            )
        except BuildStopped:
            log.info("build (%s) abandoned: stopping", why)
            return False
        except LockedError as exc:
            if not self.control.stop.is_set():
                self._failed(why, exc)
            return False
        except FeedsError as exc:
            self._failed(why, exc)
            return False
        self.next_embargo = result.next_embargo
        for complaint in (*result.problems, *result.id_changes):
            log.warning("%s", complaint)
        log.info("build (%s): %s", why, result.summary())
        if result.refused:
            self._failed(why, _refusal(result))
            return False
        return True

    def _failed(self, why: str, exc: FeedsError) -> None:
        self.failures += 1
        log.error("build (%s) failed, still serving the last good build: %s", why, exc)

    def _publish(
        self, config: Config, *, now: datetime, strict: bool = False, stop: Cancellation = NEVER
    ) -> PublishResult:
        """`publish`, held back when an article that was fine at the last good build is not."""
        known = self._known_problems
        if known is not None:
            trial = self.publisher(config, now=now, strict=strict, write=False, stop=stop)
            if trial.refused:
                raise _refusal(trial)
            new = [p for p in trial.problems if p.path not in known]
            if new:
                raise HeldBackError(
                    f"{len(new)} new article problem(s), nothing was written:\n"
                    + "\n".join(f"  {problem}" for problem in new)
                )
        result = self.publisher(config, now=now, strict=strict, stop=stop)
        self._known_problems = {problem.path for problem in result.problems}
        return result

    def _reload(self) -> None:
        source = self.config.source
        try:
            config = load_config(source)
        except ConfigError as exc:
            self.failures += 1
            log.error(
                "%s changed but cannot be used; the running configuration stays: %s", source, exc
            )
            return
        watching = self.watching.feed
        if (config.repository, config.schedule.watch_method) != (watching.root, watching.requested):
            try:
                new = open_watching(config, self.control, self.clock)
            except ConfigError as exc:
                self.failures += 1
                log.error(
                    "%s changed but cannot be used; the running configuration stays: %s",
                    source,
                    exc,
                )
                return
            self.watching.close()
            self.watching = new
        self.config = config
        self.server.site = site_of(config, self.hubs)
        self._forced = "configuration"
        log.info("reloaded %s", source)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def announce(site: Site, config: Config, base_url: str) -> list[str]:
    """The lines that tell a person where to look: the discovery page and the main feeds."""
    lines = [f"serving {site.root} at {base_url}", f"  {'discovery page:':<22} {base_url}"]
    main = next((spec for spec in config.feeds if not spec.per), None)
    if main is not None:
        for fmt in main.formats:
            label = f"{main.name} feed, {FORMAT_LABELS[fmt]}:"
            lines.append(f"  {label:<22} {base_url}{main.file_for(fmt)}")
    lines.append(f"  {'every feed (OPML):':<22} {base_url}{OPML_FILE}")
    return lines


def exposure_warning(bind: str) -> str | None:
    """What to say when the server can be reached from other machines."""
    if is_loopback(bind):
        return None
    return (
        f"listening on {bind}, reachable from other machines: this is a preview server (no TLS, "
        "no access control, rebuilt on every save); publish the output folder with nginx or "
        "a static host (README: Serve with nginx)"
    )


def serve(
    config: Config,
    control: Control,
    *,
    bind: str = DEFAULT_BIND,
    port: int = DEFAULT_PORT,
    hubs: Sequence[str] | None = None,
) -> None:
    """Build, serve the output folder, and rebuild on change until `control` asks to stop.

    Args:
        config: The validated configuration.
        control: Stop requests (SIGINT, SIGTERM).
        bind: The address to listen on; loopback by default.
        port: The port (0: any free one).
        hubs: WebSub hubs to advertise on feed files (None: the configuration's, when it has
            a `hubs` setting).

    Raises:
        UsageError: the address cannot be listened on.
    """
    server = open_server(
        site_of(config, hubs if hubs is not None else hubs_of(config)), bind=bind, port=port
    )
    try:
        previewer = Previewer(config, server, control, hubs=hubs)
    except BaseException:
        server.server_close()
        raise
    thread = threading.Thread(
        target=server.serve_forever, args=(0.1,), name="feeds-serve", daemon=True
    )
    try:
        previewer.tick()  # the first build, before anyone is told where to look
        thread.start()
        base_url = f"http://{url_host(bind)}:{server.port}/"
        for line in announce(server.site, config, base_url):
            log.info("%s", line)
        warning = exposure_warning(bind)
        if warning:
            log.warning("%s", warning)
        log.info("watching %s and %s; Ctrl-C stops", config.repository, config.source.absolute())
        previewer.run()
    finally:
        previewer.close()
        with contextlib.suppress(Exception):
            if thread.is_alive():
                server.shutdown()
        server.server_close()
    log.info("stopped")


def _refusal(result: PublishResult) -> FeedInvalidError:
    return FeedInvalidError(
        "feed files that did not validate were not written:\n"
        + "\n".join(f"  {line}" for line in result.refused)
    )

"""Read the feeds named on the command line: files, folders of feeds, and http(s) URLs."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import ssl
import stat
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, Final, NamedTuple
from urllib.parse import urlsplit

from feeds.errors import UsageError
from feeds.validate import Limits

FEED_SUFFIXES: Final = (".xml", ".rss", ".atom")
_SNIFF_BYTES: Final = 1024
_FEED_MARKERS: Final = (b"<rss", b"<feed", b"<rdf:RDF", b'"https://jsonfeed.org/version/')
_USER_AGENT: Final = "feeds-validate/0.1 (+https://pypi.org/project/feeds/)"
_CHUNK: Final = 64 * 1024
#: No fetch waits longer than this, whatever the limits say (a timer must fit the platform).
MAX_FETCH_TIMEOUT: Final = 3600.0


class Document(NamedTuple):
    """One feed document as read.

    Attributes:
        source: The path or URL as the report names it.
        data: The bytes (decoded from gzip/deflate when the server compressed them).
        listed: True when the file was found by listing a folder rather than named.
    """

    source: str
    data: bytes
    listed: bool


def read_targets(targets: Sequence[str], *, limits: Limits) -> list[tuple[str, bytes]]:
    """Read every target into ``(source, bytes)`` pairs, in the order given.

    See `read_documents`; this form drops whether a file was listed from a folder.
    """
    return [(doc.source, doc.data) for doc in read_documents(targets, limits=limits)]


def read_documents(targets: Sequence[str], *, limits: Limits) -> list[Document]:
    """Read every target, in the order given.

    A target is a file (or a pipe or device, read up to the size limit), a folder (every
    feed file inside, recursively, sorted) or an http(s) URL.

    Args:
        targets: Paths and URLs as typed by the user.
        limits: ``max_bytes`` caps every document (after decompression), ``fetch_timeout``
            the whole of every download (connecting, redirects, headers and body).

    Returns:
        One document per feed file or URL.

    Raises:
        UsageError: A target is missing, unreadable, too large, an empty folder, a URL
            that is malformed or has another scheme, or a download that failed or was cut
            short.
    """
    documents: list[Document] = []
    for target in targets:
        try:
            parts = urlsplit(target)
            scheme = parts.scheme.lower()
            if scheme in ("http", "https"):
                _ = parts.port  # raises for a port out of range
                if not parts.hostname:
                    raise ValueError("no host name")
        except ValueError as exc:  # e.g. "http://[::1": an unclosed IPv6 address
            raise UsageError(f"{target}: not a valid URL ({exc}); check the address") from exc
        if scheme in ("http", "https"):
            documents.append(Document(target, _fetch(target, limits), listed=False))
        elif "://" in target or (len(scheme) > 1 and scheme in ("file", "ftp", "data")):
            raise UsageError(
                f"{target}: only http:// and https:// URLs can be fetched; download the feed "
                "and pass the file instead"
            )
        else:
            documents.extend(_read_path(Path(target), target, limits))
    return documents


def _read_path(path: Path, target: str, limits: Limits) -> list[Document]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and _is_feed_file(p))
        if not files:
            raise UsageError(
                f"{target}: the folder holds no feed files (*.xml, *.rss, *.atom, JSON Feeds "
                "or files starting like a feed); name the files to check, or check the path"
            )
        return [Document(str(p), _read_file(p, str(p), limits), listed=True) for p in files]
    if not path.exists():
        raise UsageError(f"{target}: no such file or folder; check the path")
    return [Document(target, _read_file(path, target, limits), listed=False)]


def _is_feed_file(path: Path) -> bool:
    if path.suffix.lower() in FEED_SUFFIXES:
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return False
    # A feed is text that starts as XML or JSON does; an image whose XMP packet names
    # rdf:RDF in its first bytes is not one.
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"<", b"{")):
        return False
    return any(marker in head for marker in _FEED_MARKERS)


def _read_file(path: Path, source: str, limits: Limits) -> bytes:
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISREG(info.st_mode) and info.st_size > limits.max_bytes:
                raise UsageError(_file_too_large(source, limits, f"{info.st_size} bytes is"))
            # Pipes, devices and files that grow while read have no size to trust: read at
            # most one byte more than the limit, never the whole stream.
            data = _read_capped(handle, limits.max_bytes)
    except OSError as exc:
        raise UsageError(
            f"{source}: cannot be read ({exc.strerror or exc}); check the path and permissions"
        ) from exc
    if len(data) > limits.max_bytes:
        raise UsageError(_file_too_large(source, limits, "it is"))
    return data


def _read_capped(handle: BinaryIO, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= max_bytes:
        chunk = handle.read(min(_CHUNK, max_bytes + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _file_too_large(source: str, limits: Limits, what: str) -> str:
    return (
        f"{source}: {what} more than the limit of {limits.max_bytes} bytes; raise the limit "
        "(--max-bytes) if this feed really is that large"
    )


class _Deadline:
    """One clock for a whole download: when it runs out, every socket of the download is
    shut down, which ends any read or connect that is still waiting (a server trickling one
    byte at a time would otherwise restart the per-read timeout forever)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._ends = time.monotonic() + self.seconds
        self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._timer.cancel()

    def remaining(self) -> float:
        """Seconds left, at least a small positive amount (sockets need one)."""
        return max(self._ends - time.monotonic(), 0.001)

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                sock.close()
            else:
                self._sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def _watched(connection: http.client.HTTPConnection, deadline: _Deadline) -> None:
    """Make `connection` register the socket it opens with `deadline`."""
    create = connection._create_connection  # type: ignore[attr-defined]

    def create_watched(
        address: tuple[str, int], timeout: float, source_address: tuple[str, int] | None = None
    ) -> socket.socket:
        sock: socket.socket = create(address, timeout, source_address)
        deadline.watch(sock)
        return sock

    connection._create_connection = create_watched  # type: ignore[attr-defined]


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def _connect(self, host: str, timeout: float | None = None) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection(host, timeout=self._deadline.remaining())
        _watched(connection, self._deadline)
        return connection

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connect, req)  # type: ignore[arg-type]


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def _connect(
        self, host: str, timeout: float | None = None, context: ssl.SSLContext | None = None
    ) -> http.client.HTTPSConnection:
        connection = http.client.HTTPSConnection(
            host, timeout=self._deadline.remaining(), context=context
        )
        _watched(connection, self._deadline)
        return connection

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        context = getattr(self, "_context", None)
        return self.do_open(self._connect, req, context=context)  # type: ignore[arg-type]


def _fetch(url: str, limits: Limits) -> bytes:
    seconds = min(max(limits.fetch_timeout, 0.001), MAX_FETCH_TIMEOUT)
    with _Deadline(seconds) as deadline:
        try:
            data = _download(url, limits, deadline)
        except UsageError as exc:
            if deadline.expired:  # the shut-down socket looked like a body cut short
                raise UsageError(_timed_out(url, seconds)) from exc
            raise
        except urllib.error.HTTPError as exc:
            raise UsageError(
                f"{url}: the server answered HTTP {exc.code} {exc.reason}; check the URL"
            ) from exc
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if deadline.expired or isinstance(exc, TimeoutError):
                raise UsageError(_timed_out(url, seconds)) from exc
            raise UsageError(f"{url}: cannot be fetched ({_describe(exc)}); check the URL") from exc
        if deadline.expired:  # a body without a length ended by the deadline
            raise UsageError(_timed_out(url, seconds))
        return data


def _timed_out(url: str, seconds: float) -> str:
    return (
        f"{url}: no complete answer within {seconds:g} s; try again or raise the timeout "
        "(--timeout)"
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc.reason, str):
        return _describe(exc.reason)
    if isinstance(exc, http.client.IncompleteRead):
        return "the server ended the body before it was complete"
    if isinstance(exc, http.client.BadStatusLine):
        return "the server's reply is not HTTP"
    if isinstance(exc, http.client.LineTooLong):
        return "the server sent a header line that is too long"
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "…"


def _download(url: str, limits: Limits, deadline: _Deadline) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked to be http(s)
        url,
        headers={
            "User-Agent": _USER_AGENT,
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
            "Accept-Encoding": "gzip, deflate",
        },
    )
    # Only what an http(s) fetch needs: no ftp: or file: handler a redirect could reach.
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
        _HTTPHandler(deadline),
        _HTTPSHandler(deadline),
    ):
        opener.add_handler(handler)
    with opener.open(request, timeout=deadline.remaining()) as response:
        final = urlsplit(response.geturl()).scheme.lower()
        if final not in ("http", "https"):
            raise UsageError(f"{url}: redirected to a {final}: URL, which is refused")
        length_header = (response.headers.get("Content-Length") or "").strip()
        expected = int(length_header) if length_header.isdigit() else None
        encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
        decoder = _decoder(url, encoding)
        # The raw body may be compressed: cap what is read as well as what it expands to.
        if expected is not None and decoder is None and expected > limits.max_bytes:
            raise UsageError(_too_large(url, limits))
        received = 0
        parts: list[bytes] = []
        size = 0
        while True:
            chunk = response.read1(_CHUNK)
            if not chunk:
                break
            received += len(chunk)
            if decoder is not None:
                chunk = decoder.decompress(chunk, limits.max_bytes + 1 - size)
                if decoder.unconsumed_tail:
                    raise UsageError(_too_large(url, limits))
            parts.append(chunk)
            size += len(chunk)
            if size > limits.max_bytes or received > limits.max_bytes:
                raise UsageError(_too_large(url, limits))
    if expected is not None and received < expected:
        raise UsageError(
            f"{url}: the server sent {received} of the {expected} bytes it announced; the "
            "download was cut short: try again"
        )
    if decoder is not None:
        try:
            tail = decoder.flush()
        except zlib.error as exc:
            raise UsageError(f"{url}: the {encoding} body is corrupt ({exc})") from exc
        if not decoder.eof:
            raise UsageError(f"{url}: the {encoding} body is truncated; try again")
        parts.append(tail)
        size += len(tail)
        if size > limits.max_bytes:
            raise UsageError(_too_large(url, limits))
    return b"".join(parts)


class _Decompressor:
    """zlib's decompressor, reporting corrupt data as a usage error with the URL."""

    def __init__(self, url: str, encoding: str, wbits: int) -> None:
        self._url = url
        self._encoding = encoding
        self._inner = zlib.decompressobj(wbits)

    @property
    def unconsumed_tail(self) -> bytes:
        return self._inner.unconsumed_tail

    @property
    def eof(self) -> bool:
        return self._inner.eof

    def decompress(self, data: bytes, max_length: int) -> bytes:
        try:
            return self._inner.decompress(data, max(max_length, 1))
        except zlib.error as exc:
            raise UsageError(f"{self._url}: the {self._encoding} body is corrupt ({exc})") from exc

    def flush(self) -> bytes:
        return self._inner.flush()


def _decoder(url: str, encoding: str) -> _Decompressor | None:
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return _Decompressor(url, encoding, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":  # zlib-wrapped as RFC 9110 says (raw deflate is not accepted)
        return _Decompressor(url, encoding, zlib.MAX_WBITS)
    raise UsageError(
        f"{url}: the server compressed the feed as {encoding!r}, which cannot be decoded "
        "(gzip and deflate can); download it and pass the file instead"
    )


def _too_large(url: str, limits: Limits) -> str:
    return (
        f"{url}: the response is larger than the limit of {limits.max_bytes} bytes; raise "
        "the limit if this feed really is that large"
    )

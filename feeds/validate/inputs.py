"""Read the feeds named on the command line: files, folders of feeds, and http(s) URLs."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from feeds.errors import UsageError
from feeds.validate import Limits

FEED_SUFFIXES: Final = (".xml", ".rss", ".atom")
_SNIFF_BYTES: Final = 1024
_FEED_MARKERS: Final = (b"<rss", b"<feed", b"<rdf:RDF", b'"https://jsonfeed.org/version/')
_USER_AGENT: Final = "feeds-validate/0.1 (+https://pypi.org/project/feeds/)"


def read_targets(targets: Sequence[str], *, limits: Limits) -> list[tuple[str, bytes]]:
    """Read every target into ``(source, bytes)`` pairs, in the order given.

    A target is a file, a folder (every feed file inside, recursively, sorted) or an
    http(s) URL.

    Args:
        targets: Paths and URLs as typed by the user.
        limits: ``max_bytes`` caps every document, ``fetch_timeout`` every download.

    Returns:
        One pair per feed document.

    Raises:
        UsageError: A target is missing, unreadable, too large, an empty folder, a URL
            with another scheme, or a download that failed.
    """
    documents: list[tuple[str, bytes]] = []
    for target in targets:
        scheme = urlsplit(target).scheme.lower()
        if scheme in ("http", "https"):
            documents.append((target, _fetch(target, limits)))
        elif "://" in target or (len(scheme) > 1 and scheme in ("file", "ftp", "data")):
            raise UsageError(
                f"{target}: only http:// and https:// URLs can be fetched; download the feed "
                "and pass the file instead"
            )
        else:
            documents.extend(_read_path(Path(target), target, limits))
    return documents


def _read_path(path: Path, target: str, limits: Limits) -> list[tuple[str, bytes]]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and _is_feed_file(p))
        if not files:
            raise UsageError(
                f"{target}: the folder holds no feed files (*.xml, *.rss, *.atom, JSON Feeds "
                "or files starting like a feed); name the files to check, or check the path"
            )
        return [(str(p), _read_file(p, str(p), limits)) for p in files]
    if not path.exists():
        raise UsageError(f"{target}: no such file or folder; check the path")
    return [(target, _read_file(path, target, limits))]


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
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise UsageError(
                f"{source}: {size} bytes is more than the limit of {limits.max_bytes}; "
                "raise the limit if this feed really is that large"
            )
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"{source}: cannot be read ({exc.strerror or exc}); check the path and permissions"
        ) from exc


def _fetch(url: str, limits: Limits) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked to be http(s)
        url,
        headers={
            "User-Agent": _USER_AGENT,
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=limits.fetch_timeout) as response:  # noqa: S310
            final = urlsplit(response.geturl()).scheme.lower()
            if final not in ("http", "https"):
                raise UsageError(f"{url}: redirected to a {final}: URL, which is refused")
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > limits.max_bytes:
                raise UsageError(_too_large(url, limits))
            body: bytes = response.read(limits.max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise UsageError(
            f"{url}: the server answered HTTP {exc.code} {exc.reason}; check the URL"
        ) from exc
    except urllib.error.URLError as exc:
        raise UsageError(
            f"{url}: cannot be fetched ({exc.reason}); check the URL and the network"
        ) from exc
    except TimeoutError as exc:
        raise UsageError(
            f"{url}: no answer within {limits.fetch_timeout:g} s; try again or raise the timeout"
        ) from exc
    except OSError as exc:
        raise UsageError(f"{url}: cannot be fetched ({exc}); check the URL") from exc
    if len(body) > limits.max_bytes:
        raise UsageError(_too_large(url, limits))
    return body


def _too_large(url: str, limits: Limits) -> str:
    return (
        f"{url}: the response is larger than the limit of {limits.max_bytes} bytes; raise "
        "the limit if this feed really is that large"
    )

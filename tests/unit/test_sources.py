"""Tests for feeds.validate.inputs: files, folders, refused schemes and real HTTP fetches."""

from __future__ import annotations

import gzip
import os
import socketserver
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from feeds.errors import ExitStatus, UsageError
from feeds.validate import Limits
from feeds.validate.inputs import read_documents, read_targets

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def test_single_file(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    assert read_targets([str(path)], limits=Limits()) == [(str(path), FEED)]


def test_folder_is_recursive_sorted_and_sniffs_feeds(tmp_path):
    (tmp_path / "b.rss").write_bytes(FEED)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.atom").write_bytes(FEED)
    (tmp_path / "sub" / "index").write_bytes(b"\n<feed xmlns='http://www.w3.org/2005/Atom'/>")
    (tmp_path / "notes.txt").write_bytes(b"just text")
    (tmp_path / "a.XML").write_bytes(FEED)
    got = [source for source, _ in read_targets([str(tmp_path)], limits=Limits())]
    assert got == sorted(
        str(tmp_path / name) for name in ("a.XML", "b.rss", "sub/a.atom", "sub/index")
    )


def test_empty_folder_is_a_usage_error(tmp_path):
    (tmp_path / "readme.txt").write_text("nothing here")
    with pytest.raises(UsageError, match="no feed files") as info:
        read_targets([str(tmp_path)], limits=Limits())
    assert str(tmp_path) in str(info.value)
    assert info.value.status is ExitStatus.USAGE


def test_missing_file_names_the_target(tmp_path):
    missing = str(tmp_path / "nope.xml")
    with pytest.raises(UsageError, match="no such file") as info:
        read_targets([missing], limits=Limits())
    assert str(info.value).startswith(missing)


def test_too_large_file(tmp_path):
    path = tmp_path / "big.xml"
    path.write_bytes(FEED)
    with pytest.raises(UsageError, match="limit of 10"):
        read_targets([str(path)], limits=Limits(max_bytes=10))


@pytest.mark.parametrize("target", ["ftp://example.com/feed.xml", "file:///etc/passwd"])
def test_other_schemes_are_refused(target):
    with pytest.raises(UsageError, match="only http:// and https://"):
        read_targets([target], limits=Limits())


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        routes = {
            "/feed.xml": (200, FEED),
            "/big.xml": (200, b"x" * 5000),
        }
        if self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/feed.xml")
            self.end_headers()
            return
        if self.path == "/chunked-big.xml":  # no Content-Length: the cap must hold while reading
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"y" * 5000)
            return
        status, body = routes.get(self.path, (404, b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_fetch_feed(server):
    url = f"{server}/feed.xml"
    assert read_targets([url], limits=Limits()) == [(url, FEED)]


def test_fetch_follows_redirects(server):
    url = f"{server}/moved"
    assert read_targets([url], limits=Limits()) == [(url, FEED)]


def test_fetch_404(server):
    with pytest.raises(UsageError, match="HTTP 404"):
        read_targets([f"{server}/missing.xml"], limits=Limits())


@pytest.mark.parametrize("path", ["/big.xml", "/chunked-big.xml"])
def test_fetch_too_large(server, path):
    with pytest.raises(UsageError, match="larger than the limit of 1000"):
        read_targets([f"{server}{path}"], limits=Limits(max_bytes=1000))


def test_fetch_connection_refused():
    with pytest.raises(UsageError, match="cannot be fetched"):
        read_targets(["http://127.0.0.1:9/feed.xml"], limits=Limits(fetch_timeout=2))


def test_mixed_targets_keep_order(server, tmp_path):
    path = tmp_path / "local.xml"
    path.write_bytes(FEED)
    url = f"{server}/feed.xml"
    got = read_targets([url, str(path)], limits=Limits())
    assert [source for source, _ in got] == [url, str(path)]


def test_folders_include_json_feeds_but_not_other_json(tmp_path):
    (tmp_path / "feed.json").write_text(
        '{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": []}',
        encoding="utf-8",
    )
    (tmp_path / "package.json").write_text('{"name": "x"}', encoding="utf-8")
    names = [name for name, _ in read_targets([str(tmp_path)], limits=Limits())]
    assert names == [str(tmp_path / "feed.json")]


def test_folders_skip_images_whose_xmp_looks_like_a_feed(tmp_path):
    (tmp_path / "rss.xml").write_bytes(FEED)
    xmp = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><rdf:RDF xmlns:rdf='x'/></x:xmpmeta>"
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe1\x00\x50" + xmp + b"\xff\xd9")
    got = [source for source, _ in read_targets([str(tmp_path)], limits=Limits())]
    assert got == [str(tmp_path / "rss.xml")]


# --- hostile inputs ----------------------------------------------------------------------

GZ_FEED = gzip.compress(FEED)


def _raw_reply(path: str) -> Iterator[bytes]:
    """What the raw server sends for `path`, piece by piece (a real server misbehaving)."""
    if path == "/trickle":  # a valid start, then one byte every 0.3 s for a minute
        yield b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n"
        for _ in range(200):
            time.sleep(0.3)
            yield b"x"
    elif path == "/trickle-headers":
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"y" * 200:
            time.sleep(0.3)
            yield bytes([byte])
    elif path == "/not-http":
        yield b"SSH-2.0-OpenSSH_9.2\r\n"
    elif path == "/long-header":
        yield b"HTTP/1.1 200 OK\r\nX-Big: " + b"z" * 70_000 + b"\r\n\r\n"
    elif path == "/many-headers":
        yield b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(150)) + b"\r\n"
    elif path == "/bad-chunks":
        yield b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n"
    elif path == "/short":
        yield b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (len(FEED) + 500) + FEED
    elif path == "/gzip":
        yield (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
            % len(GZ_FEED)
            + GZ_FEED
        )
    elif path == "/deflate":
        body = zlib.compress(FEED)
        yield b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n\r\n" + body
    elif path == "/gzip-bomb":  # 1 MB of zeros in about 1 KB
        body = gzip.compress(b"\0" * 1_000_000)
        yield b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + body
    elif path == "/gzip-corrupt":
        yield b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + GZ_FEED[:10] + b"garbage!"
    elif path == "/brotli":
        yield b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 3\r\n\r\nabc"


class _RawHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            data = self.request.recv(4096)
            if not data:
                return
            request += data
        path = request.split(b" ")[1].decode()
        try:
            for piece in _raw_reply(path):
                self.request.sendall(piece)
        except OSError:  # the client gave up, as it should
            pass


@pytest.fixture
def raw_server() -> Iterator[str]:
    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    httpd = Server(("127.0.0.1", 0), _RawHandler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.mark.parametrize("path", ["/trickle", "/trickle-headers"])
def test_the_timeout_bounds_the_whole_download(raw_server, path):
    began = time.monotonic()
    with pytest.raises(UsageError, match=r"no complete answer within 1 s") as info:
        read_targets([f"{raw_server}{path}"], limits=Limits(fetch_timeout=1))
    assert time.monotonic() - began < 3
    assert info.value.status is ExitStatus.USAGE


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/not-http", "reply is not HTTP"),
        ("/long-header", "header line that is too long"),
        ("/many-headers", "more than 100 headers"),
        ("/bad-chunks", "ended the body before it was complete"),
        ("/short", r"sent 81 of the 581 bytes it announced"),
        ("/gzip-corrupt", "gzip body is corrupt"),
        ("/brotli", "compressed the feed as 'br'"),
    ],
)
def test_a_bad_server_is_a_usage_error_naming_the_url(raw_server, path, message):
    url = f"{raw_server}{path}"
    with pytest.raises(UsageError, match=message) as info:
        read_targets([url], limits=Limits(fetch_timeout=5))
    assert str(info.value).startswith(url)


@pytest.mark.parametrize("path", ["/gzip", "/deflate"])
def test_compressed_bodies_are_decoded(raw_server, path):
    url = f"{raw_server}{path}"
    assert read_targets([url], limits=Limits(fetch_timeout=5)) == [(url, FEED)]


def test_the_size_limit_applies_to_the_decompressed_body(raw_server):
    with pytest.raises(UsageError, match="larger than the limit of 100000"):
        read_targets([f"{raw_server}/gzip-bomb"], limits=Limits(max_bytes=100_000))


@pytest.mark.parametrize(
    "target",
    ["http://exa mple.com/feed.xml", "http://[::1", "http://127.0.0.1:99999/x", "https:///x"],
)
def test_malformed_urls_are_usage_errors(target):
    with pytest.raises(UsageError, match=r"not a valid URL|control characters") as info:
        read_targets([target], limits=Limits(fetch_timeout=2))
    assert str(info.value).startswith(target)


def test_a_huge_timeout_is_clamped_not_a_crash(server):
    url = f"{server}/feed.xml"
    assert read_targets([url], limits=Limits(fetch_timeout=1e300)) == [(url, FEED)]


def test_devices_and_pipes_are_read_only_up_to_the_limit(tmp_path):
    with pytest.raises(UsageError, match="more than the limit of 4096 bytes"):
        read_targets(["/dev/zero"], limits=Limits(max_bytes=4096))
    fifo = tmp_path / "feed.fifo"
    os.mkfifo(fifo)

    def feed_the_pipe() -> None:
        with fifo.open("wb") as pipe:
            pipe.write(FEED)

    writer = threading.Thread(target=feed_the_pipe)
    writer.start()
    assert read_targets([str(fifo)], limits=Limits()) == [(str(fifo), FEED)]
    writer.join(5)


def test_folder_listing_is_marked_and_named_files_are_not(tmp_path):
    (tmp_path / "a.xml").write_bytes(FEED)
    docs = read_documents([str(tmp_path), str(tmp_path / "a.xml")], limits=Limits())
    assert [(d.source, d.listed) for d in docs] == [
        (str(tmp_path / "a.xml"), True),
        (str(tmp_path / "a.xml"), False),
    ]

"""Tests for feeds.validate.inputs: files, folders, refused schemes and real HTTP fetches."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from feeds.errors import ExitStatus, UsageError
from feeds.validate import Limits
from feeds.validate.inputs import read_targets

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
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
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

"""The preview server over real HTTP on loopback: types, validators, 304, gzip, refusals."""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import http.client
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image as PILImage

from feeds.config import load_config
from feeds.daemon import Control
from feeds.errors import UsageError
from feeds.model import RenderedFeed
from feeds.serve import (
    HeldBackError,
    Previewer,
    PreviewServer,
    Site,
    accepts_gzip,
    content_type,
    exposure_warning,
    is_loopback,
    open_server,
    site_of,
)

FEED = b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>' + b"x" * 600
FEED += b"</channel></rss>\n"


class Client:
    """One HTTP/1.1 connection per request; paths are sent exactly as given."""

    def __init__(self, port: int) -> None:
        self.port = port

    def request(
        self, path: str, method: str = "GET", headers: dict[str, str] | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                connection.putheader(name, value)
            connection.endheaders()
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "output"
    (root / "sport").mkdir(parents=True)
    (root / "media/news").mkdir(parents=True)
    (root / "rss.xml").write_bytes(FEED)
    (root / "atom.xml").write_bytes(b"<feed>" + b"a" * 600 + b"</feed>")
    (root / "feed.json").write_bytes(b'{"version": "https://jsonfeed.org/version/1.1"}' * 10)
    (root / "index.html").write_bytes(b"<!doctype html><title>Feeds</title>" + b" " * 400)
    (root / "feeds.opml").write_bytes(b"<opml/>" * 50)
    (root / "sport/rss.xml").write_bytes(FEED)
    (root / "sport/index.html").write_bytes(b"<p>sport</p>")
    (root / "small.xml").write_bytes(b"<a/>")
    for name, kind in (("a.jpg", "JPEG"), ("b.png", "PNG"), ("c.webp", "WEBP"), ("d.gif", "GIF")):
        PILImage.new("RGB", (60, 40), (10, 90, 200)).save(root / "media/news" / name, kind)
    (root / "media/news/e.avif").write_bytes(b"\0\0\0\x1cftypavif")
    (root / "media/news/.hidden.jpg").write_bytes(b"hidden")
    (root / "notes.unknown").write_bytes(b"?")
    (root / ".feeds.lock").write_bytes(b"")
    (root / ".git").mkdir()
    (root / ".git/config").write_bytes(b"[core]")
    (root / "state").mkdir()
    (root / "state/status.json").write_bytes(b"{}")
    (tmp_path / "secret.txt").write_bytes(b"secret")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/x.xml").write_bytes(b"<outside/>")
    return root


@pytest.fixture
def site(folder: Path) -> Site:
    return Site(
        root=folder,
        hidden=(folder / "state",),
        public_url="https://news.example.org/",
        hubs=("https://hub.example.net/",),
    )


@pytest.fixture
def client(site: Site) -> Iterator[Client]:
    server = open_server(site, bind="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Client(server.port)
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/rss.xml", "application/rss+xml; charset=utf-8"),
        ("/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/feed.json", "application/feed+json; charset=utf-8"),
        ("/sport/rss.xml", "application/rss+xml; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/", "text/html; charset=utf-8"),
        ("/feeds.opml", "text/x-opml; charset=utf-8"),
        ("/small.xml", "application/xml; charset=utf-8"),
        ("/media/news/a.jpg", "image/jpeg"),
        ("/media/news/b.png", "image/png"),
        ("/media/news/c.webp", "image/webp"),
        ("/media/news/d.gif", "image/gif"),
        ("/media/news/e.avif", "image/avif"),
        ("/notes.unknown", "application/octet-stream"),
    ],
)
def test_every_file_has_its_content_type_with_charset_for_text(
    client: Client, path: str, expected: str
) -> None:
    status, headers, _body = client.request(path)
    assert status == 200
    assert headers["Content-Type"] == expected
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_content_type_goes_by_feed_file_name_then_suffix() -> None:
    assert content_type("rss.xml").startswith("application/rss+xml")
    assert content_type("sitemap.xml").startswith("application/xml")
    assert content_type("PHOTO.JPG") == "image/jpeg"


def test_strong_etag_from_the_bytes_and_last_modified_from_the_file(
    client: Client, folder: Path
) -> None:
    os.utime(folder / "rss.xml", (1_780_000_000, 1_780_000_000))
    status, headers, body = client.request("/rss.xml")
    assert status == 200 and body == FEED
    assert headers["ETag"] == f'"{hashlib.sha256(FEED).hexdigest()[:32]}"'
    assert headers["Last-Modified"] == email.utils.formatdate(1_780_000_000, usegmt=True)
    assert headers["Cache-Control"] == "no-cache"
    assert int(headers["Content-Length"]) == len(FEED)
    # Same bytes in another file (another build) give the same tag; other bytes another one.
    assert client.request("/sport/rss.xml")[1]["ETag"] == headers["ETag"]
    (folder / "rss.xml").write_bytes(FEED.replace(b"x", b"y"))
    assert client.request("/rss.xml")[1]["ETag"] != headers["ETag"]


def test_if_none_match_answers_304_with_the_validators_and_no_body(client: Client) -> None:
    _status, headers, _body = client.request("/rss.xml")
    etag = headers["ETag"]
    for match in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        status, again, body = client.request("/rss.xml", headers={"If-None-Match": match})
        assert (status, body) == (304, b""), match
        assert again["ETag"] == etag
        assert again["Last-Modified"] == headers["Last-Modified"]
    status, _again, body = client.request("/rss.xml", headers={"If-None-Match": '"other"'})
    assert status == 200 and body == FEED


def test_if_modified_since_answers_304_unless_the_file_is_newer(
    client: Client, folder: Path
) -> None:
    os.utime(folder / "rss.xml", (1_780_000_000, 1_780_000_000))
    same = email.utils.formatdate(1_780_000_000, usegmt=True)
    later = email.utils.formatdate(1_780_000_100, usegmt=True)
    earlier = email.utils.formatdate(1_779_999_000, usegmt=True)
    assert client.request("/rss.xml", headers={"If-Modified-Since": same})[0] == 304
    assert client.request("/rss.xml", headers={"If-Modified-Since": later})[0] == 304
    assert client.request("/rss.xml", headers={"If-Modified-Since": earlier})[0] == 200
    assert client.request("/rss.xml", headers={"If-Modified-Since": "yesterday"})[0] == 200
    # If-None-Match decides when both are sent (RFC 9110 13.2.2).
    both = {"If-Modified-Since": same, "If-None-Match": '"other"'}
    assert client.request("/rss.xml", headers=both)[0] == 200


def test_head_gives_the_headers_of_get_without_the_body(client: Client) -> None:
    _status, get_headers, body = client.request("/feed.json")
    status, head_headers, head_body = client.request("/feed.json", method="HEAD")
    assert status == 200 and head_body == b""
    for name in ("Content-Type", "Content-Length", "ETag", "Last-Modified", "Vary"):
        assert head_headers[name] == get_headers[name]
    assert int(head_headers["Content-Length"]) == len(body)
    assert client.request("/missing.xml", method="HEAD")[:3:2] == (404, b"")


def test_text_is_gzipped_when_the_client_accepts_it(client: Client) -> None:
    status, headers, body = client.request("/rss.xml", headers={"Accept-Encoding": "br, gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == FEED
    assert int(headers["Content-Length"]) == len(body) < len(FEED)
    plain = client.request("/rss.xml")[1]
    assert "Content-Encoding" not in plain and plain["Vary"] == "Accept-Encoding"
    # Different bytes, a different strong tag; each revalidates as itself.
    assert headers["ETag"] != plain["ETag"]
    again = {"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]}
    assert client.request("/rss.xml", headers=again)[0] == 304
    refused = client.request("/rss.xml", headers={"Accept-Encoding": "gzip;q=0, deflate"})[1]
    assert "Content-Encoding" not in refused


@pytest.mark.parametrize("path", ["/index.html", "/feeds.opml", "/atom.xml", "/feed.json"])
def test_every_text_type_is_compressible(client: Client, path: str) -> None:
    headers = client.request(path, headers={"Accept-Encoding": "gzip"})[1]
    assert headers["Content-Encoding"] == "gzip"


def test_images_and_tiny_files_are_never_gzipped(client: Client) -> None:
    for path in ("/media/news/a.jpg", "/small.xml"):
        headers = client.request(path, headers={"Accept-Encoding": "gzip"})[1]
        assert "Content-Encoding" not in headers and "Vary" not in headers


def test_accept_encoding_parsing() -> None:
    assert accepts_gzip("gzip")
    assert accepts_gzip("deflate, gzip;q=0.5")
    assert accepts_gzip("*")
    assert not accepts_gzip(None)
    assert not accepts_gzip("identity")
    assert not accepts_gzip("gzip;q=0")
    assert not accepts_gzip("*, gzip;q=0")
    assert not accepts_gzip("*;q=0")


def test_feed_files_carry_websub_links_to_the_hubs_and_their_public_self(client: Client) -> None:
    links = client.request("/sport/rss.xml")[1].get_all("Link")
    assert links == [
        '<https://hub.example.net/>; rel="hub"',
        '<https://news.example.org/sport/rss.xml>; rel="self"',
    ]
    assert client.request("/index.html")[1].get_all("Link") is None
    assert client.request("/media/news/a.jpg")[1].get_all("Link") is None


def test_no_hubs_no_links(folder: Path) -> None:
    assert Site(root=folder, public_url="https://news.example.org/").links("rss.xml") == []


@pytest.mark.parametrize(
    "path",
    [
        "/.feeds.lock",
        "/.git/config",
        "/.git/",
        "/media/news/.hidden.jpg",
        "/%2efeeds.lock",
        "/state/status.json",
        "/state/",
    ],
)
def test_dot_files_and_the_state_folder_are_never_served(client: Client, path: str) -> None:
    status, _headers, body = client.request(path)
    assert status == 404
    assert body == b"404 Not Found\n"


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/media/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/media/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/%252e%252e/secret.txt",
        "/rss.xml%00.html",
        "/./rss.xml",
        "http://127.0.0.1/../secret.txt",
    ],
)
def test_path_traversal_is_refused_in_every_encoding(client: Client, path: str) -> None:
    status, _headers, body = client.request(path)
    assert status == 404
    assert b"secret" not in body


def test_a_path_that_is_not_utf8_is_a_bad_request(client: Client) -> None:
    assert client.request("/%ff.xml")[0] == 400


def test_symbolic_links_out_of_the_folder_are_refused_and_inside_it_followed(
    client: Client, folder: Path
) -> None:
    (folder / "leak.txt").symlink_to(folder.parent / "secret.txt")
    (folder / "elsewhere").symlink_to(folder.parent / "outside")
    (folder / "lock.txt").symlink_to(folder / ".feeds.lock")
    (folder / "state-link").symlink_to(folder / "state")
    (folder / "latest.xml").symlink_to(folder / "rss.xml")
    for path in ("/leak.txt", "/elsewhere/x.xml", "/lock.txt", "/state-link/status.json"):
        assert client.request(path)[0] == 404, path
    status, headers, body = client.request("/latest.xml")
    assert (status, body) == (200, FEED)
    assert headers["Content-Type"] == "application/rss+xml; charset=utf-8", "the file's type"


def test_folders_serve_their_index_page_and_are_never_listed(client: Client) -> None:
    status, headers, _body = client.request("/sport")
    assert status == 301 and headers["Location"] == "/sport/"
    assert client.request("/sport/")[2] == b"<p>sport</p>"
    assert client.request("/media/")[0] == 404
    assert client.request("/media")[0] == 404
    assert client.request("/rss.xml/")[0] == 404
    assert client.request("/missing.xml")[0] == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_refused_with_405_and_allow(client: Client, method: str) -> None:
    status, headers, body = client.request("/rss.xml", method=method)
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"
    assert body == b"405 Method Not Allowed\n"


def test_an_unknown_method_is_not_implemented(client: Client) -> None:
    assert client.request("/rss.xml", method="BREW")[0] == 501


def test_loopback_is_the_default_and_anything_else_is_called_a_preview() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert is_loopback(host) and exposure_warning(host) is None
    for host in ("0.0.0.0", "::", "192.0.2.10", "preview.example.org"):
        warning = exposure_warning(host)
        assert warning is not None and "preview server" in warning, host


def test_a_port_in_use_is_a_clear_usage_error(site: Site) -> None:
    server = open_server(site, bind="127.0.0.1", port=0)
    try:
        with pytest.raises(UsageError, match=r"cannot listen on 127\.0\.0\.1:\d+: .*--port"):
            open_server(site, bind="127.0.0.1", port=server.port)
    finally:
        server.server_close()


# --- building: what a failed rebuild leaves -----------------------------------------------

CONFIG = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"
timezone = "Europe/Berlin"
"""
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def story(root: Path, name: str, title: str, *, broken: bool = False) -> None:
    path = root / "articles/news" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    date = "2026-13-45" if broken else "2026-05-01T10:00:00+02:00"
    path.write_text(f"---\ntitle: {title}\ndate: {date}\n---\nThe story.\n", encoding="utf-8")


@pytest.fixture
def previewer(tmp_path: Path) -> Iterator[Previewer]:
    (tmp_path / "config.toml").write_text(CONFIG, encoding="utf-8")
    story(tmp_path, "one.md", "One")
    story(tmp_path, "two.md", "Two")
    story(tmp_path, "old-broken.md", "Broken from the start", broken=True)
    config = load_config(tmp_path / "config.toml")
    server = PreviewServer(("127.0.0.1", 0), site_of(config, ()))
    try:
        ticks = iter(range(10**6))
        previewer = Previewer(
            config, server, Control(), clock=lambda: NOW + timedelta(minutes=next(ticks))
        )
        yield previewer
        previewer.close()
    finally:
        server.server_close()


def rss(previewer: Previewer) -> str:
    return (previewer.config.output / "rss.xml").read_text(encoding="utf-8")


def test_a_known_broken_article_does_not_hold_back_the_preview(previewer: Previewer) -> None:
    assert previewer.build(NOW, ["start"])
    assert "<title>One</title>" in rss(previewer)
    story(previewer.config.repository.parent, "one.md", "One, edited")
    assert previewer.build(NOW, ["watch"])
    assert "<title>One, edited</title>" in rss(previewer)
    assert previewer.failures == 0


def test_a_newly_broken_article_keeps_the_last_good_files_and_says_why(
    previewer: Previewer, caplog: pytest.LogCaptureFixture
) -> None:
    assert previewer.build(NOW, ["start"])
    before = rss(previewer)
    root = previewer.config.repository.parent
    story(root, "two.md", "Two", broken=True)
    story(root, "one.md", "One, edited")
    with caplog.at_level(logging.ERROR, logger="feeds"):
        assert not previewer.build(NOW, ["watch"])
    assert rss(previewer) == before, "the last good files stay served"
    message = caplog.text
    assert "still serving the last good build" in message
    assert "1 new article problem(s)" in message and "news/two.md" in message
    assert "old-broken.md" not in message.split("new article problem(s)")[1]
    story(root, "two.md", "Two, fixed")
    assert previewer.build(NOW, ["watch"])
    assert "<title>Two, fixed</title>" in rss(previewer)
    assert "<title>One, edited</title>" in rss(previewer)


def test_an_invalid_feed_keeps_the_last_good_files(
    previewer: Previewer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from feeds import build  # noqa: PLC0415

    assert previewer.build(NOW, ["start"])
    before = rss(previewer)
    story(previewer.config.repository.parent, "one.md", "One, edited")
    # A feed the validator rejects cannot be written by any article: this fault is injected.
    render = build.render_feed

    def invalid(*args: object, **kwargs: object) -> RenderedFeed:
        feed = render(*args, **kwargs)  # type: ignore[arg-type]
        return replace(feed, body=b"<rss/>") if feed.format == "rss" else feed

    monkeypatch.setattr(build, "render_feed", invalid)
    with caplog.at_level(logging.ERROR, logger="feeds"):
        assert not previewer.build(NOW, ["watch"])
    assert rss(previewer) == before
    assert "still serving the last good build" in caplog.text


def test_a_configuration_that_breaks_is_reported_and_the_running_one_stays(
    previewer: Previewer, caplog: pytest.LogCaptureFixture
) -> None:
    source = previewer.config.source
    source.write_text(CONFIG + "[output]\npath = 3\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="feeds"):
        previewer.tick()
    assert "cannot be used; the running configuration stays" in caplog.text
    assert "output.path" in caplog.text
    assert previewer.config.output == source.parent / "output"
    source.write_text(CONFIG + '[output]\npath = "public"\n', encoding="utf-8")
    previewer.tick()
    assert previewer.server.site.root == source.parent / "public"
    assert (source.parent / "public/rss.xml").is_file(), "a reload builds at once"


def test_held_back_error_is_an_article_problem_status() -> None:
    assert int(HeldBackError("x").status) == 4


def test_a_file_too_large_to_keep_is_streamed_with_its_tag_from_the_bytes(
    client: Client, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from feeds import serve  # noqa: PLC0415

    monkeypatch.setattr(serve, "_KEEP_FILE_BYTES", 1000)
    monkeypatch.setattr(serve, "_CHUNK", 700)
    big = bytes(range(256)) * 20
    (folder / "media/news/big.png").write_bytes(big)
    status, headers, body = client.request("/media/news/big.png")
    assert (status, body) == (200, big)
    assert headers["ETag"] == f'"{hashlib.sha256(big).hexdigest()[:32]}"'
    assert int(headers["Content-Length"]) == len(big)
    head = client.request("/media/news/big.png", method="HEAD")
    assert head[2] == b"" and head[1]["Content-Length"] == str(len(big))
    again = client.request("/media/news/big.png", headers={"If-None-Match": headers["ETag"]})
    assert again[0] == 304


def test_an_address_of_no_interface_is_a_clear_usage_error(site: Site) -> None:
    with pytest.raises(UsageError, match=r"cannot listen on 192\.0\.2\.1:0: .*--bind"):
        open_server(site, bind="192.0.2.1", port=0)


def test_the_configured_hubs_are_the_served_link_headers(tmp_path: Path) -> None:
    from feeds.serve import hubs_of  # noqa: PLC0415

    path = tmp_path / "config.toml"
    path.write_text(CONFIG + '[websub]\nhubs = ["https://hub.example.org/"]\n', encoding="utf-8")
    assert hubs_of(load_config(path)) == ("https://hub.example.org/",)

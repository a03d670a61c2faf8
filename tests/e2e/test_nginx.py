"""The README's nginx server block, run by Debian's real nginx against a sample build."""

from __future__ import annotations

import gzip
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.build import publish
from feeds.config import load_config

PROJECT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SITE = "https://news.example.org/"
HUB = "https://pubsubhubbub.appspot.com/"
LISTEN = "    listen 80;\n"
ROOT = "    root /srv/feeds/output;\n"


def readme_server_block() -> str:
    """The first ```nginx block of the README's "Serve with nginx" section, exactly."""
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Serve with nginx\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"^```nginx\n(.*?)^```$", section, re.DOTALL | re.MULTILINE)
    assert match, "the README's Serve with nginx section has no ```nginx block"
    return match.group(1)


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if not found:
        pytest.fail(
            "nginx is not installed: this test runs the README's server block in a real nginx;"
            " install it with `apt-get install -y nginx-light` (scripts/test does)"
        )
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("nginx-site")
    shutil.copytree(PROJECT / "articles", root / "articles")
    shutil.copy(PROJECT / "config.toml", root / "config.toml")
    shutil.copytree(PROJECT / "branding", root / "branding")
    publish(load_config(root / "config.toml"), now=NOW)
    output = root / "output"
    # What must never be served (the lock file `feeds build` leaves, with words to look for).
    (output / ".feeds.lock").write_text("secret\n", encoding="utf-8")
    (output / ".git").mkdir()
    (output / ".git/config").write_text("[core] secret\n", encoding="utf-8")
    (output / "media/.cache.jpg").write_text("secret\n", encoding="utf-8")
    (root / "secret.txt").write_text("secret\n", encoding="utf-8")
    (output / "leak.txt").symlink_to(root / "secret.txt")
    return output


@pytest.fixture(scope="module")
def nginx(output: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    binary = nginx_binary()
    block = readme_server_block()
    assert block.count(LISTEN) == 1 and block.count(ROOT) == 1, "listen / root lines changed"
    prefix = tmp_path_factory.mktemp("nginx")
    # pytest's temporary folders are private to their owner: workers of a root master must
    # run as root to read them (the `user` directive is ignored, with a warning, otherwise).
    user = "user root;\n" if os.geteuid() == 0 else ""
    for attempt in range(3):
        port = free_port()
        server = block.replace(LISTEN, f"    listen 127.0.0.1:{port};\n").replace(
            ROOT, f"    root {output};\n"
        )
        (prefix / "server.conf").write_text(server, encoding="utf-8")
        (prefix / "nginx.conf").write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {prefix}/nginx.pid;\n"
            f"error_log {prefix}/error.log notice;\nevents {{ worker_connections 64; }}\n"
            "http {\n    access_log off;\n"
            + "".join(
                f"    {kind}_temp_path {prefix}/{kind};\n"
                for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
            + f"    include {prefix}/server.conf;\n}}\n",
            encoding="utf-8",
        )
        process = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if _listening(port, process):
            break
        _, errors = process.communicate(timeout=10)
        if attempt == 2 or "Address already in use" not in errors:
            pytest.fail(f"nginx did not start with the README's block:\n{errors}")
    try:
        yield port
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _listening(port: int, process: subprocess.Popen[str]) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def request(
    port: int, path: str, method: str = "GET", **headers: str
) -> tuple[int, http.client.HTTPMessage, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", "news.example.org")
        for name, value in headers.items():
            connection.putheader(name.replace("_", "-"), value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/rss.xml", "application/rss+xml; charset=utf-8"),
        ("/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/feed.json", "application/feed+json; charset=utf-8"),
        ("/sport/rss.xml", "application/rss+xml; charset=utf-8"),
        ("/author/mara-lind/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/", "text/html; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/feeds.opml", "text/x-opml; charset=utf-8"),
        ("/media/news/fish-market/market-stall.jpg", "image/jpeg"),
        ("/media/news/images/storm-breakwater.png", "image/png"),
        ("/media/sport/2026-05-10-regatta.webp", "image/webp"),
    ],
)
def test_every_file_has_its_type_and_cache_lifetime(
    nginx: int, output: Path, path: str, expected: str
) -> None:
    status, headers, body = request(nginx, path)
    assert status == 200
    assert headers["Content-Type"] == expected
    assert body == (output / (path.lstrip("/") or "index.html")).read_bytes()
    lifetime = "max-age=86400" if path.startswith("/media/") else "max-age=300"
    assert headers["Cache-Control"] == lifetime


def test_etag_and_last_modified_give_304(nginx: int) -> None:
    _status, headers, _body = request(nginx, "/rss.xml")
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', etag)
    status, again, body = request(nginx, "/rss.xml", If_None_Match=etag)
    assert (status, body) == (304, b"")
    assert again["ETag"] == etag
    assert request(nginx, "/rss.xml", If_Modified_Since=modified)[0] == 304
    assert request(nginx, "/rss.xml", If_None_Match='"other"')[0] == 200


def test_text_is_gzipped_and_its_weak_etag_still_gives_304(nginx: int, output: Path) -> None:
    for path in ("/rss.xml", "/atom.xml", "/feed.json", "/index.html", "/feeds.opml"):
        status, headers, body = request(nginx, path, Accept_Encoding="gzip")
        assert status == 200
        assert headers["Content-Encoding"] == "gzip", path
        assert headers["Vary"] == "Accept-Encoding"
        assert gzip.decompress(body) == (output / (path.lstrip("/"))).read_bytes()
    etag = request(nginx, "/rss.xml", Accept_Encoding="gzip")[1]["ETag"]
    assert etag.startswith('W/"')
    assert request(nginx, "/rss.xml", Accept_Encoding="gzip", If_None_Match=etag)[0] == 304
    image = request(nginx, "/media/news/fish-market/market-stall.jpg", Accept_Encoding="gzip")
    assert "Content-Encoding" not in image[1]


def test_feed_files_carry_the_websub_links(nginx: int) -> None:
    for path in ("/rss.xml", "/atom.xml", "/feed.json", "/sport/rss.xml"):
        links = request(nginx, path)[1].get_all("Link")
        assert links == [f'<{HUB}>; rel="hub"', f'<{SITE}{path[1:]}>; rel="self"'], path
    assert request(nginx, "/index.html")[1].get_all("Link") is None


def test_head_works_and_other_methods_are_refused(nginx: int) -> None:
    status, headers, body = request(nginx, "/atom.xml", method="HEAD")
    assert status == 200 and body == b""
    assert headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert request(nginx, "/atom.xml", method="POST")[0] == 405


@pytest.mark.parametrize(
    "path", ["/.feeds.lock", "/.git/config", "/.git/", "/media/.cache.jpg", "/%2egit/config"]
)
def test_dot_files_are_denied(nginx: int, path: str) -> None:
    status, _headers, body = request(nginx, path)
    assert status == 404
    assert b"secret" not in body


@pytest.mark.parametrize(
    "path", ["/leak.txt", "/../secret.txt", "/%2e%2e/secret.txt", "/media/..%2f..%2fsecret.txt"]
)
def test_symlinks_out_and_traversal_are_denied(nginx: int, path: str) -> None:
    status, _headers, body = request(nginx, path)
    assert status in (400, 403, 404)
    assert b"secret" not in body


def test_folders_are_not_listed(nginx: int) -> None:
    assert request(nginx, "/media/")[0] in (403, 404)

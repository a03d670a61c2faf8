"""S3-compatible object storage as a publish target and a state store (the only botocore import).

What the build publishes goes under the configured prefix with the layout of the output folder
(`rss.xml`, `sport/atom.xml`, `media/...`, `index.html`, `feeds.opml`); what decides what is
published lives beside it under `.feeds/`:

- `.feeds/manifest.json`: each object this target wrote, with the SHA-256 of its bytes, its
  headers and the ETag the storage gave it. An object is sent again only when its bytes or
  headers differ, or when the storage no longer holds that ETag for it (someone replaced or
  removed it, or the manifest is stale); an object the manifest does not know is compared
  with the SHA-256 kept in its own metadata (one HEAD) before anything is sent, so a lost
  manifest costs requests, never wrong content.
- `.feeds/published-ids.json`, `.feeds/published-feeds.json`, `.feeds/websub-pending.json`:
  the records of the state store, so that a second host building the same configuration
  publishes the same result.
- `.feeds/lock`: the lease of the one writer (see `S3Target.lease`).

The client is botocore, the engine of boto3 (the same AWS credential chain, retries and
signing, without boto3's resource layer and its import of s3transfer, about 0.15 s less). It is
imported only when a configuration names an `s3://` target: about 0.5 s with its S3 client,
which a local build does not pay.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import botocore.session
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from feeds.atomic import replace_file
from feeds.errors import FeedsError, LockedError, OutputError, TargetAccessError
from feeds.model import FEED_FILE_NAMES, FEED_MEDIA_TYPES, Blob
from feeds.publish import MEDIA_DIR, Change, Delete, Kind, Put, WriteResult
from feeds.rules import IMAGE_FORMATS

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ListObjectsV2OutputTypeDef

log = logging.getLogger(__name__)

_T = TypeVar("_T")

#: Folder under the prefix that holds the target's own records (never published as a feed).
STATE_FOLDER = ".feeds"
MANIFEST = "manifest.json"
LOCK = "lock"
_LOCK_KEY = f"{STATE_FOLDER}/{LOCK}"
#: State records that say nothing about what is published (left out of the target's stamp).
_NOT_CONTENT = frozenset({_LOCK_KEY, f"{STATE_FOLDER}/websub-pending.json"})

#: How long a lease lasts without being renewed; its holder renews it every quarter of that.
LEASE_SECONDS = 60.0
_LEASE_POLL_SECONDS = 1.0
#: Attempts per request (retries with exponential backoff and jitter on 500, 503, throttling,
#: timeouts and dropped connections) unless AWS_MAX_ATTEMPTS or the profile says otherwise.
DEFAULT_ATTEMPTS = 5
_SHA_META = "feeds-sha256"  # sent as x-amz-meta-feeds-sha256
_MANIFEST_VERSION = 1

_PAGE_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".json": "application/json",
}
_FEED_TYPES = {
    name: f"{FEED_MEDIA_TYPES[fmt]}; charset=utf-8" for fmt, name in FEED_FILE_NAMES.items()
}
_IMAGE_TYPES = {
    suffix: media_type for media_type, suffixes in IMAGE_FORMATS.values() for suffix in suffixes
}
_STATE_CACHE_CONTROL = "no-store"

# Codes that say the credentials are missing, wrong or not allowed: a setup problem.
_ACCESS_CODES = frozenset(
    {
        "AccessDenied",
        "AllAccessDisabled",
        "AuthorizationHeaderMalformed",
        "ExpiredToken",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "InvalidToken",
        "SignatureDoesNotMatch",
        "TokenRefreshRequired",
    }
)
_HELD_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})


def content_type(change: Put) -> str:
    """The `Content-Type` an object is served with: the feed format's type, the page's, or the
    image type sniffed from its bytes; text always with its charset."""
    name = change.path.rsplit("/", 1)[-1]
    suffix = f".{name.rsplit('.', 1)[-1].lower()}" if "." in name else ""
    if change.kind == "feed":
        return _FEED_TYPES.get(name, "application/xml; charset=utf-8")
    if change.kind == "page":
        return _PAGE_TYPES.get(suffix, "application/octet-stream")
    return change.media_type or _IMAGE_TYPES.get(suffix, "application/octet-stream")


@dataclass(frozen=True, slots=True)
class _Held:
    """An object as the storage lists it."""

    etag: str
    size: int


@dataclass(frozen=True, slots=True)
class _Entry:
    """What the manifest knows of one object this target wrote."""

    sha256: str
    etag: str
    size: int
    type: str
    cache: str


def _credentials_key() -> str:
    """A digest of what chooses the credentials, so that a changed environment gets a new
    client (the values themselves are never kept or shown)."""
    names = sorted(name for name in os.environ if name.startswith("AWS_"))
    text = "\n".join(f"{name}={os.environ[name]}" for name in names)
    return hashlib.sha256(text.encode()).hexdigest()


class _Bucket:
    """One bucket and prefix: the client, the error messages, the listing and manifest of the
    current build and the lease, shared by the target and the store of that location."""

    def __init__(
        self, bucket: str, prefix: str, endpoint_url: str | None, region: str | None
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint_url = endpoint_url
        session = botocore.session.Session()
        configured = session.get_config_variable("max_attempts")
        self.attempts = int(configured) if configured else DEFAULT_ATTEMPTS
        retries: dict[str, Any] = {"mode": "standard", "total_max_attempts": self.attempts}
        config = BotoConfig(
            retries=retries,  # type: ignore[arg-type]
            connect_timeout=5,
            read_timeout=30,
            # Path-style addressing and no optional checksums: what every S3-compatible store
            # understands; each upload carries its Content-MD5, which the storage verifies.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        client = session.create_client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region or session.get_config_variable("region") or "us-east-1",
            config=config,
        )
        self.client = cast("S3Client", client)
        self.lease: _Lease | None = None
        self._listing: dict[str, _Held] | None = None
        self._dirty = False
        self._manifest: dict[str, _Entry] | None = None

    # --- naming ---------------------------------------------------------------------------

    def url(self, rel: str = "") -> str:
        return f"s3://{self.bucket}/{self.prefix}{rel}"

    def describe(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"{self.url()}{where}"

    def key(self, rel: str) -> str:
        return f"{self.prefix}{rel}"

    # --- the build's view of the bucket ----------------------------------------------------

    def forget(self) -> None:
        """Drop what was read: a new lease (or its end) must look at the bucket again."""
        self._listing = None
        self._manifest = None
        self._dirty = False

    def listing(self) -> dict[str, _Held]:
        """Every object under the prefix (relative key -> ETag, size), listed once per lease
        and kept up to date with this target's own writes."""
        if self._listing is None:
            self._listing = self._list()
            self._dirty = False
        return self._listing

    def _list(self) -> dict[str, _Held]:
        held: dict[str, _Held] = {}
        token = ""

        def request() -> ListObjectsV2OutputTypeDef:
            if token:
                return self.client.list_objects_v2(
                    Bucket=self.bucket, Prefix=self.prefix, ContinuationToken=token
                )
            return self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix)

        while True:
            page = self.call("list", "", request)
            for item in page.get("Contents", []):
                rel = item["Key"][len(self.prefix) :]
                held[rel] = _Held(item.get("ETag", ""), item.get("Size", 0))
            if not page.get("IsTruncated"):
                return held
            token = page.get("NextContinuationToken", "")

    def stamp(self) -> str:
        """A digest of every object and ETag under the prefix but the lock: it changes when
        anything published or recorded there changes, whoever changed it."""
        if self._dirty:
            self._listing = None  # the storage's own ETags, not the ones our writes were told
        listing = self.listing()
        digest = hashlib.sha256()
        for rel in sorted(listing):
            if rel not in _NOT_CONTENT:
                digest.update(f"{rel}\0{listing[rel].etag}\0{listing[rel].size}\n".encode())
        return digest.hexdigest()

    def wrote(self, rel: str, etag: str, size: int) -> None:
        if self._listing is not None:
            self._listing[rel] = _Held(etag, size)
        self._dirty = True

    def removed(self, rel: str) -> None:
        if self._listing is not None:
            self._listing.pop(rel, None)
        self._dirty = True

    def manifest(self) -> dict[str, _Entry]:
        if self._manifest is None:
            self._manifest = self._read_manifest()
        return self._manifest

    def _read_manifest(self) -> dict[str, _Entry]:
        rel = f"{STATE_FOLDER}/{MANIFEST}"
        self.listing()  # the baseline the lease checks (see `unchanged_since_read`)
        data = self.get(rel)
        if data is None:
            return {}
        try:
            raw = json.loads(data)
            if raw.get("version") != _MANIFEST_VERSION:
                raise ValueError("not a manifest of this version")
            return {
                path: _Entry(
                    sha256=str(item["sha256"]),
                    etag=str(item["etag"]),
                    size=int(item["size"]),
                    type=str(item["type"]),
                    cache=str(item["cache"]),
                )
                for path, item in raw["objects"].items()
            }
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning(
                "%s: the manifest is unreadable (%s); every object is checked against its"
                " own checksum instead",
                self.url(rel),
                exc,
            )
            return {}

    def save_manifest(self, entries: Mapping[str, _Entry]) -> None:
        objects = {path: asdict(entry) for path, entry in sorted(entries.items())}
        body = json.dumps({"version": _MANIFEST_VERSION, "objects": objects}, indent=1)
        self.put_state(MANIFEST, body.encode("utf-8") + b"\n")

    # --- requests --------------------------------------------------------------------------

    def call(self, action: str, rel: str, request: Callable[[], _T]) -> _T:
        """Run one request (botocore retries it); every failure becomes a `FeedsError` that
        names the object and the cause, never a traceback."""
        try:
            return request()
        except ClientError as exc:
            raise self._client_error(exc, action, rel) from exc
        except NoCredentialsError as exc:
            raise TargetAccessError(
                f"{self.url(rel)}: no credentials found: set AWS_ACCESS_KEY_ID and"
                " AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run on a host with an instance role"
                " (credentials never go in config.toml)"
            ) from exc
        except BotoCoreError as exc:
            raise OutputError(
                f"{self.url(rel)}: cannot {action}: {exc} (gave up after {self.attempts}"
                f" attempts): check that the storage{self._at()} is reachable; the objects"
                " already published stay valid and the next build completes the set"
            ) from exc

    def _at(self) -> str:
        return f" at {self.endpoint_url}" if self.endpoint_url else ""

    def _client_error(self, exc: ClientError, action: str, rel: str) -> FeedsError:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        message = str(error.get("Message", "")) or "no message"
        if code == "NoSuchBucket":
            return TargetAccessError(
                f"s3://{self.bucket}/: the bucket does not exist{self._at()}: create it, or"
                " correct output.path"
            )
        if code == "AccessDenied":
            return TargetAccessError(
                f"{self.url(rel)}: cannot {action}: access denied: the credentials need"
                f" s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on {self.url()}"
            )
        if code in _ACCESS_CODES or status in (401, 403):
            return TargetAccessError(
                f"{self.url(rel)}: the storage refused the credentials ({code or status}):"
                " check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"
            )
        return OutputError(
            f"{self.url(rel)}: cannot {action}: the storage answered {status} {code}: {message}"
            f" (gave up after {self.attempts} attempts); the objects already published stay"
            " valid and the next build completes the set"
        )

    def get(self, rel: str) -> bytes | None:
        def request() -> bytes | None:
            try:
                response = self.client.get_object(Bucket=self.bucket, Key=self.key(rel))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None
                raise
            return response["Body"].read()

        return self.call("read", rel, request)

    def head(self, rel: str) -> dict[str, Any] | None:
        def request() -> dict[str, Any] | None:
            try:
                return dict(self.client.head_object(Bucket=self.bucket, Key=self.key(rel)))
            except ClientError as exc:
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                    return None
                raise

        return self.call("check", rel, request)

    def put(self, rel: str, data: bytes, *, type_: str, cache: str, sha256: str) -> str:
        """Upload one object whole (S3 replaces it atomically); returns its ETag."""
        self.check_lease(rel)
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        response = self.call(
            "upload",
            rel,
            lambda: self.client.put_object(
                Bucket=self.bucket,
                Key=self.key(rel),
                Body=data,
                ContentType=type_,
                CacheControl=cache,
                ContentMD5=md5,
                Metadata={_SHA_META: sha256},
            ),
        )
        etag = str(response.get("ETag", ""))
        self.wrote(rel, etag, len(data))
        return etag

    def put_state(self, name: str, data: bytes) -> None:
        rel = f"{STATE_FOLDER}/{name}"
        self.put(
            rel,
            data,
            type_="application/json",
            cache=_STATE_CACHE_CONTROL,
            sha256=hashlib.sha256(data).hexdigest(),
        )

    def delete(self, rel: str) -> None:
        self.check_lease(rel)
        self.call(
            "delete",
            rel,
            lambda: self.client.delete_object(Bucket=self.bucket, Key=self.key(rel)),
        )
        self.removed(rel)

    def check_lease(self, rel: str) -> None:
        """Before writing `rel`: hold the lease (taken now if this is the first write)."""
        if self.lease is not None:
            self.lease.hold()
            self.lease.check(rel)

    def unchanged_since_read(self) -> bool:
        """Once the lease is held: the bucket still lists what this build read before."""
        if self._listing is None:
            return True  # nothing was read yet, so nothing can be stale
        before = {rel: held for rel, held in self._listing.items() if rel != _LOCK_KEY}
        now = {rel: held for rel, held in self._list().items() if rel != _LOCK_KEY}
        return before == now


_BUCKETS: dict[tuple[str, str, str | None, str | None, str], _Bucket] = {}
_BUCKETS_LOCK = threading.Lock()


def _connect(bucket: str, prefix: str, endpoint_url: str | None, region: str | None) -> _Bucket:
    """The one `_Bucket` of a location in this process (a client is costly to make, and the
    lease and the build's view of the bucket are shared by its target and its store)."""
    key = (bucket, prefix, endpoint_url, region, _credentials_key())
    with _BUCKETS_LOCK:
        found = _BUCKETS.get(key)
        if found is None:
            found = _BUCKETS[key] = _Bucket(bucket, prefix, endpoint_url, region)
        return found


# --- the lease -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _LockSeen:
    etag: str
    holder: str
    age: float
    ttl: float
    gone: bool  # its holder was a process of this machine that is no longer running


def _started(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot), or None when there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def _identity() -> dict[str, object]:
    """Who takes a lease: enough to tell later, on the same machine, that it is gone."""
    identity: dict[str, object] = {"host": socket.gethostname(), "pid": os.getpid()}
    with contextlib.suppress(OSError):
        identity["boot"] = Path("/proc/sys/kernel/random/boot_id").read_text("ascii").strip()
        identity["pidns"] = str(Path("/proc/self/ns/pid").readlink())
        identity["started"] = _started(os.getpid())
    return identity


def _holder_gone(holder: object) -> bool:
    """The lease's holder ran on this very machine, in this process namespace, and has ended
    (its pid is gone or is another process now), or it is this process's own leftover: it
    cannot renew, so waiting for the lease to lapse would be time lost."""
    mine = _identity()
    if not isinstance(holder, dict) or "boot" not in mine or "started" not in mine:
        return False
    if any(holder.get(key) != mine[key] for key in ("host", "boot", "pidns")):
        return False
    pid = holder.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    return _started(pid) != holder.get("started") or pid == os.getpid()


class _Lease:
    """One writer at a time, by a lock object that only one can create.

    The lock is created with a conditional PUT (`If-None-Match: *`), which the storage refuses
    (412) while the object exists; the holder renews it every quarter of its lifetime with
    `If-Match` on its own ETag. A lock not renewed for its lifetime, by the storage's own
    clock (its `Last-Modified` against the `Date` of the answer), belonged to a writer that
    died: it is taken over with `If-Match` on the ETag seen, so that of several waiters only
    one wins; one whose holder ran on this machine and has ended is taken over at once. A
    holder that cannot renew (its lock was taken over, or the storage was out of reach for a
    whole lifetime) stops before its next write.

    The lock is taken at the build's first write (`hold`), and then the listing the build
    read before is compared with the bucket's: anything changed meanwhile (another writer
    published) and the build stops before writing. So a build writes only from what it read
    under the lock's protection, and a build that has nothing to write takes no lock at all.
    """

    def __init__(
        self, bucket: _Bucket, ttl: float, *, wait: float, stop: threading.Event | None
    ) -> None:
        self.bucket = bucket
        self.ttl = ttl
        self.wait = wait
        self.stop = stop
        self.held = False
        self.stale = ""  # what this build read changed before it could take the lock
        self.rel = _LOCK_KEY
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.etag = ""
        self.lost = ""
        self._renewed = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _body(self) -> bytes:
        body = {"owner": self.owner, "ttl": self.ttl, "identity": _identity()}
        return json.dumps(body).encode("utf-8")

    def _put(self, **condition: str) -> str | None:
        """Write the lock under `condition`; its new ETag, or None when the condition failed."""
        bucket = self.bucket

        def request() -> str | None:
            try:
                response = bucket.client.put_object(
                    Bucket=bucket.bucket,
                    Key=bucket.key(self.rel),
                    Body=self._body(),
                    ContentType="application/json",
                    CacheControl=_STATE_CACHE_CONTROL,
                    **condition,  # type: ignore[arg-type]
                )
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                # NoSuchKey: renewing (If-Match) a lock that another writer already released.
                if code in _HELD_CODES or (code == "NoSuchKey" and "IfMatch" in condition):
                    return None
                raise
            return str(response.get("ETag", ""))

        return bucket.call("take the lease", self.rel, request)

    def _look(self) -> _LockSeen | None:
        bucket = self.bucket

        def request() -> _LockSeen | None:
            try:
                response = bucket.client.get_object(Bucket=bucket.bucket, Key=bucket.key(self.rel))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None
                raise
            body = response["Body"].read()
            headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
            try:
                info = json.loads(body)
                holder, ttl = str(info["owner"]), float(info["ttl"])
                gone = _holder_gone(info.get("identity"))
            except (ValueError, KeyError, TypeError, AttributeError):
                holder, ttl, gone = "an unknown writer", self.ttl, False
            server_now = parsedate_to_datetime(headers["date"]) if "date" in headers else None
            modified: datetime = response["LastModified"]
            age = (server_now - modified).total_seconds() if server_now else 0.0
            ttl = min(max(ttl, 5), 3600)
            return _LockSeen(str(response.get("ETag", "")), holder, age, ttl, gone)

        return bucket.call("read the lease", self.rel, request)

    def hold(self) -> None:
        """Take the lock unless already held, then check that nothing changed meanwhile."""
        if self.held:
            return
        self.acquire(self.wait, self.stop)
        self.held = True
        if not self.bucket.unchanged_since_read():
            self.stale = (
                f"{self.bucket.url()}: another writer published here while this build was"
                " rendering, so it wrote nothing: the next build starts from what that one"
                " published"
            )
            raise LockedError(self.stale)

    def acquire(self, wait: float, stop: threading.Event | None) -> None:
        deadline = time.monotonic() + wait
        announced = False
        while True:
            etag = self._put(IfNoneMatch="*")
            seen = None if etag else self._look()
            if etag is None and seen is not None and (seen.gone or seen.age > seen.ttl):
                etag = self._put(IfMatch=seen.etag)
                if etag:
                    why = "which has ended" if seen.gone else f"not renewed for {seen.age:.0f} s"
                    log.warning(
                        "%s: took over the lease of %s, %s",
                        self.bucket.url(self.rel),
                        seen.holder,
                        why,
                    )
            if etag:
                self.etag = etag
                break
            if time.monotonic() >= deadline or (stop is not None and stop.is_set()):
                holder = seen.holder if seen else "another writer"
                raise LockedError(
                    f"{self.bucket.url()}: {holder} is publishing here (lease"
                    f" {self.bucket.url(self.rel)}; a lease not renewed for {self.ttl:g} s is"
                    f" taken over); gave up after {wait:g} s: try again later or raise --wait"
                )
            if not announced and seen is not None:
                log.info(
                    "waiting for %s to finish publishing to %s", seen.holder, self.bucket.url()
                )
                announced = True
            pause = max(0.0, min(_LEASE_POLL_SECONDS, deadline - time.monotonic()))
            if stop is not None:
                stop.wait(pause)
            else:
                time.sleep(pause)
        self._renewed = time.monotonic()
        self._thread = threading.Thread(target=self._renew_loop, name="feeds-lease", daemon=True)
        self._thread.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl / 4):
            try:
                etag = self._put(IfMatch=self.etag)
            except FeedsError as exc:
                if time.monotonic() - self._renewed > self.ttl:
                    self.lost = f"it could not be renewed for {self.ttl:g} s: {exc}"
                    return
                log.warning("%s: cannot renew the lease yet: %s", self.bucket.url(self.rel), exc)
                continue
            if etag is None:
                self.lost = "another writer took it over"
                log.error("%s: lost the lease: %s", self.bucket.url(self.rel), self.lost)
                return
            self.etag, self._renewed = etag, time.monotonic()

    def check(self, rel: str) -> None:
        """Raise unless the lease is surely still ours: a holder that was frozen (suspended,
        swapped out) for a whole lifetime may have been taken over before it could tell."""
        if self.stale:
            raise LockedError(self.stale)
        if not self.lost and time.monotonic() - self._renewed > self.ttl:
            self.lost = f"not renewed for {self.ttl:g} s"
        if self.lost:
            raise LockedError(
                f"{self.bucket.url(rel)}: stopped before writing it: lost the lease ({self.lost});"
                " the objects already published stay valid and the next build completes the set"
            )

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.lost or not self.etag:
            return
        bucket = self.bucket

        def request() -> None:
            key = bucket.key(self.rel)
            try:
                bucket.client.delete_object(Bucket=bucket.bucket, Key=key, IfMatch=self.etag)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code in _HELD_CODES:
                    log.warning("%s: the lease was taken over", bucket.url(self.rel))
                    return
                if code not in ("NotImplemented", "InvalidArgument", "InvalidRequest"):
                    raise
                # A store without conditional deletes: ours is the lock we renewed last.
                bucket.client.delete_object(Bucket=bucket.bucket, Key=key)

        try:
            bucket.call("release the lease", self.rel, request)
        except FeedsError as exc:
            log.warning(
                "%s: cannot release the lease (%s); it lapses after %g s",
                bucket.url(self.rel),
                exc,
                self.ttl,
            )


# --- the target and the store ----------------------------------------------------------------


class S3Target:
    """Publishes into a bucket under a prefix; a CDN or the storage's website serves it.

    Args:
        bucket, prefix, endpoint_url, region: The location (``output.path``, ``[output.s3]``).
        cache_control: `Cache-Control` per kind of object ("feed", "media", "page").
        hashes: A local file remembering the SHA-256 of each image file by its size and time,
            so that an unchanged image is not read again to be compared (a cache: safe to
            lose; it is kept on the host, as the files' times are the host's).
        lease_seconds: Lifetime of the lease without renewal.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str,
        *,
        endpoint_url: str | None,
        region: str | None,
        cache_control: Mapping[Kind, str],
        hashes: Path | None = None,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self._bucket = _connect(bucket, prefix, endpoint_url, region)
        self._cache_control = dict(cache_control)
        self._hashes = _Hashes(hashes)
        self._lease_seconds = lease_seconds

    def describe(self) -> str:
        return self._bucket.describe()

    @contextlib.contextmanager
    def lease(self, *, wait: float, stop: threading.Event | None = None) -> Iterator[None]:
        """Hold the target for one writer (see `_Lease` for what that guarantees).

        The lock object is taken at the first write, not before: a build that finds nothing
        to change writes nothing at all, not even a lock. What the build read before it took
        the lock is checked once it holds it: if another writer changed anything meanwhile,
        it stops before writing (`LockedError`); the next build starts from what that one
        published.
        """
        bucket = self._bucket
        if bucket.lease is not None:  # already held by this process (a nested build)
            yield
            return
        lease = _Lease(bucket, self._lease_seconds, wait=wait, stop=stop)
        bucket.forget()
        bucket.lease = lease
        try:
            yield
        finally:
            bucket.lease = None
            lease.release()
            bucket.forget()

    def media(self) -> list[str]:
        return sorted(rel for rel in self._bucket.listing() if rel.startswith(f"{MEDIA_DIR}/"))

    def read(self, path: str) -> bytes | None:
        return self._bucket.get(path)

    def stamp(self) -> str:
        return self._bucket.stamp()

    def apply(self, changes: Sequence[Change]) -> WriteResult:
        bucket = self._bucket
        listing = bucket.listing()
        manifest = bucket.manifest()
        before = dict(manifest)
        written: list[str] = []
        unchanged: list[str] = []
        removed: list[str] = []
        try:
            for change in changes:
                if isinstance(change, Delete):
                    if self._delete(change.path, listing, manifest):
                        removed.append(change.path)
                elif self._put(change, listing, manifest):
                    written.append(change.path)
                else:
                    unchanged.append(change.path)
        except OutputError as exc:
            exc.written = tuple(written)  # live already: their feeds can still be announced
            raise
        finally:
            if manifest != before:
                self._save_manifest(manifest)
            self._hashes.save()
        for rel in written:
            log.debug("uploaded %s", bucket.url(rel))
        return WriteResult(tuple(written), tuple(unchanged), tuple(removed))

    def _save_manifest(self, manifest: Mapping[str, _Entry]) -> None:
        try:
            self._bucket.save_manifest(manifest)
        except FeedsError as exc:
            # Without it the next build compares each object's own checksum instead: slower,
            # never wrong.
            log.warning("cannot save the manifest: %s", exc)

    def _put(self, change: Put, listing: dict[str, _Held], manifest: dict[str, _Entry]) -> bool:
        """Upload `change` unless the storage holds those very bytes with those headers."""
        bucket = self._bucket
        rel = change.path
        type_, cache = content_type(change), self._cache_control[change.kind]
        entry, held = manifest.get(rel), listing.get(rel)
        known = (
            entry is not None
            and held is not None
            and held.etag == entry.etag
            and (entry.type, entry.cache) == (type_, cache)
        )
        body = change.body
        data = body if isinstance(body, bytes) else None
        sha256 = self._hashes.get(rel, body) if isinstance(body, Blob) else None
        if sha256 is None:
            data = data if data is not None else self._read(rel, body)
            sha256 = hashlib.sha256(data).hexdigest()
        if known and entry is not None and entry.sha256 == sha256:
            return False
        if held is not None and not known and self._holds(rel, sha256, type_, cache):
            manifest[rel] = _Entry(sha256, held.etag, held.size, type_, cache)
            return False
        if data is None:  # only the cache said what the image holds: send what it holds now
            data = self._read(rel, body)
            sha256 = hashlib.sha256(data).hexdigest()
        etag = bucket.put(rel, data, type_=type_, cache=cache, sha256=sha256)
        manifest[rel] = _Entry(sha256, etag, len(data), type_, cache)
        return True

    def _read(self, rel: str, body: bytes | Blob) -> bytes:
        """The bytes to send; an image's hash is remembered by its file's size and time."""
        if isinstance(body, bytes):
            return body
        data = _read_blob(body, self._bucket.url(rel))
        self._hashes.put(rel, body, hashlib.sha256(data).hexdigest())
        return data

    def _holds(self, rel: str, sha256: str, type_: str, cache: str) -> bool:
        """An object the manifest does not know (or knows under another ETag) carries these
        bytes and headers, as its own metadata says."""
        head = self._bucket.head(rel)
        if head is None:
            return False
        metadata = head.get("Metadata", {})
        return (
            metadata.get(_SHA_META) == sha256
            and head.get("ContentType") == type_
            and head.get("CacheControl") == cache
        )

    def _delete(self, rel: str, listing: dict[str, _Held], manifest: dict[str, _Entry]) -> bool:
        if rel not in listing:
            manifest.pop(rel, None)
            return False
        try:
            self._bucket.delete(rel)
        except OutputError as exc:
            if not rel.startswith(f"{MEDIA_DIR}/"):
                raise
            log.warning("cannot remove unpublished media: %s", exc)
            return False
        manifest.pop(rel, None)
        return True


class _Hashes:
    """The local record of each image's SHA-256 by its file's size and time (see `hashes`)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._known: dict[str, list[Any]] | None = None
        self._changed = False

    def _load(self) -> dict[str, list[Any]]:
        if self._known is None:
            self._known = {}
            if self.path is not None:
                with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
                    raw = json.loads(self.path.read_bytes())
                    if isinstance(raw, dict) and raw.get("version") == _MANIFEST_VERSION:
                        self._known = dict(raw["sources"])
        return self._known

    def get(self, rel: str, blob: Blob) -> str | None:
        known = self._load().get(rel)
        if isinstance(known, list) and known[:2] == [blob.size, blob.mtime_ns]:
            return str(known[2])
        return None

    def put(self, rel: str, blob: Blob, sha256: str) -> None:
        self._load()[rel] = [blob.size, blob.mtime_ns, sha256]
        self._changed = True

    def save(self) -> None:
        if self.path is None or not self._changed or self._known is None:
            return
        data = json.dumps({"version": _MANIFEST_VERSION, "sources": self._known}, indent=0)
        try:
            replace_file(self.path, data.encode("utf-8"))
        except OSError as exc:
            log.warning("%s: cannot save: %s", self.path, exc.strerror)
        self._changed = False


def _read_blob(blob: Blob, url: str) -> bytes:
    try:
        with blob.open() as stream:
            return stream.read()
    except OSError as exc:
        raise OutputError(
            f"{url}: cannot read the image to upload: {exc.strerror or exc}; the objects already"
            " published stay valid"
        ) from exc


class S3Store:
    """The state records in the bucket, under the prefix's `.feeds/` (a `StateStore`).

    Unlike a state folder's file, a record that cannot be read because the storage fails is an
    error, not a missing record: the registry of published ids must not start afresh because
    of one failed request.
    """

    def __init__(
        self, bucket: str, prefix: str, *, endpoint_url: str | None, region: str | None
    ) -> None:
        self._bucket = _connect(bucket, prefix, endpoint_url, region)
        self._seen: dict[str, bytes | None] = {}

    def describe(self, name: str) -> str:
        return self._bucket.url(f"{STATE_FOLDER}/{name}")

    def read(self, name: str) -> bytes | None:
        self._bucket.listing()  # what the build read is checked against it once it writes
        data = self._bucket.get(f"{STATE_FOLDER}/{name}")
        self._seen[name] = data
        return data

    def write(self, name: str, data: bytes) -> None:
        if name not in self._seen:
            self.read(name)
        if self._seen[name] == data:
            return
        try:
            self._bucket.put_state(name, data)
        except OutputError as exc:  # (a lost lease is raised: the build must stop)
            log.warning("%s: cannot save: %s", self.describe(name), exc)
            return
        self._seen[name] = data

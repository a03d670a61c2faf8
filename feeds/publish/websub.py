"""WebSub publishing: tell each hub that a changed feed's new bytes are live (a `Notifier`).

After a build has replaced a feed at its target (the rename done, the PUT acknowledged), each
configured hub gets one form-encoded POST ``hub.mode=publish&hub.url=<the feed's self URL>``
(the publish notification WebSub hubs accept, W3C WebSub section 6 leaves its form to the hub).
A hub that cannot be reached or refuses is logged and its announcements are kept in the state
store (``websub-pending.json``), to be sent again at the next build; it never fails a build.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from http.client import HTTPException

from feeds import __version__
from feeds.model import RenderedFeed
from feeds.state.store import StateStore

log = logging.getLogger(__name__)

PENDING_FILE = "websub-pending.json"
_VERSION = 1
DEFAULT_TIMEOUT = 10.0

Ping = tuple[str, str]  # (hub URL, feed self URL)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would arrive as a GET without its form: report it instead."""

    def redirect_request(self, *_: object, **__: object) -> None:
        return None


class WebSubNotifier:
    """Announces changed feeds to every configured hub.

    Args:
        hubs: The hubs (``[websub] hubs``).
        store: Where announcements that failed wait for the next build.
        timeout: Seconds to wait for a hub's answer.
    """

    def __init__(
        self, hubs: Sequence[str], store: StateStore, *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.hubs = tuple(hubs)
        self.store = store
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects())
        self._recorded = False

    def published(self, feeds: Sequence[RenderedFeed]) -> list[str]:
        """Announce `feeds` (and what failed before) to every hub; one message per failure."""
        pending = self._load()
        fresh = [(hub, feed.url) for feed in feeds for hub in self.hubs]
        todo = list(dict.fromkeys([*pending, *fresh]))
        if not todo:
            return []
        failed: list[Ping] = []
        messages: list[str] = []
        unreachable: dict[str, str] = {}
        for hub, url in todo:
            problem = unreachable.get(hub) or self._ping(hub, url)
            if problem is None:
                log.info("told %s that %s changed", hub, url)
                continue
            if problem.startswith("cannot reach"):
                unreachable[hub] = problem  # the hub's other announcements wait too
            failed.append((hub, url))
            message = f"WebSub hub {hub}: {url}: {problem}; it is sent again at the next build"
            log.warning("%s", message)
            messages.append(message)
        self._save(failed)
        return messages

    def _ping(self, hub: str, url: str) -> str | None:
        """POST one publish notification; None when the hub took it, else what went wrong."""
        form = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": url}).encode("ascii")
        request = urllib.request.Request(  # noqa: S310 - the hub URL is an http(s) URL (config)
            hub,
            data=form,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": f"feeds/{__version__}",
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read()
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            if 300 <= exc.code < 400:
                where = exc.headers.get("Location") or "elsewhere"
                return f"the hub answered {exc.code} (moved to {where}): update [websub] hubs"
            return f"the hub answered {exc.code} {exc.reason}"
        except (urllib.error.URLError, HTTPException, OSError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            return f"cannot reach the hub: {reason}"
        if not 200 <= status < 300:
            return f"the hub answered {status}"
        return None

    def _load(self) -> list[Ping]:
        """The announcements still owed to hubs that are still configured."""
        data = self.store.read(PENDING_FILE)
        self._recorded = data is not None
        if data is None:
            return []
        try:
            raw = json.loads(data.decode("utf-8"))
            items = raw["pending"] if raw.get("version") == _VERSION else []
            pings = [(str(item["hub"]), str(item["url"])) for item in items]
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning(
                "%s: unreadable; announcements that failed before are not sent again",
                self.store.describe(PENDING_FILE),
            )
            return []
        return [(hub, url) for hub, url in pings if hub in self.hubs]

    def _save(self, pings: Iterable[Ping]) -> None:
        items = [{"hub": hub, "url": url} for hub, url in pings]
        if not items and not self._recorded:
            return  # nothing owed, and no record saying otherwise
        text = json.dumps({"version": _VERSION, "pending": items}, indent=1) + "\n"
        self.store.write(PENDING_FILE, text.encode("utf-8"))

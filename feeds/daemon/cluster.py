"""Several daemons, one publisher: leader election through the article database, its change
notifications, and the reconnecting when the database goes away.

Every `feeds run` of a configuration with `repository.url` holds one session with the database.
The one whose session holds the advisory lock of the publish target leads: it builds and
publishes, and confirms that it still holds the lock before each publish step. The others are
standbys: they try for the lock every second and take over at once when the leader's session
ends (its process died, its connection dropped, its host went silent for about 6 s).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feeds.errors import FeedsError, LockedError, SourceUnreachableError
from feeds.sources.postgres import Holder, Session, host_name
from feeds.state.daemons import DaemonRecord, remove_record, stamp, write_record

log = logging.getLogger(__name__)

#: How often a standby tries for the lock (a dead leader is replaced within this, plus the
#: time the server takes to notice its death).
TRY_LEAD_SECONDS = 1.0
#: The longest a daemon waits on the database at a time, so that signals are seen at once.
WAIT_SLICE_SECONDS = 0.25
#: Reconnecting after the database went away: the first wait, doubled up to the last.
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 5.0
#: How often each daemon renews its record in the state folder.
RECORD_SECONDS = 5.0


class NotLeaderError(FeedsError):
    """This daemon no longer holds the leader lock: it must not publish."""


class Cluster:
    """This daemon's place among the daemons that share its database and publish target.

    Args:
        url: `repository.url`.
        target: The publish target the lock is for (the same text on every host).
        state_dir: Where this daemon's record goes (`feeds status` reads it).
        now: The daemon clock's reading at start.
    """

    def __init__(
        self, url: str, target: str, state_dir: Path, now: datetime, *, host: str | None = None
    ) -> None:
        self.host = host or host_name()
        self.pid = os.getpid()
        self.session = Session(url, target, host=self.host, pid=self.pid)
        self.state_dir = state_dir
        self.leading = False
        self.since = now
        self.leader: Holder | None = None
        self._changed = False
        self._lost_track = True
        self._next_try = now
        self._retry_at: datetime | None = None
        self._backoff = BACKOFF_FIRST
        self._recorded: datetime | None = None
        self._outage_logged = False

    # -- the daemon's loop --

    def start(self) -> None:
        """Connect; a database that cannot be reached at start is an error.

        Raises:
            SourceUnreachableError: the database cannot be reached.
        """
        self.session.open()
        log.info("connected to %s as %s (pid %d)", self.session.url, self.host, self.pid)

    def stop(self) -> None:
        """Leave: the session ends and a standby takes over at once."""
        self.session.close()
        remove_record(self.state_dir, self.host, self.pid)

    def poll(self, now: datetime) -> tuple[str, ...]:
        """Keep the session and the role current; the reasons to build now (leader only)."""
        if self.leading and not self.session.connected:
            self._step_down(now, "the session with the database is gone, and the lock with it")
        if not self.session.connected and not self._reconnect(now):
            self._record(now)
            return ()
        try:
            if self.leading and not self.session.holds():
                self._step_down(now, "the database says this session no longer holds the lock")
            if not self.leading and now >= self._next_try:
                self._next_try = now + timedelta(seconds=TRY_LEAD_SECONDS)
                if self.session.try_lead(now):
                    self.leading, self.since = True, now
                    self.leader = Holder(self.host, self.pid, now)
                    log.info("leader now: %s (pid %d) builds and publishes", self.host, self.pid)
                    self._lost_track = False
                    self._changed = False
                    self._record(now, force=True)
                    return ("leader",)
                self._watch_leader()
        except SourceUnreachableError as exc:
            self._lost(now, exc)
            return ()
        self._record(now)
        if not self.leading:
            self._changed = False  # a standby builds nothing; taking over, it builds it all
            return ()
        reasons: list[str] = []
        if self._lost_track:
            reasons.append("reconnected")
        if self._changed:
            reasons.append("change")
        self._lost_track = self._changed = False
        return tuple(reasons)

    def wait(self, seconds: float, stop: threading.Event, reload: threading.Event) -> None:
        """Sleep up to `seconds`, waking at once for a change notification (or a signal)."""
        deadline = time.monotonic() + max(0.0, seconds)
        while not (stop.is_set() or reload.is_set() or (self._changed and self.leading)):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if not self.session.connected:
                stop.wait(min(left, WAIT_SLICE_SECONDS))
                continue
            keys = self.session.wait(min(left, WAIT_SLICE_SECONDS))
            if keys is None:
                self._lost_track = True  # what changed meanwhile is unknown: build it all
                log.warning("lost the session with the article database; reconnecting")
                self._retry_at = None
                return
            if keys:
                log.debug("changed: %s", ", ".join(sorted(set(keys))[:10]))
                self._changed = True

    def next_wake(self) -> float:
        """The most a standby (or a daemon without its database) may sleep."""
        return TRY_LEAD_SECONDS

    def confirm(self) -> None:
        """Called before each publish step: go on only while this session holds the lock.

        Raises:
            NotLeaderError: it does not (or the session is gone).
        """
        try:
            held = self.session.holds()
        except SourceUnreachableError as exc:
            raise NotLeaderError(
                f"stopped publishing: the session with the database is gone ({exc}), and with it "
                "the leader lock; a standby takes over"
            ) from None
        if not held:
            raise NotLeaderError("stopped publishing: this daemon no longer holds the leader lock")

    def still_leading(self, exc: FeedsError) -> bool:
        """Whether a failed build left this daemon the leader."""
        return not isinstance(exc, NotLeaderError)

    def lost_leadership(self, now: datetime) -> None:
        """A publish found the lock gone: become a standby."""
        if self.leading:
            self._step_down(now, "a publish step found the lock gone")

    # -- the record in the state folder --

    def record(self) -> DaemonRecord:
        """This daemon as `feeds status` shows it."""
        leader = self.leader
        return DaemonRecord(
            host=self.host,
            pid=self.pid,
            role="leader" if self.leading else "standby",
            since=stamp(self.since),
            leader_host=leader.host if leader else None,
            leader_pid=leader.pid if leader else None,
            leader_since=stamp(leader.since) if leader else None,
            seen=stamp(self._recorded or self.since),
        )

    def _record(self, now: datetime, *, force: bool = False) -> None:
        if (
            not force
            and self._recorded
            and now - self._recorded < timedelta(seconds=RECORD_SECONDS)
        ):
            return
        self._recorded = now
        try:
            write_record(self.state_dir, self.record())
        except OSError as exc:
            log.warning("%s: cannot write this daemon's record: %s", self.state_dir, exc)

    # -- roles and the session --

    def _watch_leader(self) -> None:
        leader = self.session.leader()
        if leader != self.leader:
            self.leader = leader
            if leader is not None:
                log.info(
                    "standby: %s (pid %d) leads since %s",
                    leader.host,
                    leader.pid,
                    stamp(leader.since),
                )

    def _step_down(self, now: datetime, why: str) -> None:
        log.warning("no longer the leader: %s; standing by", why)
        self.leading, self.since, self.leader = False, now, None
        self._next_try = now
        self._record(now, force=True)

    def _lost(self, now: datetime, exc: FeedsError) -> None:
        if self.leading:
            self._step_down(now, "the session with the database is gone")
        if not self._outage_logged:
            log.warning("%s", exc)
        self.session.close()
        self._retry_at = now + timedelta(seconds=self._backoff)
        self._lost_track = True

    def _reconnect(self, now: datetime) -> bool:
        if self._retry_at is not None and now < self._retry_at:
            return False
        try:
            self.session.open()
        except SourceUnreachableError as exc:
            if self.leading:
                self._step_down(now, "the session with the database is gone")
            if not self._outage_logged:
                log.warning("%s; retrying", exc)
                self._outage_logged = True
            else:
                log.debug("still cannot reach the database; next try in %.1f s", self._backoff)
            self._retry_at = now + timedelta(seconds=self._backoff)
            self._backoff = min(BACKOFF_MAX, self._backoff * 2)
            return False
        log.info("reconnected to %s", self.session.url)
        self._outage_logged = False
        self._backoff = BACKOFF_FIRST
        self._retry_at = None
        self._lost_track = True
        self._next_try = now
        return True


@contextlib.contextmanager
def leading_once(url: str, target: str, *, wait: float) -> Iterator[Callable[[], None]]:
    """Lead for one `feeds build`: take the leader lock (waiting up to `wait` seconds for a
    daemon or another build that holds it) and yield the confirmation for each publish step.

    Raises:
        SourceUnreachableError: the database cannot be reached.
        LockedError: another process kept the lock for longer than `wait`.
    """
    host, pid = host_name(), os.getpid()
    session = Session(url, target, host=host, pid=pid)
    session.open()
    try:
        deadline = time.monotonic() + wait
        while not session.try_lead(datetime.now(UTC)):
            if time.monotonic() >= deadline:
                holder = session.leader()
                who = f"{holder.host} (pid {holder.pid})" if holder else "another feeds process"
                raise LockedError(
                    f"{target}: {who} leads the publishing of this target (gave up after "
                    f"{wait:g} s): a running `feeds run` publishes every change itself; "
                    "or try again later, or raise --wait"
                )
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

        def confirm() -> None:
            if not session.holds():
                raise NotLeaderError("stopped publishing: this build lost the leader lock")

        yield confirm
    finally:
        session.close()

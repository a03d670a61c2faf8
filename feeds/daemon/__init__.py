"""`feeds run`: keep the feeds current on a schedule, on the embargo minute and on change."""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import threading
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from feeds.build import Publisher, publish, publish_recorded, publish_target
from feeds.clock import Clock, format_time, utc_now
from feeds.config import Config, load_config
from feeds.daemon.planner import Decision, Planner, sleep_seconds
from feeds.daemon.watch import RepositoryWatch, Watching, WatchUnavailableError
from feeds.errors import ConfigError, FeedsError, LockedError
from feeds.index import ResidentIndex
from feeds.state.locks import DaemonLock
from feeds.state.status import load_status_or_new, record_failure, write_status
from feeds.stopping import BuildStopped

if TYPE_CHECKING:
    from feeds.daemon.cluster import Cluster

log = logging.getLogger(__name__)

#: How long a daemon build waits for a `feeds build` holding the output folder.
DAEMON_LOCK_WAIT = 60.0


class Control:
    """How signals reach the main loop: flags plus one event that wakes it at once.

    Attributes:
        stop: Set by `request_stop`.
        reload: Set by `request_reload`.
        wake: Set by either, and by the repository's watch when a change arrives; a sleep
            (`sleep`, `RepositoryWatch.wait`) ends when it is set, and clears it.
    """

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.reload = threading.Event()
        self.wake = threading.Event()

    def request_stop(self) -> None:
        """SIGTERM / SIGINT: give up the current build (nothing of it is published unless its
        writing had begun, which is then finished), then exit cleanly."""
        self.stop.set()
        self.wake.set()

    def request_reload(self) -> None:
        """SIGHUP: reload the configuration at the next turn of the loop."""
        self.reload.set()
        self.wake.set()

    def sleep(self, seconds: float) -> None:
        """Wait up to `seconds`, returning early when a signal arrives."""
        if self.wake.wait(max(0.0, seconds)):
            self.wake.clear()


def open_watching(config: Config, control: Control, clock: Clock) -> Watching:
    """Watch `config`'s repository the way ``[schedule] watch_method`` says.

    Raises:
        ConfigError: ``watch_method = "inotify"`` and the kernel's notification cannot be had.
    """
    try:
        feed = RepositoryWatch(config.repository, config.schedule.watch_method, control.wake)
    except WatchUnavailableError as exc:
        raise ConfigError(f'{config.source}: schedule.watch_method = "inotify": {exc}') from exc
    return Watching(feed, clock)


class Daemon:
    """The main loop around `Planner`: builds, watching, reloads, status and locks.

    Args:
        config: The validated configuration (its `source` is reread on reload), with its
            ``[schedule]``.
        control: Stop / reload requests.
        clock: The daemon clock (aware); every `publish` gets its reading as `now`.
        publisher: Replaces `publish` (in tests); None: `publish` through the daemon's
            resident index (`index`).
        lock_wait: Seconds a build waits for a `feeds build` to finish writing.

    The daemon owns one `ResidentIndex`: what the last build knew, kept between builds and
    told the paths that changed; it is walked and read again in full at start, whenever
    nobody can say what changed (no watching), and every ``[schedule] rescan``.
    """

    def __init__(
        self,
        config: Config,
        control: Control,
        *,
        clock: Clock = utc_now,
        publisher: Publisher | None = None,
        lock_wait: float = DAEMON_LOCK_WAIT,
    ) -> None:
        self.config = config
        self.spec = spec = config.schedule
        self.control = control
        self.clock = clock
        self.publisher = publisher
        self.index = ResidentIndex(config) if publisher is None else None
        self._rescanned: datetime | None = None
        self.lock_wait = lock_wait
        self.planner = Planner(spec, config.channel.timezone, clock())
        self.watching: Watching | None = None
        self.last_build: datetime | None = None
        self.next_embargo: datetime | None = None
        self._forced: str | None = "start"
        self._lock = DaemonLock(config.output)
        # With a database, several daemons share the output and one of them leads.
        self.cluster: Cluster | None = None
        if config.repository_url is not None:
            from feeds.daemon.cluster import Cluster  # noqa: PLC0415 - psycopg only then

            self.cluster = Cluster(
                config.repository_url, config.output_url, config.state_dir, clock()
            )

    def run(self) -> None:
        """Serve until a stop is requested.

        Raises:
            LockedError: another daemon already serves the same output folder.
            SourceUnreachableError: the article database cannot be reached at start.
            ConfigError: ``watch_method = "inotify"`` and the kernel's notification cannot
                be had.
        """
        if self.cluster is None:
            self._lock.acquire()
        else:
            self.cluster.start()
        try:
            self._start()
            while not self.control.stop.is_set():
                self._sleep(self.tick())
            log.info("stopped")
        finally:
            self._set_watching(None)
            if self.index is not None:
                self.index.release()
            with contextlib.suppress(FeedsError):
                self._update_status(state="stopped", decision=None)
            if self.cluster is None:
                self._lock.release()
            else:
                self.cluster.stop()

    def _sleep(self, seconds: float) -> None:
        # A change wakes it at once: a notification from the database, an event of the watch.
        if self.cluster is not None:
            self.cluster.wait(seconds, self.control.stop, self.control.reload)
        elif self.watching is not None:
            self.watching.sleep(seconds)
        else:
            self.control.sleep(seconds)

    def _start(self) -> None:
        spec = self.spec
        self._set_watching(self._watching_for(self.config))
        how = (
            f"every {spec.every_seconds}s"
            if spec.every_seconds
            else "daily at "
            + ", ".join(t.strftime("%H:%M") for t in spec.at)
            + f" {self.config.channel.timezone}"
        )
        log.info(
            "start: pid %d, %s%s, output %s",
            os.getpid(),
            how,
            ", listening for changes in the database"
            if self.cluster
            else f", watching the repository ({self.watching.feed.describe()})"
            if self.watching
            else "",
            publish_target(self.config).describe(),
        )

    def _watching_for(self, config: Config) -> Watching | None:
        """The watching `config` asks for: the running one if it is the same.

        Raises:
            ConfigError: ``watch_method = "inotify"`` and the kernel's notification cannot
                be had.
        """
        # A database tells of its changes itself (notifications): no files to watch.
        if not config.schedule.watch or self.cluster is not None:
            return None
        running = self.watching
        wanted = (config.repository, config.schedule.watch_method)
        if running is not None and (running.feed.root, running.feed.requested) == wanted:
            return running
        return open_watching(config, self.control, self.clock)

    def _set_watching(self, watching: Watching | None) -> None:
        old, self.watching = self.watching, watching
        if old is not None and old is not watching:
            old.close()

    def tick(self) -> float:
        """One turn of the loop: reload, scan, build if due; returns the seconds to sleep.

        Raises:
            LockedError: the output folder was made anew and another daemon now holds it.
        """
        self._lock.ensure_held()
        if self.control.reload.is_set():
            self.control.reload.clear()
            self._reload()
        now = self.clock()
        told: tuple[str, ...] = ()
        if self.cluster is not None:
            told = self.cluster.poll(now)
            if not self.cluster.leading:
                return self.cluster.next_wake()  # a standby only waits to take over
        decision = self._decide(now)
        reasons = (*told, *decision.reasons)
        forced, self._forced = self._forced, None
        if forced is not None:
            reasons = (forced, *reasons)
        if self._until_rescan(now) <= 0:
            reasons = (*reasons, "rescan")
        if reasons and not self.control.stop.is_set():
            # What changed since the last build (None: unknown, everything may have; the
            # index then walks and reads the whole repository again). A database tells its
            # changes itself: the scan reads the rows changed since the version it saw.
            changes = self.watching.take() if self.watching is not None else None
            if forced:
                changes = None
            elif self.cluster is not None:
                changes = frozenset()
            self._build(now, reasons, changes)
            now = self.clock()
            decision = self._decide(now)
            self._update_status(state="running", decision=decision)
            if decision.wake_at is not None:
                log.info("next run %s (%s)", format_time(decision.wake_at), decision.wake_reason)
        return min(sleep_seconds(now, decision), self._until_rescan(now))

    def _until_rescan(self, now: datetime) -> float:
        """Seconds until the index's safety rescan is due (infinite without an index)."""
        if self.index is None or self._rescanned is None:
            return math.inf
        due = self._rescanned + timedelta(seconds=self.spec.rescan_seconds)
        return max(0.0, (due - now).total_seconds())

    def _decide(self, now: datetime) -> Decision:
        watching = self.watching
        if watching is None:
            return self.planner.decide(
                now, last_build=self.last_build, next_embargo=self.next_embargo
            )
        return self.planner.decide(
            now,
            last_build=self.last_build,
            next_embargo=self.next_embargo,
            first_change=watching.first_change,
            last_change=watching.last_change,
            debounce=watching.debounce,
        )

    def _build(
        self, now: datetime, reasons: tuple[str, ...], changes: Collection[str] | None = None
    ) -> None:
        """One build for `reasons`, told the repository keys the watch told of since the last
        build (`feeds.sources.ChangeFeed`; None: unknown, so the index rescans everything). A
        change it has not told of yet (the scan's next round, a move out still held back)
        comes with a later build."""
        self.last_build = now
        why = "+".join(dict.fromkeys(reasons))
        if changes is not None:
            log.debug("build (%s) after %d change(s): %s", why, len(changes), sorted(changes)[:10])
        index, publisher = self.index, self.publisher or publish
        full_builds = 0
        if index is not None:
            if changes is None or self._until_rescan(now) <= 0:
                index.lost_track()
            else:
                index.changed(changes)
            full_builds = index.full_builds
            publisher = functools.partial(publish, index=index)
        try:
            try:
                result = publish_recorded(
                    self.config,
                    now=now,
                    clock=self.clock,
                    wait=self.lock_wait,
                    stop=self.control.stop,
                    publisher=publisher,
                    confirm=self.cluster.confirm if self.cluster else None,
                )
            except Exception:
                if index is not None:  # what it took in may be half done: rescan next time
                    index.lost_track()
                raise
            finally:
                if index is not None and index.full_builds > full_builds:
                    self._rescanned = now
        except BuildStopped:
            log.info("build (%s) abandoned: stopping", why)
            return
        except LockedError as exc:
            log.error("build (%s) failed: %s", why, exc)
            self._record_failure(exc)
        except FeedsError as exc:
            log.error("build (%s) failed: %s", why, exc)
            if self.cluster is not None and not self.cluster.still_leading(exc):
                self.cluster.lost_leadership(self.clock())
        except Exception as exc:
            # The daemon outlives any failing build; the next run still happens.
            log.error("build (%s) failed with an internal error: %r", why, exc)
            log.debug("traceback of the failed build", exc_info=True)
        else:
            self.next_embargo = result.wake_at
            for complaint in (*result.problems, *result.id_changes):
                log.warning("%s", complaint)
            log.info("build (%s): %s", why, result.summary())

    def _record_failure(self, exc: BaseException) -> None:
        status = load_status_or_new(self.config.state_dir)
        record_failure(status, exc, self.clock())
        try:
            write_status(self.config.state_dir, status)
        except FeedsError as problem:
            log.error("%s", problem)

    def _update_status(self, *, state: str, decision: Decision | None) -> None:
        cluster = self.cluster
        if cluster is not None and not cluster.leading:
            return  # the leader's status file; a standby's role is in its own record
        status = load_status_or_new(self.config.state_dir)
        if cluster is not None:
            status.role, status.host = "leader", cluster.host
            status.leader_since = format_time(cluster.since)
        status.mode = "run"
        status.daemon_pid = os.getpid()
        status.daemon_state = state
        status.next_run = format_time(decision.wake_at) if decision else None
        status.next_reason = decision.wake_reason if decision else None
        try:
            write_status(self.config.state_dir, status)
        except FeedsError as problem:
            log.error("%s", problem)

    def _reload(self) -> None:
        source = self.config.source
        try:
            config = load_config(source)
        except ConfigError as exc:
            log.error("reload refused, the running configuration stays: %s", exc)
            return
        if (config.repository_url, config.output_url) != (
            self.config.repository_url,
            self.config.output_url,
        ):
            log.error(
                "reload refused, the running configuration stays: repository.url and output.url"
                " cannot change while running (the daemons elect their leader by them): restart"
            )
            return
        try:
            watching = self._watching_for(config)
        except ConfigError as exc:
            log.error("reload refused, the running configuration stays: %s", exc)
            return
        if config.output != self.config.output and self.cluster is None:
            lock = DaemonLock(config.output)
            try:
                lock.acquire()
            except FeedsError as exc:
                log.error("reload refused, the running configuration stays: %s", exc)
                if watching is not None and watching is not self.watching:
                    watching.close()
                return
            self._lock.release()
            self._lock = lock
        if self.index is not None and not self.index.holds(config):
            self.index.release()
            self.index = ResidentIndex(config)
            self._rescanned = None
            log.info("reload: the configuration changes what the index holds: it is made anew")
        self.config, self.spec = config, config.schedule
        self._set_watching(watching)
        spec = config.schedule
        self.planner = Planner(spec, config.channel.timezone, self.clock())
        self.next_embargo = None
        self._forced = "reload"
        log.info("reloaded %s", source)


def run_daemon(config: Config, control: Control) -> None:
    """Serve `config` on its schedule until `control` asks to stop (the `feeds run` command).

    Raises:
        LockedError: another daemon already serves the same output folder.
    """
    Daemon(config, control).run()

"""`feeds run`, recording every publish step it takes (pid, start, end) in the file named by
FEEDS_PUBLISH_LOG: the daemon is the real one, only the recording around the target is added."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence

from feeds import build, cli
from feeds.config import Config
from feeds.publish import Change, PublishTarget, WriteResult

RECORD = os.environ["FEEDS_PUBLISH_LOG"]
_target_of = build.publish_target


def _note(event: str, changes: Sequence[Change]) -> None:
    line = {
        "pid": os.getpid(),
        "event": event,
        "time": time.time(),
        "paths": [c.path for c in changes],
    }
    fd = os.open(RECORD, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(line) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


class Recording:
    """The configured target, noting when each `apply` starts and ends."""

    def __init__(self, target: PublishTarget) -> None:
        self._target = target

    def __getattr__(self, name: str) -> object:
        return getattr(self._target, name)

    def apply(self, changes: Sequence[Change]) -> WriteResult:
        _note("start", changes)
        try:
            return self._target.apply(changes)
        finally:
            _note("end", changes)


def _recorded_target(config: Config) -> PublishTarget:
    return Recording(_target_of(config))  # type: ignore[return-value]


build.publish_target = _recorded_target
sys.exit(cli.main(["run", *sys.argv[1:]]))

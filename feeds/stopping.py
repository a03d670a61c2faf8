"""Stopping promptly: a build asked to stop gives up at its next checkpoint, and the worker
processes a build starts never outlive the process that started them.

A build checks its `Cancellation` between the steps of its stages (folders of the listing
walk, files and worker results of the scan, the articles it loads, the images it resizes, the
feeds it validates) and once more before it writes: a stop asked for before that raises
`BuildStopped`, and nothing of the build is published. Once writing has begun it is finished
(a publish is short, and the set of published files stays whole).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from dataclasses import dataclass


class BuildStopped(BaseException):
    """The build was given up because the process was asked to stop: nothing of it was
    published (the files published before stay as they were).

    A `BaseException`, as `KeyboardInterrupt` is: the handlers that keep one bad article from
    stopping the others (``except Exception``) must let it through.
    """


@dataclass(frozen=True, slots=True)
class Cancellation:
    """The stop request a build heeds: an event another thread (a signal handler) sets.

    Attributes:
        event: Set when the build must stop; None for a build nothing stops.
    """

    event: threading.Event | None = None

    @property
    def requested(self) -> bool:
        """Whether a stop was asked for."""
        return self.event is not None and self.event.is_set()

    def check(self, stage: str) -> None:
        """Raise `BuildStopped` if a stop was asked for.

        Args:
            stage: Where the build was (said in the message).

        Raises:
            BuildStopped: a stop was asked for.
        """
        if self.event is not None and self.event.is_set():
            raise BuildStopped(f"stopped while {stage}: nothing of this build was published")


#: The cancellation of a build nothing stops.
NEVER = Cancellation()

#: prctl(2) option: the signal the kernel sends this process when its parent thread ends.
_PR_SET_PDEATHSIG = 1


def init_worker(parent: int) -> None:
    """The initializer of every worker process a build starts (its first act).

    A forked worker inherits the parent's signal handlers: the daemon's would make it ignore
    SIGTERM (they only set a flag nobody in the worker reads). So SIGTERM and SIGHUP get back
    their default action (end the process), SIGINT is ignored (Ctrl-C reaches the whole
    process group: the parent alone handles it, and ends its workers), and on Linux the
    kernel is asked to kill the worker when its parent dies (a SIGKILLed daemon takes its
    workers with it instead of leaving them reading as orphans).

    Args:
        parent: The pid of the process that starts the pool (if it is already gone by the
            time the request is made, the worker ends at once).
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform == "linux":
        import ctypes  # noqa: PLC0415 - only workers, only on Linux

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # The parent may have died before the request was made: the kernel would never tell.
    if os.getppid() != parent:
        os._exit(1)

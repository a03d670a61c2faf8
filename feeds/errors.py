"""Exit statuses and the `FeedsError` family: every user-fixable failure and its exit status."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Process exit statuses of the `feeds` command (documented in the README)."""

    OK = 0
    INTERNAL_ERROR = 1
    USAGE = 2
    CONFIG = 3
    ARTICLE_PROBLEMS = 4
    FEED_INVALID = 5
    OUTPUT = 6
    REPOSITORY = 7
    LOCKED = 8
    UNREACHABLE = 9
    TARGET_ACCESS = 10


class FeedsError(Exception):
    """Base of every error the core raises for a user to fix.

    The message is complete: it starts with where the problem is and says how to fix it.
    """

    status: ExitStatus = ExitStatus.INTERNAL_ERROR


class UsageError(FeedsError):
    """The command line or an input named on it cannot be used."""

    status = ExitStatus.USAGE


class ConfigError(FeedsError):
    """The configuration file is missing, unreadable or invalid (all problems in one message)."""

    status = ExitStatus.CONFIG


class ArticleError(FeedsError):
    """One article cannot be published; the others still can.

    Attributes:
        path: The article file.
        line: 1-based line of the problem, or 0 when it concerns the whole file.
        reason: What is wrong and how to fix it, without the location.
    """

    status = ExitStatus.ARTICLE_PROBLEMS

    def __init__(self, path: str, line: int, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}:{line}" if line > 0 else path
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[type[ArticleError], tuple[str, int, str]]:
        # Pickled by the parallel scan and the build cache.
        return (ArticleError, (self.path, self.line, self.reason))


class StrictModeError(FeedsError):
    """`--strict` turned article problems into a failed build."""

    status = ExitStatus.ARTICLE_PROBLEMS


class FeedInvalidError(FeedsError):
    """A rendered feed failed validation; nothing was written."""

    status = ExitStatus.FEED_INVALID


class OutputError(FeedsError):
    """The output folder (or the object storage) cannot be written.

    Attributes:
        written: What the target had already replaced when it stopped (live, so that its
            feeds can still be announced).
    """

    status = ExitStatus.OUTPUT
    written: tuple[str, ...] = ()


class LockedError(FeedsError):
    """Another `feeds` process is writing the same output folder."""

    status = ExitStatus.LOCKED


class TargetAccessError(FeedsError):
    """The publish target refuses access as a whole: no or wrong credentials, or the bucket
    does not exist (a setup problem, not a passing fault)."""

    status = ExitStatus.TARGET_ACCESS


class RepositoryError(FeedsError):
    """The article repository is missing or unreadable as a whole."""

    status = ExitStatus.REPOSITORY


class SourceUnreachableError(RepositoryError):
    """The article database cannot be reached (not running, wrong address, login refused)."""

    status = ExitStatus.UNREACHABLE

"""The scan of a file repository: every article file's front matter into a `Brief`, reusing the
scan cache and, when many files must be read, both cores."""

from __future__ import annotations

import contextlib
import logging
import operator
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

from feeds.errors import ArticleError
from feeds.model import Brief, ScanResult, Site
from feeds.rules import MAX_ARTICLE_BYTES
from feeds.sources.files.listing import Candidate, Listing, list_repository
from feeds.sources.files.reader import read_article
from feeds.state.cache import ScanCache, gc_paused, pickle_chunk
from feeds.stopping import NEVER, Cancellation, init_worker

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

log = logging.getLogger(__name__)

_REL_PATH = operator.attrgetter("rel_path")


#: Below this many files to read, a second process costs more than it saves.
PARALLEL_MIN_FILES = 2000


def scan_repository(
    root: Path,
    site: Site,
    *,
    max_article_bytes: int = MAX_ARTICLE_BYTES,
    cache: ScanCache | None = None,
    workers: int = 1,
    listing: Listing | None = None,
    while_waiting: Callable[[], object] | None = None,
    stop: Cancellation = NEVER,
) -> ScanResult:
    """Read every article's front matter into a `Brief`; bodies are not read for Markdown
    files. `ArticleReader` reads the full `Article` of the ones a feed selects.

    Args:
        root: The repository folder.
        site: Site facts for URLs, ids and dates.
        max_article_bytes: Larger wire files are a problem (Markdown bodies are not read here).
        cache: Results of earlier scans, reused for files whose stamp is unchanged and
            updated with the rest (the caller saves it).
        workers: Processes for reading many uncached files (the cold scan of a large
            repository); 1 reads in this process.
        listing: The repository's files if already listed (`list_repository`).
        while_waiting: Work for this process while worker processes read (if they do).
        stop: Checked at every file read here and while waiting for the workers (which are
            ended at once when it is requested).

    Raises:
        RepositoryError: the folder does not exist or cannot be listed.
        BuildStopped: `stop` was requested (the cache is left as it was: the caller does not
            save it).
    """
    listing = listing or list_repository(root, stop=stop)
    problems = list(listing.problems)
    candidates = listing.candidates
    results: dict[str, object] = {}
    todo: list[Candidate] = []
    for candidate in candidates:
        hit = cache.get(candidate.rel_path, candidate.cache_key) if cache else None
        if hit is None:
            todo.append(candidate)
        else:
            results[candidate.rel_path] = hit
    results.update(
        _read_all(
            todo,
            site,
            max_article_bytes,
            workers=workers,
            cache=cache,
            while_waiting=while_waiting,
            stop=stop,
        )
    )
    if cache is not None:
        cache.keep_only(results)
    articles = sorted((r for r in results.values() if isinstance(r, Brief)), key=_REL_PATH)
    problems.extend(r for r in results.values() if isinstance(r, ArticleError))
    problems.sort(key=lambda p: (p.path, p.line))
    log.debug(
        "scanned %d articles (%d read, %d from the cache), %d problems",
        len(articles),
        len(todo),
        len(candidates) - len(todo),
        len(problems),
    )
    return ScanResult(tuple(articles), tuple(problems))


def _read_all(
    todo: list[Candidate],
    site: Site,
    max_bytes: int,
    *,
    workers: int,
    cache: ScanCache | None,
    while_waiting: Callable[[], object] | None = None,
    stop: Cancellation = NEVER,
) -> dict[str, Brief | ArticleError]:
    """The result of each file, by path; each is remembered in `cache`."""
    if workers > 1 and len(todo) >= PARALLEL_MIN_FILES:
        return _read_in_parallel(
            todo,
            site,
            max_bytes,
            workers=workers,
            cache=cache,
            while_waiting=while_waiting,
            stop=stop,
        )
    results: dict[str, Brief | ArticleError] = {}
    for candidate, result in zip(todo, read_chunk(todo, site, max_bytes, stop), strict=True):
        results[candidate.rel_path] = result
        if cache is not None:
            cache.remember(candidate.rel_path, candidate.cache_key, result)
    return results


def _read_in_parallel(
    todo: list[Candidate],
    site: Site,
    max_bytes: int,
    *,
    workers: int,
    cache: ScanCache | None,
    while_waiting: Callable[[], object] | None,
    stop: Cancellation,
) -> dict[str, Brief | ArticleError]:
    # Imported here: only a cold scan of a large repository starts processes.
    import multiprocessing  # noqa: PLC0415
    import pickle  # noqa: PLC0415
    from collections import deque  # noqa: PLC0415
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    global _TODO  # noqa: PLW0603 - what the forked workers inherit, see _read_range
    _TODO = todo
    results: dict[str, Brief | ArticleError] = {}
    try:
        # fork: the children inherit the imported modules and `_TODO`, so they start at once
        # and each task is only a range (the candidates are never pickled).
        # The workers get the default SIGTERM back, leave Ctrl-C to this process and die
        # with it (`init_worker`).
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=init_worker,
            initargs=(os.getpid(),),
        ) as pool:
            pending = deque(
                pool.submit(_read_range, start, end, site, max_bytes)
                for start, end in _ranges(len(todo), workers)
            )
            if while_waiting is not None:
                while_waiting()
            while pending:
                # A range comes back as a chunk of the scan cache, pickled by the worker: the
                # cache saves it as it is instead of pickling 100,000 results again. (Each
                # future is let go once read, and its bytes with it.)
                chunk = _next_result(pending[0], pool, stop)
                pending.popleft()
                part = cache.adopt(chunk) if cache is not None else pickle.loads(chunk)  # noqa: S301
                del chunk
                for name, (_, result) in part.items():
                    results[name] = cast(Brief | ArticleError, result)
    finally:
        _TODO = []
    return results


def _next_result(future: Future[bytes], pool: ProcessPoolExecutor, stop: Cancellation) -> bytes:
    """The result of `future`, looking at `stop` every few tenths of a second; when a stop is
    requested the workers are ended at once (not left reading to the end of their range)."""
    while True:
        if stop.requested:
            _end_workers(pool)
            stop.check("reading the articles")
        try:
            return future.result(timeout=_STOP_POLL_SECONDS)
        except TimeoutError:
            continue


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and kill every worker of `pool` (the pool cannot be used
    afterwards). SIGKILL, not SIGTERM: a worker holds nothing to save, and a stopped one
    (SIGSTOP, a debugger) must go too."""
    kill = getattr(pool, "kill_workers", None)  # Python 3.14 (it shuts the pool down too)
    if kill is not None:
        kill()
        return
    # Taken before the shutdown, which lets go of them.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError):
            process.kill()
    for process in processes:
        process.join(timeout=5)


#: How often a wait for the scan's workers looks whether the build must stop.
_STOP_POLL_SECONDS = 0.2


def _ranges(count: int, workers: int) -> Iterator[tuple[int, int]]:
    """Split `count` files into ranges that shrink as the work runs out: a worker slowed by
    the rest of the machine takes fewer of them, and no worker is left with a long last one
    while the others wait."""
    start = 0
    while start < count:
        size = max(_SMALLEST_RANGE, (count - start) // (workers * 4))
        yield start, min(count, start + size)
        start += size


#: Files in the smallest range a worker is given (a few milliseconds of reading).
_SMALLEST_RANGE = 100

#: The candidates a parallel scan reads, set before its workers are forked.
_TODO: list[Candidate] = []


def _read_range(start: int, stop: int, site: Site, max_bytes: int) -> bytes:
    """In a forked worker: read `_TODO[start:stop]`, as a pickled chunk of the scan cache
    (path -> (cache key, result))."""
    chunk = _TODO[start:stop]
    results = read_chunk(chunk, site, max_bytes)
    return pickle_chunk({c.rel_path: (c.cache_key, r) for c, r in zip(chunk, results, strict=True)})


def read_chunk(
    chunk: list[Candidate], site: Site, max_bytes: int, stop: Cancellation = NEVER
) -> list[Brief | ArticleError]:
    """The scan result of each of these article files, in order (read in this process)."""
    zone = ZoneInfo(site.timezone)
    results: list[Brief | ArticleError] = []
    with gc_paused():
        for candidate in chunk:
            stop.check("reading the articles")
            try:
                results.append(read_article(candidate, site, zone, max_bytes).brief())
            except ArticleError as problem:
                results.append(problem)
            except OSError as exc:  # vanished or unreadable between listing and reading
                results.append(
                    ArticleError(candidate.rel_path, 0, f"cannot be read: {exc.strerror}")
                )
            except Exception as exc:  # a bug, but one file's: the others are still read
                log.exception("%s: could not be read", candidate.rel_path)
                results.append(
                    ArticleError(
                        candidate.rel_path,
                        0,
                        f"could not be read ({type(exc).__name__}: {exc}): this is a bug in"
                        " feeds; please report it with the article",
                    )
                )
    return results

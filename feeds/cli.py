"""The `feeds` command: argparse sub-commands, logging set-up and the single error boundary."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import functools
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from feeds import __version__
from feeds.build import PROGRESS_LOGGER, feed_paths, publish, publish_recorded, published_feeds
from feeds.clock import format_time
from feeds.config import load_config
from feeds.errors import ExitStatus, FeedsError, UsageError
from feeds.state.locks import daemon_running
from feeds.state.status import Status, read_status
from feeds.stopping import BuildStopped, Cancellation

if TYPE_CHECKING:
    from feeds.state.daemons import DaemonRecord

log = logging.getLogger("feeds")

DEFAULT_CONFIG = Path("config.toml")
DEFAULT_LOCK_WAIT = 30.0

#: The exit status of a command stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report).
EXIT_STOPPED = 130


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as `UsageError` instead of exiting by itself."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _parse_now(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 date and time such as 2026-03-02T08:00:00+01:00"
        ) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset, e.g. {text}+00:00")
    return moment


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number from 0 to 65535")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


def _fetch_seconds(text: str) -> float:
    from feeds.validate.inputs import MAX_FETCH_TIMEOUT  # noqa: PLC0415

    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= MAX_FETCH_TIMEOUT:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds above 0 and at most {MAX_FETCH_TIMEOUT:g}"
        )
    return value


def _check_codes(codes: list[str]) -> None:
    from feeds.validate import CODES  # noqa: PLC0415
    from feeds.validate.json_feed import JSON_CODES  # noqa: PLC0415

    known = set(CODES) | set(JSON_CODES)
    for code in codes:
        if code not in known:
            close = difflib.get_close_matches(code, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(
                f"--ignore {code}: no rule has this code{hint}; the codes are the ones "
                "`feeds validate` prints, such as rss-guid-missing"
            )


def build_parser() -> argparse.ArgumentParser:
    """The full command-line grammar (also used by the README's CLI reference)."""
    parser = _Parser(
        prog="feeds", description="Publish validated RSS and Atom feeds from an article repository."
    )
    parser.add_argument("--version", action="version", version=f"feeds {__version__}")
    parser.add_argument(
        "--traceback", action="store_true", help="show the full traceback of internal errors"
    )
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    verbosity.add_argument(
        "-v", "--verbose", action="store_true", help="also print every file written"
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log lines as text (timestamped under `run`) or one JSON object per line",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    build = commands.add_parser("build", help="build the feeds once and write the changed files")
    build.add_argument(
        "-c",
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help="configuration file (default: ./config.toml)",
    )
    build.add_argument(
        "--strict",
        action="store_true",
        help="fail without writing anything if any article has a problem",
    )
    build.add_argument("--dry-run", action="store_true", help="render and validate, write nothing")
    build.add_argument(
        "--allow-empty",
        action="store_true",
        help="publish empty feeds when the repository holds no articles although the last"
        " build published some (refused otherwise: an unmounted share looks like that)",
    )
    build.add_argument(
        "--output",
        type=Path,
        metavar="DIR",
        help="write into DIR instead of output.path (a preview), with its own state in "
        "DIR.feeds-state beside it, so the published feeds and their state are not touched",
    )
    build.add_argument(
        "--now",
        type=_parse_now,
        metavar="DATETIME",
        help="publish as of this moment (ISO 8601 with offset; default: the current time)",
    )
    build.add_argument(
        "--wait",
        type=_seconds,
        default=DEFAULT_LOCK_WAIT,
        metavar="SECONDS",
        help="wait this long for another feeds process writing the same output folder"
        f" (default: {DEFAULT_LOCK_WAIT:g})",
    )

    run = commands.add_parser(
        "run", help="keep the feeds current: build on a schedule, on embargoes and on change"
    )
    run.add_argument(
        "-c",
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help="configuration file (default: ./config.toml); SIGHUP reloads it",
    )

    preview = commands.add_parser(
        "serve", help="preview: build, serve the output folder over HTTP, rebuild on change"
    )
    preview.add_argument(
        "-c",
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help="configuration file (default: ./config.toml); a change to it is picked up",
    )
    preview.add_argument(
        "--bind",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="address to listen on (default: 127.0.0.1, this machine only)",
    )
    preview.add_argument(
        "--port",
        type=_port,
        default=8000,
        metavar="N",
        help="port to listen on (default: 8000; 0: any free)",
    )

    status = commands.add_parser("status", help="show what the last runs did and what comes next")
    status.add_argument(
        "-c",
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help="configuration file (default: ./config.toml)",
    )
    status.add_argument("--json", action="store_true", help="print one JSON object (monitoring)")

    database = commands.add_parser("db", help="the article database (repository.url)")
    actions = database.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    init = actions.add_parser("init", help="create the feeds schema in the database (idempotent)")
    load = actions.add_parser(
        "import", help="load a file repository (articles and images) into the database"
    )
    load.add_argument("path", type=Path, metavar="PATH", help="the file repository's folder")
    for action in (init, load):
        action.add_argument(
            "-c",
            "--config",
            type=Path,
            default=DEFAULT_CONFIG,
            help="configuration file with repository.url (default: ./config.toml)",
        )

    check = commands.add_parser("validate", help="validate RSS / Atom feed files, folders or URLs")
    check.add_argument(
        "targets",
        nargs="*",
        metavar="PATH|URL",
        help="feeds to check (default: the configured feeds)",
    )
    check.add_argument(
        "-c",
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help="configuration whose feeds to check when no PATH is given",
    )
    check.add_argument(
        "--format",
        choices=("text", "json", "junit", "github"),
        default="text",
        help="report format (default: text)",
    )
    check.add_argument("--strict", action="store_true", help="warnings fail too")
    check.add_argument(
        "--ignore", action="append", default=[], metavar="CODE", help="silence a rule (repeatable)"
    )
    check.add_argument("--max-bytes", type=_positive, help="refuse larger inputs (default: 50 MiB)")
    check.add_argument(
        "--max-depth", type=_positive, help="refuse deeper element nesting (default: 256)"
    )
    check.add_argument(
        "--timeout",
        type=_fetch_seconds,
        help="seconds a whole download of a URL may take (default: 10, at most 3600)",
    )
    return parser


class _TextFormatter(logging.Formatter):
    """``2026-11-25T12:00:01Z INFO message``: one line per event, journald-friendly."""

    def format(self, record: logging.LogRecord) -> str:
        when = format_time(datetime.fromtimestamp(record.created, UTC))
        message = record.getMessage().replace("\n", " | ")
        return f"{when} {record.levelname} {message}"


class _JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and a traceback if any)."""

    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": format_time(datetime.fromtimestamp(record.created, UTC)),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            event["traceback"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False)


def _configure_logging(args: argparse.Namespace, stream: TextIO) -> None:
    level = logging.WARNING if args.quiet else logging.DEBUG if args.verbose else logging.INFO
    handler = logging.StreamHandler(stream)
    if args.log_format == "json":
        handler.setFormatter(_JsonFormatter())
    elif args.command == "run":
        handler.setFormatter(_TextFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("feeds")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # Progress lines only for a person at a terminal: not in CI, under the daemon or --quiet.
    interactive = stream.isatty() and not os.environ.get("CI") and args.command == "build"
    progress = logging.getLogger(PROGRESS_LOGGER)
    progress.setLevel(logging.INFO if interactive and not args.quiet else logging.WARNING)


def _build(args: argparse.Namespace) -> ExitStatus:
    # Ctrl-C or SIGTERM stop the build at its next checkpoint, with nothing of it published
    # (`BuildStopped`, exit status 130); the scan's workers ignore Ctrl-C and are ended by
    # this process.
    stop = threading.Event()
    handlers = {
        signal.SIGTERM: lambda *_: stop.set(),
        signal.SIGINT: lambda *_: stop.set(),
    }
    previous = {number: signal.signal(number, handler) for number, handler in handlers.items()}
    try:
        return _build_once(args, stop)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _build_once(args: argparse.Namespace, stop: threading.Event) -> ExitStatus:
    config = load_config(args.config)
    if args.output is not None:
        output = args.output.absolute()
        state = output.with_name(f"{output.name}.feeds-state")
        # A preview: a local folder even for an object-storage target, and no hub is told.
        config = replace(config, output=output, state_dir=state, s3=None, announce=False)
    now = args.now or datetime.now(UTC)
    publisher = functools.partial(publish, allow_empty=args.allow_empty)
    if args.dry_run:
        result = publisher(
            config, now=now, strict=args.strict, write=False, stop=Cancellation(stop)
        )
    elif config.repository_url is not None and args.output is None:
        # With a database, a build takes part in the daemons' election: it publishes only
        # while no daemon (on any host) does.
        from feeds.daemon.cluster import leading_once  # noqa: PLC0415

        with leading_once(config.repository_url, config.output_url, wait=args.wait) as confirm:
            result = publish_recorded(
                config,
                now=now,
                strict=args.strict,
                wait=args.wait,
                stop=stop,
                confirm=confirm,
                publisher=publisher,
            )
    else:
        # Under the output folder's lock, so that a running daemon and cron never both write.
        result = publish_recorded(
            config, now=now, strict=args.strict, wait=args.wait, stop=stop, publisher=publisher
        )
    for problem in result.problems:
        log.warning("%s", problem)
    for change in result.id_changes:
        log.warning("%s", change)
    log.info("%s", result.summary())
    if result.refused:
        log.error(
            "these feed files did not validate, so they were not written (the ones published"
            " before stay); the other feeds were published:\n%s\nthis is a bug in feeds if the"
            " articles are valid: please report it with the feed file",
            "\n".join(f"  {line}" for line in result.refused),
        )
        return ExitStatus.FEED_INVALID
    return ExitStatus.ARTICLE_PROBLEMS if result.problems else ExitStatus.OK


def _validate(args: argparse.Namespace, out: TextIO) -> ExitStatus:
    # The validator and its inputs are imported only by this command.
    from feeds.validate import Limits, validate_feed  # noqa: PLC0415
    from feeds.validate.inputs import Document, read_documents  # noqa: PLC0415
    from feeds.validate.report import format_reports  # noqa: PLC0415

    default = Limits()
    limits = Limits(
        max_bytes=args.max_bytes or default.max_bytes,
        max_depth=args.max_depth or default.max_depth,
        fetch_timeout=default.fetch_timeout if args.timeout is None else args.timeout,
    )
    ignored = list(args.ignore)
    _check_codes(ignored)
    targets: list[str] = list(args.targets)
    documents: list[Document] = []
    if not targets:
        config = load_config(args.config)
        if config.s3 is not None:  # the feeds as published, read back from the storage
            found = published_feeds(config)
            missing = [name for name, data in found if data is None]
            documents = [Document(name, data, False) for name, data in found if data is not None]
        else:
            targets = [str(path) for path in feed_paths(config)]
            missing = [t for t in targets if not Path(t).is_file()]
        if missing:
            raise UsageError(
                f"{missing[0]}: not built yet: run `feeds build -c {args.config}` first"
            )
        if not targets and not documents:
            raise UsageError(f"{args.config}: no feed published yet: run `feeds build` first")
    if targets:
        documents = read_documents(targets, limits=limits)
    # XML found by listing a folder that is no feed at all (sitemap.xml) is skipped; a file
    # named on the command line is always checked.
    reports = [
        validate_feed(doc.data, source=doc.source, limits=limits, feeds_only=doc.listed).without(
            ignored
        )
        for doc in documents
    ]
    if all(report.skipped for report in reports):
        raise UsageError(
            f"{', '.join(targets)}: no feeds found: every XML file listed is something else "
            f"({reports[0].source}: {reports[0].skipped}); name the feed files to check them"
        )
    _write(out, format_reports(reports, args.format, strict=args.strict))
    passed = all(report.passed(strict=args.strict) for report in reports)
    return ExitStatus.OK if passed else ExitStatus.FEED_INVALID


def _write(out: TextIO, text: str) -> None:
    """Write in pieces smaller than the stream's buffer: one large write to a pipe whose
    reader goes away part-way loses the rest without an error (CPython writes what the pipe
    took and reports success), so `| head` would never be noticed."""
    for start in range(0, len(text), _WRITE_PIECE):
        out.write(text[start : start + _WRITE_PIECE])
    out.flush()


_WRITE_PIECE = 4096


def _run(args: argparse.Namespace) -> ExitStatus:
    # Imported here: only the daemon needs the schedule library.
    from feeds.daemon import Control, run_daemon  # noqa: PLC0415

    # Every configuration problem is reported before anything starts.
    config = load_config(args.config)
    control = Control()
    handlers = {
        signal.SIGTERM: lambda *_: control.request_stop(),
        signal.SIGINT: lambda *_: control.request_stop(),
        signal.SIGHUP: lambda *_: control.request_reload(),
    }
    previous = {number: signal.signal(number, handler) for number, handler in handlers.items()}
    try:
        run_daemon(config, control)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return ExitStatus.OK


def _serve(args: argparse.Namespace) -> ExitStatus:
    # Imported here: only the preview server needs http.server and the daemon's watching.
    from feeds.daemon import Control  # noqa: PLC0415
    from feeds.serve import serve  # noqa: PLC0415

    config = load_config(args.config)
    control = Control()
    handlers = {
        signal.SIGTERM: lambda *_: control.request_stop(),
        signal.SIGINT: lambda *_: control.request_stop(),
    }
    previous = {number: signal.signal(number, handler) for number, handler in handlers.items()}
    try:
        serve(config, control, bind=args.bind, port=args.port)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return ExitStatus.OK


def _database(args: argparse.Namespace) -> ExitStatus:
    # Imported here: psycopg is loaded only by the commands that use a database.
    from feeds.database import import_repository, init_database  # noqa: PLC0415

    config = load_config(args.config)
    if args.action == "init":
        log.info("%s: %s", config.repository_url, init_database(config))
        return ExitStatus.OK
    result = import_repository(config, args.path)
    for problem in result.problems:
        log.warning("%s", problem)
    for warning in result.warnings:
        log.warning("%s", warning)
    line = f"imported {result.imported} article(s) from {args.path} into {config.repository_url}"
    if result.problems:
        line += f"; {len(result.problems)} left out with problems"
    log.info("%s", line)
    return ExitStatus.ARTICLE_PROBLEMS if result.problems else ExitStatus.OK


def _status(args: argparse.Namespace, out: TextIO) -> ExitStatus:
    import socket  # noqa: PLC0415 - only `feeds status` needs the host name

    from feeds.state.daemons import read_records  # noqa: PLC0415

    config = load_config(args.config)
    status = read_status(config.state_dir)
    pid = daemon_running(config.output)
    daemons: list[DaemonRecord] | None = None
    if config.repository_url is not None:
        # Several daemons may share the database: each keeps a record of its role.
        daemons = read_records(config.state_dir, datetime.now(UTC))
        here = [d for d in daemons if d.host == socket.gethostname()]
        pid = here[0].pid if here else None
    if args.json:
        data: dict[str, object] = status.to_json() if status else {"version": 1, "runs": 0}
        data["daemon_running"] = pid is not None
        if daemons is not None:
            data |= _cluster_json(daemons)
        out.write(json.dumps(data, ensure_ascii=False) + "\n")
        return ExitStatus.OK
    out.write(_format_status(status, pid, config.state_dir, daemons))
    return ExitStatus.OK


def _cluster_json(daemons: Sequence[DaemonRecord]) -> dict[str, object]:
    """The daemons' roles for `feeds status --json`: this host's, the leader's, all."""
    import socket  # noqa: PLC0415 - only `feeds status` needs the host name

    # The leader first (`read_records`): this host's leader, else its first standby.
    here = next((d for d in daemons if d.host == socket.gethostname()), None)
    leader = next((d for d in daemons if d.role == "leader"), None)
    seen = next((d for d in daemons if d.leader_host), None)
    return {
        "role": here.role if here else None,
        "leader_host": leader.host if leader else seen.leader_host if seen else None,
        "leader_pid": leader.pid if leader else seen.leader_pid if seen else None,
        "leader_since": leader.since if leader else seen.leader_since if seen else None,
        "daemons": [asdict(d) for d in daemons],
    }


def _format_status(
    status: Status | None,
    pid: int | None,
    state_dir: Path,
    daemons: Sequence[DaemonRecord] | None = None,
) -> str:
    from feeds.state.daemons import describe as describe_daemon  # noqa: PLC0415

    daemon = "not running" if pid is None else f"running (pid {pid})" if pid else "running"
    lines = [f"daemon:       {daemon}"]
    if daemons is not None:
        cluster = _cluster_json(daemons)
        if cluster["role"]:
            lines[0] += f", {cluster['role']}"
        leader = cluster["leader_host"]
        lines.append(
            f"leader:       {leader} (pid {cluster['leader_pid']}) since {cluster['leader_since']}"
            if leader
            else "leader:       none running"
        )
        lines += [f"  {describe_daemon(d)}" for d in daemons]
    if status is None:
        lines.append(f"no run recorded yet in {state_dir}")
        return "\n".join(lines) + "\n"
    outcome = {"ok": "ok", "problems": "published with article problems", "failed": "FAILED"}
    lines += [
        f"last run:     {status.last_start or '-'}"
        f" ({outcome.get(status.last_outcome or '', 'running')})",
        f"last success: {status.last_success or 'never'}",
    ]
    if status.last_error:
        lines.append(f"last error:   {status.last_error_at}: {status.last_error}")
    if pid is not None and status.next_run:
        lines.append(f"next run:     {status.next_run} ({status.next_reason})")
    if status.next_embargo:
        lines.append(f"next embargo: {status.next_embargo}")
    lines.append(
        f"feeds:        {len(status.written)} written, {len(status.unchanged)} unchanged,"
        f" {len(status.removed)} removed; {status.articles} articles"
    )
    lines.append(f"runs:         {status.runs} ({status.failures} failed)")
    lines.append(f"problems:     {len(status.problems)}")
    lines += [f"  {problem}" for problem in status.problems]
    if status.hub_failures:
        lines.append(f"websub:       {len(status.hub_failures)} announcement(s) to send again")
        lines += [f"  {failure}" for failure in status.hub_failures]
    return "\n".join(lines) + "\n"


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the command; the one place where errors become messages and exit statuses."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    traceback_wanted = "--traceback" in (argv if argv is not None else sys.argv[1:])
    try:
        args = build_parser().parse_args(argv)
        _configure_logging(args, err)
        if args.command == "build":
            return int(_build(args))
        if args.command == "run":
            return int(_run(args))
        if args.command == "serve":
            return int(_serve(args))
        if args.command == "status":
            return int(_status(args, out))
        if args.command == "db":
            return int(_database(args))
        return int(_validate(args, out))
    except BrokenPipeError:
        return _reader_gone()
    except FeedsError as exc:
        err.write(f"feeds: error: {exc}\n")
        return int(exc.status)
    except BuildStopped as exc:
        err.write(f"feeds: {exc}\n")
        return EXIT_STOPPED
    except KeyboardInterrupt:
        err.write("feeds: interrupted\n")
        return EXIT_STOPPED
    except Exception as exc:
        if traceback_wanted:
            raise
        err.write(f"feeds: internal error: {type(exc).__name__}: {exc}\n")
        err.write("(rerun with --traceback and report it)\n")
        return int(ExitStatus.INTERNAL_ERROR)


def entry_point() -> None:
    """Console-script entry point."""
    code = main()
    # The process ends here: the interpreter's own teardown would free every object one by
    # one, a good part of a build that finds nothing to do (benchmarks/results.md, `warm`).
    # Flush what it would flush, and go.
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            code = _reader_gone()
        except (OSError, ValueError):  # a stream that cannot take it: as Python itself ends
            code = code or 120
    os._exit(code)


def _reader_gone() -> int:
    """The reader of our output closed it (`feeds validate ... | head`): nothing more can
    reach it. End as a command ended by SIGPIPE does, quietly."""
    # What is still buffered for the closed pipe must not be flushed (and fail) again.
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 128 + signal.SIGPIPE

"""Replacing a file atomically: readers see the old bytes or the new, never a mix."""

from __future__ import annotations

import ctypes
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: What `replace_file` writes: bytes, or whatever a function streams.
Content = bytes | Callable[[BinaryIO], None]


def replace_file(
    target: Path, write: Content, *, mtime_ns: int | None = None, sync: bool = True
) -> None:
    """Write through a temp file in the target's folder, then rename over the target.

    Readers of `target` see the old file or the new one, never a mix; on any error the temp
    file is removed and the old file stays. The one way feeds replaces a file: published
    feeds and media, and the state folder's records and cache alike.

    Args:
        target: The file to replace (its folder is created if missing).
        write: The new bytes, or a function that writes them to a stream.
        mtime_ns: The modification time to give the new file (a copy keeps its source's, so
            that an unchanged copy is told by one `stat`); by default, now.
        sync: Make the bytes durable before the rename (one `fsync`). Without, the caller
            makes them durable later with `sync_files`, before anything that names the file
            is durable itself; only for a new file, which nothing durable names yet.

    Raises:
        OSError: the folder or the file cannot be written (the caller says what it means).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            if isinstance(write, bytes):
                stream.write(write)
            else:
                write(stream)
            stream.flush()
            if sync:
                os.fsync(stream.fileno())
        # mkstemp creates 0600 files; a web server (or monitoring) must be able to read them.
        temp.chmod(0o666 & ~_umask())
        if mtime_ns is not None:
            os.utime(temp, ns=(mtime_ns, mtime_ns))
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def sync_files(paths: Sequence[Path]) -> None:
    """Make the files at `paths` (written with ``sync=False``) durable, names and bytes.

    On Linux one `syncfs` of their file system, however many there are (an `fsync` each took
    a minute for the 2,500 images of one article); elsewhere an `fsync` of each file and of
    each of their folders.

    Raises:
        OSError: the files cannot be made durable.
    """
    if not paths:
        return
    if _syncfs is not None:
        fd = os.open(paths[0].parent, os.O_RDONLY)
        try:
            if _syncfs(fd) == 0:
                return
            error = ctypes.get_errno()
        finally:
            os.close(fd)
        raise OSError(error, os.strerror(error), str(paths[0].parent))
    for path in [*paths, *dict.fromkeys(path.parent for path in paths)]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _load_syncfs() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function: Callable[[int], int] = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):  # a C library without syncfs (glibc before 2.14)
        return None
    return function


_syncfs = _load_syncfs()

"""Replacing a file atomically: readers see the old bytes or the new, never a mix."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: What `replace_file` writes: bytes, or whatever a function streams.
Content = bytes | Callable[[BinaryIO], None]


def replace_file(target: Path, write: Content, *, mtime_ns: int | None = None) -> None:
    """Write through a temp file in the target's folder, then rename over the target.

    Readers of `target` see the old file or the new one, never a mix; on any error the temp
    file is removed and the old file stays. The one way feeds replaces a file: published
    feeds and media, and the state folder's records and cache alike.

    Args:
        target: The file to replace (its folder is created if missing).
        write: The new bytes, or a function that writes them to a stream.
        mtime_ns: The modification time to give the new file (a copy keeps its source's, so
            that an unchanged copy is told by one `stat`); by default, now.

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
            os.fsync(stream.fileno())
        # mkstemp creates 0600 files; a web server (or monitoring) must be able to read them.
        temp.chmod(0o666 & ~_umask())
        if mtime_ns is not None:
            os.utime(temp, ns=(mtime_ns, mtime_ns))
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise

"""Atomic file replacement: a kill at any moment leaves the old content or the new, never half.

The new content goes to a temporary file in the same directory (so the rename
stays on one file system), is flushed to disk, gets the mode of the file it
replaces, and is renamed over it. ``path`` must already be resolved and
confined (:func:`~app.agent.tools.workspace.resolve_in_workspace`): the rename
replaces that name itself and never follows a symlink placed there meanwhile.

A kill before the rename leaves a ``.NAME.XXXXXXXX.tmp`` file beside the target.
Replacing a file gives it a new inode: hard links to the old one keep the old content.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from app.agent.tools.stop import Stop

_NEW_FILE_MODE = 0o666  # narrowed by the umask, as for any new file
_NAME_KEEP = 100  # characters of the target's name kept in the temporary name


def write_atomically(path: Path, text: str, stop: Stop) -> None:
    """Replace (or create) ``path`` with ``text`` as UTF-8, newlines written as given."""
    write_bytes_atomically(path, text.encode("utf-8"), stop)


def write_bytes_atomically(path: Path, data: bytes, stop: Stop) -> None:
    """Replace (or create) ``path`` with ``data`` (a checkpoint restores files this way)."""
    try:
        mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    fd, temp = _create_temp(path)
    try:
        with open(fd, "wb", closefd=True) as f:
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        stop.check()  # the last moment to give up: after this the new content is in place
        os.replace(temp, path)
    except BaseException:
        _remove(temp)
        raise
    _sync_directory(path.parent)


def _create_temp(path: Path) -> tuple[int, Path]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW
    while True:
        temp = path.with_name(f".{path.name[:_NAME_KEEP]}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temp, flags, _NEW_FILE_MODE), temp
        except FileExistsError:
            continue


def _remove(temp: Path) -> None:
    try:
        os.unlink(temp)
    except FileNotFoundError:
        pass


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable; not every file system can sync a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

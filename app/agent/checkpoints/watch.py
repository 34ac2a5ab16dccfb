"""The workspace watched by the kernel (Linux inotify): what changed, without scanning 20,000 files.

:class:`WorkspaceWatch` keeps a stat of every listed file (one full ``scan`` when the
session's first command runs) and an inotify watch on every folder git does not ignore.
Before a command it folds in what changed since (the user's edits, other sessions): those
are not the command's. After the command it reads the paths the kernel reported, stats only
those, and returns the ones that differ; files git ignores are left out (``git check-ignore``).
A new folder is watched and listed at once (files made in it before its watch existed
count too). Where inotify is missing, the watch limit is reached, the queue overflowed or
the workspace is no git repository, :func:`open_watch` returns None or ``changes`` a full
scan's answer: the recorder then scans as before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import struct
import sys
from pathlib import Path

from app.agent.checkpoints.scan import Scan, _git, changed, scan, stat_of

_MASK = 0x2 | 0x4 | 0x8 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800  # modify attrib close_write moves create delete self
_IN_ISDIR, _IN_Q_OVERFLOW, _IN_IGNORED = 0x40000000, 0x4000, 0x8000
_IN_CREATE, _IN_MOVED_TO, _IN_DELETE, _IN_MOVED_FROM = 0x100, 0x80, 0x200, 0x40
_HEADER = struct.Struct("iIII")


class WorkspaceWatch:
    def __init__(self, root: Path, fd: int, libc: ctypes.CDLL) -> None:
        self.root = root
        self.fd = fd
        self.libc = libc
        self.dirs: dict[int, str] = {}  # watch descriptor -> folder ("" the root)
        self.snapshot: Scan = scan(root)
        self.overflowed = False
        for folder in _folders(root):
            if not self._add(folder):
                raise OSError("inotify watch limit reached")

    def _add(self, folder: str) -> bool:
        path = os.path.join(self.root, folder).encode("utf-8", "surrogateescape")
        wd = self.libc.inotify_add_watch(self.fd, path, _MASK)
        if wd < 0:
            return False
        self.dirs[wd] = folder
        return True

    def refresh(self) -> None:
        """Before a command: what changed since is nobody's business of ours, only the new state."""
        for rel in self._drain():
            self._restat(rel)
        if self.overflowed:
            self.snapshot, self.overflowed = scan(self.root), False

    def changes(self) -> tuple[Scan, list[str]]:
        """After a command: the paths it changed, and the stat before of those that existed."""
        before = self.snapshot
        reported = self._drain()
        if self.overflowed:
            self.snapshot, self.overflowed = scan(self.root), False
            return before, changed(before, self.snapshot)
        candidates = sorted(p for p in reported if stat_of(self.root / p) != before.get(p))
        ignored = _ignored(self.root, candidates)
        found = [p for p in candidates if p not in ignored]
        earlier = {p: before[p] for p in found if p in before}
        for rel in found:
            self._restat(rel)
        return earlier, found

    def _restat(self, rel: str) -> None:
        st = stat_of(self.root / rel)
        if st is None:
            self.snapshot.pop(rel, None)
        else:
            self.snapshot[rel] = st

    def _drain(self) -> set[str]:
        paths: set[str] = set()
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                return paths
            offset = 0
            while offset < len(data):
                wd, mask, _cookie, length = _HEADER.unpack_from(data, offset)
                raw = data[offset + _HEADER.size: offset + _HEADER.size + length].rstrip(b"\0")
                offset += _HEADER.size + length
                if mask & _IN_Q_OVERFLOW:
                    self.overflowed = True
                    continue
                folder = self.dirs.get(wd)
                if mask & _IN_IGNORED:
                    self.dirs.pop(wd, None)
                if folder is None or not raw:
                    continue
                rel = f"{folder}/{raw.decode('utf-8', 'surrogateescape')}" if folder else raw.decode("utf-8", "surrogateescape")
                if mask & _IN_ISDIR:
                    paths.update(self._folder_changed(rel, mask))
                else:
                    paths.add(rel)

    def _folder_changed(self, rel: str, mask: int) -> set[str]:
        """A folder made or moved in: watched and listed; one removed or moved away: its files are gone."""
        gone = {p for p in self.snapshot if p.startswith(rel + "/")}
        if mask & (_IN_CREATE | _IN_MOVED_TO):
            for folder in [rel, *(f"{rel}/{sub}" for sub in _folders(self.root / rel) if sub)]:
                if not self._add(folder):
                    self.overflowed = True  # no watch: a full scan tells what changed
            for dirpath, _dirs, names in os.walk(self.root / rel):
                base = Path(dirpath).relative_to(self.root).as_posix()
                gone.update(f"{base}/{name}" for name in names)
        return gone

    def close(self) -> None:
        os.close(self.fd)


def open_watch(root: Path) -> WorkspaceWatch | None:
    """A watch of ``root`` (a git work tree on Linux), or None where it cannot be had."""
    if not sys.platform.startswith("linux") or _git(root, "rev-parse", "--is-inside-work-tree") is None:
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    except (OSError, AttributeError):
        return None
    if fd < 0:
        return None
    try:
        return WorkspaceWatch(root, fd, libc)
    except OSError:
        os.close(fd)
        return None


def _folders(root: Path) -> list[str]:
    """Every folder under ``root`` (relative, "" itself) but ``.git`` and those git ignores."""
    listed = _git(root, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory")
    ignored = {p.rstrip("/") for p in (listed or b"").decode("utf-8", "surrogateescape").split("\0") if p.endswith("/")}
    found = []
    for dirpath, dirs, _names in os.walk(root):
        rel = Path(dirpath).relative_to(root).as_posix()
        rel = "" if rel == "." else rel
        found.append(rel)
        dirs[:] = [d for d in dirs if d != ".git" and (f"{rel}/{d}" if rel else d) not in ignored]
    return found


def _ignored(root: Path, paths: list[str]) -> set[str]:
    if not paths:
        return set()
    import subprocess

    try:
        done = subprocess.run(["git", "-C", str(root), "check-ignore", "-z", "--stdin"], capture_output=True,
                              input="\0".join(paths).encode("utf-8", "surrogateescape"), timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return set()
    return {p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p}

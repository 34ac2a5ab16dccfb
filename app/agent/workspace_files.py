"""The workspace's files, as ``git`` would show them, and a fuzzy search over their paths.

:func:`list_workspace` lists the files once: in a git repository with ``git ls-files
--cached --others --exclude-standard`` (tracked and untracked files, ``.gitignore``
respected, deleted files left out); anywhere else with a walk that honours every
``.gitignore`` on the way (``pathspec``) and skips the usual heavy folders (``.git``,
``node_modules``, ``.venv`` ...). Folders are derived from the files (``src/``,
``src/app/``), so they complete too.

:class:`FileIndex` is that list, frozen, with the search: :meth:`FileIndex.search`
scores like fzf -- every query character in order (a subsequence, case-insensitive),
bonus for contiguous runs and for characters that start a path segment or a word,
and a match inside the file name first. It stays fast on 50,000 paths: regular
expressions (C) find the candidates, and only a bounded number is scored in Python
(``benchmarks/bench_mentions.py`` measures it).

:class:`WorkspaceFiles` keeps the current index of one workspace: built off the
caller's thread, rebuilt when older than ``max_age_s`` while the old one keeps
answering.
"""

from __future__ import annotations

import bisect
import heapq
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

# Never walked into without git (their contents are not the project's source).
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".tox", ".nox", ".eggs", "dist", "build", ".idea", ".DS_Store", ".cache",
})
MAX_FILES = 200_000  # a listing stops there: a home folder is not a workspace
GIT_TIMEOUT_S = 10.0
FINE_WORK = 2_400  # query characters scored in Python at most, per query (600 candidates of 1-4 characters)
FINE_LIMIT = 600
SEPARATORS = "/_-. "

SOURCE_GIT = "git"
SOURCE_WALK = "walk"


@dataclass(frozen=True)
class Match:
    path: str  # relative, "/" separated; a folder ends with "/"
    score: int
    positions: tuple[int, ...]  # where the query's characters matched
    in_name: bool = False  # all of them in the file (or folder) name: such a match ranks first

    @property
    def is_dir(self) -> bool:
        return self.path.endswith("/")


# --- listing ---------------------------------------------------------------------------


def list_workspace(root: Path) -> tuple[list[str], str]:
    """The workspace's files (relative, "/" separated, sorted) and how they were listed."""
    listed = _git_files(root)
    if listed is not None:
        return listed, SOURCE_GIT
    return sorted(_walk(root)), SOURCE_WALK


def _git_files(root: Path) -> list[str] | None:
    """``git ls-files`` of the work tree under ``root``, or None when it is no repository (or no git)."""
    def run(*args: str) -> list[str] | None:
        try:
            done = subprocess.run(["git", "-C", str(root), "ls-files", "-z", *args], capture_output=True,
                                  timeout=GIT_TIMEOUT_S, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        if done.returncode != 0:
            return None
        return [p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p and "\n" not in p]

    files = run("--cached", "--others", "--exclude-standard")
    if files is None:
        return None
    deleted = set(run("--deleted") or ())
    return sorted({p for p in files if p not in deleted})


def _walk(root: Path) -> Iterator[str]:
    """Every file under ``root`` that no ``.gitignore`` on its way ignores, heavy folders skipped."""
    from pathspec import GitIgnoreSpec

    specs: list[tuple[str, Any]] = []  # (folder prefix, its .gitignore) of the folders above
    count = 0
    for folder, dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if rel == "." else rel + "/"
        specs = [(p, s) for p, s in specs if prefix.startswith(p)]
        ignore_file = os.path.join(folder, ".gitignore")
        if os.path.isfile(ignore_file):
            try:
                with open(ignore_file, encoding="utf-8", errors="replace") as handle:
                    specs.append((prefix, GitIgnoreSpec.from_lines(handle.read().splitlines())))
            except OSError:
                pass

        def ignored(path: str) -> bool:
            return any(spec.match_file(path[len(p):]) for p, spec in specs)

        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not ignored(f"{prefix}{d}/"))
        for name in files:
            path = prefix + name
            if "\n" in path or ignored(path):
                continue
            yield path
            count += 1
            if count >= MAX_FILES:
                return


def folders_of(files: Iterable[str]) -> list[str]:
    """Every folder that holds one of ``files``: ``a/``, ``a/b/`` (sorted)."""
    seen: set[str] = set()
    for path in files:
        cut = path.rfind("/")
        while cut > 0:
            folder = path[: cut + 1]
            if folder in seen:
                break
            seen.add(folder)
            cut = path.rfind("/", 0, cut)
    return sorted(seen)


# --- the index ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FileIndex:
    """The files and folders of a workspace at one moment, and the search over them."""

    root: Path
    files: tuple[str, ...]
    source: str = SOURCE_GIT
    built_at: float = field(default_factory=time.monotonic)

    @classmethod
    def build(cls, root: Path) -> FileIndex:
        files, source = list_workspace(root)
        return cls(root=root, files=tuple(files), source=source)

    @cached_property
    def folders(self) -> tuple[str, ...]:
        return tuple(folders_of(self.files))

    @cached_property
    def entries(self) -> tuple[str, ...]:
        """Files and folders, what a mention may name: shortest first (the search cuts long lists there)."""
        return tuple(sorted((*self.folders, *self.files), key=lambda e: (len(e), e)))

    @cached_property
    def _names(self) -> _Lines:
        """Each entry's name (``loop.py``, ``agent/``), lower case, one a line, in entry order."""
        return _Lines([e[e.rstrip("/").rfind("/") + 1:].lower() for e in self.entries])

    @cached_property
    def _paths(self) -> _Lines:
        return _Lines([e.lower() for e in self.entries])

    @cached_property
    def _children(self) -> dict[str, list[str]]:
        """Each folder's direct entries (folders first), "" for the workspace's top."""
        children: dict[str, list[str]] = {}
        for entry in sorted(self.entries, key=lambda e: (not e.endswith("/"), e)):
            parent = entry[: entry.rstrip("/").rfind("/") + 1]
            children.setdefault(parent, []).append(entry)
        return children

    def children(self, folder: str) -> list[str]:
        return self._children.get(folder, [])

    def prepare(self) -> FileIndex:
        """Build what the search needs now (on the builder's thread, not a UI's)."""
        for lines in (self._names, self._paths):
            _ = lines.blob, lines.starts
        _ = self._children
        return self

    def search(self, query: str, limit: int = 50) -> list[Match]:
        """The best ``limit`` entries for ``query``, best first (see the module docstring).

        An empty query, or one naming a folder (``src/``), lists that folder's entries."""
        if not query or (query.endswith("/") and query in self._children):
            return [Match(p, 0, ()) for p in self.children(query)[:limit]]
        lowered = query.lower()
        entries = self.entries
        scored = [m for m in (score(entries[i], lowered) for i in self._candidates(lowered, limit)) if m is not None]
        return heapq.nsmallest(limit, scored, key=lambda m: (not m.in_name, -m.score, len(m.path), m.path))

    def _candidates(self, query: str, limit: int) -> list[int]:
        """Entries worth scoring, a bounded number: tier by tier, best first, each a regex.

        The name starts with the query, holds it, holds its characters in order; then the
        path holds them in order. Entries are ordered shortest first, so a tier cut short
        keeps the shortest. The name tiers' matches rank first, so when they fill ``limit``
        the path is not searched. A query with a "/" is about the path only."""
        found: dict[int, None] = {}
        cap = min(FINE_LIMIT, max(100, FINE_WORK // len(query)))
        tiers = [] if "/" in query else [
            (self._names, "\n" + re.escape(query)),  # a literal: found fast
            (self._names, re.escape(query)),
            (self._names, None),
        ]
        for lines, pattern in (*tiers, (self._paths, None)):
            if lines is self._paths and len(found) >= limit:
                break
            pattern = pattern or _subsequence(query, per_line=lines.occurrences(query[0]) > len(lines.texts))
            for index in lines.matching(pattern):
                found[index] = None
                if len(found) >= cap:
                    return list(found)
        return list(found)


@dataclass(frozen=True)
class _Lines:
    """Texts joined one a line, searched by regex; each match gives its text's number."""

    texts: list[str]

    @cached_property
    def blob(self) -> str:
        return "\n" + "\n".join(self.texts)  # every text follows a newline

    @cached_property
    def starts(self) -> list[int]:
        starts, at = [], 1
        for text in self.texts:
            starts.append(at)
            at += len(text) + 1
        return starts

    @cached_property
    def _occurrences(self) -> dict[str, int]:
        return {}

    def occurrences(self, char: str) -> int:
        """How often ``char`` occurs (counted once, then remembered)."""
        found = self._occurrences.get(char)
        if found is None:
            found = self._occurrences[char] = self.blob.count(char)
        return found

    def matching(self, pattern: str) -> Iterator[int]:
        """The numbers of the texts ``pattern`` matches in, in order, each once (lazily)."""
        starts, last = self.starts, -1
        for found in re.finditer(pattern, self.blob, re.MULTILINE):
            index = bisect.bisect_right(starts, found.end() - 1) - 1  # its last character's text
            if index != last:
                last = index
                yield index


def _subsequence(query: str, *, per_line: bool) -> str:
    """A regex for ``query``'s characters in order within a line; its gaps are possessive, so
    no attempt backtracks. It starts with a literal, which the regex engine finds fast: the
    first character (``per_line=False``: one attempt per occurrence) or the line's newline
    (one attempt per line, better when that character is everywhere)."""
    gaps = "".join(f"[^{re.escape(c)}\\n]*+{re.escape(c)}" for c in query[1:])
    first = re.escape(query[0])
    return (f"\\n[^{first}\\n]*+{first}" if per_line else first) + gaps


# --- scoring ---------------------------------------------------------------------------------

SCORE_MATCH = 16
BONUS_BOUNDARY = 8  # the character starts a word: after _ - . or a space, or a capital after a lower case
BONUS_SEGMENT = 10  # the character starts a path segment (after "/", or the path's first)
BONUS_CONSECUTIVE = 6  # the character follows the previous match
BONUS_FIRST_CHAR = 2  # multiplier of the first query character's boundary bonus
BONUS_NAME = 30  # every character matched inside the file name
PENALTY_GAP_START = 3
PENALTY_GAP_EXTENSION = 1


def score(path: str, query: str) -> Match | None:
    """``path`` scored for ``query`` (lower case), or None when it does not match.

    The query is matched inside the name when it fits there, else along the whole path;
    each way the shortest window wins (fzf's v1: leftmost end, then back to the latest start)."""
    lowered = path.lower()
    name_start = lowered.rstrip("/").rfind("/") + 1
    best: Match | None = None
    for start in (name_start, 0) if name_start else (0,):
        positions = _window(lowered, query, start)
        if positions is None:
            continue
        in_name = start == name_start
        points = _points(path, positions) + (BONUS_NAME * len(query) if in_name else 0)
        if best is None or points > best.score:
            best = Match(path, points, positions, in_name)
        if start == name_start and best is not None:
            break  # a match in the name beats any along the path
    return best


def _window(text: str, query: str, start: int) -> tuple[int, ...] | None:
    end = start - 1
    for char in query:
        end = text.find(char, end + 1)
        if end < 0:
            return None
    positions = [end]
    for char in reversed(query[:-1]):
        positions.append(text.rfind(char, start, positions[-1]))
    return tuple(reversed(positions))


def _points(path: str, positions: tuple[int, ...]) -> int:
    total = 0
    previous = -2
    for n, at in enumerate(positions):
        bonus = _bonus(path, at)
        if n == 0:
            bonus *= BONUS_FIRST_CHAR
        if at == previous + 1:
            bonus = max(bonus, BONUS_CONSECUTIVE)
        elif n:
            total -= PENALTY_GAP_START + PENALTY_GAP_EXTENSION * (at - previous - 2)
        total += SCORE_MATCH + bonus
        previous = at
    return total


def _bonus(path: str, at: int) -> int:
    if at == 0 or path[at - 1] == "/":
        return BONUS_SEGMENT
    before, char = path[at - 1], path[at]
    if before in SEPARATORS or (before.islower() and char.isupper()) or (not before.isdigit() and char.isdigit()):
        return BONUS_BOUNDARY
    return 0


# --- the live index of one workspace -------------------------------------------------------


class WorkspaceFiles:
    """The current :class:`FileIndex` of a workspace, rebuilt in the background when stale.

    :meth:`current` never blocks: it answers with the last index (None before the first
    build ends) and starts a build on a thread when there is none or it is older than
    ``max_age_s``. :meth:`index` builds now when there is none (for the core, off the UI)."""

    def __init__(self, root: Path, *, max_age_s: float = 10.0, clock: Callable[[], float] = time.monotonic,
                 on_built: Callable[[FileIndex], Any] | None = None) -> None:
        self.root = root
        self.max_age_s = max_age_s
        self.clock = clock
        self.on_built = on_built
        self._index: FileIndex | None = None
        self._lock = threading.Lock()
        self._building: threading.Thread | None = None
        self.error: str | None = None  # why the last build failed

    def current(self) -> FileIndex | None:
        index = self._index
        if index is None or self.clock() - index.built_at >= self.max_age_s:
            self.refresh()
        return index

    def index(self) -> FileIndex:
        """The index, built now on this thread when there is none yet."""
        index = self._index
        if index is None:
            index = self._build()
        elif self.clock() - index.built_at >= self.max_age_s:
            self.refresh()
        return index

    def refresh(self) -> threading.Thread | None:
        """Start a background rebuild (one at a time); the thread, or None when one runs already."""
        with self._lock:
            if self._building is not None and self._building.is_alive():
                return None
            self._building = threading.Thread(target=self._build, name="cockpit-file-index", daemon=True)
            self._building.start()
            return self._building

    def wait(self, timeout: float | None = None) -> FileIndex | None:
        """Wait for a running build (tests, a headless caller); the index after it."""
        building = self._building
        if building is not None:
            building.join(timeout)
        return self._index

    def _build(self) -> FileIndex:
        try:
            files, source = list_workspace(self.root)
        except Exception as exc:  # an unreadable tree: mentions complete nothing, nothing crashes
            self.error = f"{type(exc).__name__}: {exc}"
            files, source = [], SOURCE_WALK
        index = FileIndex(root=self.root, files=tuple(files), source=source, built_at=self.clock()).prepare()
        self._index = index
        if self.on_built is not None:
            self.on_built(index)
        return index

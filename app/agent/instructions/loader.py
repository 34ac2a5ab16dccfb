"""Read the instruction files and their ``@path`` imports, within size caps.

Each file becomes an :class:`InstructionFile`; an imported file is a file of its
own, placed right after the file that imports it (depth first), so the budget
and the list of loaded files show what each one costs. Imports resolve relative
to the importing file (``~/`` and absolute paths allowed), at most
``MAX_IMPORT_DEPTH`` hops deep; a cycle is refused, a file already loaded is not
loaded twice, and a missing or unreadable file is noted, never fatal. A file
longer than ``max_file_chars`` is cut (at a line end) with a note saying so in
the text itself; once ``max_total_chars`` are loaded, the rest is left out, noted.

A cloned repository's instructions must not pull the user's secrets into the
prompt (``@~/.aws/credentials``): what the project's files import from outside
the project root must be a Markdown or text file (``@~/.claude/my-notes.md``
is fine). The user's own file, in the config folder, may import anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.agent.instructions.discovery import USER, display_path, instruction_files, project_root
from app.agent.instructions.imports import TRAILING_PUNCTUATION, import_paths

MAX_IMPORT_DEPTH = 5
MAX_FILE_CHARS = 40_000  # Claude Code warns about a CLAUDE.md above 40k characters
MAX_TOTAL_CHARS = 120_000
IMPORT = "import"
OUTSIDE_SUFFIXES = (".md", ".markdown", ".txt")  # what a project's file may import from outside the project


@dataclass(frozen=True)
class InstructionFile:
    path: Path
    label: str  # the path as shown: relative to the project root, ~/..., or absolute
    scope: str  # user | project | import
    text: str  # as included (cut when the file is too long)
    chars: int  # the whole file's length
    imported_by: str = ""  # the label of the file that imports it
    truncated: bool = False


@dataclass(frozen=True)
class LoadedInstructions:
    files: tuple[InstructionFile, ...] = ()
    notes: tuple[str, ...] = ()  # what was refused, missing, unreadable or cut


def load_instructions(
    workspace: Path,
    user_dir: Path | None,
    *,
    max_file_chars: int = MAX_FILE_CHARS,
    max_total_chars: int = MAX_TOTAL_CHARS,
) -> LoadedInstructions:
    loader = _Loader(project_root(workspace), max_file_chars, max_total_chars)
    for candidate in instruction_files(workspace, user_dir):
        loader.load(candidate.path, candidate.label, candidate.scope, "", (), candidate.scope)
    return LoadedInstructions(tuple(loader.files), tuple(loader.notes))


class _Loader:
    def __init__(self, root: Path, max_file_chars: int, max_total_chars: int) -> None:
        self.root = root
        self.max_file_chars = max_file_chars
        self.room = max_total_chars
        self.max_total_chars = max_total_chars
        self.files: list[InstructionFile] = []
        self.notes: list[str] = []
        self.loaded: set[Path] = set()

    def load(self, path: Path, label: str, scope: str, imported_by: str, chain: tuple[Path, ...],
             origin: str) -> None:
        """Read one file, then its imports; ``origin`` is the scope of the file the chain started from."""
        if path in self.loaded:
            return
        text = self._read(path, label)
        if text is None:
            return
        if self.room <= 0:
            self.notes.append(f"{label} left out: the instructions already hold {self.max_total_chars:,} characters")
            return
        self.loaded.add(path)
        included, truncated = _cut(text, min(self.max_file_chars, self.room))
        if truncated:
            kept = len(included)
            included += f"\n\n[Cockpit: {label} is {len(text):,} characters; only the first {kept:,} are included.]"
            self.notes.append(f"{label} cut to {kept:,} of {len(text):,} characters")
        self.room -= len(included)
        self.files.append(InstructionFile(path, label, scope, included, len(text), imported_by, truncated))
        for written in import_paths(included if truncated else text):
            self._import(written, path, label, (*chain, path), origin)

    def _import(self, written: str, importer: Path, importer_label: str, chain: tuple[Path, ...], origin: str) -> None:
        try:
            self._check_import(written, importer, importer_label, chain, origin)
        except OSError as exc:  # a folder on the way we may not look into, a path too long
            self.notes.append(f"@{written} in {importer_label} could not be read: {exc.strerror or exc}")

    def _check_import(self, written: str, importer: Path, importer_label: str, chain: tuple[Path, ...],
                      origin: str) -> None:
        target = _resolve(written, importer.parent)
        if target in chain:
            cycle = " → ".join(display_path(p, self.root) for p in (*chain[chain.index(target):], target))
            self.notes.append(f"import cycle refused: {cycle}")
        elif len(chain) > MAX_IMPORT_DEPTH:
            self.notes.append(f"@{written} in {importer_label} not imported: more than {MAX_IMPORT_DEPTH} imports deep")
        elif not target.exists():
            self.notes.append(f"@{written} in {importer_label}: no such file")
        elif not target.is_file():
            self.notes.append(f"@{written} in {importer_label}: not a file")
        elif origin != USER and not target.is_relative_to(self.root) and target.suffix.lower() not in OUTSIDE_SUFFIXES:
            self.notes.append(f"@{written} in {importer_label} not imported: outside the project, "
                              f"only {', '.join(OUTSIDE_SUFFIXES)} files are")
        else:
            self.load(target, display_path(target, self.root), IMPORT, importer_label, chain, origin)

    def _read(self, path: Path, label: str) -> str | None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            text = "\x00"
        except OSError as exc:
            self.notes.append(f"{label} could not be read: {exc.strerror or exc}")
            return None
        if "\x00" in text:
            self.notes.append(f"{label} left out: not a text file")
            return None
        return text.rstrip()


def _resolve(written: str, folder: Path) -> Path:
    """The file an import names; a sentence's final punctuation is dropped when the path with it is missing."""
    path = _path(written, folder)
    stripped = written.rstrip(TRAILING_PUNCTUATION)
    if not path.is_file() and stripped and stripped != written:
        candidate = _path(stripped, folder)
        if candidate.is_file():
            return candidate
    return path


def _path(written: str, folder: Path) -> Path:
    path = Path(written).expanduser() if written.startswith("~/") else Path(written)
    return (path if path.is_absolute() else folder / path).resolve()


def _cut(text: str, limit: int) -> tuple[str, bool]:
    """``text`` within ``limit`` characters, cut at a line end when one is near."""
    if len(text) <= limit:
        return text, False
    head = text[:limit]
    newline = head.rfind("\n")
    return (head[:newline] if newline > limit // 2 else head).rstrip(), True

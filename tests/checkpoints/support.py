"""Workspaces and scripted turns for the checkpoint tests."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any


def git_workspace(path: Path, files: dict[str, bytes]) -> Path:
    """``path`` as a git repository whose index holds ``files`` (no commit needed)."""
    for name, data in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(data)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "add", "-A"], check=True)
    return path


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}


def turn(*calls: dict[str, Any], text: str = "") -> list[dict[str, Any]]:
    """A task the model answers with ``calls`` (one reply), then ``text``."""
    return [{"tool_calls": list(calls)}, {"text": text or "Done."}]


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` but git's, by relative path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.agent.tools.base import ToolError
from app.agent.tools.workspace import display_path, resolve_in_workspace


def test_relative_path_resolves_inside(ws: Path) -> None:
    assert resolve_in_workspace(ws, "src/app.py") == ws.resolve() / "src" / "app.py"


def test_dotdot_that_stays_inside_is_fine(ws: Path) -> None:
    assert resolve_in_workspace(ws, "a/../b.txt") == ws.resolve() / "b.txt"


def test_dotdot_escape_is_refused(ws: Path) -> None:
    with pytest.raises(ToolError, match=r"escapes the workspace through '\.\.'"):
        resolve_in_workspace(ws, "../outside/secret.txt")
    with pytest.raises(ToolError, match="escapes"):
        resolve_in_workspace(ws, "a/../../outside")


def test_absolute_path_outside_is_refused(ws: Path) -> None:
    with pytest.raises(ToolError, match="outside the workspace"):
        resolve_in_workspace(ws, str(ws.parent / "outside" / "secret.txt"))
    with pytest.raises(ToolError, match="outside the workspace"):
        resolve_in_workspace(ws, "/etc/passwd")


def test_absolute_path_inside_is_fine(ws: Path) -> None:
    assert resolve_in_workspace(ws, str(ws / "notes.md")) == ws.resolve() / "notes.md"
    assert resolve_in_workspace(ws, str(ws)) == ws.resolve()


def test_symlinked_file_escape_is_refused(ws: Path) -> None:
    os.symlink(ws.parent / "outside" / "secret.txt", ws / "link.txt")
    with pytest.raises(ToolError, match="link.txt is a symlink to"):
        resolve_in_workspace(ws, "link.txt")


def test_symlinked_directory_escape_is_refused_anywhere_in_the_path(ws: Path) -> None:
    (ws / "sub").mkdir()
    os.symlink(ws.parent / "outside", ws / "sub" / "out")
    with pytest.raises(ToolError, match="leads outside the workspace"):
        resolve_in_workspace(ws, "sub/out/secret.txt")
    with pytest.raises(ToolError, match="leads outside"):
        resolve_in_workspace(ws, "sub/out/not-yet-created.txt")
    with pytest.raises(ToolError, match="leads outside"):
        resolve_in_workspace(ws, str(ws / "sub" / "out" / "secret.txt"))


def test_symlink_inside_the_workspace_is_followed(ws: Path) -> None:
    (ws / "real").mkdir()
    os.symlink(ws / "real", ws / "alias")
    assert resolve_in_workspace(ws, "alias/x.py") == ws.resolve() / "real" / "x.py"


def test_workspace_reached_through_a_symlink(tmp_path: Path, ws: Path) -> None:
    via = tmp_path / "via"
    os.symlink(ws, via)
    assert resolve_in_workspace(via, str(via / "a.txt")) == ws.resolve() / "a.txt"
    assert resolve_in_workspace(via, "a.txt") == ws.resolve() / "a.txt"


def test_symlink_loop_is_refused_cleanly(ws: Path) -> None:
    os.symlink(ws / "a", ws / "b")
    os.symlink(ws / "b", ws / "a")
    with pytest.raises(ToolError, match="symlink loop"):
        resolve_in_workspace(ws, "a/x.txt")


@pytest.mark.parametrize("bad", ["", "   ", "a\x00b"])
def test_empty_or_nul_paths_are_refused(ws: Path, bad: str) -> None:
    with pytest.raises(ToolError):
        resolve_in_workspace(ws, bad)


def test_display_path(ws: Path) -> None:
    assert display_path(ws, ws / "src" / "a.py") == "src/a.py"
    assert display_path(ws, ws) == "."
    assert display_path(ws, Path("/etc/passwd")) == "/etc/passwd"

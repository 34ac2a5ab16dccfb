from __future__ import annotations

from pathlib import Path

import pytest

from app.agent.tools.base import ToolContext


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """An empty workspace, with a sibling directory outside it."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("top secret\n")
    return workspace


@pytest.fixture
def ctx(ws: Path) -> ToolContext:
    return ToolContext(workspace=ws, timeout_s=20.0, output_cap_chars=2_000)

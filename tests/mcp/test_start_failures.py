"""A start that fails before the server answers says why at once, never after its start-up timeout."""

from __future__ import annotations

import sys

from app.agent.mcp.connection import ServerState
from app.agent.mcp.manager import McpManager
from tests.mcp.conftest import server


def test_an_sdk_import_that_fails_fails_the_start_with_its_reason(workspace, monkeypatch):
    # Two threads importing the SDK's circular modules at once made one see a partially initialised
    # module: the ImportError, raised before the start was watched, left it waiting its whole timeout.
    import mcp.shared.exceptions  # noqa: F401  (the SDK itself loads; the session module then fails)

    monkeypatch.setitem(sys.modules, "mcp.client.session", None)  # importing it raises ImportError
    manager = McpManager([server("t", startup_timeout=600)], workspace, approved=lambda s: True)
    manager.start()
    try:
        row = manager.rows()[0]
        assert row.state is ServerState.FAILED
        assert "did not start within" not in row.error and "mcp.client.session" in row.error
    finally:
        manager.close()

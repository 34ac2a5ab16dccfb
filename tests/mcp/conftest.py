"""MCP tests: the test server (tests/support/mcp_server.py) as a config entry, over stdio or HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.agent.mcp.config import FROM_CONFIG, server_from_entry

ROOT = Path(__file__).resolve().parents[2]


def stdio_entry(**env: str) -> dict[str, Any]:
    """A ``[mcp_servers.NAME]`` entry that runs the test server over stdio."""
    return {"command": sys.executable, "args": ["-m", "tests.support.mcp_server", "stdio"], "cwd": str(ROOT),
            "env": env}


def server(name: str = "t", entry: dict[str, Any] | None = None, **overrides: Any):
    return server_from_entry(name, {**(entry or stdio_entry()), **overrides}, source=FROM_CONFIG, origin="test",
                             strict=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(transport: str) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "tests.support.mcp_server", transport, str(port)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ})
    deadline = time.monotonic() + 30
    try:
        while True:  # until the port accepts connections
            assert process.poll() is None, "the MCP test server exited"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the MCP test server did not listen"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()


@pytest.fixture
def http_base() -> Iterator[str]:
    """The test server over streamable HTTP on loopback (its endpoint is ``<base>/mcp``)."""
    yield from _serve("http")


@pytest.fixture
def sse_base() -> Iterator[str]:
    """The test server over the older SSE transport (``<base>/sse``)."""
    yield from _serve("sse")

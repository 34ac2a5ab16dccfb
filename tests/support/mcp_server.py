"""A real MCP server for the tests, written with the SDK's MCPServer (mcp 2's FastMCP).

Run it as a program::

    python -m tests.support.mcp_server stdio
    python -m tests.support.mcp_server http PORT     # streamable HTTP on 127.0.0.1:PORT/mcp
    python -m tests.support.mcp_server sse PORT      # the older SSE transport, on /sse

Its tools: ``add`` (read-only, structured result), ``echo`` (read-only), ``write_note``
(a side effect: writes ``$MCP_NOTES`` when set), ``image`` (an image block), ``slow``
(sleeps), ``crash`` (the process exits mid-call), ``big`` (a long text), ``fail`` (an error
result), ``refuse`` (a JSON-RPC error instead of a result). ``$MCP_SERVER_MARK`` is echoed by ``whoami`` (tests tell two servers apart);
``$MCP_CHILD`` starts a child process that lives as long as the server (the process group
test kills it with the server).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.types import Image
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, ToolAnnotations

server = MCPServer("cockpit-test")
READ_ONLY = ToolAnnotations(read_only_hint=True)


@server.tool(annotations=READ_ONLY)
def add(a: int, b: int) -> dict[str, int]:
    """Add two whole numbers."""
    return {"sum": a + b}


@server.tool(annotations=READ_ONLY)
def echo(text: str) -> str:
    """Say the text back."""
    return text


@server.tool(annotations=READ_ONLY)
def whoami() -> str:
    """Which server this is."""
    return os.environ.get("MCP_SERVER_MARK", "unmarked")


@server.tool()
def write_note(text: str) -> str:
    """Write a note (a side effect)."""
    path = os.environ.get("MCP_NOTES")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text + "\n")
    return f"noted: {text}"


@server.tool(annotations=READ_ONLY)
def image() -> Image:
    """A one-pixel PNG."""
    return Image(data=b"\x89PNG\r\n\x1a\n" + b"\0" * 16, format="png")


@server.tool(annotations=READ_ONLY)
async def slow(seconds: float) -> str:
    """Sleep, then answer."""
    await asyncio.sleep(seconds)
    return f"slept {seconds}"


@server.tool(annotations=READ_ONLY)
def crash() -> str:
    """The server process dies while answering."""
    os._exit(3)


@server.tool(annotations=READ_ONLY)
def big(chars: int) -> str:
    """A long text."""
    return "".join(f"line {i}\n" for i in range(chars // 8 + 1))[:chars]


@server.tool(annotations=READ_ONLY)
def refuse() -> str:
    """Answers with a JSON-RPC error instead of a result."""
    raise MCPError(code=INVALID_PARAMS, message="refused: no such thing")


@server.tool(annotations=READ_ONLY)
def fail() -> str:
    """Always an error result."""
    raise ToolError("this tool always fails")


def main(argv: list[str]) -> None:
    child = os.environ.get("MCP_CHILD")
    if child:
        subprocess.Popen(child.split(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    transport = argv[0] if argv else "stdio"
    if transport == "stdio":
        server.run("stdio")
    elif transport == "http":
        server.run("streamable-http", host="127.0.0.1", port=int(argv[1]))
    elif transport == "sse":
        server.run("sse", host="127.0.0.1", port=int(argv[1]))
    else:
        raise SystemExit(f"unknown transport {transport!r}")


if __name__ == "__main__":
    main(sys.argv[1:])

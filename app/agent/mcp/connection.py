"""One MCP server's connection: started, its tools listed, called, lost, started again, stopped.

Everything here runs on the MCP thread's event loop (``manager``). The SDK's transports are
async context managers that must be entered and left by the same task, so each connection
lives in one task (:meth:`Connection._serve`) that holds the transport and the session
open until it is told to stop or the transport ends.

A stdio server is started through ``/bin/sh`` so that its process id is known (the SDK
does not say): the shell writes it to the server's log, then ``exec``s the server, which
the SDK starts as the leader of a new process group. On stop, once the SDK has closed the
server's stdin and waited for it, whatever is left of that group (children the server
started) is killed.
"""

from __future__ import annotations

import asyncio
import enum
import os
import signal
import sys
import tempfile
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from app.agent.mcp.config import HTTP, STDIO, ServerConfig

PID_MARK = "cockpit-mcp-pid "
LAUNCH = 'echo "' + PID_MARK + '$$" >&2; exec "$@"'
STOP_GRACE_S = 5.0  # the SDK's own shutdown takes up to ~4 s for a server that ignores its stdin closing
LOG_TAIL_CHARS = 600


class ServerState(str, enum.Enum):
    READY = "ready"
    STARTING = "starting"
    FAILED = "failed"  # never started (or could not be started again)
    CRASHED = "crashed"  # was ready, then its connection closed; started again on the next call
    STOPPED = "stopped"
    NOT_APPROVED = "not approved"  # a project's server the user has not approved
    DISABLED = "disabled"  # enabled = false


class ServerGone(Exception):
    """The server is not there: it did not start, or its connection closed."""


class CallRefused(Exception):
    """The server answered the call with a protocol error (bad parameters, unknown tool): it is fine."""


class CallTimedOut(Exception):
    """A call took longer than its timeout (the server is still connected)."""


@dataclass(frozen=True)
class ToolSpec:
    """A tool as the server lists it."""

    name: str
    description: str
    input_schema: dict[str, Any]
    read_only: bool  # annotations.readOnlyHint


@dataclass
class Connection:
    config: ServerConfig
    workspace: Path
    state: ServerState = ServerState.STOPPED
    error: str = ""  # why it failed or crashed, for a person
    tools: list[ToolSpec] = field(default_factory=list)
    starts: int = 0  # successful starts (more than one: it was restarted)
    pid: int | None = None  # a stdio server's process (and process group) id
    _session: Any = None
    _task: asyncio.Task[None] | None = None
    _stop: asyncio.Event | None = None
    _log: TextIO | None = None

    # --- start --------------------------------------------------------------------

    async def start(self) -> None:
        """Start the server and list its tools; ServerGone (state FAILED) when it cannot."""
        await self.stop()
        self.state, self.error, self.pid = ServerState.STARTING, "", None
        if self._log is not None:
            self._log.close()
        self._log = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") if self.config.transport == STDIO else None
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[list[ToolSpec]] = loop.create_future()
        ready.add_done_callback(lambda f: f.cancelled() or f.exception())  # read even when given up on
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._serve(ready, self._stop), name=f"mcp {self.config.name}")
        timeout = self.config.startup_timeout_s
        try:
            self.tools = await asyncio.wait_for(asyncio.shield(ready), timeout)
        except asyncio.TimeoutError:
            await self._give_up(f"did not start within {timeout:g} s")
        except Exception as exc:
            await self._give_up(_reason(exc))
        self.state = ServerState.READY
        self.starts += 1

    async def _give_up(self, why: str) -> None:
        await self.stop()
        self.state, self.error = ServerState.FAILED, why + self._log_tail()
        raise ServerGone(self.error)

    async def _serve(self, ready: asyncio.Future[list[ToolSpec]], stop: asyncio.Event) -> None:
        try:
            from mcp.client.session import ClientSession  # a failed import fails this start at once

            async with AsyncExitStack() as stack:
                read, write = await self._open_transport(stack)
                session = await stack.enter_async_context(ClientSession(read, write))
                await session.initialize()
                self.pid = self._logged_pid()
                tools = await _list_tools(session)
                self._session = session
                ready.set_result(tools)
                await stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else ServerGone("stopped while starting"))
            if not isinstance(exc, Exception):
                raise
        finally:
            self._session = None
            pid = self.pid or self._logged_pid()
            if pid is not None:
                self.pid = pid
                kill_group(pid)
            if self.state is ServerState.READY:  # the transport ended on its own
                self.state, self.error = ServerState.CRASHED, "its connection closed" + self._log_tail()

    async def _open_transport(self, stack: AsyncExitStack) -> tuple[Any, Any]:
        config = self.config
        if config.transport == STDIO:
            from mcp.client.stdio import StdioServerParameters, stdio_client

            command, args = config.command, list(config.args)
            if sys.platform != "win32":
                command, args = "/bin/sh", ["-c", LAUNCH, "sh", config.command, *config.args]
            params = StdioServerParameters(command=command, args=args, env={**config.env} or None,
                                           cwd=config.cwd or str(self.workspace))
            read, write = await stack.enter_async_context(stdio_client(params, errlog=self._log or sys.stderr))
            return read, write
        from mcp.shared._httpx_utils import create_mcp_http_client

        if config.transport == HTTP:
            from mcp.client.streamable_http import streamable_http_client

            http = await stack.enter_async_context(create_mcp_http_client(headers=dict(config.headers)))
            read, write = await stack.enter_async_context(streamable_http_client(config.url, http_client=http))
            return read, write
        from mcp.client.sse import sse_client

        read, write = await stack.enter_async_context(sse_client(config.url, headers=dict(config.headers)))
        return read, write

    # --- calls --------------------------------------------------------------------

    async def call(self, tool: str, arguments: dict[str, Any], timeout_s: float) -> Any:
        """``tools/call``; a crashed server is started again first. ServerGone when the server is
        gone (its connection closed during the call: state CRASHED), CallTimedOut after ``timeout_s``,
        CallRefused when it answers with an error instead of a result."""
        if self._session is None or _closed(self._session):  # crashed, or died while idle
            if self._session is not None:
                self.state, self.error = ServerState.CRASHED, "its connection closed" + self._log_tail()
            await self.start()
        session, mark = self._session, self._log_size()
        try:
            return await asyncio.wait_for(session.call_tool(tool, arguments), timeout_s)
        except asyncio.TimeoutError:
            raise CallTimedOut(f"no answer within {timeout_s:g} s") from None
        except Exception as exc:
            if _is_protocol_error(exc):
                raise CallRefused(_reason(exc)) from exc
            self.state, self.error = ServerState.CRASHED, _reason(exc)
            await self.stop()
            self.error += self._log_tail(since=mark)
            raise ServerGone(self.error) from exc

    # --- stop ---------------------------------------------------------------------

    async def stop(self) -> None:
        """Close the session and the transport (a stdio server's process group ends)."""
        task, stop = self._task, self._stop
        self._task = None
        if self.state is ServerState.READY:
            self.state = ServerState.STOPPED
        if task is None:
            return
        if stop is not None:
            stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), STOP_GRACE_S)
        except asyncio.TimeoutError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        except Exception:
            pass

    def release(self) -> None:
        """The server's log file closed (after the last :meth:`stop`)."""
        if self._log is not None:
            self._log.close()

    def _logged_pid(self) -> int | None:
        log = self._log
        if log is None or log.closed:
            return None
        first = os.pread(log.fileno(), 64, 0).decode("utf-8", errors="replace").split("\n", 1)[0]
        return int(first[len(PID_MARK):]) if first.startswith(PID_MARK) and first[len(PID_MARK):].isdigit() else None

    def _log_size(self) -> int:
        return os.fstat(self._log.fileno()).st_size if self._log is not None and not self._log.closed else 0

    def _log_tail(self, since: int = 0) -> str:
        """The last line a stdio server wrote on stderr (after offset ``since``), to say why it went."""
        log = self._log
        if log is None or log.closed:
            return ""
        start = max(since, self._log_size() - LOG_TAIL_CHARS)
        text = os.pread(log.fileno(), LOG_TAIL_CHARS, start).decode("utf-8", errors="replace")
        lines = [line for line in text.splitlines() if line.strip() and not line.startswith(PID_MARK)]
        return f" (its last output: {lines[-1].strip()[:200]})" if lines else ""


def kill_group(pid: int) -> None:
    """SIGKILL to the process group ``pid`` leads, if any of it is left."""
    if sys.platform == "win32":
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


async def _list_tools(session: Any) -> list[ToolSpec]:
    from mcp_types import PaginatedRequestParams

    tools: list[ToolSpec] = []
    cursor: str | None = None
    while True:
        listed = await session.list_tools(params=PaginatedRequestParams(cursor=cursor) if cursor else None)
        for tool in listed.tools:
            annotations = tool.annotations
            tools.append(ToolSpec(tool.name, tool.description or "", dict(tool.input_schema),
                                  bool(annotations is not None and annotations.read_only_hint)))
        cursor = listed.next_cursor
        if not cursor:
            return tools


def _closed(session: Any) -> bool:
    """Whether the session's connection has ended (the server exited while no call was waiting). The SDK
    says so only on its dispatcher (``JSONRPCDispatcher._closed``); without that attribute: not known."""
    return bool(getattr(getattr(session, "_dispatcher", None), "_closed", False))


def _is_protocol_error(exc: BaseException) -> bool:
    """An error the server answered with (bad parameters, unknown tool): the server is fine."""
    from mcp.shared.exceptions import MCPError
    from mcp_types.jsonrpc import CONNECTION_CLOSED

    return isinstance(exc, MCPError) and exc.error.code != CONNECTION_CLOSED


def _reason(exc: BaseException) -> str:
    """An exception as a short reason (an exception group: its first leaf)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    from mcp.shared.exceptions import MCPError
    from mcp_types.jsonrpc import CONNECTION_CLOSED

    if isinstance(exc, MCPError):
        return "its connection closed" if exc.error.code == CONNECTION_CLOSED else exc.error.message
    text = str(exc).strip()
    if isinstance(exc, FileNotFoundError):
        return f"its command was not found ({exc.filename or text})"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

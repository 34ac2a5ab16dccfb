"""Every configured MCP server of a session, on one thread and event loop of their own.

Why a thread of its own: ``cockpit run`` runs each task in a fresh ``asyncio.run`` and the
TUI on its runner's loop, while an MCP session (and a stdio server's process) must outlive
tasks and be entered and left by one task. So the connections live on this loop for the
whole session, and a tool call from the agent's loop is handed over with
``run_coroutine_threadsafe`` and awaited there (``asyncio.wrap_future``): cancelling it (Esc,
``--max-time``) cancels the call here too. Nothing here emits events: the tools do, on the
agent's loop.

Lifecycle: :meth:`start` (blocking, each server bounded by its start-up timeout) when the
session is built, :meth:`start_approved` for a project's servers the user approves later; a
crashed server starts again on its next call; :meth:`close` when the session finishes (the
manager is a bus subscriber for ``session_finished``) or, failing that, when the process exits
(the process groups of stdio servers are killed).
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Callable, Container, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from app.agent.events import core as ev
from app.agent.mcp.config import FROM_PROJECT, ServerConfig
from app.agent.mcp.connection import Connection, ServerGone, ServerState, kill_group

T = TypeVar("T")
APPROVE_HINT = "approve it with `cockpit mcp approve` (or /mcp approve in the app)"


@dataclass(frozen=True)
class ServerRow:
    """One configured server as ``cockpit mcp list`` and ``/mcp`` show it."""

    config: ServerConfig
    state: ServerState
    tools: int | None  # None: never listed
    error: str = ""


class McpManager:
    def __init__(self, servers: Sequence[ServerConfig], workspace: Path, *,
                 approved: Callable[[ServerConfig], bool], problems: Sequence[str] = ()) -> None:
        self.servers = list(servers)
        self.workspace = workspace
        self.problems = list(problems)  # entries that could not be read
        self.connections: dict[str, Connection] = {}
        self.held: dict[str, ServerState] = {}  # not started, and why
        for server in self.servers:
            if not server.enabled:
                self.held[server.name] = ServerState.DISABLED
            elif server.source == FROM_PROJECT and not approved(server):
                self.held[server.name] = ServerState.NOT_APPROVED
            else:
                self.connections[server.name] = Connection(server, workspace)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # --- the thread -------------------------------------------------------------------

    def start(self) -> None:
        """Start every server that may start, side by side; returns when each is ready or has failed."""
        if not self.connections or self._loop is not None:
            return
        self._start_thread()
        self._run(self._start_all(list(self.connections.values()))).result()

    def start_approved(self, names: Sequence[str]) -> list[str]:
        """Start the servers named among those held for approval, now that the user approved them
        (blocking, as :meth:`start`, the others keep running); the names that were started."""
        chosen = [s for s in self.waiting() if s.name in names]
        if not chosen:
            return []
        if self._loop is not None and not self._loop.is_running():  # closed: they stay held
            raise ServerGone("the MCP servers were shut down")
        with self._lock:
            for server in chosen:
                del self.held[server.name]
                self.connections[server.name] = Connection(server, self.workspace)
        if self._loop is None:
            self._start_thread()
        self._run(self._start_all([self.connections[s.name] for s in chosen])).result()
        return [s.name for s in chosen]

    def _start_thread(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="cockpit-mcp", daemon=True)
        self._thread.start()
        atexit.register(self.kill_processes)

    async def _start_all(self, connections: Sequence[Connection]) -> None:
        await asyncio.gather(*(self._start_one(c) for c in connections))

    @staticmethod
    async def _start_one(connection: Connection) -> None:
        try:
            await connection.start()
        except ServerGone:  # said by startup_notices
            pass

    def _run(self, coro: Coroutine[Any, Any, T]) -> "asyncio.Future[T] | Any":
        with self._lock:
            if self._loop is None or not self._loop.is_running():
                coro.close()
                raise ServerGone("the MCP servers were shut down")
            return asyncio.run_coroutine_threadsafe(coro, self._loop)

    # --- calls --------------------------------------------------------------------------

    async def call(self, server: str, tool: str, arguments: dict[str, Any], timeout_s: float) -> tuple[Any, bool]:
        """``tools/call`` on ``server``, from any event loop: the result, and whether the server had
        to be started again first. Raises ServerGone or CallTimedOut (``connection``)."""
        connection = self.connections[server]

        async def on_mcp_loop() -> tuple[Any, bool]:
            starts = connection.starts
            result = await connection.call(tool, arguments, timeout_s)
            return result, connection.starts > starts

        return await asyncio.wrap_future(self._run(on_mcp_loop()))

    # --- what there is ------------------------------------------------------------------

    def waiting(self) -> list[ServerConfig]:
        """The project's servers held until the user approves them (for this folder, as defined now)."""
        return [s for s in self.servers if self.held.get(s.name) is ServerState.NOT_APPROVED]

    def ready(self) -> list[Connection]:
        return [c for c in self.connections.values() if c.state is ServerState.READY]

    def rows(self) -> list[ServerRow]:
        rows = []
        for server in self.servers:
            connection = self.connections.get(server.name)
            if connection is None:
                rows.append(ServerRow(server, self.held[server.name], None))
            else:
                listed = connection.starts > 0
                rows.append(ServerRow(server, connection.state, len(connection.tools) if listed else None,
                                      connection.error))
        return rows

    def startup_notices(self, names: Container[str] | None = None) -> list[ev.Notice]:
        """What the start said: servers that failed, servers waiting for approval, unreadable entries;
        with ``names``, only what the start of those servers said (approved late: :meth:`start_approved`)."""
        notices = [ev.Notice(level="warning", message=problem) for problem in self.problems if names is None]
        rows = [row for row in self.rows() if names is None or row.config.name in names]
        for row in rows:
            name = row.config.name
            if row.state is ServerState.FAILED:
                notices.append(ev.Notice(level="error", message=f"MCP server {name!r} did not start: {row.error}; "
                                         "its tools are not available"))
            elif row.state is ServerState.NOT_APPROVED:
                notices.append(ev.Notice(level="warning", message=(
                    f"MCP server {name!r} of {row.config.origin} ({row.config.target}) was not started: a project's "
                    f"servers need your approval once; {APPROVE_HINT}")))
        started = [f"{row.config.name} ({row.tools} tools)" for row in rows if row.state is ServerState.READY]
        if started:
            notices.append(ev.Notice(level="info", message="MCP servers: " + ", ".join(started)))
        return notices

    # --- the end ------------------------------------------------------------------------

    def __call__(self, event: ev.Event) -> None:
        """A bus subscriber: the session's end closes the servers."""
        if isinstance(event, ev.SessionFinished):
            self.close()

    def close(self) -> None:
        """Stop every server (stdio ones: their process groups) and the thread. Idempotent."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not loop.is_running():
            return
        try:
            self._run(self._stop_all()).result()
        finally:
            with self._lock:
                loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()
            atexit.unregister(self.kill_processes)

    async def _stop_all(self) -> None:
        await asyncio.gather(*(c.stop() for c in self.connections.values()), return_exceptions=True)
        for connection in self.connections.values():
            connection.release()

    def kill_processes(self) -> None:
        """The last resort (process exit): every stdio server's process group killed."""
        for connection in self.connections.values():
            if connection.pid is not None:
                kill_group(connection.pid)

"""The agent, off the UI thread.

:class:`AgentRunner` owns one background thread running a persistent asyncio
loop. Everything that touches the session happens there: building it (which may
read the database), ``session.start()``, every task, ``session.finish()``. The
store sink is subscribed to the session's bus, so SQLite writes happen on this
thread too, never on the UI thread.

The UI talks to the runner only through thread-safe calls that return
:class:`concurrent.futures.Future` objects (wrap them with
``asyncio.wrap_future`` to await them from Textual). The runner knows nothing
of Textual: it reports through plain callbacks.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.agent.events import core as ev
    from app.agent.bus import Subscriber
    from app.agent.loop import TurnResult
    from app.agent.session import Session

TurnDone = Callable[["TurnResult | None"], None]


class RunnerClosed(RuntimeError):
    """The runner was closed; no more work can be scheduled."""


class SessionStoppedError(RuntimeError):
    """The session's store failed (``bus.failure``): no task may run while its events are not stored."""


class AgentRunner:
    """Runs one :class:`Session` at a time on a private thread and event loop."""

    def __init__(self, *, on_turn_done: TurnDone | None = None, name: str = "cockpit-agent") -> None:
        self.on_turn_done = on_turn_done
        self.session: Session | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name=name, daemon=True)
        self._task: asyncio.Task[TurnResult] | None = None
        self._closed = False

    # --- the thread -------------------------------------------------------------

    def start(self) -> None:
        if not self._thread.is_alive():
            self._thread.start()

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    @property
    def busy(self) -> bool:
        """True while a task is running (read from any thread)."""
        task = self._task
        return task is not None and not task.done()

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        """Run ``fn(*args, **kwargs)`` on the runner thread; the future holds its result.

        ``fn`` may be a coroutine function (or return an awaitable): it is awaited
        there, on the agent's loop, between the steps of a running task.
        """

        async def run() -> Any:
            result = fn(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result

        return self._schedule(run())

    def _schedule(self, coro: Any) -> concurrent.futures.Future[Any]:
        if self._closed:
            coro.close()
            raise RunnerClosed("the agent runner is closed")
        self.start()
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    # --- sessions -----------------------------------------------------------------

    def open_session(
        self,
        factory: Callable[[], "Session"],
        subscribers: Iterable["Subscriber"] = (),
        on_built: Callable[["Session"], Any] | None = None,
    ) -> concurrent.futures.Future["Session"]:
        """Build a session with ``factory``, subscribe the sinks, call ``on_built``, start it.

        ``on_built`` runs before ``session.start()``, so whatever it announces
        reaches the UI before the session's first event. Any previous session must
        have been finished with :meth:`finish_session`.
        """
        subscribers = list(subscribers)

        async def open_() -> "Session":
            session = factory()
            for subscriber in subscribers:
                session.bus.subscribe(subscriber)
            self.session = session
            if on_built is not None:
                on_built(session)
            session.start()
            return session

        return self._schedule(open_())

    def finish_session(self, status: ev.SessionStatus | None = None, reason: str = "") -> concurrent.futures.Future[None]:
        """Interrupt a running task (waiting for it to wind down), then finish the session.

        A session finished while a task was running is stored as interrupted.
        """

        async def finish() -> None:
            session = self.session
            if session is None:
                return
            final = status
            if self.busy:
                from app.agent.events.core import SessionStatus

                final = final or SessionStatus.INTERRUPTED
                await self._cancel_and_wait()
            session.finish(final, reason)
            self.session = None

        return self._schedule(finish())

    # --- tasks ----------------------------------------------------------------------

    def submit(self, text: str) -> concurrent.futures.Future[TurnResult | None]:
        """Run ``session.run_input(text)`` (a task, or a ``!command``) on the runner; ``on_turn_done`` fires when it ends."""

        async def run() -> TurnResult | None:
            session = self.session
            if session is None:
                raise RunnerClosed("no session is open")
            if self.busy:
                raise RuntimeError("a task is already running")
            if session.bus.failure is not None:
                raise SessionStoppedError(f"the session stopped: {session.bus.failure.message}")
            result: TurnResult | None = None
            try:
                self._task = asyncio.ensure_future(session.run_input(text))
                result = await self._task
            except asyncio.CancelledError:
                result = None
            except Exception as exc:  # a bug in the core: say so, keep the app alive
                if session is not None:
                    from app.agent.events.core import Notice

                    session.bus.emit(Notice(level="error", message=f"the task stopped unexpectedly: {exc!r}"))
            finally:
                self._task = None
                if self.on_turn_done is not None:
                    self.on_turn_done(result)
            return result

        return self._schedule(run())

    def interrupt(self) -> bool:
        """Cancel the running task, from any thread. True when there was one to cancel.

        The loop turns the cancellation into an ``Interrupted`` event, kills a
        running command's process group and closes the open tool calls; the
        session stays usable.
        """
        task = self._task
        if task is None or task.done():
            return False
        self._loop.call_soon_threadsafe(task.cancel)
        return True

    async def _cancel_and_wait(self) -> None:
        task = self._task
        if task is None:
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass

    # --- closing ------------------------------------------------------------------------

    def close(self, status: ev.SessionStatus | None = None, timeout: float = 15.0) -> None:
        """Finish the session (interrupting a running task) and stop the thread. Idempotent."""
        if self._closed:
            return
        if self._thread.is_alive():
            try:
                self.finish_session(status).result(timeout=timeout)
            except Exception:  # closing must not fail; what was stored stays stored
                pass
            finally:
                self._closed = True
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join(timeout=timeout)
        else:
            self._closed = True
            self._loop.close()

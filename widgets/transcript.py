"""The transcript: the conversation as it happens, built from core events.

:meth:`Transcript.apply` takes one event and updates the widgets: streamed
assistant text (one :class:`AssistantMessage` per model call), one
:class:`ToolCallBlock` per tool call followed through its life, notices for
errors, limits and interrupts. The scroll stays anchored to the bottom unless
the user scrolls up (Textual's ``anchor``). It never calls the core.

It shows the last ``turns_shown`` turns (20 by default; ``[ui] transcript_turns``).
Each widget costs every layout pass, and a streamed answer lays the screen out
many times a second, so older turns give way, whole, to one line saying how many
there were; the whole session stays in the database (Sessions: replay, export).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from app.agent.events.approvals import ApprovalRequest
from widgets.approval import ApprovalPrompt
from widgets.notice import NoticeBlock
from widgets.tool_call import ToolCallBlock
from widgets.user_message import UserMessage

if TYPE_CHECKING:
    from widgets.assistant_message import AssistantMessage

TURNS_SHOWN = 20

WELCOME = (
    "[b]Cockpit[/b] — a coding agent whose harness you can see.\n"
    "[dim]Type a task below and press Enter. Esc interrupts the agent · Ctrl+P commands · Ctrl+C twice quits.[/dim]"
)


def _is_task(message: dict[str, Any]) -> bool:
    """A user message that starts a turn (not a note the harness added for the model)."""
    return message.get("role") == "user" and not str(message.get("content") or "").startswith("[Cockpit harness]")


def _assistant_message(markdown: str = "", *, call_id: str = "") -> "AssistantMessage":
    """A new answer widget; the Markdown machinery is imported on the first one."""
    from widgets.assistant_message import AssistantMessage

    return AssistantMessage(markdown, call_id=call_id)


class Transcript(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    Transcript {
        height: 1fr;
        padding: 0 1 0 1;
        scrollbar-size-vertical: 1;
        #welcome { color: $text; padding: 0 1; margin: 1 0 0 0; }
        #earlier { color: $text-muted; padding: 0 1; margin: 1 0 0 0; }
        .turn-summary { color: $text-muted; margin: 0 0 1 2; }
    }
    """

    def __init__(self, *, id: str | None = None, turns_shown: int = TURNS_SHOWN) -> None:
        super().__init__(id=id)
        self.turns_shown = max(1, turns_shown)
        self.hidden_turns = 0
        self._assistant: dict[str, AssistantMessage] = {}
        self._tools: dict[str, ToolCallBlock] = {}
        self._approvals: dict[str, ApprovalPrompt] = {}

    def compose(self):
        yield Static(Content.from_markup(WELCOME), id="welcome")

    def on_mount(self) -> None:
        self.anchor()

    # --- entries the app adds -------------------------------------------------------

    async def add(self, widget: Widget) -> Widget:
        await self.mount(widget)
        return widget

    async def add_user(self, text: str, *, queued: bool = False) -> UserMessage:
        message = UserMessage(text, queued=queued)
        await self.add(message)
        if not queued:
            await self.trim()
        self.anchor()  # a new task brings the view back to the bottom
        return message

    async def move_to_end(self, widget: Widget) -> None:
        """Move an entry (a queued task being sent) below everything else."""
        last = self.children[-1] if self.children else None
        if last is not None and last is not widget:
            self.move_child(widget, after=last)
        await self.trim()
        self.anchor()

    async def trim(self) -> None:
        """Remove the oldest whole turns beyond ``turns_shown`` (see the module docstring)."""
        children = list(self.children)
        starts = [i for i, w in enumerate(children) if isinstance(w, UserMessage) and not w.queued]
        extra = len(starts) - self.turns_shown
        if extra <= 0:
            return
        old = [w for w in children[: starts[extra]] if w.id not in ("welcome", "earlier")]
        self._forget(old)
        await self.remove_children(old)
        await self._count_hidden(extra)

    def _forget(self, widgets: list[Widget]) -> None:
        gone = set(map(id, widgets))
        for table in (self._assistant, self._tools, self._approvals):
            for key in [k for k, w in table.items() if id(w) in gone]:
                del table[key]

    async def _count_hidden(self, turns: int) -> None:
        self.hidden_turns += turns
        text = Content.from_markup(
            f"⋯ {self.hidden_turns} earlier turn{'' if self.hidden_turns == 1 else 's'} not shown here. "
            "[dim]The whole session: Ctrl+O › Sessions, then replay (p) or export (x).[/dim]"
        )
        marker = self.query("#earlier")
        if marker:
            marker.first(Static).update(text)
        else:
            await self.mount(Static(text, id="earlier"), after=self.query_one("#welcome"))

    async def add_notice(self, message: str, *, level: str = "info", detail: str = "") -> NoticeBlock:
        block = NoticeBlock(message, level=level, detail=detail)
        await self.add(block)
        return block

    async def add_approval(self, request: ApprovalRequest) -> ApprovalPrompt:
        prompt = ApprovalPrompt(request)
        self._approvals[request.tool_call_id] = prompt
        block = self._tools.get(request.tool_call_id)
        if block is not None and block.is_mounted:
            await self.mount(prompt, after=block)
        else:
            await self.add(prompt)
        self.anchor()
        return prompt

    async def remove_approval(self, tool_call_id: str) -> None:
        prompt = self._approvals.pop(tool_call_id, None)
        if prompt is not None and prompt.is_mounted:
            await prompt.remove()

    @property
    def pending_approvals(self) -> list[ApprovalPrompt]:
        return [p for p in self._approvals.values() if not p.decided]

    def tool_block(self, tool_call_id: str) -> ToolCallBlock | None:
        return self._tools.get(tool_call_id)

    @property
    def tool_blocks(self) -> list[ToolCallBlock]:
        return list(self._tools.values())

    @property
    def assistant_messages(self) -> list[AssistantMessage]:
        return list(self._assistant.values())

    async def clear(self) -> None:
        """Empty the transcript (a new or resumed session)."""
        await self.end_streams()
        self._assistant.clear()
        self._tools.clear()
        self._approvals.clear()
        await self.remove_children([w for w in self.children if w.id != "welcome"])
        self.hidden_turns = 0
        self.anchor()

    async def show_history(self, messages: list[dict[str, Any]]) -> None:
        """A resumed conversation: user tasks, answers and tool calls, already finished.

        Only the last ``turns_shown`` turns are built, and they are mounted at once."""
        results = {m.get("tool_call_id"): str(m.get("content") or "") for m in messages if m.get("role") == "tool"}
        starts = [i for i, m in enumerate(messages) if _is_task(m)]
        skipped = max(0, len(starts) - self.turns_shown)
        shown = messages[starts[skipped]:] if skipped else messages
        widgets: list[Widget] = []
        for message in shown:
            role, content = message.get("role"), message.get("content") or ""
            if _is_task(message):
                widgets.append(UserMessage(str(content)))
            elif role == "assistant":
                if content:
                    widgets.append(_assistant_message(str(content)))
                for call in message.get("tool_calls") or []:
                    fn = call.get("function", {})
                    block = ToolCallBlock(call.get("id", ""), fn.get("name", ""), fn.get("arguments", ""))
                    result = results.get(call.get("id"), "")
                    block.finish("tool_error" if result.startswith(("Error:", "Not run:")) else "ok", result)
                    widgets.append(block)
        if widgets:
            await self.mount_all(widgets)
        if skipped:
            await self._count_hidden(skipped)
        self.anchor()

    # --- events -------------------------------------------------------------------------

    async def apply(self, event: ev.Event) -> None:
        handler = getattr(self, f"_on_{event.type}", None)
        if handler is not None:
            await handler(event)

    async def end_streams(self) -> None:
        for message in self._assistant.values():
            await message.end()

    async def _on_text_delta(self, e: ev.TextDelta) -> None:
        message = self._assistant.get(e.call_id)
        if message is None:
            message = _assistant_message(call_id=e.call_id)
            self._assistant[e.call_id] = message
            await self.add(message)
        await message.write(e.text)

    async def _on_model_call_finished(self, e: ev.ModelCallFinished) -> None:
        message = self._assistant.get(e.call_id)
        if message is not None:
            await message.end(failed=e.status != "ok")  # CallStatus is a str enum
        elif e.status == "ok" and e.text:  # a provider that did not stream
            message = _assistant_message(e.text, call_id=e.call_id)
            self._assistant[e.call_id] = message
            await self.add(message)

    async def _on_tool_call_requested(self, e: ev.ToolCallRequested) -> None:
        block = ToolCallBlock(e.tool_call_id, e.name, e.arguments_raw)
        self._tools[e.tool_call_id] = block
        await self.add(block)

    async def _block(self, tool_call_id: str, name: str, raw: str = "") -> ToolCallBlock:
        block = self._tools.get(tool_call_id)
        if block is None:
            block = ToolCallBlock(tool_call_id, name, raw)
            self._tools[tool_call_id] = block
            await self.add(block)
        return block

    async def _on_tool_call_validated(self, e: ev.ToolCallValidated) -> None:
        (await self._block(e.tool_call_id, e.name)).set_arguments(e.arguments)

    async def _on_approval_requested(self, e: ev.ApprovalRequested) -> None:
        block = await self._block(e.tool_call_id, e.name)
        block.set_preview(e.preview)
        block.set_status("awaiting")

    async def _on_approval_resolved(self, e: ev.ApprovalResolved) -> None:
        block = await self._block(e.tool_call_id, e.name)
        if e.decision == "deny":
            block.set_status("denied", note=f"denied: {e.reason}" if e.reason else "denied")
        elif e.decision == "allow_always" and not e.automatic:
            block.set_status(block.status, note=f"always allowed from now on ({e.scope or e.name})")
        await self.remove_approval(e.tool_call_id)

    async def _on_tool_call_started(self, e: ev.ToolCallStarted) -> None:
        (await self._block(e.tool_call_id, e.name)).set_status("running")

    async def _on_tool_call_finished(self, e: ev.ToolCallFinished) -> None:
        block = await self._block(e.tool_call_id, e.name, e.arguments_raw)
        block.finish(
            e.status.value, e.result, full_output=e.full_output, duration_ms=e.duration_ms, arguments=e.arguments
        )

    async def _on_notice(self, e: ev.Notice) -> None:
        await self.add_notice(e.message, level=e.level, detail=e.detail)

    async def _on_limit_reached(self, e: ev.LimitReached) -> None:
        await self.add_notice(e.message or f"{e.kind} limit reached", level="warning")

    async def _on_interrupted(self, e: ev.Interrupted) -> None:
        await self.end_streams()
        for tool_call_id in list(self._approvals):
            await self.remove_approval(tool_call_id)
        await self.add_notice("Interrupted. The session is still open: type the next task.", level="warning")

    async def _on_messages_replaced(self, e: ev.MessagesReplaced) -> None:
        await self.add_notice(f"The conversation was compacted ({e.reason or 'context budget'}).", level="info")

    async def _on_turn_finished(self, e: ev.TurnFinished) -> None:
        await self.end_streams()
        steps = f"{e.steps} step" + ("" if e.steps == 1 else "s")
        await self.add(Static(f"— {e.outcome} · {steps}", classes="turn-summary"))

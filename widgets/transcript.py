"""The transcript: the conversation as it happens, built from core events.

:meth:`Transcript.apply` folds one event with the transcript reducer
(``app/agent/events/transcript_view.py``, the one resume and replay use) and draws the
entries it created or changed: streamed assistant text (one :class:`AssistantMessage`
per model call), one :class:`ToolCallBlock` per tool call followed through its life,
notices for errors, limits and interrupts, a line for each failed model-call attempt
(and its retry), a line at the end of each turn. A task typed
in the input is shown at once and adopted by its turn's entry. A resumed session hands
:meth:`Transcript.show_history` the fold of its stored events, and the transcript goes
on from it. The scroll stays anchored to the bottom unless the user scrolls up
(Textual's ``anchor``). It never calls the core.

It shows the last ``turns_shown`` turns (20 by default; ``[ui] transcript_turns``).
Each widget costs every layout pass, and a streamed answer lays the screen out
many times a second, so older turns give way, whole, to one line saying how many
there were; the whole session stays in the database (Sessions: replay, export).
A turn's blocks after its task sit in one :class:`TurnGroup` (one child to arrange,
and covered while it is far out of sight: see ``widgets/turn_group.py``), and the
transcript's own children are only the welcome line, the earlier turns' line and
chapters (``widgets/turn_chapter.py``): each holds at most ``CHAPTER_TURNS`` whole turns
(task lines, groups, and the notices, prompts and queued tasks added among them), and
is covered whole while far out of sight. The spacing is the same as if every block were
the transcript's own child (:attr:`Transcript.blocks` lists them in order).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Static

from app.agent.events.approvals import ApprovalRequest
from widgets.approval import ApprovalPrompt
from widgets.laid_out import SizedByLayout
from widgets.model_error import ModelErrorLine
from widgets.notice import NoticeBlock
from widgets.tool_call import ToolCallBlock
from widgets.turn_chapter import TurnChapter, is_full, starts_turn
from widgets.turn_group import TurnGroup
from widgets.user_message import UserMessage

if TYPE_CHECKING:
    from app.agent.events.core import Event
    from app.agent.events.transcript_view import Entry, TranscriptFold
    from widgets.assistant_message import AssistantMessage

TURNS_SHOWN = 20
COVER_MARGIN = 1  # screens' heights: a chapter or turn group further than this from the view is covered
REVEAL_TRIES = 4  # layouts after which a block focused in a covered turn is scrolled to again, if not in view

WELCOME = (
    "[b]Cockpit[/b] — a coding agent whose harness you can see.\n"
    "[dim]Type a task below and press Enter. Esc interrupts the agent · Ctrl+P commands · Ctrl+C twice quits.[/dim]"
)


def _flattened(widgets: Iterable[Widget]) -> Iterator[Widget]:
    for widget in widgets:
        if isinstance(widget, TurnGroup):  # a chapter too
            yield from _flattened(widget.children)
        else:
            yield widget


def _assistant_message(markdown: str = "", *, call_id: str = "") -> "AssistantMessage":
    """A new answer widget; the Markdown machinery is imported on the first one."""
    from widgets.assistant_message import AssistantMessage

    return AssistantMessage(markdown, call_id=call_id)


class Transcript(SizedByLayout, VerticalScroll, can_focus=True):  # see widgets.laid_out
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
        self._fold: TranscriptFold | None = None  # created on the first event (or given on resume)
        self._widgets: dict[int, Widget] = {}  # entry number -> its widget
        self._floor = 0  # entries below this gave way with their turns
        self._sent: list[UserMessage] = []  # tasks sent from the input, waiting for their turn to start
        self._reveal: Widget | None = None  # a block focused in a covered chapter or group: scrolled to when laid out
        self._reveal_tries = 0

    def compose(self):
        yield Static(Content.from_markup(WELCOME), id="welcome")

    def on_mount(self) -> None:
        self.anchor()
        self.screen.screen_layout_refresh_signal.subscribe(self, self._layout_refreshed, immediate=True)

    @property
    def blocks(self) -> list[Widget]:
        """What the transcript shows, block by block, top to bottom (the blocks in chapters and groups)."""
        return list(_flattened(self.children))

    # --- chapters and turn groups: covered while far out of sight ---------------------

    @property
    def chapters(self) -> list[TurnChapter]:
        return [child for child in self.children if isinstance(child, TurnChapter)]

    def pre_layout(self, layout: Any) -> None:
        for chapter in self.chapters:
            chapter.sync_margin()

    def _last_chapter(self) -> TurnChapter | None:
        last = self.children[-1] if self.children else None
        return last if isinstance(last, TurnChapter) else None

    def _turn_group(self) -> TurnGroup | None:
        """The group a turn's next block joins: the last chapter's last child, if it is one."""
        chapter = self._last_chapter()
        last = chapter.children[-1] if chapter is not None and chapter.children else None
        return last if isinstance(last, TurnGroup) else None

    def _layout_refreshed(self, _screen: Any) -> None:
        self._cover_far_turns()
        if self._reveal is not None:
            self._reveal_focused()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._cover_far_turns()  # before the scrolled view is painted: what comes near is uncovered

    def on_descendant_focus(self, event: Any) -> None:
        """A block of a covered chapter or group got the focus (Tab): both are shown, the block scrolled to."""
        covered = [node for node in event.widget.ancestors if isinstance(node, TurnGroup) and node.covered]
        for node in covered:
            node.uncover()
        if covered:  # scrolled to once the uncovered blocks are laid out: the layout may come a refresh later
            self._reveal, self._reveal_tries = event.widget, REVEAL_TRIES
            self.call_after_refresh(self._reveal_focused)

    def _reveal_focused(self) -> None:
        """Scroll to the block focused in a covered chapter or group, until it is in view (at most
        REVEAL_TRIES times: after each layout, while it keeps the focus)."""
        widget = self._reveal
        if widget is None:
            return
        region = widget.region
        if (not widget.is_attached or self.screen.focused is not widget or self._reveal_tries <= 0
                or (region and self.region.contains_region(region))):
            self._reveal = None
            return
        self._reveal_tries -= 1
        widget.scroll_visible(animate=False)

    def _cover_far_turns(self) -> None:
        """Cover the chapters out of sight by more than a screen's height (above or below), and in the
        others the groups that are, but the focused block's chapter and group; uncover the others."""
        if not self.is_mounted or not self.children:
            return
        size = self.scrollable_content_region.size
        if not size.height:
            return
        top, bottom = self.scroll_y - size.height * COVER_MARGIN, self.scroll_y + size.height * (1 + COVER_MARGIN)
        focused = self.screen.focused
        keep = {n for n in focused.ancestors if isinstance(n, TurnGroup)} if focused else set()

        def far(region: Region) -> bool:
            return region.bottom < top or region.y > bottom

        for placement in self.arrange(size).placements:
            chapter, region = placement.widget, placement.region
            if not isinstance(chapter, TurnChapter):
                continue
            if far(region) and chapter not in keep:
                chapter.cover()
                continue
            chapter.uncover()
            for inner in chapter.arrange(region.size).placements:
                group = inner.widget
                if isinstance(group, TurnGroup):
                    if far(inner.region + region.offset) and group not in keep:
                        group.cover()
                    else:
                        group.uncover()

    # --- entries the app adds -------------------------------------------------------

    async def add(self, widget: Widget) -> Widget:
        """Add ``widget`` at the end, in the last chapter (a task line that would make it too long starts
        a new one)."""
        chapter = self._last_chapter()
        if chapter is None or (starts_turn(widget) and chapter.full):
            await self.mount(TurnChapter(widget))
        else:
            await chapter.mount(widget)
        return widget

    async def add_user(self, text: str, *, queued: bool = False, sent: str | None = None) -> UserMessage:
        """A task typed in the input: shown at once; its turn's start adopts it (see ``_show``).
        ``sent``: what the model gets, when it is not ``text`` (a custom command's text)."""
        message = UserMessage(text, queued=queued, sent=sent)
        await self.add(message)
        if not queued:
            self._sent.append(message)
            await self.trim()
        self.anchor()  # a new task brings the view back to the bottom
        return message

    async def send_queued(self, message: UserMessage) -> None:
        """A queued task is being sent: it moves below what happened while it waited (into a new chapter
        when the last one is full: then a new line, sent, takes its place)."""
        chapter = self._last_chapter()
        if chapter is not None and message.parent is chapter and not chapter.full:
            if chapter.children[-1] is not message:
                chapter.move_child(message, after=chapter.children[-1])
            message.mark_sent()
        else:
            await message.remove()
            message = UserMessage(message.text, sent=message.sent)
            await self.add(message)
        self._sent.append(message)
        await self.trim()
        self.anchor()

    async def trim(self) -> None:
        """Remove the oldest whole turns beyond ``turns_shown`` (see the module docstring)."""
        chapters = self.chapters
        children = [w for chapter in chapters for w in chapter.children]
        starts = [i for i, w in enumerate(children) if starts_turn(w)]
        extra = len(starts) - self.turns_shown
        if extra <= 0:
            return
        old = children[: starts[extra]]
        first_kept = children[starts[extra]]
        bound = [k for k, w in self._widgets.items() if w is first_kept]
        self._floor = bound[0] if bound else len(self._fold.entries) if self._fold else 0
        self._forget(old)
        kept_chapter = first_kept.parent
        assert isinstance(kept_chapter, TurnChapter)
        await self.remove_children(chapters[: chapters.index(kept_chapter)])  # emptied whole
        await kept_chapter.remove_children([w for w in old if w.parent is kept_chapter])
        await self._count_hidden(extra)

    def _forget(self, widgets: list[Widget]) -> None:
        gone = {id(block) for widget in widgets for block in (widget, *widget.walk_children())}
        for table in (self._assistant, self._tools, self._approvals, self._widgets):
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
        if block is not None and block.is_mounted and block.parent is not None:
            await block.parent.mount(prompt, after=block)
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

    @property
    def entries(self) -> list[Entry]:
        """The open session's transcript as folded so far (``transcript_view``), oldest first."""
        return list(self._fold.entries) if self._fold is not None else []

    async def clear(self) -> None:
        """Empty the transcript (a new or resumed session)."""
        await self.end_streams()
        self._assistant.clear()
        self._tools.clear()
        self._approvals.clear()
        self._widgets.clear()
        self._sent.clear()
        self._fold, self._floor = None, 0
        await self.remove_children([w for w in self.children if w.id != "welcome"])
        self._clear_arrangement_cache()  # its last arrangements would hold the removed blocks a while
        self.hidden_turns = 0
        self.anchor()

    # --- the fold -------------------------------------------------------------------------

    async def show_history(self, fold: TranscriptFold) -> None:
        """A resumed session: ``fold`` holds its stored events; the transcript goes on from it.

        Only the entries of the last ``turns_shown`` turns get widgets, mounted at once."""
        self._fold = fold
        entries = fold.entries
        starts = [k for k, entry in enumerate(entries) if entry.kind == "user"]
        skipped = max(0, len(starts) - self.turns_shown)
        self._floor = starts[skipped] if skipped else 0
        chapters: list[list[Widget]] = [[]]
        turn: list[Widget] = []  # the blocks after a task, put in one group
        for k in range(self._floor, len(entries)):
            widget = self._new_widget(k, entries[k])
            if isinstance(widget, UserMessage):
                chapters[-1] += [TurnGroup(*turn)] if turn else []
                if is_full(chapters[-1]):
                    chapters.append([])
                chapters[-1].append(widget)
                turn = []
            elif widget is not None:
                turn.append(widget)
        chapters[-1] += [TurnGroup(*turn)] if turn else []
        if chapters[-1]:
            await self.mount_all([TurnChapter(*children) for children in chapters])
        if skipped:
            await self._count_hidden(skipped)
        self.anchor()

    async def apply(self, event: Event) -> None:
        """Fold one event and redraw the entries it created or changed."""
        from app.agent.events.core import ApprovalResolved, Interrupted

        if self._fold is None:
            from app.agent.events.transcript_view import TranscriptFold

            self._fold = TranscriptFold()
        fold = self._fold
        for k in fold.apply(event):
            await self._show(k, fold.entries[k])
        if isinstance(event, ApprovalResolved):
            await self.remove_approval(event.tool_call_id)
        elif isinstance(event, Interrupted):
            for tool_call_id in list(self._approvals):
                await self.remove_approval(tool_call_id)

    async def end_streams(self) -> None:
        for message in self._assistant.values():
            await message.end()

    async def _show(self, k: int, entry: Entry) -> None:
        if k < self._floor:  # its turn gave way already
            return
        widget = self._widgets.get(k)
        if widget is None:
            if entry.kind == "user" and (sent := self._take_sent(entry.text)) is not None:
                self._widgets[k] = sent  # the task the app showed when it was sent
                return
            widget = self._new_widget(k, entry)
            if widget is None:
                return
            if entry.kind == "user":
                await self.add(widget)
                await self.trim()
            elif (group := self._turn_group()) is not None:
                await group.mount(widget)
            else:
                await self.add(TurnGroup(widget))
        elif isinstance(widget, (ToolCallBlock, ModelErrorLine)) or entry.kind == "delegation":
            widget.show(entry)  # type: ignore[attr-defined]  # a DelegationBlock (imported with the first one)
        if entry.kind == "assistant":
            await self._write_answer(widget, entry)  # type: ignore[arg-type]

    def _take_sent(self, text: str) -> UserMessage | None:
        """The oldest task sent from the input and still waiting for its turn, if it is ``text``."""
        for message in self._sent:
            if message.sent == text:
                self._sent.remove(message)
                return message
        return None

    def _new_widget(self, k: int, entry: Entry) -> Widget | None:
        """The widget an entry is drawn with; None for the kinds the live view leaves out."""
        widget: Widget
        if entry.kind == "user":
            widget = UserMessage(entry.text)
        elif entry.kind == "assistant":  # a streaming one starts empty: _show writes its text
            widget = _assistant_message("" if entry.streaming else entry.text, call_id=entry.call_id)
            self._assistant[entry.call_id] = widget
        elif entry.kind == "tool":
            widget = ToolCallBlock(entry.tool_call_id, entry.name, entry.arguments)
            widget.collapsed = not entry.by_user  # a command the user ran shows its output
            widget.show(entry)
            self._tools[entry.tool_call_id] = widget
        elif entry.kind == "model_error" and entry.retried:  # a failed attempt another one follows
            widget = ModelErrorLine(entry)
        elif entry.kind == "notice":
            widget = NoticeBlock(entry.text, level=entry.level, detail=entry.detail)
        elif entry.kind == "todo":
            from widgets.todo_pane import TodoChecklist  # imports the vocabulary: not before the first frame

            widget = TodoChecklist(entry.todos)
        elif entry.kind == "delegation":
            from widgets.delegation import DelegationBlock  # imports the vocabulary: not before the first frame

            widget = DelegationBlock(entry)
        elif entry.kind == "turn_end":
            steps = f"{entry.steps} step" + ("" if entry.steps == 1 else "s")
            widget = Static(f"— {entry.status} · {steps}", classes="turn-summary")
        else:
            return None
        self._widgets[k] = widget
        return widget

    async def _write_answer(self, widget: AssistantMessage, entry: Entry) -> None:
        """Stream the text the widget does not have yet; a finished answer's stream ends."""
        if entry.text.startswith(widget.text):
            await widget.write(entry.text[len(widget.text):])
        if not entry.streaming:
            await widget.end(failed=entry.failed)

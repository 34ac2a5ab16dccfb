"""ContextBudget: measure the window before every call, compact it when it is full.

The loop calls ``prepare`` before each model call (and with ``force=True`` after
a context-window-exceeded error or for "compact now"), ``record_usage`` after
each call, and ``drop_item`` / ``truncate_item`` for the pane's actions. All
that happens is announced as events; nothing here knows about the UI.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from app.agent.budget import compaction
from app.agent.budget.calibration import CalibrationBook, ModelCalibration
from app.agent.budget.config import BudgetConfig
from app.agent.budget.counter import ASSISTANT, REPLY_PRIMING, TOOLS, MessageCounter
from app.agent.events.budget import CalibrationUpdated, CompactionPerformed
from app.agent.budget.items import drop_attachment, item_text, no_server, tool_item_text
from app.agent.budget.layouts import SystemLayouts
from app.agent.budget.snapshot import BudgetSnapshot
from app.agent.budget.summary import fallback_summary, summary_message
from app.agent.budget.tokenizer import Tokenizer, tokenizer_for
from app.agent.budget.window import Window, resolve_window
from app.agent.events.core import Event

Messages = list[dict[str, Any]]
Emit = Callable[[Event], None]
Summarize = Callable[[Messages], Awaitable[str]]

LADDER = ("cap_results", "placeholder_old_results", "summarize")


class ContextBudget:
    """The context budget of one session's model."""

    def __init__(
        self,
        model: str,
        config: BudgetConfig,
        *,
        advertised_window: int | None = None,
        calibration: CalibrationBook | None = None,
        recall_tool: str | None = None,
        window_lookup: Callable[[str], dict[str, Any] | None] | None = None,
        server_window: Callable[[], int | None] | None = None,  # asks the server, for models litellm lacks
    ) -> None:
        self.model = model
        self.config = config
        self.calibration = calibration or CalibrationBook(config.calibration_window)
        self.recall_tool = recall_tool  # name of a tool that reads originals back, if registered
        self.originals: dict[str, str] = {}  # tool_call_id -> full text before compaction changed it
        self._override = advertised_window if advertised_window is not None else config.advertised_window
        self._window_lookup = window_lookup
        self._server_window = server_window
        self._window: Window | None = None
        self._tokenizer: Tokenizer | None = None
        self._counter: MessageCounter | None = None
        self._tools: list[dict[str, Any]] = []
        self._max_output_tokens: int | None = None
        self._turn = 0  # of the last ``prepare``: manual actions re-measure within it
        self.last_snapshot: BudgetSnapshot | None = None  # of the list ``prepare`` last settled on
        self.layouts = SystemLayouts()  # the system messages' sections (prompt, environment, instruction files)
        self.tool_server: Callable[[str], str | None] = no_server  # the server a tool comes from (set by the runtime)

    # --- lazily resolved parts ----------------------------------------------------------

    @property
    def tokenizer(self) -> Tokenizer:
        if self._tokenizer is None:
            self._tokenizer = tokenizer_for(self.model, self.config.tokenizer)
        return self._tokenizer

    @property
    def window(self) -> Window:
        if self._window is None:
            self._window = resolve_window(
                self.model, override=self._override, default=self.config.default_window, lookup=self._window_lookup,
                server=self._server_window,
            )
        return self._window

    @property
    def counter(self) -> MessageCounter:
        if self._counter is None:
            self._counter = MessageCounter(self.tokenizer.count, self.layouts.sections)
        return self._counter

    def count_text(self, text: str) -> int:
        """Tokens of one text, as the budget counts it (cached)."""
        return self.counter.text(text)

    @property
    def approximate(self) -> bool:
        """The counts are estimates (no exact tokenizer for this model)."""
        return self.tokenizer.approximate

    def model_calibration(self, model: str | None = None) -> ModelCalibration:
        model = model or self.model
        tokenizer = self.tokenizer if model == self.model else tokenizer_for(model, self.config.tokenizer)
        return self.calibration.for_model(model, exact=not tokenizer.approximate)

    # --- measuring ------------------------------------------------------------------------

    def measure(self, messages: Messages, tools: list[dict[str, Any]], *, max_output_tokens: int | None = None) -> BudgetSnapshot:
        """Count ``messages`` and ``tools`` (incrementally) and lay them out in the window."""
        counter = self.counter
        counter.update(messages)
        counter.update_tools(tools)
        self._tools = tools
        if max_output_tokens is not None:
            self._max_output_tokens = max_output_tokens
        local = dict(counter.totals)
        local[TOOLS] = counter.tools_total
        if counter.records:
            local[ASSISTANT] += REPLY_PRIMING
        local_total = sum(local.values())
        calibration = self.model_calibration()
        tokenizer = self.tokenizer
        window = self.window
        reserve = self._max_output_tokens if self._max_output_tokens is not None else self.config.output_reserve_tokens
        return BudgetSnapshot(
            model=self.model,
            tokenizer=tokenizer.name,
            approximate=tokenizer.approximate,
            advertised=window.advertised,
            advertised_source=window.source,
            reserve=reserve,
            buffer=self.config.compaction_buffer_tokens,
            local=local,
            scale=calibration.scale,
            local_total=local_total,
            calibrated_total=calibration.predict(local_total) if local_total else 0,
            warn_fraction=self.config.warn_at,
            compact_fraction=self.config.compact_at,
            calibration=calibration.as_dict(tokenizer.approximate),
            tools=[(c.name, c.tokens) for c in counter.tools],
            records=list(counter.records),
            ranked=list(counter.ranked),
            tools_total=counter.tools_total,
            tool_servers={c.name: server for c in counter.tools if (server := self.tool_server(c.name)) is not None},
            top_n=self.config.top_items,
            middle_warn_tokens=self.config.middle_warn_tokens,
            middle_warn_share=self.config.middle_warn_share,
        )

    # --- compaction -----------------------------------------------------------------------

    async def prepare(
        self,
        messages: Messages,
        tools: list[dict[str, Any]],
        *,
        emit: Emit,
        summarize: Summarize | None,
        force: bool = False,
        reason: str = "threshold",
        max_output_tokens: int | None = None,
        turn: int = 0,
    ) -> Messages | None:
        """Measure (emits ContextMeasured) and, when over the threshold or forced, compact.

        Rungs run in order; each one that shrinks the prompt is applied and
        announced with a CompactionPerformed. Below the threshold the ladder
        stops, unless ``force`` (context exceeded, "compact now"): then every rung
        that can shrink the prompt runs. Returns the new list, or None when
        nothing changed. ``last_snapshot`` then describes the list to send: its
        ``estimated_prompt_tokens`` is what ModelCallStarted and ``record_usage``
        should carry.
        """
        self._turn = turn
        snapshot = self.measure(messages, tools, max_output_tokens=max_output_tokens)
        emit(snapshot.to_event(turn=turn))
        if not force and not snapshot.over_compact:
            self.last_snapshot = snapshot
            return None
        current = messages
        for step in LADDER:
            snapshot = self.measure(current, tools)  # realign the counter after a rejected candidate
            change, summary, source = await self._rung(step, current, snapshot, summarize)
            if change is None:
                continue
            after = self.measure(change.messages, tools)
            if after.calibrated_total >= snapshot.calibrated_total:
                continue  # a rung that does not shrink the prompt is not applied
            for call_id, text in change.originals.items():
                self.originals.setdefault(call_id, text)
            emit(
                CompactionPerformed(
                    step=step,
                    reason=reason,
                    tokens_before=snapshot.calibrated_total,
                    tokens_after=after.calibrated_total,
                    messages_before=len(current),
                    messages_after=len(change.messages),
                    items=change.items,
                    summary=summary,
                    summary_source=source,
                )
            )
            current, snapshot = change.messages, after
            if not force and not after.over_compact:
                break
        self.last_snapshot = self.measure(current, tools)  # realign the counter with the list we keep
        if current is messages:
            return None
        emit(self.last_snapshot.to_event(turn=turn))
        return current

    def prepared_estimate(self) -> int | None:
        """What ModelCallStarted and ``record_usage`` carry for the list ``prepare`` settled on (no second count)."""
        return None if self.last_snapshot is None else self.last_snapshot.estimated_prompt_tokens

    async def _rung(
        self, step: str, messages: Messages, snapshot: BudgetSnapshot, summarize: Summarize | None
    ) -> tuple[compaction.Change | None, str | None, str | None]:
        count = self.counter.text
        config = self.config
        if step == "cap_results":
            change = compaction.cap_results(
                messages,
                cap_chars=config.tool_result_cap_chars,
                head_fraction=config.cap_head_fraction,
                recall_tool=self.recall_tool,
                count=count,
            )
            return change, None, None
        if step == "placeholder_old_results":
            change = compaction.placeholder_old_results(
                messages, keep_last=config.keep_last_results, recall_tool=self.recall_tool, count=count
            )
            return change, None, None
        cut = self._summary_cut(messages, snapshot)
        if cut is None:
            return None, None, None
        head_end, end = cut
        old = messages[head_end:end]
        summary, source = await _summarize(old, summarize)
        change = compaction.apply_summary(messages, head_end, end, summary_message(summary, len(old)), count)
        return change, summary, source

    def _summary_cut(self, messages: Messages, snapshot: BudgetSnapshot) -> tuple[int, int] | None:
        """Keep the last turns; if they alone would still fill the window, keep only the last steps."""
        plan = compaction.plan_summary(
            messages, keep_last_turns=self.config.keep_last_turns, keep_last_steps=self.config.keep_last_steps
        )
        cut = plan.turn_cut
        if plan.step_cut is not None and (cut is None or plan.step_cut > cut):
            tail = 0 if cut is None else sum(r.tokens for r in snapshot.records[cut:])
            if cut is None or tail >= 0.75 * snapshot.compact_at:
                cut = plan.step_cut
        return None if cut is None else (plan.head_end, cut)

    # --- manual actions ---------------------------------------------------------------------

    def drop_item(self, messages: Messages, tool_call_id: str, *, emit: Emit | None = None) -> Messages:
        """Replace one tool result with a short note (its call stays, so pairing stays valid);
        an ``@path`` attachment's item (``m<index>``) keeps its message and loses its file.

        Like ``truncate_item``, it announces the change (CompactionPerformed) and
        re-measures at once (a ContextMeasured of the new list), so the pane shows
        the new sizes without waiting for the next model call.
        """
        attachment = drop_attachment(messages, tool_call_id, self.counter.text)  # an @path's message: ``m<index>``
        if attachment is not None:
            return self._announce(messages, attachment, "drop_item", emit) if attachment.items else messages
        original = _result_text(messages, tool_call_id)
        label = compaction.call_labels(messages).get(tool_call_id, "a tool call")
        note = (
            f"{compaction.PLACEHOLDER_PREFIX}{label} ({len(original):,} characters) was dropped by the user. "
            f"{compaction.reread_hint(tool_call_id, self.recall_tool)}]"
        )
        return self._manual(messages, tool_call_id, note, "dropped", "drop_item", emit)

    def truncate_item(
        self, messages: Messages, tool_call_id: str, max_chars: int, *, emit: Emit | None = None
    ) -> Messages:
        """Cut one tool result to its head and tail, ``max_chars`` long at most."""
        original = _result_text(messages, tool_call_id)
        if len(original) <= max_chars:
            return messages
        hint = compaction.reread_hint(tool_call_id, self.recall_tool)
        text = compaction.capped_text(original, max_chars, self.config.cap_head_fraction, hint)
        return self._manual(messages, tool_call_id, text, "truncated", "truncate_item", emit)

    def _manual(
        self, messages: Messages, tool_call_id: str, text: str, action: str, step: str, emit: Emit | None
    ) -> Messages:
        change = compaction.replace_result(messages, tool_call_id, text, action, self.counter.text)
        return self._announce(messages, change, step, emit)

    def _announce(self, messages: Messages, change: compaction.Change, step: str, emit: Emit | None) -> Messages:
        """A manual change measured and announced (CompactionPerformed, then a ContextMeasured)."""
        before = self.measure(messages, self._tools).calibrated_total
        self.last_snapshot = after = self.measure(change.messages, self._tools)
        for call_id, original in change.originals.items():
            self.originals.setdefault(call_id, original)
        if emit is not None:
            emit(
                CompactionPerformed(
                    step=step,
                    reason="manual",
                    tokens_before=before,
                    tokens_after=after.calibrated_total,
                    messages_before=len(messages),
                    messages_after=len(change.messages),
                    items=change.items,
                )
            )
            emit(after.to_event(turn=self._turn))
        return change.messages

    def item_text(self, messages: Messages, item_id: str) -> str | None:
        """The text behind one item of the pane (see ``items.item_text``)."""
        return item_text(messages, self.layouts, item_id) or tool_item_text(self._tools, item_id, self.tool_server)

    def original_output(self, tool_call_id: str) -> str | None:
        """The full text of a tool result that compaction shortened, if it did."""
        return self.originals.get(tool_call_id)

    # --- calibration -----------------------------------------------------------------------

    def record_usage(
        self,
        model: str,
        estimated_prompt_tokens: int,
        provider_prompt_tokens: int,
        cached_tokens: int = 0,
        cache_write_tokens: int = 0,
        *,
        emit: Emit,
        call_id: str = "",
    ) -> None:
        """Compare a call's raw local estimate with the provider's count; emits CalibrationUpdated.

        litellm reports ``prompt_tokens`` with cache reads and writes included;
        a count smaller than the cache counts clearly left them out, and they
        are added back.
        """
        provider = provider_prompt_tokens
        if provider < cached_tokens + cache_write_tokens:
            provider += cached_tokens + cache_write_tokens
        calibration = self.model_calibration(model)
        sample = calibration.add(estimated_prompt_tokens, provider)
        if sample is None:
            return
        stats = calibration.as_dict(not calibration.exact)
        emit(
            CalibrationUpdated(
                model=model,
                call_id=call_id,
                estimated=sample.estimated,
                predicted=sample.predicted,
                provider=sample.provider,
                cached_tokens=cached_tokens,
                cache_write_tokens=cache_write_tokens,
                ratio=round(sample.ratio, 4),
                unattributed=sample.provider - sample.estimated,
                median_ratio=stats["median_ratio"],
                scale=stats["scale"],
                overhead=stats["overhead"],
                p95_error_pct=stats["p95_error_pct"],
                n=calibration.n,
                badge=stats["badge"],
            )
        )

    def calibrated_prompt_tokens(self, model: str, estimated: int) -> int | None:
        """The provider's count the calibration predicts for ``estimated``; None before any sample."""
        calibration = self.model_calibration(model)
        return calibration.predict(estimated) if calibration.n else None

    def seed_calibration(self, model: str, pairs: list[tuple[int, int]]) -> None:
        """Replay (estimated, provider) pairs of earlier sessions into the statistics."""
        calibration = self.model_calibration(model)
        for estimated, provider in pairs:
            calibration.add(estimated, provider)


async def _summarize(messages: Messages, summarize: Summarize | None) -> tuple[str, str]:
    if summarize is not None:
        try:
            text = (await summarize(messages)).strip()
        except Exception:  # a failed summary must not stop compaction; cancellation still propagates
            text = ""
        if text:
            return text, "model"
    return fallback_summary(messages), "fallback"


def _result_text(messages: Messages, tool_call_id: str) -> str:
    for message in messages:
        if message.get("role") == "tool" and message.get("tool_call_id") == tool_call_id:
            return str(message.get("content") or "")
    raise KeyError(f"no tool result with tool_call_id {tool_call_id!r}")

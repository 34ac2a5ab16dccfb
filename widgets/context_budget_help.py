"""The Context budget pane's ``?`` help: every term the pane shows, in plain words.

``help_text`` is the text (the README quotes it); ``ContextBudgetHelp`` is the
small modal the pane opens with it. The middle-third thresholds are read from
the measurement on screen, so the help says what actually decides the warning.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from app.agent.events.budget import ContextMeasured
from app.agent.events.format import tokens as tokens_text

DEFAULT_MIDDLE_TOKENS = 16_000  # BudgetConfig's defaults, for a pane with no measurement yet
DEFAULT_MIDDLE_SHARE = 0.5

TERMS = (
    ("used / usable",
     "used is the conversation: your messages, the model's answers, its tool calls and their results, "
     "compaction summaries. usable is the room the conversation has: advertised − fixed − reserve − buffer. "
     "The percentage is used as a share of usable."),
    ("advertised", "The model's context window: from your config, from litellm, or ASSUMED when neither knows the model."),
    ("fixed", "What every request carries before the conversation: system prompt, project instructions, harness "
              "preamble, tool definitions, and unattributed. When the local count is above the provider's "
              "(unattributed negative), the headline shows the parts' sum and, in brackets, what is left once "
              "that difference is taken off: \"fixed 1.8k (417 calibrated)\". The usable window is figured "
              "from the calibrated one."),
    ("advertised (ASSUMED) · ? in the status bar",
     "The model's window is not known to litellm, the server or your config, so a default was assumed "
     "([budget] default_window; set [budget] advertised_window to the real one). The status bar marks every "
     "figure that depends on it with ?: in \"ctx 1.2k/26.2k? 5%?\" the usable window and the share used are "
     "only as good as the assumption. \"ctx 1.2k/?\" means no window at all is known."),
    ("instructions",
     "The AGENTS.md / CLAUDE.md files (yours in the config folder, the repository's from its root down to the "
     "workspace) and the files they import with @path, one item per file: a tax paid on every call. The "
     "environment item (workspace, platform, date, git, sandbox) is part of the system prompt."),
    ("reserve", "Kept for the model's answer (its max_tokens)."),
    ("buffer", "Kept free so that compaction itself (a summarising call) still fits."),
    ("local / calibrated",
     "local is Cockpit's own count with the tokenizer shown; a message that does not change keeps its count. "
     "calibrated is what the provider is expected to count: the local total corrected by calibration "
     "(provider ≈ scale × local + overhead, fitted on this model's past calls). Every count on the pane is local; "
     "only the calibrated total and unattributed involve calibration."),
    ("unattributed",
     "calibrated total − local total: tokens the provider counts that we cannot attribute to anything (its hidden "
     "tool prompt, message framing). Negative means the local count is that much above the provider's; it is then "
     "listed in the legend but not drawn in the bar."),
    ("accuracy badge",
     "\"±3% p95, n=41\": of this model's last 41 calls, 95% were predicted (before the call) within 3% of what the "
     "provider counted. \"uncalibrated\" until a call has been compared; ≈ marks an approximate tokenizer."),
    ("window legend", "Each entry's share of the window (whole percents that add up to 100)."),
    ("warn / compact ▲", "Thresholds as shares of usable: at warn the pane turns amber; at compact the compaction "
                         "ladder runs before the next call."),
    ("top consumers", "The largest items: messages, and each tool definition (an MCP server's tools as one item), "
                      "sent with every call; local tokens, share of the whole prompt, and their third of it."),
    ("start / middle / end", "The third of the messages, by cumulative tokens, that holds an item's middle. The system "
                             "prompt and the tool definitions are always start."),
    ("middle third",
     "Models recall the middle of a long prompt worst (\"lost in the middle\"). The pane warns only when the prompt "
     "holds at least {tokens} tokens (local count) and its middle third at least {share} of the conversation's "
     "tokens. Drop (d) or truncate (t) large middle items, or compact (c)."),
    ("prompt tokens per turn", "The local prompt size at each turn (provider counts for imported sessions, never "
                               "mixed): change since the previous turn, and the average change per turn."),
    ("prompt cache",
     "Shown once the provider reports cache reads or writes. cache hit: tokens read from the provider's cache as a "
     "share of its prompt tokens, for the last call and the session (and per model when there are several). saved: "
     "the calls priced as if nothing were cached, minus what they cost (writes cost more than plain input: 1.25× on "
     "Anthropic, so a first call saves a negative amount); writes: what the cache writes cost. fixed (est.): the "
     "fixed part priced per call and summed over the session, at the prompt rate (uncached) and as the provider "
     "billed its first tokens (cached); Cockpit's count, so an estimate. last miss: the call read less than the "
     "previous one left in the cache; the first part of the prompt that changed (tool list, system prompt, "
     "environment, an instruction file, a compaction) or, when none did, the idle time; and the dollars it cost "
     "above reading those tokens from the cache. A call whose provider sent no cache figure (llama.cpp, many "
     "OpenAI-compatible servers) reads —, counts in no hit rate and is priced as uncached input. "
     "[agent] prompt_cache = false stops Cockpit placing breakpoints."),
)


def help_text(measured: ContextMeasured | None = None) -> str:
    """Every term of the pane, one paragraph each (markup-free)."""
    tokens = measured.middle_warn_tokens if measured and measured.middle_warn_tokens else DEFAULT_MIDDLE_TOKENS
    share = measured.middle_warn_share if measured and measured.middle_warn_share else DEFAULT_MIDDLE_SHARE
    values = {"tokens": tokens_text(tokens), "share": f"{round(100 * share)}%"}
    return "\n\n".join(f"{term}: {text.format(**values)}" for term, text in TERMS)


class ContextBudgetHelp(ModalScreen[None]):
    """What the Context budget pane shows; Esc, q or ? closes it."""

    DEFAULT_CSS = """
    ContextBudgetHelp { align: center middle; }
    ContextBudgetHelp > VerticalScroll {
        width: 80%; max-width: 90; height: 80%;
        padding: 1 2; border: round $primary; background: $surface;
    }
    ContextBudgetHelp #help-title { text-style: bold; margin: 0 0 1 0; }
    ContextBudgetHelp #help-close { color: $text-muted; margin: 1 0 0 0; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close", id="context_budget_help.close", tooltip="Close the help"),
        Binding("q", "close", "Close", show=False, id="context_budget_help.close_q"),
        Binding("question_mark", "close", "Close", show=False, id="context_budget_help.close_help"),
    ]

    def __init__(self, text: str, *, title: str = "Context budget: what the numbers mean") -> None:
        super().__init__()
        self.text = text
        self.title_text = title  # the pane's "open" shows an item's text in the same modal

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.title_text, id="help-title", markup=False)
            yield Static(self.text, id="help-body", markup=False)
            yield Static("Esc closes", id="help-close")

    def action_close(self) -> None:
        self.dismiss(None)

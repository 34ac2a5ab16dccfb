"""The status bar: permission mode, sandbox, model, context meter, cost (and by role), activity, elapsed, steps,
tokens, workspace, git branch and dirty state, session.

It is fed events through :meth:`StatusBar.apply` and reads time from an
injected ``clock`` (so snapshots can freeze it). YOLO mode is shown loudly, and
so is a session whose commands run unsandboxed (from ``SandboxState``).

It fits any width (:mod:`widgets.status_parts`): the parts of lowest priority
shorten, then go, first (:data:`GIVE_WAY`); a number is never cut. The context
meter (``ctx ≈41.2k/128k 32%``: the conversation's tokens, the usable window, the
share used) is coloured at the budget's warn and compact thresholds. The git part
(``⎇ main +3``: the branch, or ``@1a2b3c4`` for a detached HEAD, and the files that differ)
comes from an injected probe run on a thread when the session starts and after each turn;
outside a repository there is none. It is the first part to give way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from pathlib import PurePath
from typing import TYPE_CHECKING, cast

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from app.agent.events.format import UNKNOWN, tokens
from widgets.session_stats import REDUCED_TYPES, ContextReading, SessionStats, clock_text
from widgets.status_parts import Part, fit

if TYPE_CHECKING:
    from app.agent.events import core as ev
    from app.agent.events.core import SandboxState
    from app.agent.events.git import GitState

GitProbe = Callable[[str], "GitState | None"]  # the workspace → what git says about it, None outside a repository
GIT_REFRESH_TYPES = ("session_started", "turn_finished")
BRANCH_CELLS = (24, 12)  # the branch in the full and the short form, cut with …

MODE_LABELS = {"ask": "ask", "accept_edits": "accept edits", "plan": "plan (read-only)", "yolo": "YOLO"}
MODE_SHORT = {"accept_edits": "edits", "plan": "plan"}
MODE_STYLES = {"yolo": "bold $text-error on $error 30%", "plan": "bold $text-success on $success 20%"}
CONTEXT_STYLES = {"warning": "bold $text-warning", "critical": "bold $text-error on $error 20%"}

# What gives way, in order, when the line is too narrow: each key takes its part to its next shorter
# form, or drops it when it has none. The permission mode and "unsandboxed" never go; the model, the
# context % and the cost are the last to; the cost by role (shown once a second role made a call) shortens
# after the git part, the session and the workspace have gone, and goes before the model shortens.
GIVE_WAY = ("git", "git", "session", "workspace", "roles", "tokens", "step", "elapsed", "sandbox", "activity", "activity",
            "roles", "model", "context", "mode", "model", "model", "context", "cost")
TOOLTIP = ("ctx: the conversation's tokens / the usable window (after the fixed part, the output reserve and the "
           "compaction buffer) and the share used; ≈ a local estimate, ? an assumed window (the model's is not "
           "known), / ? no window known (the provider's prompt count); in / out: the prompt and completion tokens "
           "of every model call of the session, summed (each call counts its whole prompt)")


def display_model(name: str) -> str:
    """The model string, short: offline script paths keep only the file name."""
    if not name:
        return "—"
    provider, _, rest = name.partition("/")
    if provider in ("scripted", "replay") and rest:
        return f"{provider}/{PurePath(rest).name}"
    return name if len(name) <= 48 else name[:47] + "…"


def model_forms(name: str) -> tuple[str, ...]:
    """The model, then without its provider, then cut to 16 cells with an ellipsis."""
    full = display_model(name)
    bare = full.partition("/")[2] or full
    return full, bare, bare if len(bare) <= 16 else bare[:15] + "…"  # a repeated form: that step changes nothing


def context_forms(reading: ContextReading | None) -> tuple[Content, ...]:
    """``ctx ≈41.2k/128k 32%`` then ``ctx 32%``; ``ctx 41.2k/?`` with no window; ``ctx —`` before any count."""
    if reading is None:
        return (Content(f"ctx {UNKNOWN}"),)
    approx = "≈" if reading.approximate else ""
    if reading.usable is None or reading.pct is None:
        return (Content(f"ctx {approx}{tokens(reading.used)}/?"),)
    assumed = "?" if reading.assumed_window else ""
    style = CONTEXT_STYLES.get(reading.level, "")
    pct = Content.styled(f"{reading.pct:.0f}%{assumed}", style)
    full = Content(f"ctx {approx}{tokens(reading.used)}/{tokens(reading.usable)}{assumed} ") + pct
    return full, Content("ctx ") + pct


def role_forms(stats: SessionStats) -> tuple[Content, ...]:
    """``main $0.0100 12.3k tok · router $0.0003 310 tok``, then the roles beside the generator's
    (``router $0.0003``: the cost part has the total); nothing while one role made every call."""
    if len(stats.by_role) < 2:
        return ()
    full = " · ".join(f"{role} {t.cost.text()} {tokens(t.tokens)} tok" for role, t in stats.by_role.items())
    short = " · ".join(f"{role} {t.cost.text()}" for role, t in stats.by_role.items() if role != "main")
    return Content(full), Content(short)


def git_forms(state: GitState | None) -> tuple[Content, ...]:
    """``⎇ main +3`` (files that differ), then ``⎇ main*``; ``⎇ main`` when clean, ``⎇ main ?`` when git
    status failed; nothing outside a repository."""
    if state is None:
        return ()
    full, short = (_cut(state.where, cells) for cells in BRANCH_CELLS)
    dirty = state.dirty_files
    if dirty is None:
        return Content(f"⎇ {full} ?"), Content(f"⎇ {short} ?")
    if not dirty:
        return Content(f"⎇ {full}"), Content(f"⎇ {short}")
    count, mark = Content.styled(f"+{dirty}", "$text-warning"), Content.styled("*", "$text-warning")
    return Content(f"⎇ {full} ") + count, Content(f"⎇ {short}") + mark


def _cut(text: str, cells: int) -> str:
    return text if len(text) <= cells else text[: cells - 1] + "…"


class StatusBar(Widget):
    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $text-muted;
        padding: 0 1;
    }
    """

    permission_mode: reactive[str] = reactive("ask")
    activity: reactive[str] = reactive("starting")

    def __init__(self, *, clock: Callable[[], float], git: GitProbe | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.stats = SessionStats()
        self.sandbox: SandboxState | None = None  # until the session says
        self.git_probe = git
        self.git: GitState | None = None  # until the probe answers; None outside a repository

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh_text)
        self.refresh_text()

    def apply(self, event: ev.Event) -> None:
        self.stats.apply(event, self.clock())
        # Matched by type name: the events module is not imported before the first frame.
        if event.type == "sandbox_state":
            self.sandbox = cast("SandboxState", event)
        if event.type in REDUCED_TYPES or event.type == "sandbox_state":
            self.refresh_text()
        if event.type in GIT_REFRESH_TYPES:
            self.read_git()

    def restore(self, events: Iterable[ev.Event]) -> None:
        """A resumed session: its totals so far, from its stored events."""
        self.stats = SessionStats.restored(events)
        self.refresh_text()
        self.read_git()

    def reset(self) -> None:
        self.stats = SessionStats()
        self.sandbox = None
        self.git = None
        self.refresh_text()

    def read_git(self) -> None:
        """Ask the probe about the session's workspace, on a thread (git may be slow)."""
        workspace = self.stats.workspace
        if self.git_probe is not None and workspace:
            self.run_worker(partial(self.git_probe, workspace), thread=True, group="git-status", exclusive=True,
                            exit_on_error=False, description="git status of the workspace")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "git-status" and event.state is WorkerState.SUCCESS:
            self.git = event.worker.result
            self.refresh_text()

    def watch_permission_mode(self) -> None:
        self.refresh_text()

    def watch_activity(self) -> None:
        self.refresh_text()

    def refresh_text(self) -> None:
        self.refresh()  # one line whatever it says: no layout pass
        workspace = self.stats.workspace
        self.tooltip = f"{workspace}\n{TOOLTIP}" if workspace else TOOLTIP

    def render(self) -> Content:
        return self.status_line(self.content_size.width or None)

    def status_line(self, width: int | None = None) -> Content:
        """The line within ``width`` cells; every part in full when ``width`` is None."""
        return fit(self.parts(), width, GIVE_WAY)

    def parts(self) -> list[Part]:
        s = self.stats
        mode = MODE_LABELS.get(self.permission_mode, self.permission_mode)
        short = MODE_SHORT.get(self.permission_mode, mode)
        mode_style = MODE_STYLES.get(self.permission_mode, "$text-primary on $primary 15%")
        activity = self.activity
        approx = "≈" if s.tokens_estimated else ""  # some counts are estimates, not the provider's
        texts = {
            "model": tuple(Content.styled(m, "b $text") for m in model_forms(s.model)),
            "context": context_forms(s.context),
            "cost": (Content(s.cost.text()),),
            "roles": role_forms(s),
            "activity": (Content(activity), Content(activity.split(" · ")[0])),
            "elapsed": (Content(f"⏱ {clock_text(s.elapsed(self.clock()))}"),),
            "step": (Content(f"step {s.steps}"),),
            "tokens": (Content(f"{approx}{tokens(s.tokens_in)} in / {approx}{tokens(s.tokens_out)} out"),),
            "workspace": (Content(PurePath(s.workspace).name if s.workspace else UNKNOWN),),
            "git": git_forms(self.git),
            "session": (Content(f"session {(s.session_id or UNKNOWN)[:8]}"),),
        }
        # The permission mode and an unsandboxed session come first and stay: a narrow terminal never hides
        # YOLO or "unsandboxed".
        parts = [Part("mode", tuple(Content.styled(f" {m} ", mode_style) for m in (mode, short)),
                      badge=True, keep=True)]
        if self.sandbox is not None:
            unsandboxed = not self.sandbox.backend
            style = "bold $text-error on $error 30%" if unsandboxed else "$text-success"
            key = "unsandboxed" if unsandboxed else "sandbox"
            parts.append(Part(key, (Content.styled(f" {self.sandbox.label} ", style),), badge=True, keep=unsandboxed))
        order = ("model", "context", "cost", "roles", "activity", "elapsed", "step", "tokens", "workspace", "git",
                 "session")
        return parts + [Part(key, texts[key]) for key in order]

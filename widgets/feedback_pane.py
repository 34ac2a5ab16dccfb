"""The Feedback pane: what was asked and answered in this session, from the feedback reducer.

Live, the app calls :meth:`FeedbackPane.apply` with every event; the pane folds it
into its own :class:`~app.agent.events.feedback_view.FeedbackReducer` (the one replay
uses), redraws when what it shows changed, and posts :class:`FeedbackPane.PromptChanged`
when the sampled prompt that should be on screen changes (the app shows or takes away
the inline prompt). Replay hands it a folded state with :meth:`update_state`.
"""

from __future__ import annotations

from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from app.agent.events.core import Event
from app.agent.events.feedback_view import FeedbackReducer, FeedbackState

TASKS_SHOWN = 5
LIVE_HINT = "palette › Rate last task, any time"


class FeedbackPane(Static):
    """Prompts, answers and the last tasks' sampling decisions (π, asked or not, the rating)."""

    DEFAULT_CSS = """
    FeedbackPane { height: auto; }
    """

    class PromptChanged(Message):
        """The sampled prompt to show now (``task_id``), or None: take ``previous`` away."""

        def __init__(self, task_id: str | None, previous: str | None) -> None:
            super().__init__()
            self.task_id = task_id
            self.previous = previous

    def __init__(self, *, hint: str = "", tasks_shown: int = TASKS_SHOWN, id: str | None = None) -> None:
        self.hint = hint
        self.tasks_shown = tasks_shown
        self.reducer = FeedbackReducer()  # what apply folds into
        self._shown = render_feedback(self.reducer.state, tasks_shown, hint)
        super().__init__(self._shown, id=id)

    def apply(self, event: Event) -> None:
        """The app's pane protocol: every event, in order, on the UI thread."""
        before = self.reducer.state.pending_prompt
        self.reducer.apply(event)
        self.update_state(self.reducer.state)
        after = self.reducer.state.pending_prompt
        if after != before:
            self.post_message(self.PromptChanged(after, before))

    def update_state(self, state: FeedbackState) -> None:
        """Show ``state`` (redrawn only when what it shows changed)."""
        content = render_feedback(state, self.tasks_shown, self.hint)
        if content != self._shown:
            self._shown = content
            self.update(content)


def render_feedback(state: FeedbackState, last: int = TASKS_SHOWN, hint: str = "") -> Content:
    """Counts, the prompt on screen, and one line per task of the ``last`` tasks."""
    lines = _task_lines(state, last) if state.tasks else [Content.styled("No task finished yet.", "$text-muted")]
    if hint:
        lines.append(Content.styled(hint, "$text-muted"))
    return Content("\n").join(lines)


def _task_lines(state: FeedbackState, last: int) -> list[Content]:
    lines = [Content.assemble(("asked ", "$text-muted"), str(state.asked), ("  answered ", "$text-muted"),
                              str(state.answered), ("  volunteered ", "$text-muted"), str(state.volunteered))]
    if state.pending_prompt:
        lines.append(Content.styled(f"prompt on screen: turn {state.tasks[state.pending_prompt].turn}"
                                    if state.pending_prompt in state.tasks else "prompt on screen", "$text-warning"))
    for task in sorted(state.tasks.values(), key=lambda t: t.turn)[-last:]:
        pi = f"π {task.pi:.2f}" if task.pi is not None else "π —"
        if task.response == "answered":
            answer = f"→ {task.rating}"
            style = {"up": "$text-success", "down": "$text-error"}.get(task.rating or "", "$text-muted")
        elif task.shown:
            answer, style = f"→ {task.response or 'pending'}", "$text-warning"
        else:
            answer, style = "not asked", "$text-muted"
        if task.volunteered:
            answer += f" · volunteered {task.volunteered}"
        lines.append(Content.assemble(f"turn {task.turn:<4} ", (pi, "$text-muted"), "  ", (answer, style)))
    return lines

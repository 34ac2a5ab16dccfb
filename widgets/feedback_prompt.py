"""The inline feedback prompt: one line in the transcript, never a modal.

It cannot be answered by accident: it answers only to ``y`` / ``n`` / ``s``
pressed while *it* has focus (keys typed into any other input never reach its
bindings), then offers an optional one-line comment (Enter sends, Esc sends
without one; leaving the comment field sends what was typed). ``s`` (skip) is an
answer too. ``Esc`` before answering dismisses it, which counts as no response.

A solicited prompt does not take the focus (what you were typing stays yours);
its hint names the key that goes there first ("Ctrl+F, then" over "y good · …"): the app's binding
:data:`ANSWER_BINDING_ID` (Ctrl+F unless remapped), whose action calls
:meth:`FeedbackPrompt.focus_newest`. A click focuses it too.

The same widget serves the "rate the last task" command: create it with
``source="volunteered"`` (and focus it); its answer carries that source.

It posts :class:`FeedbackPrompt.Answered` or :class:`FeedbackPrompt.Dismissed`
and removes itself; the app turns those into ``FeedbackAnswered`` /
``FeedbackDismissed`` events. When the user moves on (a new task starts), the
app removes it.
"""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static

ANSWER_BINDING_ID = "answer-feedback"  # the app's key that focuses the newest prompt (app/tui/keys.py)
_QUESTIONS = {"solicited": "How did this task go?", "volunteered": "Rate the last task:"}
_KEYS = "[b]y[/b] good · [b]n[/b] not good · [b]s[/b] skip · [b]esc[/b] dismiss"
_SEND = "[b]enter[/b]: send · [b]esc[/b]: send without a comment"
_CHOSEN = {
    "up": f"[b]good[/b] · a comment if you like · {_SEND}",
    "down": f"[b]not good[/b] · what went wrong? · {_SEND}",
}


def _readable(key: str) -> str:
    """``ctrl+f`` → ``Ctrl+F``."""
    return "+".join(part.upper() if len(part) == 1 else part.capitalize() for part in key.split("+"))


class FeedbackPrompt(Widget, can_focus=True):
    DEFAULT_CSS = """
    FeedbackPrompt {
        height: auto;
        margin: 0 1;
        padding: 0 1;
        border: round $panel-lighten-2;
        background: $surface;
    }
    FeedbackPrompt:focus, FeedbackPrompt:focus-within {
        border: round $accent;
    }
    FeedbackPrompt .feedback-prompt--row { height: auto; }
    FeedbackPrompt .feedback-prompt--question { width: auto; color: $text; text-style: bold; padding-right: 2; }
    FeedbackPrompt .feedback-prompt--keys { color: $text-muted; }
    FeedbackPrompt .feedback-prompt--hint { width: 1fr; color: $text-accent; }
    FeedbackPrompt:focus .feedback-prompt--hint { display: none; }
    FeedbackPrompt Input.feedback-prompt--comment,
    FeedbackPrompt Input.feedback-prompt--comment:focus {
        display: none;
        border: none;
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    FeedbackPrompt.-commenting Input.feedback-prompt--comment { display: block; }
    FeedbackPrompt.-commenting .feedback-prompt--hint { display: none; }
    """

    BINDINGS = [
        Binding("y", "rate('up')", "Good", id="feedback.up", tooltip="The task went well"),
        Binding("n", "rate('down')", "Not good", id="feedback.down", tooltip="The task did not go well"),
        Binding("s", "rate('skip')", "Skip", id="feedback.skip", tooltip="Answer without rating"),
        Binding("escape", "dismiss", "Dismiss", id="feedback.dismiss", tooltip="Close without answering"),
    ]

    class Answered(Message):
        """The user answered: ``rating`` is "up", "down" or "skip"; ``source`` is
        "solicited" or "volunteered" (what the prompt was created with)."""

        def __init__(self, prompt: "FeedbackPrompt", task_id: str, rating: str, comment: str, source: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.task_id = task_id
            self.rating = rating
            self.comment = comment
            self.source = source

        @property
        def control(self) -> "FeedbackPrompt":
            return self.prompt

    class Dismissed(Message):
        """The user closed the prompt without answering (no response)."""

        def __init__(self, prompt: "FeedbackPrompt", task_id: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.task_id = task_id

        @property
        def control(self) -> "FeedbackPrompt":
            return self.prompt

    def __init__(
        self,
        task_id: str,
        *,
        source: str = "solicited",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        if source not in _QUESTIONS:
            raise ValueError(f"source must be 'solicited' or 'volunteered' (got {source!r})")
        self.task_id = task_id
        self.source = source
        self.rating: str | None = None  # chosen, waiting for the comment
        self.done = False
        self._came_from: Widget | None = None  # what had the focus before the answer key brought it here

    def compose(self) -> ComposeResult:
        with Horizontal(classes="feedback-prompt--row"):
            yield Static(_QUESTIONS[self.source], classes="feedback-prompt--question")
            yield Static(self._hint(), classes="feedback-prompt--hint")  # until focused, the keys go elsewhere
        yield Static(_KEYS, classes="feedback-prompt--keys")
        yield Input(
            placeholder="Optional one-line comment",
            max_length=300,
            classes="feedback-prompt--comment",
        )

    def _hint(self) -> Content:
        """How to get here first: the app's key when it has one (as remapped), else a click."""
        for key, active in self.app.active_bindings.items():
            if active.binding.id == ANSWER_BINDING_ID:
                return Content.from_markup("[b]$key[/b], then", key=active.binding.key_display or _readable(key))
        return Content("Click here, then")

    @classmethod
    def focus_newest(cls, screen: Screen[object]) -> bool:
        """Focus the newest prompt still waiting on ``screen`` (answered, it gives the focus back
        to where it was); False when there is none."""
        waiting = [prompt for prompt in screen.query(cls) if not prompt.done]
        if waiting:
            waiting[-1]._came_from = screen.focused
            waiting[-1].focus()
        return bool(waiting)

    def _give_focus_back(self) -> None:
        """To where the answer key was pressed; focused otherwise (``/feedback``), to nothing, before
        Textual hands it to a neighbour: the app then gives it to its prompt."""
        if not self.has_focus_within:
            return
        if self._came_from is not None and self._came_from.is_mounted:
            self._came_from.focus()
        else:
            self.screen.set_focus(None)

    @property
    def comment_input(self) -> Input:
        return self.query_one(".feedback-prompt--comment", Input)

    # --- actions -------------------------------------------------------------

    def action_rate(self, rating: str) -> None:
        if self.done or self.rating is not None or not self.has_focus:
            return  # only a deliberate key on the focused prompt answers it
        if rating == "skip":
            self._answer("skip", "")
            return
        self.rating = rating
        self.query_one(".feedback-prompt--keys", Static).update(_CHOSEN[rating])
        self.add_class("-commenting")
        self.comment_input.focus()

    def action_dismiss(self) -> None:
        if self.done:
            return
        if self.rating is not None:  # Esc in the comment field: send without a comment
            self._answer(self.rating, "")
            return
        self.done = True
        self.post_message(self.Dismissed(self, self.task_id))
        self._give_focus_back()
        self.remove()

    @on(Input.Submitted, ".feedback-prompt--comment")
    def _comment_sent(self, event: Input.Submitted) -> None:
        event.stop()
        if self.rating is not None:
            self._answer(self.rating, event.value)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if self.rating is not None and not self.done and event.widget is self.comment_input:
            self._answer(self.rating, self.comment_input.value)

    def _answer(self, rating: str, comment: str) -> None:
        self.done = True
        self.post_message(self.Answered(self, self.task_id, rating, comment.strip(), self.source))
        self._give_focus_back()
        self.remove()

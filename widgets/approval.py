"""The inline approval prompt: the command or the diff, and three answers.

Allow once (``y``), always allow (``a``: this tool, or for ``bash`` this command
prefix, scope ``"bash:<prefix>"``), deny (``n``) with an optional reason typed
in the field (Enter there denies with it). The widget only announces the
answer with :class:`ApprovalPrompt.Decided`; the app resolves the agent's
future. Escape is the app's: it denies and interrupts.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Static

from app.agent.events.approvals import ApprovalDecision, ApprovalRequest, command_prefix
from widgets.code_view import code_content
from widgets.tool_format import PREVIEW_LINES, call_body, short_args, truncate_lines


def always_scope(request: ApprovalRequest) -> tuple[str, str]:
    """(scope, button label) for "always allow"."""
    if request.name == "bash":
        prefix = command_prefix(str(request.arguments.get("command", "")))
        if prefix:
            return f"bash:{prefix}", f"Always allow `{prefix}`"
    return request.name, f"Always allow {request.name}"


class ApprovalPrompt(Vertical, can_focus=True):
    DEFAULT_CSS = """
    ApprovalPrompt {
        height: auto;
        margin: 0 0 1 2;
        padding: 0 1;
        border: round $warning;
        border-title-color: $text-warning;
        background: $warning 8%;
        &:focus-within { border: round $warning; background: $warning 12%; }
        .approval-preview { background: $boost; padding: 0 1; margin: 0 0 1 0; max-height: 30; }
        .approval-buttons { height: auto; }
        .approval-buttons Button { margin: 0 1 0 0; }
        .approval-reason { margin: 1 0 0 0; background: $surface; }
        .approval-hint { color: $text-muted; }
    }
    """

    BINDINGS = [
        Binding("y", "allow", "Allow once", id="approval.allow", tooltip="Run this call once"),
        Binding("a", "always", "Always allow", id="approval.always", tooltip="Allow this tool (or command prefix) from now on"),
        Binding("n", "deny", "Deny", id="approval.deny", tooltip="Refuse this call; the model is told"),
    ]

    class Decided(Message):
        """A person answered; ``decision`` goes back to the agent."""

        def __init__(self, prompt: "ApprovalPrompt", decision: ApprovalDecision) -> None:
            super().__init__()
            self.prompt = prompt
            self.decision = decision

        @property
        def tool_call_id(self) -> str:
            return self.prompt.request.tool_call_id

    def __init__(self, request: ApprovalRequest) -> None:
        super().__init__(classes="approval")
        self.request = request
        self.scope, self.always_label = always_scope(request)
        self.decided = False
        what = short_args(request.name, request.arguments, width=70)
        self.border_title = f"{request.name} needs your approval"
        self._summary = what

    def compose(self) -> ComposeResult:
        verb = "run" if self.request.name == "bash" else "change"
        yield Static(
            Content.from_markup("[b]$name[/b] wants to $verb [b]$what[/b]", name=self.request.name, verb=verb, what=self._summary)
        )
        body = call_body(self.request.name, self.request.arguments, self.request.preview)
        code, lexer = body if body else (self.request.preview, "text")
        if code.strip():
            shown, hidden = truncate_lines(code, PREVIEW_LINES * 2)
            if hidden:
                shown += f"\n… {hidden} more lines"
            yield Static(code_content(shown, lexer), classes="approval-preview")
        with Horizontal(classes="approval-buttons"):
            yield Button("Allow once (y)", id="allow", variant="success", compact=True)
            yield Button(f"{self.always_label} (a)", id="always", variant="primary", compact=True)
            yield Button("Deny (n)", id="deny", variant="error", compact=True)
        yield Input(placeholder="Reason for denying (optional) — Enter denies with it", classes="approval-reason", compact=True)
        yield Static("y allow once · a always allow · n deny · Esc deny and interrupt", classes="approval-hint")

    # --- answers ------------------------------------------------------------------

    def action_allow(self) -> None:
        self.decide(ApprovalDecision("allow"))

    def action_always(self) -> None:
        self.decide(ApprovalDecision("allow_always", scope=self.scope))

    def action_deny(self) -> None:
        reason = self.query_one(".approval-reason", Input).value.strip()
        self.decide(ApprovalDecision("deny", reason=reason))

    def decide(self, decision: ApprovalDecision) -> None:
        if self.decided:
            return
        self.decided = True
        self.disabled = True
        self.post_message(self.Decided(self, decision))

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {"allow": self.action_allow, "always": self.action_always, "deny": self.action_deny}[event.button.id or "deny"]()

    @on(Input.Submitted)
    def _reason_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_deny()

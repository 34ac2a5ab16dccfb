"""The inline approval prompt: the command or the diff, and four answers.

Allow once (``y``); always allow, for this session (``a``) or saved for this
project (``p``, into ``.cockpit/config.toml``), adding the rules the core
proposed in ``request.always`` (``bash(git diff *)``, one per command of the
line; none when the line has something no rule can vouch for, and then the
prompt says why); deny (``n``) with an optional reason typed in the field
(Enter there denies with it). ``a`` and ``p`` grant a lasting permission, so a
key needs pressing twice (the first press arms it and the prompt says what the
second does; any other key disarms it): typing "please" or "because" grants
nothing. A click on their buttons is deliberate and acts at once. A sandbox
escalation offers neither (leaving the sandbox is decided command by command). The widget only announces the answer with
:class:`ApprovalPrompt.Decided`; the app resolves the agent's future. Escape is
the app's: it denies and interrupts.
"""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Static

from app.agent.events.approvals import SANDBOX_ESCALATION
from app.agent.events.approvals import ApprovalDecision, ApprovalRequest, Remember, ToolKind
from widgets.code_view import code_content
from widgets.tool_format import PREVIEW_LINES, call_body, short_args, truncate_lines


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
        Binding("a", "always", "Always", id="approval.always",
                tooltip="Allow calls like this one for the rest of this session (the rule is shown on the button)"),
        Binding("p", "always_project", "Always in project", id="approval.always_project",
                tooltip="Allow calls like this one from now on in this project (saved in .cockpit/config.toml)"),
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
        self.scope = ", ".join(request.always)  # the rules an "always" answer adds
        self.decided = False
        what = short_args(request.name, request.arguments, width=70)
        escalation = request.kind == SANDBOX_ESCALATION
        self.border_title = f"{request.name} was blocked by the sandbox" if escalation else f"{request.name} needs your approval"
        self._summary = what
        self._armed: Remember | None = None  # the lasting answer the same key pressed again gives

    def compose(self) -> ComposeResult:
        verb = "run" if self.request.tool_kind is ToolKind.COMMAND else "change"
        yield Static(
            Content.from_markup("[b]$name[/b] wants to $verb [b]$what[/b]", name=self.request.name, verb=verb, what=self._summary)
        )
        if self.request.kind == SANDBOX_ESCALATION:  # why it asks: the command itself follows
            yield Static(Content(self.request.preview))
        body = call_body(self.request.name, self.request.arguments, self.request.preview)
        code, lexer = body if body else (self.request.preview, "text")
        if code.strip():
            shown, hidden = truncate_lines(code, PREVIEW_LINES * 2)
            if hidden:
                shown += f"\n… {hidden} more lines"
            yield Static(code_content(shown, lexer), classes="approval-preview")
        with Horizontal(classes="approval-buttons"):
            yield Button("Allow once (y)", id="allow", variant="success", compact=True)
            yield Button("Always (a)", id="always", variant="primary", compact=True, disabled=not self.scope)
            yield Button("Always in project (p)", id="always_project", variant="primary", compact=True,
                         disabled=not self.scope)
            yield Button("Deny (n)", id="deny", variant="error", compact=True)
        yield Input(placeholder="Reason for denying (optional) — Enter denies with it", classes="approval-reason", compact=True)
        if self.scope:
            yield Static(self._scope_hint(), classes="approval-hint approval-scope")
        elif self.request.no_always:
            yield Static(Content.from_markup("No “always” rule: $why", why=self.request.no_always),
                         classes="approval-hint")
        keys = "y once · n deny" if self._escalation else "y once · a always · p project · n deny"
        yield Static(f"{keys} · Esc deny and interrupt", classes="approval-hint")

    @property
    def _escalation(self) -> bool:
        return self.request.kind == SANDBOX_ESCALATION

    def _scope_hint(self) -> Content:
        if self._armed is Remember.PROJECT:
            return Content.from_markup("Press [b]p[/b] again to save [b]$rules[/b] to .cockpit/config.toml",
                                       rules=self.scope)
        if self._armed is Remember.SESSION:
            return Content.from_markup("Press [b]a[/b] again to allow [b]$rules[/b] for this session", rules=self.scope)
        return Content.from_markup("“Always” allows [b]$rules[/b]", rules=self.scope)

    def _arm(self, remember: Remember | None) -> None:
        if remember is self._armed:
            return
        self._armed = remember
        if self.scope:
            self.query_one(".approval-scope", Static).update(self._scope_hint())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Nothing lasting to grant at an escalation: the keys are not offered (nor shown in the footer).
        return not (self._escalation and action in ("always", "always_project"))

    def on_key(self, event: events.Key) -> None:
        """Any key but the armed one disarms it (the armed one, pressed again, is the binding's)."""
        armed_key = {Remember.SESSION: "a", Remember.PROJECT: "p"}.get(self._armed) if self._armed else None
        if event.key != armed_key:
            self._arm(None)

    # --- answers ------------------------------------------------------------------

    def action_allow(self) -> None:
        self.decide(ApprovalDecision("allow"))

    def action_always(self) -> None:
        self._confirm(Remember.SESSION)

    def action_always_project(self) -> None:
        self._confirm(Remember.PROJECT)

    def _confirm(self, remember: Remember) -> None:
        """A key: the first press arms the lasting answer, the second gives it."""
        if self._armed is remember:
            self._always(remember)
        elif self.scope:
            self._arm(remember)

    def _always(self, remember: Remember) -> None:
        if self.scope:  # nothing to remember: the buttons are disabled and the keys do nothing
            self.decide(ApprovalDecision("allow_always", scope=self.scope, remember=remember))

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
        actions = {"allow": self.action_allow, "always": lambda: self._always(Remember.SESSION),
                   "always_project": lambda: self._always(Remember.PROJECT), "deny": self.action_deny}
        actions[event.button.id or "deny"]()

    @on(Input.Submitted)
    def _reason_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_deny()

"""The inline approval prompt: the command or the diff, and the answers.

Allow once (``y``); always allow, for this session (``a``) or saved for this
project (``p``, into ``.cockpit/config.toml``), adding the rules the core
proposed in ``request.always`` (``bash(git diff *)``, one per command of the
line; none when the line has something no rule can vouch for, and then the
prompt says why); deny at once (``n``), or deny with a reason (``r`` goes
straight to the reason field; Enter there denies with it). ``a`` and ``p``
grant a lasting permission, so a key needs pressing twice (the first press arms
it and the prompt says what the second does; any other key, and typing into
the reason field, disarms it): typing "please" or "because" grants nothing. A
click on their buttons is deliberate and acts at once. A sandbox escalation
offers neither (leaving the sandbox is decided command by command).

The buttons sit in two rows (allow once / deny, then the two lasting answers)
with no padding beyond one column, so every label is whole at 80 columns and
beside the side column at 100. A command is shown once, in the preview (the
header line names it only when there is no preview). The widget only announces
the answer with :class:`ApprovalPrompt.Decided`; the app resolves the agent's
future. Escape is the app's: it denies and interrupts.
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
        .approval-buttons Button { margin: 0 1 0 0; min-width: 0; padding: 0; }
        .approval-reason { background: $surface; }
        .approval-hint { color: $text-muted; }
    }
    """

    BINDINGS = [
        Binding("y", "allow", "Allow", id="approval.allow", tooltip="Run this call once"),
        Binding("a", "always", "Always", id="approval.always",
                tooltip="Allow calls like this one for the rest of this session (the rule is shown on the button)"),
        Binding("p", "always_project", "Project", id="approval.always_project",
                tooltip="Allow calls like this one from now on in this project (saved in .cockpit/config.toml)"),
        Binding("n", "deny", "Deny", id="approval.deny", tooltip="Refuse this call at once; the model is told"),
        Binding("r", "deny_reason", "Reason", id="approval.deny_reason",
                tooltip="Type why (the model is told): the reason field takes the keys, Enter denies"),
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
        escalation = request.kind == SANDBOX_ESCALATION
        self.border_title = f"{request.name} was blocked by the sandbox" if escalation else f"{request.name} needs your approval"
        self._summary = short_args(request.name, request.arguments, width=70)
        self._armed: Remember | None = None  # the lasting answer the same key pressed again gives

    def compose(self) -> ComposeResult:
        body = self._body()
        yield Static(self._header(shown_below=body is not None))
        if self.request.kind == SANDBOX_ESCALATION:  # why it asks: the command itself follows
            yield Static(Content(self.request.preview))
        if body is not None:
            yield Static(body, classes="approval-preview")
        with Horizontal(classes="approval-buttons"):
            yield Button("Allow once (y)", id="allow", variant="success", compact=True)
            yield Button("Deny (n)", id="deny", variant="error", compact=True)
        with Horizontal(classes="approval-buttons"):
            yield Button("Always (a)", id="always", variant="primary", compact=True, disabled=not self.scope)
            yield Button("Always in project (p)", id="always_project", variant="primary", compact=True,
                         disabled=not self.scope)
        yield Input(placeholder="r: reason for denying — Enter denies with it", classes="approval-reason",
                    compact=True)
        if self.scope:
            yield Static(self._scope_hint(), classes="approval-hint approval-scope")
        elif self.request.no_always:
            yield Static(Content.from_markup("No “always” rule: $why", why=self.request.no_always),
                         classes="approval-hint")
        yield Static("Esc denies and interrupts the turn", classes="approval-hint")

    def _header(self, *, shown_below: bool) -> Content:
        """Who wants to do what; a command shown in the preview below is not repeated here."""
        if self.request.tool_kind is ToolKind.COMMAND:
            if shown_below:
                return Content.from_markup("[b]$name[/b] wants to run:", name=self.request.name)
            return Content.from_markup("[b]$name[/b] wants to run [b]$what[/b]", name=self.request.name,
                                       what=self._summary)
        verb = "fetch" if self.request.tool_kind is ToolKind.FETCH else "change"  # a fetch changes nothing
        return Content.from_markup(f"[b]$name[/b] wants to {verb} [b]$what[/b]", name=self.request.name,
                                   what=self._summary)

    def _body(self) -> Content | None:
        """The command, the diff or the new content, highlighted (None when there is nothing to show)."""
        body = call_body(self.request.name, self.request.arguments, self.request.preview)
        code, lexer = body if body else (self.request.preview, "text")
        if not code.strip():
            return None
        shown, hidden = truncate_lines(code, PREVIEW_LINES * 2)
        if hidden:
            shown += f"\n… {hidden} more lines"
        return code_content(shown, lexer)

    @property
    def reason_field(self) -> Input:
        return self.query_one(".approval-reason", Input)

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
        self.decide(ApprovalDecision("deny", reason=self.reason_field.value.strip()))

    def action_deny_reason(self) -> None:
        self._arm(None)
        self.reason_field.focus()

    @on(Input.Changed, ".approval-reason")
    def _reason_typed(self, event: Input.Changed) -> None:
        """Typing a reason disarms an armed ``a`` / ``p`` (the keys went into the field, not to us)."""
        event.stop()
        self._arm(None)

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

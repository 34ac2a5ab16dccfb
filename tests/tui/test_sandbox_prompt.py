"""The approval prompt for a command the sandbox blocked: it says why it asks, and offers no "always"."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Button, Static

from app.agent.events.approvals import SANDBOX_ESCALATION, ApprovalRequest, ToolKind
from widgets.approval import ApprovalPrompt


async def test_the_prompt_says_the_sandbox_blocked_the_command() -> None:
    request = ApprovalRequest(
        tool_call_id="t1", name="bash", arguments={"command": "pip install --user rich"}, kind=SANDBOX_ESCALATION,
        preview="The sandbox blocked this command: it tried to write outside the workspace [Errno 30].",
        tool_kind=ToolKind.COMMAND, no_always="leaving the sandbox is decided command by command",
    )

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield ApprovalPrompt(request)

    async with Host().run_test() as pilot:
        prompt = pilot.app.query_one(ApprovalPrompt)
        assert prompt.border_title == "bash was blocked by the sandbox"
        shown = " ".join(str(s.render()) for s in prompt.query(Static))
        assert "The sandbox blocked this command: it tried to write outside the workspace [Errno 30]." in shown
        assert "pip install --user rich" in shown and "leaving the sandbox is decided command by command" in shown
        assert prompt.query_one("#always", Button).disabled

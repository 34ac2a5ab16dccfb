"""The approval box of a web_fetch call says it wants to fetch the URL (a fetch changes nothing)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from app.agent.events.approvals import ApprovalRequest, ToolKind
from widgets.approval import ApprovalPrompt


class PromptApp(App[None]):
    def __init__(self, request: ApprovalRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        yield ApprovalPrompt(self.request)


async def header_of(request: ApprovalRequest) -> str:
    app = PromptApp(request)
    async with app.run_test(size=(100, 30)):
        return app.query_one(ApprovalPrompt).query(Static).first().render().plain


async def test_a_fetch_wants_to_fetch_and_a_write_wants_to_change():
    fetch = ApprovalRequest(tool_call_id="w1", name="web_fetch", arguments={"url": "https://example.com"},
                            tool_kind=ToolKind.FETCH, always=("web_fetch(domain:example.com)",))
    assert await header_of(fetch) == "web_fetch wants to fetch https://example.com"
    write = ApprovalRequest(tool_call_id="w2", name="write_file", arguments={"path": "a.txt", "content": "x"},
                            tool_kind=ToolKind.EDIT)
    assert (await header_of(write)).startswith("write_file wants to change a.txt")

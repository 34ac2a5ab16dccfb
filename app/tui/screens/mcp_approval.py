"""A project's MCP servers the user has not approved yet: a modal asks once, when the session opens.

A cloned repository's ``.mcp.json`` can name any command, and a stdio server runs outside the
sandbox: so each server is listed with what it runs or reaches and what that means. Every server
starts checked; space unchecks the highlighted one. ``a`` approves them all, Enter the checked ones (for this
folder and this definition, as ``cockpit mcp approve`` does: they start now, in this session, and
with every later one); ``n`` or Esc is "not now": nothing starts and nothing is written, and the
app does not ask again for these definitions until it is restarted (``/mcp approve`` still can).

The screen answers with the names approved, or None for "not now" (:mod:`app.tui.mcp_ask`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static

if TYPE_CHECKING:
    from app.agent.mcp.config import ServerConfig

STDIO = "stdio"


def what_it_may_do(server: "ServerConfig") -> str:
    """What approving ``server`` lets happen, in a few words."""
    if server.transport == STDIO:
        names = ", ".join(sorted(server.env))
        env = f" and {names}" if names else ""
        return f"runs on this machine outside the sandbox, as you; gets HOME, PATH…{env}"
    names = ", ".join(sorted(server.headers))
    headers = f", with the headers {names}" if names else ""
    return f"sends its tools' arguments to this address{headers}"


def server_prompt(server: "ServerConfig", checked: bool) -> Content:
    return Content.from_markup("$box [b]$name[/b] [dim]$transport[/dim]  $target\n    [$text-warning]$may[/]",
                               box="[x]" if checked else "[ ]", name=server.name, transport=server.transport,
                               target=server.target, may=what_it_may_do(server))


class McpApprovalScreen(ModalScreen[list[str] | None]):
    DEFAULT_CSS = """
    McpApprovalScreen { align: center middle; }
    McpApprovalScreen > Vertical {
        width: 100; max-width: 100%; height: auto; max-height: 100%; padding: 1 2;
        border: thick $warning; background: $surface;
    }
    McpApprovalScreen #mcp-approval-text { margin: 0 0 1 0; }
    McpApprovalScreen OptionList { height: auto; max-height: 16; }
    McpApprovalScreen #mcp-approval-keys { margin: 1 0 0 0; color: $text-muted; }
    """

    BINDINGS = [
        Binding("a", "approve_all", "Approve all", id="mcp_approval.approve_all",
                tooltip="Approve every server listed: they start now and with every session in this folder"),
        Binding("enter", "approve_checked", "Approve checked", id="mcp_approval.approve_checked", priority=True,
                tooltip="Approve the checked servers (space checks or unchecks one); the others are not started"),
        Binding("space", "toggle", "Check/uncheck", id="mcp_approval.toggle",
                tooltip="Check or uncheck the highlighted server"),
        Binding("n,escape", "not_now", "Not now", id="mcp_approval.not_now",
                tooltip="Start none of them; not asked again until Cockpit restarts (/mcp approve still can)"),
    ]

    def __init__(self, servers: Sequence["ServerConfig"], folder: str) -> None:
        super().__init__()
        self.servers = list(servers)
        self.folder = folder
        self.checked = {server.name for server in self.servers}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content.from_markup(
                "[b]MCP servers of this project[/b]\n\n$folder/.mcp.json defines servers you have not "
                "approved. An approved server starts now and with every session in this folder, until its "
                "definition changes.", folder=self.folder), id="mcp-approval-text")
            yield OptionList(*(server_prompt(s, True) for s in self.servers))
            yield Static("a approve all · enter approve the checked · space check/uncheck · n not now",
                         id="mcp-approval-keys")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def action_approve_all(self) -> None:
        self.dismiss([server.name for server in self.servers])

    def action_approve_checked(self) -> None:
        self.dismiss([server.name for server in self.servers if server.name in self.checked])

    def action_toggle(self) -> None:
        options = self.query_one(OptionList)
        index = options.highlighted
        if index is None:
            return
        server = self.servers[index]
        self.checked ^= {server.name}
        options.replace_option_prompt_at_index(index, server_prompt(server, server.name in self.checked))

    def action_not_now(self) -> None:
        self.dismiss(None)

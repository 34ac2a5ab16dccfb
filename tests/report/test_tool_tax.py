"""The tool-definition tax: each tool definition is an item of the Context budget (a server's tools one
item), ``cockpit tools`` counts their tokens and the calls of the project's sessions, and ``cockpit
tools disable`` leaves tools out of the next session — not sent (over loopback HTTP), not callable,
and the budget's fixed part smaller by exactly their tokens."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.agent.budget.counter import TOOLS_FRAMING, MessageCounter
from app.agent.budget.tokenizer import tokenizer_for
from app.agent.events.budget import ContextMeasured
from app.agent.pricing import LITELLM_PRICING
from app.agent.tools.base import ToolContext, ToolOutput
from app.agent.tools.registry import ToolRegistry, default_tools
from app.permission_files import load_rules, project_config
from app.project_tools import disabled_tools, server_lookup
from app.settings import ConfigError
from tests.budget.scenarios import budget
from tests.core.helpers import make_session
from tests.support.cli import run_cli
from tests.support.openai_server import Reply, ToolCallSpec

MODEL = "openai/gpt-4o-mini"  # priced by litellm's cost map, even behind an api_base


@dataclass
class ServedTool:
    """A tool another program serves, as an MCP server's tools are (``server`` and ``breaker``)."""

    name: str
    server: str
    description: str = "Look something up on the server."
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {"q": {"type": "string"}}})
    side_effects: bool = False
    enforces_own_timeout: bool = False
    breaker: str = ""

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        return ToolOutput(text="found")


def test_every_tool_definition_is_an_item_and_a_servers_tools_are_one():
    tools = ToolRegistry([*default_tools(), ServedTool("mcp__docs__search", "docs"), ServedTool("mcp__docs__get", "docs")])
    b = budget()
    b.tool_server = server_lookup(tools)
    snapshot = b.measure([{"role": "system", "content": "You are helpful."}, {"role": "user", "content": "hi"}],
                         tools.schemas())
    items = {item["id"]: item for item in snapshot.tool_items()}
    own = {name: tokens for name, tokens in snapshot.tools if not name.startswith("mcp__")}
    assert {i: items[i]["tokens"] for i in items if i.startswith("tool:")} == {f"tool:{n}": t for n, t in own.items()}
    served = items["server:docs"]
    assert served["label"] == "server docs: 2 tools" and served["kind"] == "tool_server"
    assert served["tokens"] == sum(t for n, t in snapshot.tools if n.startswith("mcp__docs__"))
    assert all(item["position"] == "start" for item in items.values())
    assert items["tool:bash"]["label"] == "tool: bash" and items["tool:bash"]["kind"] == "tool_definition"
    # The pane's drill-down: the largest items include the tool definitions (nothing else is this large here).
    assert {item["id"] for item in snapshot.top_items()} >= {"tool:grep", "server:docs"}
    event = snapshot.to_event()
    assert {"name": "mcp__docs__get", "tokens": dict(snapshot.tools)["mcp__docs__get"], "server": "docs"} in event.tools
    # Opening an item shows the definitions as sent.
    assert json.loads(b.item_text([], "tool:bash"))["function"]["name"] == "bash"
    assert [json.loads(part)["function"]["name"] for part in b.item_text([], "server:docs").split("\n\n")] == [
        "mcp__docs__search", "mcp__docs__get"]
    assert b.item_text([], "tool:nothing") is None


async def test_d_or_t_on_a_tool_definition_says_how_to_leave_tools_out():
    from tests.budget.pane_app import PaneApp
    from tests.budget.scenarios import state_from

    tools = ToolRegistry(default_tools())
    snapshot = budget().measure([{"role": "user", "content": "hi"}], tools.schemas())
    state = state_from([snapshot.to_event(turn=1)])
    app = PaneApp(state)
    async with app.run_test(size=(100, 30)) as pilot:
        ids = [item["id"] for item in state.top_items()]
        app.query_one("#top").highlighted = ids.index("tool:grep")
        await pilot.press("d")
        await pilot.press("t")
        await pilot.pause()
        assert app.actions == []  # nothing to drop: the definition goes with every call
        assert [n.message for n in app._notifications][-1].endswith(
            "cockpit tools disable NAME (cockpit tools lists them with their calls).")


async def _session(server, workspace, db_path, replies):
    server.script(replies)
    session, events, db = make_session(MODEL, workspace, db_path, api_base=server.url)
    session.start()
    result = await session.run_task("look at notes.txt")
    session.finish()
    db.close()
    assert result.outcome == "completed"
    return session, events


def _definition_tokens() -> dict[str, int]:
    counter = MessageCounter(tokenizer_for(MODEL, "auto").count)
    from app.runtime import session_tools
    from app.settings import Settings

    counter.update_tools(session_tools(Settings(), MODEL).schemas())
    return {c.name: c.tokens for c in counter.tools}


async def test_cockpit_tools_counts_calls_and_disable_leaves_tools_out_of_the_next_session(
    openai_server, workspace, tmp_path, capsys
):
    db_path = tmp_path / "t.db"
    (workspace / "notes.txt").write_text("hello\n")
    read = [Reply(tool_calls=[ToolCallSpec("read_file", {"path": "notes.txt"})]), Reply(text="It says hello.")]
    await _session(openai_server, workspace, db_path, read)
    _, first = await _session(openai_server, workspace, db_path, [Reply(text="Nothing to do.")])
    args = ("--workspace", str(workspace), "--db", str(db_path), "--model", MODEL)

    code, out, _ = run_cli(capsys, "tools", "--json", *args)
    listed = json.loads(out)
    assert code == 0 and (listed["sessions"], listed["model_calls"], listed["disabled"]) == (2, 3, [])
    rows = {row["name"]: row for row in listed["tools"]}
    sent = [t["function"]["name"] for t in openai_server.chat_requests[-1].body["tools"]]
    assert list(rows) == sent  # every tool the model is sent, in its order
    tokens = _definition_tokens()
    for name, row in rows.items():
        assert row["tokens"] == tokens[name]
        assert row["usd_per_call"] == pytest.approx(LITELLM_PRICING.price(MODEL, prompt_tokens=tokens[name]).usd)
        assert (row["calls"], row["last_session_calls"]) == ((1, 0) if name == "read_file" else (0, 0))
    code, out, _ = run_cli(capsys, "tools", *args)
    flat = " ".join(out.split())
    assert code == 0 and "Never called in the last 2 sessions (3 model calls): write_file," in flat
    unused = [n for n in rows if n not in ("read_file", "recall_output")]  # compaction points the model at recall_output
    assert f"Disabling them saves {sum(tokens[n] for n in unused):,} tokens per call" in flat
    assert "cockpit tools disable " + " ".join(unused) + " Not suggested: recall_output (compaction's notes" in flat

    code, out, _ = run_cli(capsys, "tools", "disable", "glob", "grep", "recall_output", *args)
    assert code == 0 and f"{project_config(workspace)}: [tools] disabled" in out
    assert disabled_tools(workspace) == ["glob", "grep", "recall_output"]
    load_rules({}, None, workspace)  # the project's permission rules still load beside [tools]

    before = first.of(ContextMeasured)[-1]
    session, events = await _session(openai_server, workspace, db_path, [Reply(text="Still nothing.")])
    sent = [t["function"]["name"] for t in openai_server.chat_requests[-1].body["tools"]]
    assert {"glob", "grep", "recall_output"}.isdisjoint(sent) and "read_file" in sent
    assert session.agent.budget.recall_tool is None  # compaction does not point the model at a tool it lacks
    after = events.of(ContextMeasured)[-1]
    assert [t["name"] for t in after.tools] == sent
    was, now = (next(c["tokens"] for c in m.categories if c["key"] == "tools") for m in (before, after))
    assert was - now == tokens["glob"] + tokens["grep"] + tokens["recall_output"]

    code, out, _ = run_cli(capsys, "tools", "enable", "grep", *args)
    assert code == 0 and disabled_tools(workspace) == ["glob", "recall_output"]
    code, out, _ = run_cli(capsys, "tools", "--json", *args)
    assert {row["name"]: row["disabled"] for row in json.loads(out)["tools"]}["glob"] is True


def test_cockpit_tools_without_a_model_counts_with_the_default_tokenizer_the_task_tool_and_says_mcp_is_not_counted(
    workspace, cockpit_home, capsys, monkeypatch
):
    from app.agent.tools.task import TaskTool
    from app.commands.tools import DEFAULT_TOKENIZER

    cockpit_home.mkdir(parents=True, exist_ok=True)
    (cockpit_home / "config.toml").write_text('[agent]\nsubagents = true\n\n[mcp_servers.docs]\nurl = "http://127.0.0.1:9/mcp"\n')
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_cli(capsys, "tools", "--workspace", str(workspace))
    assert code == 0 and err == ""
    assert all(len(line) <= 80 for line in out.splitlines())  # the notes wrap to the terminal's width
    flat = " ".join(out.split())
    assert f"No model configured: counted with the tiktoken {DEFAULT_TOKENIZER} tokenizer" in flat
    assert "MCP tools not counted: 1 server configured — see /tools in a session." in flat
    code, out, _ = run_cli(capsys, "tools", "--json", "--workspace", str(workspace))
    listed = json.loads(out)
    assert (listed["model"], listed["tokenizer"], listed["mcp_servers_not_counted"]) == (
        None, f"tiktoken {DEFAULT_TOKENIZER}", 1)
    rows = {row["name"]: row for row in listed["tools"]}
    counter = MessageCounter(tokenizer_for("", DEFAULT_TOKENIZER).count)
    counter.update_tools(ToolRegistry([TaskTool(None)]).schemas())  # type: ignore[arg-type]
    assert rows["task"]["tokens"] == counter.tools[0].tokens > 0
    assert all(row["usd_per_call"] is None for row in rows.values())  # no model: no price, never $0
    assert f"Sent with every call: {sum(r['tokens'] for r in rows.values()) + TOOLS_FRAMING:,} tokens" in flat


def test_a_bad_tools_table_names_the_file_and_line(workspace, capsys):
    project_config(workspace).parent.mkdir()
    project_config(workspace).write_text('[permissions]\nallow = []\n\n[tools]\ndisabled = "glob"\n')
    with pytest.raises(ConfigError, match=r"config.toml:5: \[tools\] disabled must be a list of tool names"):
        disabled_tools(workspace)
    code, _, err = run_cli(capsys, "tools", "disable", "--workspace", str(workspace))
    assert code == 2 and "must be a list of tool names" in err


def test_disable_needs_no_model_and_keeps_a_name_a_server_may_serve(workspace, capsys):
    code, out, err = run_cli(capsys, "tools", "disable", "glob", "mcp__docs__search", "--workspace", str(workspace))
    assert code == 0 and disabled_tools(workspace) == ["glob", "mcp__docs__search"]
    assert err == "note: mcp__docs__search is none of Cockpit's own tools; kept for a server's tool of that name\n"
    code, out, err = run_cli(capsys, "tools", "enable", "mcp__docs__search", "--workspace", str(workspace))
    assert code == 0 and err == "" and disabled_tools(workspace) == ["glob"]
    assert project_config(workspace).read_text() == '[tools]\ndisabled = ["glob"]\n'


async def test_the_users_own_tools_table_disables_tools_beside_the_web_fetch_settings(openai_server, workspace, tmp_path):
    """``[tools] disabled`` in the user's config.toml sits beside ``web_fetch_*`` and leaves the tools out of
    every project's sessions, together with the project's own list."""
    from app.config_check import check_settings
    from app.settings import Settings

    project_config(workspace).parent.mkdir()
    project_config(workspace).write_text('[tools]\ndisabled = ["grep"]\n')
    settings = Settings(tools={"disabled": ["glob"], "web_fetch_max_kb": 64})
    assert check_settings(settings) == []  # no unknown key, no bad value
    openai_server.script([Reply(text="Nothing to do.")])
    session, _, db = make_session(MODEL, workspace, tmp_path / "u.db", api_base=openai_server.url, settings=settings)
    session.start()
    assert (await session.run_task("hello")).outcome == "completed"
    session.finish()
    db.close()
    sent = [t["function"]["name"] for t in openai_server.chat_requests[-1].body["tools"]]
    assert {"glob", "grep"}.isdisjoint(sent) and "read_file" in sent and "web_fetch" in sent

"""MCP tools through the real loop: litellm → HTTP → the loopback OpenAI server scripts the model,
the agent calls the test MCP server's tools (schema errors fed back, approvals, a crash, a timeout)."""

from __future__ import annotations

import json
import sys

from app.agent.events import core as ev
from app.agent.events.retries_view import RetriesReducer
from app.cli import main
from app.settings import Settings
from storage.db import open_db
from tests.core.helpers import make_session
from tests.mcp.conftest import ROOT, stdio_entry
from tests.support.openai_server import Reply, ToolCallSpec


def config_toml(cockpit_home, name="t", **extra) -> None:
    entry = {**stdio_entry(), **extra}
    lines = [f"[mcp_servers.{name}]", f"command = {json.dumps(entry['command'])}",
             f"args = {json.dumps(entry['args'])}", f"cwd = {json.dumps(entry['cwd'])}"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
    cockpit_home.mkdir(parents=True, exist_ok=True)
    (cockpit_home / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(openai_server, workspace, db_path, *extra):
    return main(["run", "use the tools", "--model", "openai/test-model", "--api-base", openai_server.url,
                 "--workspace", str(workspace), "--db", str(db_path), *extra])


def tool_rows(db_path):
    db = open_db(db_path)
    return [(r["name"], r["status"]) for r in db.query("select name, status from tool_calls order by requested_at")]


def test_mcp_tools_are_offered_called_validated_and_approved_like_every_tool(openai_server, workspace, tmp_path,
                                                                          cockpit_home, capsys):
    config_toml(cockpit_home)
    openai_server.script([
        Reply(tool_calls=[ToolCallSpec("mcp__t__add", {"a": 2, "b": 3})]),
        Reply(tool_calls=[ToolCallSpec("mcp__t__add", {"a": "two", "b": 3})]),
        Reply(tool_calls=[ToolCallSpec("mcp__t__write_note", {"text": "hi"})]),
        Reply(text="Two and three make five."),
    ])
    code = run(openai_server, workspace, tmp_path / "e.db")
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0, out
    assert "MCP servers: t (10 tools)" in out and "Two and three make five." in out
    tools = {t["function"]["name"]: t["function"] for t in openai_server.chat_requests[0].body["tools"]}
    assert {"read_file", "mcp__t__add", "mcp__t__crash"} <= set(tools)
    assert tools["mcp__t__add"]["parameters"]["properties"]["a"]["type"] == "integer"
    assert tool_rows(tmp_path / "e.db") == [("mcp__t__add", "ok"), ("mcp__t__add", "validation_error"),
                                            ("mcp__t__write_note", "denied")]
    fed_back = [r.body["messages"][-1]["content"] for r in openai_server.chat_requests[1:]]
    assert '"sum": 5' in fed_back[0]
    assert "invalid arguments for mcp__t__add" in fed_back[1] and "a" in fed_back[1]
    assert "needs approval" in fed_back[2]  # headless without --yes: a side effect is refused


def test_a_read_only_mcp_tool_runs_in_plan_mode_and_a_writing_one_does_not(openai_server, workspace, tmp_path,
                                                                          cockpit_home, capsys):
    notes = tmp_path / "notes.txt"
    config_toml(cockpit_home)
    (cockpit_home / "config.toml").write_text((cockpit_home / "config.toml").read_text()
                                              + f'env = {{ MCP_NOTES = "{notes}" }}\n', encoding="utf-8")
    openai_server.script([
        Reply(tool_calls=[ToolCallSpec("mcp__t__echo", {"text": "read"})]),
        Reply(tool_calls=[ToolCallSpec("mcp__t__write_note", {"text": "no"})]),
        Reply(text="planned"),
    ])
    assert run(openai_server, workspace, tmp_path / "p.db", "--permission-mode", "plan") == 0
    assert tool_rows(tmp_path / "p.db") == [("mcp__t__echo", "ok"), ("mcp__t__write_note", "denied")]
    assert not notes.exists()
    openai_server.script([Reply(tool_calls=[ToolCallSpec("mcp__t__write_note", {"text": "yes"})]), Reply(text="ok")])
    assert run(openai_server, workspace, tmp_path / "y.db", "--yes") == 0
    assert notes.read_text() == "yes\n"


def test_a_project_server_waits_for_approval(openai_server, workspace, tmp_path, capsys):
    entry = stdio_entry()
    (workspace / ".mcp.json").write_text(json.dumps({"mcpServers": {"proj": entry}}), encoding="utf-8")
    openai_server.script([Reply(text="no tools from the project yet")])
    assert run(openai_server, workspace, tmp_path / "a.db") == 0
    out = " ".join(capsys.readouterr().out.split())  # as one line, whatever the terminal's width
    assert "MCP server 'proj' of" in out and "need your approval once; approve it with `cockpit mcp approve`" in out
    assert not any(t["function"]["name"].startswith("mcp__") for t in openai_server.chat_requests[0].body["tools"])

    assert main(["mcp", "approve", "--workspace", str(workspace)]) == 0
    assert "approved proj" in capsys.readouterr().out
    openai_server.script([Reply(tool_calls=[ToolCallSpec("mcp__proj__whoami", {})]), Reply(text="now it is there")])
    assert run(openai_server, workspace, tmp_path / "b.db") == 0
    assert tool_rows(tmp_path / "b.db") == [("mcp__proj__whoami", "ok")]

    entry["args"] = [*entry["args"], "--changed"]  # a changed definition asks again
    (workspace / ".mcp.json").write_text(json.dumps({"mcpServers": {"proj": entry}}), encoding="utf-8")
    openai_server.script([Reply(text="again")])
    assert run(openai_server, workspace, tmp_path / "c.db") == 0
    assert "cockpit mcp approve" in " ".join(capsys.readouterr().out.split())


async def test_a_crashing_server_opens_one_breaker_for_its_tools_and_timeouts_are_results(openai_server, workspace,
                                                                                       tmp_path):
    settings = Settings(mcp_servers={"t": {**stdio_entry(), "timeout": 1}})  # the breaker: 3 of 5 calls failed
    openai_server.script([
        Reply(tool_calls=[ToolCallSpec("mcp__t__slow", {"seconds": 30})]),
        Reply(tool_calls=[ToolCallSpec("mcp__t__echo", {"text": "still there"})]),
        Reply(tool_calls=[ToolCallSpec("mcp__t__crash", {})]),
        Reply(tool_calls=[ToolCallSpec("mcp__t__echo", {"text": "back"})]),
        Reply(tool_calls=[ToolCallSpec("mcp__t__crash", {})]),
        Reply(tool_calls=[ToolCallSpec("mcp__t__echo", {"text": "switched off"})]),
        Reply(text="done"),
    ])
    session, events, db = make_session("openai/test-model", workspace, tmp_path / "c.db", settings=settings,
                                       api_base=openai_server.url)
    session.start()
    result = await session.run_task("go")
    session.finish()
    assert result.outcome == "completed"
    finished = [e for e in events if isinstance(e, ev.ToolCallFinished)]
    assert [(e.name, e.status.value, e.crashed) for e in finished] == [
        ("mcp__t__slow", "timeout", False), ("mcp__t__echo", "ok", False), ("mcp__t__crash", "tool_error", True),
        ("mcp__t__echo", "ok", False), ("mcp__t__crash", "tool_error", True), ("mcp__t__echo", "tool_error", False)]
    assert "timed out after 1 s" in finished[0].result and finished[1].result == "still there"
    assert "MCP server 't'" in finished[2].result and "connection closed" in finished[2].result
    assert "temporarily disabled" in finished[5].result  # the crashes of one tool switched off the others
    assert [e.server for e in finished] == ["t"] * 6
    pane = RetriesReducer()  # the Retries pane: the failures of the server's tools together
    for event in events:
        pane.apply(event)
    assert pane.state.tool_failures == {"t (MCP server)": 4}  # a timeout, two crashes, one refused by the breaker
    measured = [e for e in events if e.type == "context_measured"][-1]  # the Context budget: one item per server
    (served,) = [i for i in measured.items if i["id"] == "server:t"]
    assert served["label"] == "server t: 10 tools" and served["tokens"] > 0
    assert not any(i["id"].startswith("tool:mcp__") for i in measured.items)
    opened = [e for e in events if e.type == "resilience_breaker_changed" and e.state == "open"]
    assert [(e.scope, e.target) for e in opened] == [("tool", "mcp server t")]
    notices = [e.message for e in events if isinstance(e, ev.Notice)]
    assert sum("MCP server 't' is gone" in m for m in notices) == 2 and "MCP server 't' was started again" in notices
    stored = [r["status"] for r in db.query("select status from tool_calls order by requested_at")]
    assert stored == [e.status.value for e in finished]


def test_mcp_list_shows_state_tools_and_definition_tokens(workspace, cockpit_home, capsys):
    config_toml(cockpit_home)
    (workspace / ".mcp.json").write_text(json.dumps({"mcpServers": {"proj": {"command": sys.executable}}}))
    assert main(["mcp", "list", "--workspace", str(workspace)]) == 0
    lines = capsys.readouterr().out.splitlines()
    t = lines.index(next(line for line in lines if line.startswith("t ")))
    proj = lines.index(next(line for line in lines if line.startswith("proj ")))
    assert lines[t].split()[:5] == ["t", "config", "—", "ready", "10"] and lines[t].endswith(" tok")
    assert lines[t + 1].strip() == " ".join([sys.executable, *stdio_entry()["args"]])  # what it runs, below
    assert lines[proj].split()[:4] == ["proj", "project", "no", "not"] and lines[proj + 1].strip() == sys.executable
    assert "approve the project's servers with: cockpit mcp approve [NAME...]" in lines
    assert any(line.startswith("definition tokens counted with") for line in lines)
    assert main(["mcp", "list", "--workspace", str(workspace), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["name"], r["state"], r["tools"]) for r in rows] == [("t", "ready", 10), ("proj", "not approved", None)]
    assert rows[0]["definition_tokens"] > 0 and rows[1]["definition_tokens"] is None
    assert str(ROOT)  # the server ran from the repository

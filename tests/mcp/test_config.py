"""Reading MCP servers: [mcp_servers.NAME] tables, a project's .mcp.json (Claude Code's format), tool names."""

from __future__ import annotations

import json

import pytest

from app.agent.mcp.config import FROM_PROJECT, HTTP, SSE, STDIO, all_servers, servers_from_project, servers_from_table
from app.agent.mcp.tool import MAX_NAME_CHARS, object_schema, tool_name


def write_project(workspace, servers) -> None:
    (workspace / ".mcp.json").write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")


def test_a_project_file_in_claude_codes_format_with_variables(workspace, monkeypatch):
    monkeypatch.setenv("DOCS_TOKEN", "s3cret")
    monkeypatch.delenv("UNSET_ONE", raising=False)
    write_project(workspace, {
        "files": {"command": "npx", "args": ["-y", "server-files", "${UNSET_ONE:-.}"], "env": {"T": "${DOCS_TOKEN}"}},
        "docs": {"type": "http", "url": "https://example.com/mcp", "headers": {"Authorization": "Bearer ${DOCS_TOKEN}"}},
        "old": {"type": "sse", "url": "http://127.0.0.1:1/sse"},
        "later": {"url": "https://example.com/other", "someOtherKey": True},  # a key of another client: ignored
    })
    found = servers_from_project(workspace)
    assert found.problems == []
    by_name = {s.name: s for s in found.servers}
    assert [by_name[n].transport for n in ("files", "docs", "old", "later")] == [STDIO, HTTP, SSE, HTTP]
    assert by_name["files"].args == ("-y", "server-files", ".") and by_name["files"].env == {"T": "s3cret"}
    assert by_name["docs"].headers == {"Authorization": "Bearer s3cret"}
    assert all(s.source == FROM_PROJECT and s.origin == str(workspace / ".mcp.json") for s in found.servers)


def test_a_bad_project_entry_is_a_problem_and_the_others_still_start(workspace, monkeypatch):
    monkeypatch.delenv("NOT_SET_VAR", raising=False)
    write_project(workspace, {"bad": {"command": "x", "env": {"K": "${NOT_SET_VAR}"}},
                              "ok": {"command": "y"}, "nothing": {}})
    found = servers_from_project(workspace)
    assert [s.name for s in found.servers] == ["ok"]
    assert any("${NOT_SET_VAR}, which is not set" in p for p in found.problems)
    assert any("give a command (stdio) or a url" in p for p in found.problems)


def test_an_unreadable_project_file_is_said_not_fatal(workspace):
    (workspace / ".mcp.json").write_text("{not json", encoding="utf-8")
    found = servers_from_project(workspace)
    assert found.servers == [] and "cannot be read" in found.problems[0]


@pytest.mark.parametrize("entry, message", [
    ({"command": "x", "timeout": 0}, "timeout must be a number of seconds above 0"),
    ({"command": "x", "colour": "red"}, "unknown setting 'colour'"),
    ({"url": "ftp://x"}, "url must start with http:// or https://"),
    ({"type": "websocket", "url": "http://x"}, "unknown type 'websocket'"),
    ({"command": "x", "enabled": "yes"}, "enabled must be true or false"),
    ({"command": "x", "args": "a b"}, "args must be a list of strings"),
])
def test_the_config_files_tables_are_checked(entry, message):
    with pytest.raises(ValueError, match=message):
        servers_from_table({"s": entry}, "config.toml")


def test_the_users_server_wins_over_a_project_server_of_the_same_name(workspace):
    write_project(workspace, {"s": {"command": "project-one"}, "p": {"command": "p"}})
    found = all_servers({"s": {"command": "mine", "timeout": 5}}, "config.toml", workspace)
    assert [(s.name, s.command) for s in found.servers] == [("s", "mine"), ("p", "p")]
    assert found.servers[0].timeout_s == 5.0 and "also in config.toml" in found.problems[0]


def test_a_changed_definition_has_another_digest(workspace):
    (one,) = servers_from_table({"s": {"command": "a", "args": ["1"]}}, "c")
    (two,) = servers_from_table({"s": {"command": "a", "args": ["2"]}}, "c")
    (again,) = servers_from_table({"s": {"command": "a", "args": ["1"], "timeout": 3}}, "c")
    assert one.digest() != two.digest() and one.digest() == again.digest()


def test_tool_names_are_function_names():
    assert tool_name("files", "read_file") == "mcp__files__read_file"
    assert tool_name("my.server", "do it!") == "mcp__my_server__do_it_"
    long = tool_name("server", "x" * 100)
    assert len(long) == MAX_NAME_CHARS and long.startswith("mcp__server__xxx")
    assert tool_name("server", "x" * 100 + "a") != long


def test_input_schemas_become_object_parameters():
    assert object_schema({"type": "object", "properties": {"a": {}}}) == {"type": "object", "properties": {"a": {}}}
    assert object_schema({"properties": {"a": {}}}) == {"properties": {"a": {}}, "type": "object"}
    assert object_schema({"type": "string"}) == {"type": "object", "properties": {}}


def test_a_bad_table_in_the_config_file_names_its_file_and_line(tmp_path, workspace):
    from app.mcp_servers import configured_servers
    from app.settings import ConfigError, load_settings

    path = tmp_path / "config.toml"
    path.write_text('model = "x"\n\n[mcp_servers.ok]\ncommand = "a"\n\n[mcp_servers.bad]\ncommand = "b"\n'
                    'timeout = -1\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        configured_servers(load_settings(path), workspace)
    assert str(caught.value) == (f"{path}:6: [mcp_servers.bad] server 'bad': timeout must be a number of seconds "
                                 "above 0 (got -1)")

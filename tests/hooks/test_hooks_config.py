"""The [hooks] table: what it accepts, what it refuses (naming the file's line), and the matcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.agent.events.hooks import HookOutcome, HookRan, hook_line
from app.agent.hooks.config import DEFAULT_TIMEOUT_S, HooksConfig, HookSpec
from app.config_check import check_settings
from app.settings import ConfigError, load_settings


def test_entries_by_event_with_defaults():
    config = HooksConfig.from_dict({"PreToolUse": [{"matcher": "bash|write_file", "command": "./check", "timeout": 5}],
                                    "Stop": [{"command": "./stop"}]})
    assert config.specs == (HookSpec("PreToolUse", "./check", "bash|write_file", 5.0),
                            HookSpec("Stop", "./stop", "", DEFAULT_TIMEOUT_S))


def test_claude_code_s_nested_form_is_read_too():
    config = HooksConfig.from_dict({"PostToolUse": [{"matcher": "edit_file|write_file", "hooks": [
        {"type": "command", "command": "./fmt", "timeout": 30}, {"command": "./lint"}]}]})
    assert config.specs == (HookSpec("PostToolUse", "./fmt", "edit_file|write_file", 30.0),
                            HookSpec("PostToolUse", "./lint", "edit_file|write_file", DEFAULT_TIMEOUT_S))
    with pytest.raises(ValueError, match=r'PostToolUse\[1\].hooks\[1\]: only command hooks run here'):
        HooksConfig.from_dict({"PostToolUse": [{"hooks": [{"type": "prompt", "prompt": "check it"}]}]})


@pytest.mark.parametrize("matcher, name, matches", [
    ("", "bash", True), ("*", "read_file", True), ("bash", "bash", True), ("bash", "bash2", False),
    ("edit_file|write_file", "write_file", True), ("mcp__.*", "mcp__git__status", True), ("Bash", "bash", False),
])
def test_the_matcher_is_a_regular_expression_over_the_whole_tool_name(matcher, name, matches):
    assert HookSpec("PreToolUse", "x", matcher).matches(name) is matches


@pytest.mark.parametrize("table, problem", [
    ({"PreToolUs": []}, r"unknown hook event\(s\) PreToolUs; did you mean PreToolUse\? \(known: PreToolUse, PostToolUse"),
    ({"PreTooluse": []}, r"unknown hook event\(s\) PreTooluse; did you mean PreToolUse\?"),
    ({"BeforeAnything": []}, r"unknown hook event\(s\) BeforeAnything; known: PreToolUse, PostToolUse"),
    ({"Stop": {"command": "x"}}, r"Stop must be a list of tables \(\[\[hooks.Stop\]\]\)"),
    ({"Stop": [{"command": ""}]}, r"Stop\[1\]: command must be a non-empty string"),
    ({"Stop": [{"command": "x", "matcher": "a"}]}, r"Stop\[1\]: Stop hooks take no matcher"),
    ({"PreToolUse": [{"command": "x", "matcher": "("}]}, r"PreToolUse\[1\]: matcher '\(' is not a regular expression"),
    ({"PreToolUse": [{"command": "x"}, {"command": "y", "timeout": 0}]},
     r"PreToolUse\[2\]: timeout must be a positive number"),
    ({"PostToolUse": [{"command": "x", "type": "command"}]}, r"PostToolUse\[1\]: unknown key\(s\) type"),
])
def test_a_bad_table_says_what_and_where(table, problem):
    with pytest.raises(ValueError, match=problem):
        HooksConfig.from_dict(table)


def test_a_bad_hook_or_tools_setting_names_its_line(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text('model = "openai/gpt-4o"\n\n[[hooks.PreToolUse]]\ncommand = "x"\ntimeout = -1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config.toml:3: \[hooks\] PreToolUse\[1\]: timeout must be a positive"):
        check_settings(load_settings(path))
    path.write_text("[tools]\nweb_fetch_max_kb = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config.toml:2: \[tools\] web_fetch_max_kb must be a positive"):
        check_settings(load_settings(path))


@pytest.mark.parametrize("hook_event, outcome, exit_code, text", [
    ("PreToolUse", HookOutcome.BLOCKED, 2, "PreToolUse hook blocked bash · exit 2 · 0.25s"),
    ("Stop", HookOutcome.BLOCKED, 2, "Stop hook sent the agent on · exit 2 · 0.25s"),
    # the call had run: exit 2 only adds stderr to its result, nothing was blocked
    ("PostToolUse", HookOutcome.BLOCKED, 2, "PostToolUse hook added a note to bash's result (the call ran) · exit 2 · 0.25s"),
    ("SessionStart", HookOutcome.BLOCKED, 2,
     "SessionStart hook exited 2 (a session start cannot be blocked) · exit 2 · 0.25s"),
    ("PostToolUse", HookOutcome.FAILED, 127, "PostToolUse hook failed (not blocking) · exit 127 · 0.25s"),
    ("UserPromptSubmit", HookOutcome.TIMED_OUT, None,
     "UserPromptSubmit hook timed out after 5.0s (not blocking) · 0.25s"),
])
def test_the_transcript_line_of_a_run(hook_event, outcome, exit_code, text):
    tool = "bash" if "ToolUse" in hook_event else ""
    e = HookRan(hook_event=hook_event, command="./h", outcome=outcome, exit_code=exit_code, duration_ms=250,
                timeout_s=5, tool_name=tool, stderr="why\n")
    assert hook_line(e) == (text, "./h: why", "warning")
    assert hook_line(HookRan(hook_event=hook_event, command="./h")) is None  # ran quietly: no line

"""``cockpit export ID --format md``: standard output by default, and everything that happened in it."""

from __future__ import annotations

import json
import re

import pytest

from tests.support.cli import run_cli

LIST_DIR = {"tool_calls": [{"name": "list_dir", "arguments": {}}]}


@pytest.fixture
def no_backoff(cockpit_home):
    """Retries without waiting: the retry engine's backoff set to 0 in the config file."""
    cockpit_home.mkdir(parents=True, exist_ok=True)
    (cockpit_home / "config.toml").write_text("[resilience]\nbackoff_base_s = 0.0\nbackoff_cap_s = 0.0\n")


@pytest.fixture
def stored(capsys, no_backoff, workspace, write_script, tmp_path):
    """A stored session with a retried model call, a failing tool, tools-only replies and a loop halt."""
    model = write_script([
        {"error": {"status": 503, "message": "overloaded"}},
        {"text": "Let me look.", "tool_calls": [{"name": "read_file", "arguments": {"path": "nope.txt"}}]},
        *[LIST_DIR] * 7,
        {"text": "done"},
    ])
    db = str(tmp_path / "c.db")
    code, _, err = run_cli(capsys, "run", "look around", "--model", model, "--workspace", str(workspace), "--yes",
                           "--db", db)
    assert code == 3, err  # the loop was halted
    return db


def _export(capsys, db: str, *extra: str) -> str:
    code, out, err = run_cli(capsys, "export", "latest", "--format", "md", "--db", db, *extra)
    assert code == 0, err
    return out


def _sections(markdown: str) -> list[tuple[str, str]]:
    """(heading, body) of every ``## `` section."""
    parts = re.split(r"^(## .+)$", markdown, flags=re.M)
    return [(parts[i], parts[i + 1].strip()) for i in range(1, len(parts), 2)]


def test_the_markdown_export_shows_retries_loop_checks_and_tool_calls(capsys, stored):
    markdown = _export(capsys, stored)
    assert markdown.startswith("# look around\n")
    assert "- Model calls: 7 attempts · Tool calls: 6 (5 ok, 1 failed)" in markdown
    # the prompt the failed attempt sent, as Cockpit counted it: the scripted provider reports no usage, so an estimate
    assert re.search(r"^- Retries: 1 retry in 6 calls \(7 attempts\) · retry tax: ≈[1-9][\d,]* tokens, estimated, unpriced"
                     r" · loop checks: 1 warned, 1 halted$", markdown, flags=re.M)
    assert "> ✗ Model call failed (overloaded, attempt 1): litellm.ServiceUnavailableError: overloaded" in markdown
    assert re.search(r"> ↻ Retry: attempt 1 of 3 on \S+ failed \(overloaded\); waited 0s, then retried", markdown)
    assert re.search(r"> ↻ Attempt 2 of 3 on \S+ succeeded", markdown)
    assert "**Tool call** `read_file` — tool_error · " in markdown and "nope.txt does not exist" in markdown
    assert markdown.count("**Tool call** `list_dir` — ok · ") == 5
    assert "> ■ Loop detected (the model was warned) — identical_results, `list_dir`: Loop check:" in markdown
    assert "> ■ Loop halted — identical_results, `list_dir`: Halted:" in markdown
    assert "_Turn 1: limit · 6 steps_" in markdown and "· 1 steps" not in markdown
    # in the order it happened: the retry, the answer, the tools, the warning, the halt
    order = ["Retry: attempt 1", "Let me look.", "`read_file`", "Loop detected", "Loop halted", "_Turn 1"]
    positions = [markdown.index(text) for text in order]
    assert positions == sorted(positions)


def test_no_assistant_section_is_empty(capsys, stored):
    sections = _sections(_export(capsys, stored))
    assert [heading for heading, _ in sections] == ["## User", "## Assistant"]
    assert all(body for _, body in sections)


def test_a_reply_that_only_called_tools_shows_the_calls_under_its_heading(capsys, workspace, write_script, tmp_path):
    model = write_script([LIST_DIR, {"text": "never reached"}])
    db = str(tmp_path / "c.db")
    code, _, err = run_cli(capsys, "run", "list", "--model", model, "--workspace", str(workspace), "--yes",
                           "--max-steps", "1", "--db", db)
    assert code == 3, err  # the step limit, after the tools-only reply
    sections = _sections(_export(capsys, db))
    assert [heading for heading, _ in sections] == ["## User", "## Assistant"]
    assert sections[1][1].startswith("**Tool call** `list_dir` — ok · ")


def test_export_writes_to_standard_output_and_nothing_into_the_folder(capsys, stored, tmp_path, monkeypatch):
    folder = tmp_path / "repo"
    folder.mkdir()
    monkeypatch.chdir(folder)
    assert _export(capsys, stored).startswith("# look around")
    assert list(folder.iterdir()) == []


def test_export_output_option_writes_the_file(capsys, stored, tmp_path):
    target = tmp_path / "out.md"
    code, out, err = run_cli(capsys, "export", "latest", "--db", stored, "-o", str(target))
    assert code == 0 and out == "" and err == f"wrote {target}\n"
    assert target.read_text().startswith("# look around")


def test_the_json_export_still_has_every_event(capsys, stored):
    code, out, _ = run_cli(capsys, "export", "latest", "--format", "json", "--db", stored)
    types = [event["type"] for event in json.loads(out)["events"]]
    assert code == 0 and "resilience_attempt_failed" in types and "resilience_loop_detected" in types

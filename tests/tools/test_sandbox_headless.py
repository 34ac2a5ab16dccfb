"""Issue 14: a headless run never leaves the sandbox, not even with ``--yes``."""

from __future__ import annotations

import json
from pathlib import Path

from app.cli import main
from tests.tools.test_sandbox import needs_bwrap

PROBE = Path("/etc/cockpit_probe_x")


@needs_bwrap
def test_headless_yes_refuses_a_command_the_sandbox_blocked(capsys, workspace, write_script, tmp_path) -> None:
    model = write_script([{"tool_calls": [{"name": "bash", "arguments": {"command": f"touch {PROBE}"}}]}, {"text": "ok"}])
    try:
        code = main(["run", "probe", "--model", model, "--workspace", str(workspace), "--yes", "--json",
                     "--db", str(tmp_path / "c.db")])
        assert not PROBE.exists()
    finally:
        PROBE.unlink(missing_ok=True)
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    escalation = [e for e in events if e["type"] == "approval_resolved" and e["kind"] == "sandbox_escalation"]
    assert [(e["decision"], e["automatic"]) for e in escalation] == [("deny", True)]
    assert "a headless run never leaves it" in escalation[0]["reason"]
    finished = next(e for e in events if e["type"] == "tool_call_finished")
    assert 'set [sandbox] mode = "off" to run commands unsandboxed' in finished["result"]

"""A poll of a running command is no loop; a source that recorded no usage shows a dash, not 0."""

from __future__ import annotations

import app.cli
from app.agent.resilience.loop_detector import LoopDetector


def _six(detector: LoopDetector, *, poll: bool) -> list:
    detector.start_turn()
    return [detector.observe_tool("write_stdin", {"session_id": 7, "chars": ""}, "ok", "Process running", None, poll=poll)
            for _ in range(6)]


def test_six_identical_polls_are_not_a_loop_but_six_identical_calls_are():
    assert _six(LoopDetector(), poll=True) == [None] * 6
    verdicts = [v for v in _six(LoopDetector(), poll=False) if v is not None]
    assert verdicts and verdicts[0].pattern in ("identical_results", "repeated_call")


def test_show_prints_a_dash_for_a_session_without_usage(capsys, tmp_path, monkeypatch):
    if "import_" not in app.cli.COMMANDS:
        monkeypatch.setattr(app.cli, "COMMANDS", (*app.cli.COMMANDS, "import_"))
    history = tmp_path / ".aider.chat.history.md"
    history.write_text("# aider chat started at 2026-01-02 03:04:05\n\n#### hi\n\nHello there.\n")  # no Tokens line
    db = str(tmp_path / "c.db")
    assert app.cli.main(["import", str(history), "--db", db]) == 0
    line = capsys.readouterr().out
    assert line.rstrip().endswith("1 model calls, 0 tool calls (0 failed), no token counts recorded")
    session_id = line.split()[1]
    assert app.cli.main(["show", session_id, "--db", db]) == 0
    out = capsys.readouterr().out
    assert "tokens       —\n" in out and "0 in / 0 out / 0 cached" not in out
    assert "by role      main 1 call: tokens —, " in out and "0 in / 0 out" not in out


def test_a_cockpit_tool_declares_a_poll_on_its_output_and_a_resumed_detector_honours_it():
    from app.agent.events.core import ToolCallFinished, ToolStatus, TurnStarted
    from app.agent.tools.base import ToolOutput, finished_event

    base = {"tool_call_id": "c1", "name": "process_output", "arguments_raw": '{"id": 7}', "arguments": {"id": 7},
            "turn": 1, "step": 1}
    assert finished_event(base, ToolStatus.OK, "running", output=ToolOutput("running", poll=True)).poll is True
    assert finished_event(base, ToolStatus.OK, "done", output=ToolOutput("done")).poll is False

    def resumed(*, poll: bool) -> LoopDetector:
        detector = LoopDetector()
        detector.restore([TurnStarted(turn=1, user_text="wait for it"),
                          *(ToolCallFinished(**base, result="running", poll=poll) for _ in range(4))])
        return detector

    again = ("process_output", {"id": 7}, "ok", "running", None)
    assert resumed(poll=True).observe_tool(*again) is None
    assert resumed(poll=False).observe_tool(*again) is not None

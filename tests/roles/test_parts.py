"""The roles' parts on their own: the rule table, the verdict's schema, the test command's detection,
the verifier's findings marked as no task."""

from __future__ import annotations

import json

import pytest

from app.agent.events.mentions import VERIFIER_MARKER, is_task
from app.agent.events.roles import VerificationFinished
from app.agent.roles.config import RolesConfig
from app.agent.roles.router import BUILT_IN_RULES, by_rules
from app.agent.roles.test_command import detect_test_command
from app.agent.roles.turn import findings_message
from app.agent.roles.verdict import parse_verdict


@pytest.mark.parametrize("task, expected", [
    ("fix the crash in parse()", "debugging"),
    ("tests are failing since yesterday", "debugging"),
    ("refactor the storage layer across all modules", "multi_file"),
    ("what does load() do?", "question"),
    ("why is this slow", "question"),
    ("add a --verbose flag", "small_edit"),
    ("the widget thing again", None),
])
def test_the_built_in_rules(task, expected):
    found = by_rules(task, BUILT_IN_RULES)
    assert (found[0] if found else None) == expected


def test_configured_rules_come_first():
    config = RolesConfig.from_dict({"router": {"rules": [{"pattern": "(?i)widget", "class": "multi_file"}]}})
    task_class, reason = by_rules("fix the widget crash", (*config.router.rules, *BUILT_IN_RULES))
    assert task_class == "multi_file" and reason == "'widget' matched rules[1] of [roles.router]"
    assert "multi_file" in config.router.known_classes()


@pytest.mark.parametrize("text, problem", [
    ("", "the reply was empty"),
    ("looks fine to me", "not a JSON object"),
    ('["pass"]', "not a JSON object"),
    ('{"verdict": "ok", "findings": []}', "verdict"),
    ('{"verdict": "pass"}', "findings"),
    ('{"verdict": "fail", "findings": [1]}', "findings"),
    ('{"verdict": "pass", "findings": [], "score": 3}', "score"),
])
def test_a_malformed_verdict_says_why(text, problem):
    verdict, why = parse_verdict(text)
    assert verdict is None and why.startswith("malformed verdict: ") and problem in why


def test_a_verdict_in_a_fence_is_read():
    verdict, _ = parse_verdict('```json\n{"verdict": "fail", "findings": ["a.py:3 off by one", " "]}\n```')
    assert verdict is not None and not verdict.passed and verdict.findings == ("a.py:3 off by one",)


@pytest.mark.parametrize("files, expected", [
    ({"Makefile": "all:\n\ntest:\n\tpytest\n", "pyproject.toml": ""}, "make test"),
    ({"Makefile": "all:\n", "pyproject.toml": ""}, "python3 -m pytest -q"),
    ({"package.json": json.dumps({"scripts": {"test": "vitest run"}})}, "npm test --silent"),
    ({"package.json": json.dumps({"scripts": {"test": 'echo "Error: no test specified" && exit 1'}})}, None),
    ({"Cargo.toml": ""}, "cargo test"),
    ({"go.mod": "module x\n"}, "go test ./..."),
    ({"README.md": ""}, None),
])
def test_the_test_command_is_detected(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert detect_test_command(tmp_path) == expected


def test_a_project_venv_runs_its_tests(tmp_path):
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").write_text("", encoding="utf-8")
    assert detect_test_command(tmp_path) == ".venv/bin/python -m pytest -q"


def test_the_verifiers_findings_are_no_task():
    message = findings_message(VerificationFinished(decided_by="tests", findings=["x failed"]), 1, 2)
    assert message.startswith(VERIFIER_MARKER) and "- x failed" in message
    assert not is_task({"role": "user", "content": message})
    assert is_task({"role": "user", "content": "fix x"})


async def test_a_test_command_that_times_out_fails_and_one_that_cannot_run_could_not_verify(tmp_path):
    from types import SimpleNamespace

    from app.agent.config import AgentConfig
    from app.agent.events.roles import ERROR, FAIL
    from app.agent.roles.config import VerifierConfig
    from app.agent.roles.verifier import Verifier
    from app.agent.tools.sandbox import SandboxConfig, detect
    from app.agent.tools.scrub import NO_SCRUBBER

    host = SimpleNamespace(turn=1, step=1, workspace=tmp_path, config=AgentConfig(), scrubber=NO_SCRUBBER,
                           sandbox=detect(SandboxConfig(mode="off")))
    slow = Verifier(VerifierConfig(mode="tests", test_command="sleep 30", test_timeout_s=0.2), None)
    timed_out = await slow.verify(host, "t", "done", ["a.py"])
    assert timed_out.verdict == FAIL and "timed out after 0.2 s" in timed_out.findings[0]
    missing = Verifier(VerifierConfig(mode="tests"), None)  # nothing in tmp_path names a test command
    assert (await missing.verify(host, "t", "done", ["a.py"])).verdict == ERROR


def test_cockpit_run_prints_each_decision_as_the_transcript_says_it():
    import io

    from rich.console import Console

    from app.agent.events.roles import FAIL, Escalated, RouteChosen
    from app.headless import ProgressPrinter

    out = io.StringIO()
    printer = ProgressPrinter(Console(file=out, width=200, color_system=None))
    printer(RouteChosen(turn=1, task_class="debugging", decided_by="rules", reason="'crash' matched a rule"))
    printer(VerificationFinished(turn=1, verdict=FAIL, findings=["a.py is wrong"], sent_back=True, max_rounds=2))
    printer(Escalated(turn=1, from_model="a", to_model="b"))
    assert out.getvalue().splitlines() == [
        "Routed: debugging (rules) · no model call", "  'crash' matched a rule",
        "Verification failed (tests) · round 1 · findings sent back (1 of 2)", "  a.py is wrong",
        "Escalated to b after the verification failed", "  was a",
    ]

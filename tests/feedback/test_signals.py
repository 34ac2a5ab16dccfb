from pathlib import Path
from types import SimpleNamespace

import pytest

from app.agent.events import core as ev
from app.agent.feedback.signals import (
    TaskObserver,
    category_of,
    correction_cue,
    is_test_command,
    similarity,
    workspace_digest,
)


@pytest.mark.parametrize(
    "command",
    [
        "pytest",
        "pytest -q tests/test_x.py",
        "python -m pytest -x",
        "python3.11 -m unittest discover",
        "cd app && pytest",
        ".venv/bin/pytest tests",
        "uv run pytest",
        "npm test",
        "npm run test -- --watch=false",
        "yarn test",
        "pnpm test",
        "npx jest src",
        "go test ./...",
        "cargo test --all",
        "make test",
        "bundle exec rspec spec/models",
        "mvn -q test",
        "./gradlew test",
        "tox -e py311",
        "dotnet test",
    ],
)
def test_test_commands_are_recognised(command):
    assert is_test_command(command)


@pytest.mark.parametrize(
    "command",
    ["ls -la", "cat pytest.ini", "git commit -m 'add tests'", "npm install", "go build ./...", "echo testing", "cargo build"],
)
def test_other_commands_are_not_test_runs(command):
    assert not is_test_command(command)


@pytest.mark.parametrize(
    "text, cue",
    [
        ("No, I meant the other file", "no"),
        ("no. use tabs", "no"),
        ("That's wrong, the function is in utils", "that's wrong"),
        ("that\u2019s not what I asked", "that's wrong"),
        ("Actually, make it async", "actually"),
        ("use a dict instead", "instead"),
        ("you didn't update the tests", "you didn't"),
        ("it still fails", "still failing"),
        ("please undo that", "undo"),
    ],
)
def test_corrections_are_recognised(text, cue):
    assert correction_cue(text) == cue


@pytest.mark.parametrize("text", ["now add a README", "Nothing else, thanks", "note: the CI is green", "great, next step"])
def test_plain_follow_ups_are_not_corrections(text):
    assert correction_cue(text) is None


def test_similarity_spots_a_rephrase_and_not_a_new_request():
    first = "add a --verbose flag to the cli that prints every request"
    assert similarity(first, "Add a --verbose flag to the CLI which prints each request") > 0.75
    assert similarity(first, "now write the changelog entry for the release") < 0.5
    assert similarity("", "anything") == 0.0


def _finished(name, arguments, status=ev.ToolStatus.OK, exit_code=None, result=""):
    return ev.ToolCallFinished(name=name, arguments=arguments, status=status, exit_code=exit_code, result=result)


def test_observer_counts_people_not_automatic_decisions():
    obs = TaskObserver()
    obs.apply(ev.ApprovalResolved(decision="allow"))
    obs.apply(ev.ApprovalResolved(decision="allow_always"))
    obs.apply(ev.ApprovalResolved(decision="deny"))
    obs.apply(ev.ApprovalResolved(decision="allow", automatic=True))
    obs.apply(ev.ApprovalResolved(decision="deny", automatic=True))
    s = obs.finish("completed")
    assert (s.approvals, s.denials) == (2, 1)


def test_observer_tool_errors_cost_retries_loops_and_interrupts():
    obs = TaskObserver(model="m0")
    obs.apply(ev.ModelCallStarted(model="m1", attempt=1))
    obs.apply(ev.ModelCallFinished(model="m1", cost_usd=0.25))
    obs.apply(ev.Notice(message="unrelated"))  # ignored
    # the resilience events may not exist yet: they are matched by their type string
    retry = SimpleNamespace(type="resilience_attempt_failed", decision="retry")
    loop = SimpleNamespace(type="resilience_loop_detected")
    obs.apply(retry)
    obs.apply(ev.ModelCallStarted(model="m1", attempt=2))  # the same retry seen from the call: counted once
    obs.apply(ev.ModelCallFinished(model="m1", cost_usd=0.5))
    obs.apply(loop)
    obs.apply(_finished("read_file", {"path": "a"}, ev.ToolStatus.TOOL_ERROR))
    obs.apply(_finished("read_file", {"path": "a"}, ev.ToolStatus.VALIDATION_ERROR))
    obs.apply(_finished("read_file", {"path": "a"}, ev.ToolStatus.DENIED))
    obs.apply(ev.Interrupted())
    obs.apply(ev.LimitReached(kind="steps"))
    s = obs.finish("interrupted")
    assert s.limit_hit == "steps"
    assert s.model == "m1"
    assert s.cost_usd == pytest.approx(0.75)
    assert (s.retries, s.loop_hits, s.tool_errors, s.tool_calls) == (1, 1, 2, 3)
    assert s.interrupted and s.outcome == "interrupted"
    assert s.category == "explore"


def test_observer_reads_test_results_from_the_output_not_the_exit_code():
    obs = TaskObserver()
    failing = "FAILED tests/test_x.py::test_b - assert 1 == 2\n1 failed, 2 passed in 0.10s\n"
    obs.apply(_finished("bash", {"command": "pytest -q"}, ev.ToolStatus.TOOL_ERROR, exit_code=1, result=failing))
    obs.apply(_finished("bash", {"command": "ls"}, exit_code=0))
    obs.apply(_finished("bash", {"command": "pytest -q"}, ev.ToolStatus.TIMEOUT, result="tests/test_x.py ...."))
    obs.apply(_finished("bash", {"command": "pytest -q"}, ev.ToolStatus.DENIED))
    obs.apply(_finished("bash", {"command": "python -m pytest"}, exit_code=0, result="=== 3 passed in 0.2s ==="))
    s = obs.finish("completed")
    assert (s.tests_passed, s.tests_failed, s.tests_unknown, s.tests_last) == (1, 1, 1, "passed")
    assert s.tests_last_summary == "=== 3 passed in 0.2s ==="
    assert s.commands == 5 and s.category == "run"


def test_a_piped_run_that_exits_0_but_failed_is_failed():
    obs = TaskObserver()
    tail = "F..\n=== short test summary info ===\nFAILED tests/test_x.py::test_b - assert 1 == 2\n1 failed, 2 passed in 0.10s\n"
    obs.apply(_finished("bash", {"command": "pytest -q 2>&1 | tail -5"}, exit_code=0, result=tail))
    s = obs.finish("completed")
    assert (s.tests_passed, s.tests_failed, s.tests_last) == (0, 1, "failed")


def test_a_run_without_a_summary_is_unknown_whatever_its_exit_code():
    obs = TaskObserver()
    obs.apply(_finished("bash", {"command": "pytest -q | grep -c PASSED"}, exit_code=0, result="0\n"))
    s = obs.finish("completed")
    assert (s.tests_passed, s.tests_failed, s.tests_unknown, s.tests_last) == (0, 0, 1, "unknown")


def test_categories():
    obs = TaskObserver()
    assert category_of(obs.finish("completed")) == "chat"
    obs.apply(_finished("write_file", {"path": "x.py"}))
    obs.apply(_finished("bash", {"command": "ls"}, exit_code=0))
    assert category_of(obs.signals) == "edit"


def _write(path: Path, text: str):
    return lambda: path.write_text(text)


def test_revert_and_modification_are_told_apart(tmp_path):
    digest = workspace_digest(tmp_path)
    (tmp_path / "kept.py").write_text("v1")
    (tmp_path / "reverted.py").write_text("v1")
    (tmp_path / "changed.py").write_text("v1")
    obs = TaskObserver(digest=digest)
    for name in ("kept.py", "reverted.py", "changed.py", "new.py"):
        obs.apply(ev.ToolCallValidated(name="write_file", arguments={"path": name}))
        (tmp_path / name).write_text("agent")
        obs.apply(_finished("write_file", {"path": name}))
    obs.apply(ev.ToolCallValidated(name="edit_file", arguments={"path": "denied.py"}))
    obs.apply(_finished("edit_file", {"path": "denied.py"}, ev.ToolStatus.DENIED))
    obs.finish("completed")

    (tmp_path / "reverted.py").write_text("v1")  # the user undid the agent's edit
    (tmp_path / "changed.py").write_text("user")  # the user rewrote it
    (tmp_path / "new.py").unlink()  # the file the agent created is gone again
    obs.check_files()
    s = obs.signals
    assert s.files_written == ["kept.py", "reverted.py", "changed.py", "new.py"]
    assert s.files_checked
    assert sorted(s.reverted_files) == ["new.py", "reverted.py"]
    assert s.modified_files == ["changed.py"]
    assert s.to_dict()["reverted"] is True and s.to_dict()["modified"] is True


def test_without_a_workspace_files_are_not_checked():
    obs = TaskObserver()
    obs.apply(_finished("write_file", {"path": "x.py"}))
    obs.check_files()
    assert obs.signals.files_checked is False and not obs.signals.reverted


def test_next_prompt_marks_corrections_and_rephrases():
    obs = TaskObserver()
    obs.note_next_prompt("rename foo to bar in utils.py", "rename foo to bar in utils.py please", 0.75)
    assert obs.signals.rephrased and not obs.signals.corrected
    obs.note_next_prompt("rename foo to bar", "no, I said baz", 0.75)
    assert obs.signals.corrected and obs.signals.correction_cue == "no" and not obs.signals.rephrased

"""The rules through the real loop and the config files: always answers, plan mode, deny rules, [permissions]."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from app.agent.events import core as ev
from app.agent.events.approvals import ApprovalDecision, ApprovalRequest, PermissionMode, Remember
from app.agent.events.transcript_view import TranscriptFold
from app.permission_files import ConfigRuleFile, load_rules, project_config
from app.project_trust import ProjectTrust, permissions_digest
from app.settings import ConfigError, Settings, load_settings
from tests.core.helpers import make_session


class Answers:
    """A person who answers from a list, and remembers what they were asked."""

    def __init__(self, *decisions: ApprovalDecision) -> None:
        self.decisions = list(decisions)
        self.asked: list[ApprovalRequest] = []

    async def decide(self, request: ApprovalRequest) -> ApprovalDecision:
        self.asked.append(request)
        return self.decisions.pop(0)


def trust_as_is(workspace: Path) -> None:
    """The user trusted the project's rules as the file holds them now (tests/core/test_permissions_trust.py)."""
    table = tomllib.loads(project_config(workspace).read_text())["permissions"]
    ProjectTrust(workspace).trust(permissions_digest(table))


def bash(call_id: str, command: str) -> dict:
    return {"id": call_id, "name": "bash", "arguments": {"command": command}}


async def _run(session, events) -> dict[str, ev.ToolCallFinished]:
    session.start()
    await session.run_task("go")
    return {e.tool_call_id: e for e in events.of(ev.ToolCallFinished)}


async def test_always_on_python3_V_does_not_let_a_chained_rm_through(workspace, tmp_path, write_script):
    """The red team's case: after "always" on ``python3 -V``, ``python3 -V && rm test_calc.py`` asks again."""
    (workspace / "test_calc.py").write_text("x = 1\n")
    model = write_script([
        {"tool_calls": [bash("b1", "python3 -V")]},
        {"tool_calls": [bash("b2", "python3 -V")]},
        {"tool_calls": [bash("b3", "python3 -V && rm test_calc.py")]},
        {"text": "done"},
    ])
    session, events, _ = make_session(model, workspace, tmp_path / "c.db", yes=False)
    person = Answers(ApprovalDecision("allow_always", remember=Remember.SESSION), ApprovalDecision("deny"))
    session.agent.approvals.human = person
    finished = await _run(session, events)
    assert [r.arguments["command"] for r in person.asked] == ["python3 -V", "python3 -V && rm test_calc.py"]
    assert person.asked[0].always == ("bash(python3 -V)",)
    assert (workspace / "test_calc.py").exists()
    assert finished["b2"].status is ev.ToolStatus.OK and finished["b3"].status is ev.ToolStatus.DENIED
    resolved = {e.tool_call_id: e for e in events.of(ev.ApprovalResolved)}
    assert (resolved["b2"].automatic, resolved["b2"].scope) == (True, "bash(python3 -V)")
    assert resolved["b2"].reason == "allowed by bash(python3 -V) (this session)"
    # the transcript says which rule let b2 run
    [b2] = [e for e in TranscriptFold.of(events).entries if e.tool_call_id == "b2"]
    assert b2.note == "allowed by bash(python3 -V) (this session)"


async def test_a_deny_rule_refuses_in_yolo_mode_and_tells_the_model(workspace, tmp_path, write_script):
    (workspace / "keep.txt").write_text("keep")
    model = write_script([{"tool_calls": [bash("b1", "ls && rm keep.txt")]}, {"text": "ok"}])
    settings = Settings(permissions={"deny": ["bash(rm *)"]})
    session, events, _ = make_session(model, workspace, tmp_path / "c.db", yes=True, settings=settings)
    finished = await _run(session, events)
    assert (workspace / "keep.txt").exists()
    assert finished["b1"].status is ev.ToolStatus.DENIED
    assert "Refused by the permission rule deny bash(rm *) (user config" in finished["b1"].result
    assert "rm keep.txt matches it" in finished["b1"].result


async def test_a_read_deny_rule_refuses_read_file(workspace, tmp_path, write_script):
    (workspace / ".env").write_text("TOKEN=x\n")
    model = write_script([
        {"tool_calls": [{"id": "r1", "name": "read_file", "arguments": {"path": ".env"}},
                        {"id": "r2", "name": "list_dir", "arguments": {}}]},
        {"text": "ok"},
    ])
    settings = Settings(permissions={"deny": ["read(.env)"]})
    session, events, _ = make_session(model, workspace, tmp_path / "c.db", settings=settings)
    finished = await _run(session, events)
    assert finished["r1"].status is ev.ToolStatus.DENIED and "TOKEN" not in finished["r1"].result
    assert "deny read(.env)" in finished["r1"].result
    assert finished["r2"].status is ev.ToolStatus.OK
    assert [e.tool_call_id for e in events.of(ev.ApprovalResolved)] == ["r1"]  # reads are not asked about


async def test_plan_mode_runs_reads_and_refuses_writes_with_a_clear_result(workspace, tmp_path, write_script):
    (workspace / "a.txt").write_text("alpha\n")
    model = write_script([
        {"tool_calls": [
            {"id": "r", "name": "read_file", "arguments": {"path": "a.txt"}},
            bash("ls", "ls -la && cat a.txt | wc -l"),
            {"id": "w", "name": "write_file", "arguments": {"path": "b.txt", "content": "b"}},
            bash("t", "touch c.txt"),
        ]},
        {"text": "Here is the plan."},
    ])
    session, events, _ = make_session(model, workspace, tmp_path / "c.db", yes=False, permission_mode="plan")
    assert session.agent.approvals.mode is PermissionMode.PLAN
    finished = await _run(session, events)
    assert finished["r"].status is ev.ToolStatus.OK and finished["ls"].status is ev.ToolStatus.OK
    assert finished["w"].status is ev.ToolStatus.DENIED and finished["t"].status is ev.ToolStatus.DENIED
    assert not (workspace / "b.txt").exists() and not (workspace / "c.txt").exists()
    assert finished["w"].result.startswith("Error: Plan mode is on: only reads and read-only commands run")
    assert "touch is not on the read-only list" in finished["t"].result


def test_user_and_project_rules_load_with_their_source(workspace, tmp_path):
    user = tmp_path / "config.toml"
    user.write_text('[permissions]\nallow = ["bash(git diff *)"]\ndeny = ["bash(git push *)"]\n')
    settings = load_settings(user)
    project_config(workspace).parent.mkdir()
    project_config(workspace).write_text('[permissions]\nallow = ["edit(src/**)", "read(**)"]\n')
    assert [r.text for r in load_rules(settings.permissions, settings.path, workspace).untrusted] == [
        "edit(src/**)", "read(**)"]
    trust_as_is(workspace)
    rules = load_rules(settings.permissions, settings.path, workspace)
    assert [(a, r.text, r.source.scope) for a, r in rules.all()] == [
        ("allow", "bash(git diff *)", "user"), ("allow", "edit(src/**)", "project"), ("allow", "read(**)", "project"),
        ("deny", "bash(git push *)", "user"),
    ]
    assert str(rules.allow[1].source) == f"project config {project_config(workspace)}"


@pytest.mark.parametrize("text, line, message", [
    ('model = "x"\n\n[permissions]\nallow = [\n  "bash(ls *)",\n  "shell(rm)",\n]\n', 6, "is not a rule"),
    ('[permissions]\nallow = "bash(ls *)"\n', 2, "must be a list of strings"),
    ('[permissions]\nallow = []\nask = []\n', 3, "unknown"),
])
def test_a_bad_rule_is_a_config_error_with_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(path)
    assert str(caught.value).startswith(f"{path}:{line}: [permissions]")


def test_a_project_config_holds_only_permissions(workspace):
    project_config(workspace).parent.mkdir()
    project_config(workspace).write_text('model = "x"\n')
    with pytest.raises(ConfigError, match="holds only \\[permissions\\]"):
        load_rules({}, None, workspace)


def test_the_rule_file_adds_and_removes_rules_and_keeps_the_rest(workspace):
    path = project_config(workspace)
    path.parent.mkdir()
    path.write_text('# my project\n[permissions]\nallow = ["bash(ls *)"]\n\n[other]\nx = 1\n')
    store = ConfigRuleFile(workspace)
    added = store.add("bash(git diff *)")
    assert (added.source.scope, added.source.path) == ("project", str(path))
    store.add("bash(git diff *)")  # already there: not twice
    data = tomllib.loads(path.read_text())
    assert data["permissions"] == {"allow": ["bash(ls *)", "bash(git diff *)"], "deny": []}
    assert data["other"] == {"x": 1} and path.read_text().startswith("# my project\n")
    store.remove(added)
    assert tomllib.loads(path.read_text())["permissions"]["allow"] == ["bash(ls *)"]
    with pytest.raises(ValueError, match="no longer in"):
        store.remove(added)


def test_the_rule_file_creates_the_project_config(workspace):
    ConfigRuleFile(workspace).add('bash(npm run "my test" *)')
    assert tomllib.loads(project_config(workspace).read_text())["permissions"]["allow"] == ['bash(npm run "my test" *)']


async def test_always_for_this_project_writes_the_rule_and_the_next_session_uses_it(workspace, tmp_path, write_script):
    model = write_script([{"tool_calls": [bash("b1", "ls -la")]}, {"text": "ok"}])
    session, events, _ = make_session(model, workspace, tmp_path / "c.db", yes=False)
    session.agent.approvals.human = Answers(ApprovalDecision("allow_always", remember=Remember.PROJECT))
    await _run(session, events)
    assert tomllib.loads(project_config(workspace).read_text())["permissions"]["allow"] == ["bash(ls *)"]
    [resolved] = events.of(ev.ApprovalResolved)
    assert (resolved.decision, resolved.scope) == ("allow_always", "bash(ls *)")

    again = write_script([{"tool_calls": [bash("b2", "ls -a")]}, {"text": "ok"}])
    second, events2, _ = make_session(again, workspace, tmp_path / "d.db", yes=False)
    second.agent.approvals.human = Answers()  # asking would fail: nothing to answer with
    finished = await _run(second, events2)
    assert finished["b2"].status is ev.ToolStatus.OK
    [auto] = events2.of(ev.ApprovalResolved)
    assert auto.automatic and auto.reason == f"allowed by bash(ls *) (project config {project_config(workspace)})"


async def test_removing_a_rule_forgets_it_in_the_session_and_the_file(workspace, tmp_path, write_script):
    project_config(workspace).parent.mkdir()
    project_config(workspace).write_text('[permissions]\nallow = ["bash(ls *)"]\n')
    trust_as_is(workspace)
    session, _, _ = make_session(write_script([]), workspace, tmp_path / "c.db", yes=False)
    policy = session.agent.approvals
    [(action, rule)] = policy.rules.all()
    policy.remove_rule(rule, deny=action == "deny")
    assert policy.rules.all() == []
    assert tomllib.loads(project_config(workspace).read_text())["permissions"]["allow"] == []

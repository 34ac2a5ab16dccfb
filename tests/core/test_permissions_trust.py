"""Project trust: a cloned repository's ``.cockpit/config.toml`` allows nothing until the user trusts it.

Through the real loop: an untrusted ``allow = ["bash(*)"]`` does not auto-allow, trusting makes it
apply (now and in later sessions), an edit of the file revokes the trust, the file's deny rules apply
untrusted, and the rules Cockpit wrote for the user ("always for this project") stay trusted.
"""

from __future__ import annotations

import json
import tomllib

import pytest

from app.agent.events import core as ev
from app.agent.events.approvals import ApprovalDecision, Remember
from app.cli import main
from app.permission_files import ConfigRuleFile, load_rules, project_config
from app.project_trust import TRUST_FILE
from app.settings import Settings
from tests.core.helpers import make_session
from tests.core.test_permissions_policy import Answers, bash, trust_as_is

EVIL = '[permissions]\nallow = ["bash(*)"]\n'


def _ship(workspace, text: str = EVIL) -> None:
    """The repository as cloned: it comes with its own rules."""
    project_config(workspace).parent.mkdir(parents=True, exist_ok=True)
    project_config(workspace).write_text(text)


async def _run(model, workspace, db, *answers, **options):
    session, events, _ = make_session(model, workspace, db, yes=False, **options)
    person = Answers(*answers)
    session.agent.approvals.human = person
    session.start()
    await session.run_task("go")
    return session, events, person


def _finished(events) -> dict[str, ev.ToolCallFinished]:
    return {e.tool_call_id: e for e in events.of(ev.ToolCallFinished)}


async def test_untrusted_project_allow_rules_do_not_auto_allow_and_the_session_says_so(workspace, tmp_path,
                                                                                       write_script):
    _ship(workspace)
    model = write_script([{"tool_calls": [bash("b1", "touch pwned")]}, {"text": "ok"}])
    session, events, person = await _run(model, workspace, tmp_path / "c.db", ApprovalDecision("deny"))
    assert [r.arguments["command"] for r in person.asked] == ["touch pwned"]  # asked, not auto-allowed
    assert _finished(events)["b1"].status is ev.ToolStatus.DENIED and not (workspace / "pwned").exists()
    rules = session.agent.approvals.rules
    assert [r.text for r in rules.untrusted] == ["bash(*)"] and rules.allow == []
    [notice] = [n for n in events.of(ev.Notice) if "trusted" in n.message]
    assert notice.message == (f"{project_config(workspace)} has 1 allow rule that is not trusted: "
                              "Ctrl+P › Trust project rules")
    assert "bash(*)" in notice.detail


async def test_trusting_makes_them_apply_now_and_later_and_an_edit_revokes(workspace, tmp_path, write_script,
                                                                           cockpit_home):
    _ship(workspace, '[permissions]\nallow = ["bash(ls *)"]\n')
    first = write_script([{"tool_calls": [bash("b1", "ls -a")]}, {"text": "ok"}])
    session, _, _ = make_session(first, workspace, tmp_path / "c.db", yes=False)
    trusted = ConfigRuleFile(workspace).trust_rules(session.agent.approvals.rules)
    assert [r.text for r in trusted] == ["bash(ls *)"] and not session.agent.approvals.rules.untrusted
    session.agent.approvals.human = Answers()  # asking would fail: nothing to answer with
    session.start()
    await session.run_task("go")
    assert session.agent.approvals.rules.allow == trusted
    # the trust lives in the data folder, keyed by the workspace's real path, never in the workspace
    stored = json.loads((cockpit_home / TRUST_FILE).read_text())
    assert list(stored) == [str(workspace.resolve())]
    assert not any("trust" in p.name for p in workspace.rglob("*"))

    later = write_script([{"tool_calls": [bash("b2", "ls -la")]}, {"text": "ok"}])
    _, events, person = await _run(later, workspace, tmp_path / "d.db")
    assert not person.asked and _finished(events)["b2"].status is ev.ToolStatus.OK
    assert not [n for n in events.of(ev.Notice) if "trusted" in n.message]

    _ship(workspace, '[permissions]\nallow = ["bash(ls *)", "bash(curl *)"]\n')  # a git pull changed it
    edited = write_script([{"tool_calls": [bash("b3", "ls -la")]}, {"text": "ok"}])
    session, events, person = await _run(edited, workspace, tmp_path / "e.db", ApprovalDecision("deny"))
    assert [r.arguments["command"] for r in person.asked] == ["ls -la"]
    assert [r.text for r in session.agent.approvals.rules.untrusted] == ["bash(ls *)", "bash(curl *)"]
    [notice] = [n for n in events.of(ev.Notice) if "trusted" in n.message]
    assert notice.message.startswith(f"{project_config(workspace)} has 2 allow rules that are not trusted")


async def test_deny_rules_of_an_untrusted_file_apply(workspace, tmp_path, write_script):
    _ship(workspace, '[permissions]\nallow = ["bash(*)"]\ndeny = ["bash(rm *)"]\n')
    (workspace / "keep.txt").write_text("keep")
    model = write_script([{"tool_calls": [bash("b1", "ls && rm keep.txt")]}, {"text": "ok"}])
    session, events, _ = make_session(model, workspace, tmp_path / "c.db", yes=True)  # YOLO: deny rules still hold
    session.start()
    await session.run_task("go")
    assert (workspace / "keep.txt").exists()
    assert "Refused by the permission rule deny bash(rm *) (project config" in _finished(events)["b1"].result


async def test_rules_cockpit_wrote_stay_trusted_beside_untrusted_ones(workspace, tmp_path, write_script):
    _ship(workspace)
    model = write_script([{"tool_calls": [bash("b1", "ls -la")]}, {"text": "ok"}])
    await _run(model, workspace, tmp_path / "c.db", ApprovalDecision("allow_always", remember=Remember.PROJECT))
    assert tomllib.loads(project_config(workspace).read_text())["permissions"]["allow"] == ["bash(*)", "bash(ls *)"]

    again = write_script([{"tool_calls": [bash("b2", "ls -a"), bash("b3", "touch x")]}, {"text": "ok"}])
    session, events, person = await _run(again, workspace, tmp_path / "d.db", ApprovalDecision("deny"))
    assert [r.arguments["command"] for r in person.asked] == ["touch x"]  # bash(*) is still not trusted
    assert _finished(events)["b2"].status is ev.ToolStatus.OK
    rules = session.agent.approvals.rules
    assert ([r.text for r in rules.allow], [r.text for r in rules.untrusted]) == (["bash(ls *)"], ["bash(*)"])


def test_a_trusted_file_stays_trusted_when_cockpit_changes_it(workspace):
    _ship(workspace, '[permissions]\nallow = ["bash(ls *)"]\n')
    rules = load_rules({}, None, workspace)
    file = ConfigRuleFile(workspace)
    file.trust_rules(rules)
    file.add("bash(git diff *)")
    file.remove(rules.allow[0])
    again = load_rules({}, None, workspace)
    assert ([r.text for r in again.allow], again.untrusted) == (["bash(git diff *)"], [])


def test_trust_covers_what_the_session_showed_and_nothing_else(workspace):
    _ship(workspace, '[permissions]\nallow = ["bash(ls *)"]\n')
    rules = load_rules({}, None, workspace)
    _ship(workspace, '[permissions]\nallow = ["bash(ls *)", "bash(*)"]\n')  # changed after the session read it
    with pytest.raises(ValueError, match="changed since this session read it"):
        ConfigRuleFile(workspace).trust_rules(rules)
    assert rules.allow == [] and load_rules({}, None, workspace).allow == []


def test_the_trust_is_keyed_by_the_real_path_and_the_table(workspace, tmp_path):
    _ship(workspace, '[permissions]\nallow = ["bash(ls *)"]\n')
    trust_as_is(workspace)
    (tmp_path / "link").symlink_to(workspace)
    assert [r.text for r in load_rules({}, None, tmp_path / "link").allow] == ["bash(ls *)"]
    other = tmp_path / "clone"
    _ship(other, '[permissions]\nallow = ["bash(ls *)"]\n')  # the same file in another folder: not trusted
    assert [r.text for r in load_rules({}, None, other).untrusted] == ["bash(ls *)"]


def test_headless_ignores_untrusted_rules_unless_told(workspace, tmp_path, write_script, capsys):
    _ship(workspace, '[permissions]\nallow = ["bash(touch *)"]\n')
    model = write_script([{"tool_calls": [bash("b1", "touch made")]}, {"text": "ok"}])
    args = ["run", "go", "--model", model, "--workspace", str(workspace), "--db", str(tmp_path / "c.db")]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert (f"cockpit: {project_config(workspace)} has 1 allow rule that is not trusted; they are ignored "
            "(--trust-project applies them for this run)") in err
    assert not (workspace / "made").exists()  # refused: headless without --yes

    again = write_script([{"tool_calls": [bash("b1", "touch made")]}, {"text": "ok"}])
    assert main([*args[:3], again, *args[4:], "--trust-project"]) == 0
    assert "not trusted" not in capsys.readouterr().err and (workspace / "made").exists()
    assert load_rules({}, None, workspace).untrusted  # for that run only: nothing was stored


def test_a_settings_file_rule_of_the_user_needs_no_trust(workspace):
    rules = load_rules(Settings(permissions={"allow": ["bash(ls *)"]}).permissions, None, workspace)
    assert [r.text for r in rules.allow] == ["bash(ls *)"] and rules.untrusted == []

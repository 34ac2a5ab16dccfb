"""Permission rules in the TUI: "always for this project", the rules list in the palette, trusting a project's
rules, Shift+Tab's modes."""

from __future__ import annotations

import tomllib

from textual.command import CommandList
from textual.widgets import Button

from app.agent.events import core as ev
from app.agent.events.approvals import PermissionMode
from app.permission_files import ConfigRuleFile, load_rules, project_config, trust_notices
from tests.core.test_permissions_policy import trust_as_is
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from widgets.notice import NoticeBlock


def _with_project_rules(h):
    """The harness's sessions read and write the project's rules, as ``build_session`` wires them."""
    make = h.make_session

    def make_session(approver, **overrides):
        session = make(approver, **overrides)
        session.agent.approvals.rule_file = ConfigRuleFile(h.workspace)
        session.agent.approvals.rules = load_rules({}, None, h.workspace)
        session.notices = trust_notices(session.agent.approvals.rules)
        return session

    h.make_session = make_session
    return h


def _bash(call_id: str, command: str) -> dict:
    return {"id": call_id, "name": "bash", "arguments": {"command": command}}


def _project_rules(workspace) -> dict:
    return tomllib.loads(project_config(workspace).read_text())["permissions"]


async def _prompt(pilot, app):
    await wait_until(pilot, lambda: app.transcript.pending_approvals and app.focused is app.transcript.pending_approvals[0],
                     what="an approval prompt")
    return app.transcript.pending_approvals[0]


async def test_always_for_this_project_writes_the_rule_and_the_next_call_runs_unasked(harness, workspace):
    h = _with_project_rules(harness([
        {"tool_calls": [_bash("b1", "ls -la"), _bash("b2", "ls sub && ls")]},
        {"text": "done"},
    ]))
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "look around")
        prompt = await _prompt(pilot, app)
        assert prompt.request.always == ("bash(ls *)",)
        assert "bash(ls *)" in str(prompt.query(".approval-hint").first().render())
        await pilot.press("p")
        assert not prompt.decided  # armed only: the prompt says what the second press does
        hint = str(prompt.query(".approval-hint").first().render())
        assert "Press p again to save bash(ls *) to .cockpit/config.toml" in hint
        await pilot.press("p")
        await wait_idle(pilot, app, h)
        assert not app.transcript.pending_approvals
        assert app.transcript.tool_block("b2").note == f"allowed by bash(ls *) (project config {project_config(workspace)})"
    assert _project_rules(workspace) == {"allow": ["bash(ls *)"], "deny": []}
    resolved = {e.tool_call_id: (e.decision, e.automatic, e.scope) for e in h.events.of(ev.ApprovalResolved)}
    assert resolved == {"b1": ("allow_always", False, "bash(ls *)"), "b2": ("allow", True, "bash(ls *)")}


async def test_typing_a_word_at_the_prompt_grants_nothing(harness, workspace):
    """Issue 14: "please" holds a p, "because" an a; one press only arms them, the next letter disarms."""
    h = _with_project_rules(harness([{"tool_calls": [_bash("b1", "touch x")]}, {"text": "done"}]))
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "go")
        prompt = await _prompt(pilot, app)
        assert prompt.scope == "bash(touch *)"
        await pilot.press("tab")  # focus on "Allow once": the letters reach the prompt's keys
        await pilot.press(*"please", *"because")
        assert not prompt.decided and app.transcript.pending_approvals == [prompt]
        assert not project_config(workspace).exists() and not app.session.agent.approvals.rules.allow
        hint = str(prompt.query(".approval-hint").first().render())
        assert hint == "“Always” allows bash(touch *)"  # disarmed again
        await pilot.press("a")
        assert "Press a again to allow bash(touch *) for this session" in str(prompt.query(".approval-hint").first().render())
        await pilot.press("escape")
        await wait_idle(pilot, app, h)
    assert not project_config(workspace).exists()
    assert not (workspace / "x").exists()


async def test_a_pressed_twice_allows_always_for_the_session(harness, workspace):
    h = _with_project_rules(harness([{"tool_calls": [_bash("b1", "touch x"), _bash("b2", "touch y")]}, {"text": "ok"}]))
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "go")
        await _prompt(pilot, app)
        await pilot.press("a", "a")
        await wait_idle(pilot, app, h)
        assert [r.text for r in app.session.agent.approvals.rules.allow] == ["bash(touch *)"]
    assert (workspace / "x").exists() and (workspace / "y").exists()
    assert not project_config(workspace).exists()


async def test_no_always_for_a_line_no_rule_can_vouch_for(harness, workspace):
    h = harness([{"tool_calls": [_bash("b1", "ls $(whoami)")]}, {"text": "ok"}])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "go")
        prompt = await _prompt(pilot, app)
        assert prompt.query_one("#always", Button).disabled and prompt.query_one("#always_project", Button).disabled
        assert "command substitution" in str(prompt.query(".approval-hint").first().render())
        await pilot.press("a", "a", "p", "p")  # nothing to remember: the keys do nothing
        assert not prompt.decided
        await pilot.press("n")
        await wait_idle(pilot, app, h)
    assert not project_config(workspace).exists()


def _hits(app) -> list[str]:
    lists = app.screen.query(CommandList)
    if not lists:
        return []
    options = lists.first()
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_the_palette_lists_the_rules_with_their_source_and_removes_one(harness, workspace):
    project_config(workspace).parent.mkdir()
    project_config(workspace).write_text('[permissions]\nallow = ["bash(git diff *)"]\ndeny = ["bash(rm *)"]\n')
    trust_as_is(workspace)
    h = _with_project_rules(harness([]))
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        [command] = [c for c in app.palette.commands() if c.title == "Permission rules…"]
        command.callback()
        await wait_until(pilot, lambda: len(_hits(app)) == 2, what="the rules list")
        hits = _hits(app)
        assert any("allow bash(git diff *)" in hit and "project config" in hit for hit in hits), hits
        assert any("deny bash(rm *)" in hit for hit in hits), hits
        await pilot.press(*"deny", "enter")
        policy = app.session.agent.approvals
        await wait_until(pilot, lambda: not policy.rules.deny, what="the rule to go")
        assert [r.text for r in policy.rules.allow] == ["bash(git diff *)"]
    assert _project_rules(workspace) == {"allow": ["bash(git diff *)"], "deny": []}


async def test_untrusted_project_rules_are_marked_and_trusting_them_from_the_palette_lets_them_apply(harness,
                                                                                                   workspace):
    project_config(workspace).parent.mkdir()
    project_config(workspace).write_text('[permissions]\nallow = ["bash(ls *)"]\n')
    h = _with_project_rules(harness([{"tool_calls": [_bash("b1", "ls -a")]}, {"text": "done"}]))
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await wait_until(pilot, lambda: app.transcript.query(NoticeBlock), what="the untrusted notice")
        assert [n.message for n in app.transcript.query(NoticeBlock)] == [
            f"{project_config(workspace)} has 1 allow rule that is not trusted: Ctrl+P › Trust project rules"]
        policy = app.session.agent.approvals
        [rules] = [c for c in app.palette.commands() if c.title == "Permission rules…"]
        rules.callback()
        await wait_until(pilot, lambda: len(_hits(app)) == 1, what="the rules list")
        assert "allow bash(ls *) (untrusted)" in _hits(app)[0] and "Trust project rules" in _hits(app)[0]
        await pilot.press("escape")
        [trust] = [c for c in app.palette.commands() if c.title == "Trust project rules"]
        trust.callback()
        await wait_until(pilot, lambda: [r.text for r in policy.rules.allow] == ["bash(ls *)"], what="the trust")
        assert not policy.rules.untrusted
        await type_and_send(pilot, "look")
        await wait_idle(pilot, app, h)
        assert not app.transcript.pending_approvals
        assert app.transcript.tool_block("b1").note == f"allowed by bash(ls *) (project config {project_config(workspace)})"
    assert load_rules({}, None, workspace).untrusted == []  # and in later sessions


async def test_shift_tab_cycles_ask_accept_edits_plan_and_back(harness):
    h = harness([])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        policy = app.session.agent.approvals
        seen = []
        for _ in range(3):
            await pilot.press("shift+tab")
            mode = PermissionMode(app.status.permission_mode)
            await wait_until(pilot, lambda mode=mode: policy.mode is mode, what=f"the session in {mode}")
            seen.append((mode, str(app.status.status_line()).split(" · ")[0].strip()))
        assert [m for m, _ in seen] == [PermissionMode.ACCEPT_EDITS, PermissionMode.PLAN, PermissionMode.ASK]
        assert seen[1][1].startswith("plan (read-only)")
        assert app.focused is app.prompt  # Shift+Tab did not move the focus


async def test_plan_mode_refuses_a_write_and_the_model_reads_why(harness, workspace):
    h = harness([
        {"tool_calls": [{"id": "w1", "name": "write_file", "arguments": {"path": "a.txt", "content": "a"}}]},
        {"text": "Here is the plan instead."},
    ], mode=PermissionMode.PLAN)
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        assert app.status.permission_mode == "plan"
        await type_and_send(pilot, "write a")
        await wait_idle(pilot, app, h)
        assert not app.transcript.pending_approvals  # nobody was asked
        assert app.transcript.tool_block("w1").status == "denied"
    assert not (workspace / "a.txt").exists()
    assert "Plan mode is on" in h.tool_call("w1")["result"]

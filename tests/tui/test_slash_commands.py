"""Slash commands typed in the prompt: each builtin's effect, unknown commands, and what is
sent as a message after all (``//x``, a path). A slash command never reaches the model: the
loopback server gets no request, no turn starts."""

from __future__ import annotations

import pytest

from app.agent.events import core as ev
from app.tui.slash.router import Invocation, parse
from tests.support.openai_server import Reply
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from tests.tui.helpers import resumed_synthetic_app
from tests.tui.slash_support import opened, run, served  # noqa: F401  (served: a fixture)
from widgets.user_message import UserMessage


def nothing_sent(h, server) -> None:
    assert server.chat_requests == []
    assert h.events.of(ev.TurnStarted) == []
    assert not pilot_users(h)


def pilot_users(h) -> list[str]:
    return [e.user_text for e in h.events.of(ev.TurnStarted)]


def test_parse_decides_what_is_a_command():
    assert parse("/help") == Invocation("help", "")
    assert parse("/model openai/gpt-4o  ") == Invocation("model", "openai/gpt-4o")
    assert parse("/review\nthe diff") == Invocation("review", "the diff")
    assert parse("//etc is a folder") == "/etc is a folder"  # the escape: sent with one slash
    assert parse("/usr/bin is on the PATH?") == "/usr/bin is on the PATH?"  # a path: sent as it is
    assert parse("/ what") == "/ what"
    assert parse("hello /help") == "hello /help"


async def test_help_cost_context_and_permissions_answer_in_the_transcript_and_send_nothing(served, openai_server):
    h = served
    async with opened(h) as (app, pilot):
        helped = await run(pilot, "/help", "Commands")
        for name in ("/help", "/clear /new", "/compact", "/model [name]", "/cost", "/context", "/resume [id]",
                     "/sessions", "/export", "/permissions", "/plan", "/feedback", "/quit /exit"):
            assert name in helped.detail
        assert "A builtin wins over a custom command" in helped.detail
        cost = await run(pilot, "/cost", "Cost of this session")
        assert "cost: —" in cost.detail and "tokens: — in · — out" in cost.detail  # nothing known is not 0
        context = await run(pilot, "/context", "Context budget")
        assert "No measurement yet" in context.detail
        permissions = await run(pilot, "/permissions", "Permissions")
        assert "mode: ask" in permissions.detail and "No permission rules yet" in permissions.detail
        assert not app.transcript.query(UserMessage)  # a notice, not a user or assistant message
        nothing_sent(h, openai_server)


async def test_cost_after_a_call_counts_the_providers_tokens(served, openai_server):
    h = served
    openai_server.script([Reply(text="hi there", usage={"prompt_tokens": 1200, "completion_tokens": 34})])
    async with opened(h) as (app, pilot):
        await type_and_send(pilot, "say hi")
        await wait_idle(pilot, app, h)
        cost = await run(pilot, "/cost", "Cost of this session")
        assert "tokens: 1,200 in · 34 out" in cost.detail
        assert len(openai_server.chat_requests) == 1  # /cost asked nothing


async def test_unknown_command_lists_close_matches_and_sends_nothing(served, openai_server):
    h = served
    async with opened(h) as (app, pilot):
        unknown = await run(pilot, "/comapct now", "Unknown command /comapct")
        assert unknown.level == "warning"
        assert "Did you mean /compact" in unknown.detail and "//" in unknown.detail
        nothing_sent(h, openai_server)


async def test_a_double_slash_and_a_path_are_sent_to_the_model(served, openai_server):
    h = served
    async with opened(h) as (app, pilot):
        await type_and_send(pilot, "//help is a word")
        await wait_idle(pilot, app, h)
        await type_and_send(pilot, "/usr/bin is where?")
        await wait_idle(pilot, app, h, turns=2)
        assert pilot_users(h) == ["/help is a word", "/usr/bin is where?"]
        assert openai_server.chat_requests[0].body["messages"][-1]["content"] == "/help is a word"


async def test_clear_starts_a_new_session(served, openai_server):
    h = served
    async with opened(h) as (app, pilot):
        first = app.session
        await type_and_send(pilot, "/clear")
        await wait_until(pilot, lambda: app.session is not None and app.session is not first, what="a new session")
        assert len(h.sessions) == 2
        nothing_sent(h, openai_server)


async def test_plan_switches_to_plan_mode_and_back(served, openai_server):
    h = served
    async with opened(h) as (app, pilot):
        await pilot.press("shift+tab")  # ask → accept edits
        assert app.status.permission_mode == "accept_edits"
        await type_and_send(pilot, "/plan")
        assert app.status.permission_mode == "plan"
        await wait_until(pilot, lambda: app.session.agent.approvals.mode.value == "plan", what="the agent in plan mode")
        await type_and_send(pilot, "/plan")
        assert app.status.permission_mode == "accept_edits"  # back to where it was
        nothing_sent(h, openai_server)


async def test_quit_quits(served, openai_server):
    h = served
    async with opened(h) as (app, pilot):
        await type_and_send(pilot, "/quit")
        await wait_until(pilot, lambda: not app.is_running, what="the app to exit")
    assert app.return_code == 0
    nothing_sent(h, openai_server)


async def test_model_with_a_name_switches_and_keeps_the_conversation(served, openai_server, write_script):
    h = served
    other = write_script([{"text": "from the other model"}])
    async with opened(h) as (app, pilot):
        first = app.session
        await type_and_send(pilot, f"/model {other}")
        await wait_until(pilot, lambda: app.session is not None and app.session is not first, what="the switch")
        assert app.session.agent.model.name == other
        assert app.session.id == first.id  # the same conversation, resumed with the other model
        nothing_sent(h, openai_server)


async def test_resume_with_an_id_prefix_resumes_that_session(served, openai_server):
    h = served
    h.session_ids = ["aaaa1111old", "bbbb2222new"]
    openai_server.script([Reply(text="one")])
    async with opened(h) as (app, pilot):
        await type_and_send(pilot, "a task, so that the session is stored")
        await wait_idle(pilot, app, h)
        await type_and_send(pilot, "/clear")
        await wait_until(pilot, lambda: app.session is not None and app.session.id == "bbbb2222new", what="session 2")
        await type_and_send(pilot, "/resume aaaa")
        await wait_until(pilot, lambda: app.session is not None and app.session.id == "aaaa1111old", what="the resume")
        missing = await run(pilot, "/resume zzzz", "/resume zzzz")
        assert "No other stored session" in missing.message
        assert len(openai_server.chat_requests) == 1  # the task's; the commands sent nothing


@pytest.mark.parametrize(
    "typed, method, args",
    [
        ("/model", "change_model", ()),
        ("/resume", "resume_session", ()),
        ("/sessions", "open_sessions", ()),
        ("/export", "export", ()),
        ("/compact", "compact_now", ()),
        ("/feedback", "rate_last_task", ()),
        ("/model openai/gpt-4o", "switch_model", ("openai/gpt-4o",)),
    ],
)
async def test_commands_go_through_the_palettes_actions(harness, typed, method, args):
    """These do what the palette entry does (its checks included): the same method runs."""
    h = harness([])
    async with opened(h) as (app, pilot):
        calls = []
        setattr(app.palette, method, lambda *a: calls.append(a))
        await type_and_send(pilot, typed)
        await wait_until(pilot, lambda: calls, what=f"palette.{method}")
        assert calls == [args]
        assert h.events.of(ev.TurnStarted) == []


async def test_context_shows_the_budget_panes_categories_and_top_items(harness, warm_imports):
    """A resumed session whose stored events carry measurements: /context reads the Context
    budget pane's state (the same fold the pane draws) as text."""
    from widgets.context_budget import ContextBudgetPane

    app = resumed_synthetic_app(harness)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await wait_until(pilot, lambda: app.side.panes and app.status.stats.steps, what="the restored panes")
        state = app.query_one(ContextBudgetPane).reducer
        context = await run(pilot, "/context", "Context budget")
        assert f"{state.measured.used_pct:.0f}% of" in context.detail
        for entry in state.legend().entries:
            assert entry.label in context.detail and f"{entry.pct}%" in context.detail
        assert str(state.top_items()[0]["label"]) in context.detail
        cost = await run(pilot, "/cost", "Cost of this session")
        assert f"calls counted by the provider: {state.provider_counted_calls}\n" in cost.detail
        assert f"calls estimated or not counted: {state.uncounted_calls}" in cost.detail
        assert f"cost: {app.status.stats.cost.text()} over " in cost.detail and "$" in cost.detail  # as the status bar counts


async def test_model_with_a_bad_name_keeps_the_session_and_says_why(harness, tmp_path):
    h = harness([])
    async with opened(h) as (app, pilot):
        first, model = app.session, app.session.agent.model.name
        await type_and_send(pilot, f"/model scripted/{tmp_path / 'missing.json'}")
        await wait_until(pilot, lambda: any("Model not changed" in (n.title or "") for n in app._notifications),
                         what="the notification")
        assert app.session is first and app.session.agent.model.name == model
        assert h.events.of(ev.TurnStarted) == []


async def test_permissions_lists_each_rule_with_where_it_comes_from(harness):
    from app.agent.permissions.rules import RuleSource, parse_rule

    h = harness([])
    async with opened(h) as (app, pilot):
        rules = app.session.agent.approvals.rules
        rules.allow.append(parse_rule("bash(git status)"))
        rules.deny.append(parse_rule("bash(rm *)", RuleSource("user", "/home/me/config.toml")))
        await pilot.press("shift+tab")
        shown = await run(pilot, "/permissions", "Permissions")
        assert shown.detail.splitlines()[:3] == [
            "mode: accept edits — Allow file writes and edits; ask before commands",
            "allow bash(git status)  (from this session)",
            "deny bash(rm *)  (from user config /home/me/config.toml)",
        ]

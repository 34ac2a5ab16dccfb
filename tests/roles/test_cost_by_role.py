"""Every role's calls are counted where the user looks: model_calls.role, ``cockpit show``, the status
bar; each role's figures equal an independent sum over its calls."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from app.agent.events import core as ev
from storage.queries import usage_by_role
from tests.roles.support import GENERATOR, ROUTER, VERIFIER, ByModel, open_session, verdict, write
from tests.support.cli import run_cli
from tests.support.openai_server import Reply
from widgets.session_stats import SIDE_ROLES, SessionStats
from widgets.status_bar import role_forms


async def routed_and_verified(openai_server, workspace, tmp_path):
    models = ByModel(openai_server)
    models.script(ROUTER, [Reply(text=json.dumps({"class": "small_edit", "reason": "one file"}))])
    models.script(GENERATOR, [write("a.py", "x = 2\n"), Reply(text="Done.")])
    models.script(VERIFIER, [verdict("pass")])
    roles = {"router": {"enabled": True, "model": ROUTER, "api_base": openai_server.url},
             "verifier": {"mode": "model", "model": VERIFIER, "api_base": openai_server.url}}
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url, roles)
    await session.run_task("the widget thing: x should be 2")
    return session, events, db


async def test_costs_by_role_equal_an_independent_sum_over_the_calls(openai_server, workspace, tmp_path, capsys):
    session, events, db = await routed_and_verified(openai_server, workspace, tmp_path)

    expected: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for call in events.of(ev.ModelCallFinished):
        row = expected[call.role]
        row[0] += call.usage["prompt_tokens"]
        row[1] += call.usage["completion_tokens"]
        row[2] += call.cost_usd
    stored = usage_by_role(db, session.id)
    assert list(stored) == ["main", "router", "verifier"]
    for role, (tokens_in, tokens_out, usd) in expected.items():
        assert (stored[role]["tokens_in"], stored[role]["tokens_out"]) == (tokens_in, tokens_out)
        assert stored[role]["cost_usd"] == pytest.approx(usd) and usd > 0

    # the cost limit counts every role's calls
    assert session.agent.total_cost_usd == pytest.approx(sum(usd for _, _, usd in expected.values()))

    code, out, _ = run_cli(capsys, "show", session.id, "--db", str(tmp_path / "c.db"))
    (line,) = [line for line in out.splitlines() if line.startswith("by role")]
    assert "router 1 call" in line and "verifier 1 call" in line and "main 2 calls" in line
    (decisions,) = [line for line in out.splitlines() if line.startswith("roles ")]
    assert decisions == "roles        routed 1 (small edit 1) · verified 1×: 1 passed"


async def test_the_status_bar_shows_cost_by_role_and_a_side_call_is_no_step(openai_server, workspace, tmp_path):
    session, events, db = await routed_and_verified(openai_server, workspace, tmp_path)

    stats = SessionStats()
    for event in events:
        stats.apply(event, 0.0)
    assert stats.steps == 2  # the generator's two calls; the router and the verifier are no step
    assert list(stats.by_role) == ["router", "main", "verifier"]
    full, short = (form.plain for form in role_forms(stats))
    assert full.startswith("router $0.") and " tok · main $0." in full and "verifier $" in full
    assert short == " · ".join(f"{role} {tally.cost.text()}" for role, tally in stats.by_role.items()
                               if role != "main")


def test_one_role_shows_no_breakdown():
    stats = SessionStats()
    stats.apply(ev.ModelCallFinished(call_id="a", usage={"prompt_tokens": 10}, cost_usd=0.01), 0.0)
    assert role_forms(stats) == ()


def test_the_status_bar_knows_the_side_roles_of_the_vocabulary():
    assert SIDE_ROLES == ev.SIDE_ROLES

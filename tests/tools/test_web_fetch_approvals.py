"""web_fetch asks per domain: ``web_fetch(domain:HOST)`` rules (Claude Code's ``WebFetch(domain:…)``),
"always" answers that add one, deny rules, and the modes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.agent.approvals import ApprovalPolicy
from app.agent.bus import EventList
from app.agent.events.approvals import ApprovalDecision, PermissionMode, Remember, ToolKind
from app.agent.permissions.decide import RuleSet
from app.agent.permissions.rules import RuleError, parse_rule, url_host
from app.agent.tools.base import ToolContext
from app.agent.tools.sandbox import Sandbox, SandboxConfig
from app.agent.tools.web_fetch import NO_NETWORK, WebFetch
from app.runtime import RunOptions, build_session
from app.settings import ConfigError, Settings
from tests.core.test_permissions_policy import Answers

TOOL = WebFetch()


async def review(policy: ApprovalPolicy, url: str, ctx: ToolContext) -> str | None:
    """The call reviewed where the network is on (a sandbox without it refuses before asking)."""
    online = replace(ctx, sandbox=Sandbox("", SandboxConfig(mode="off")))
    return await policy.review(TOOL, {"url": url}, online, tool_call_id="w1", emit=EventList())


async def test_always_allows_that_domain_and_only_that_one(ctx):
    person = Answers(ApprovalDecision("allow_always", remember=Remember.SESSION), ApprovalDecision("deny"))
    policy = ApprovalPolicy(human=person)

    assert await review(policy, "https://docs.python.org/3/library/asyncio.html", ctx) is None
    assert await review(policy, "https://DOCS.python.org/3/whatsnew/", ctx) is None  # not asked again
    assert await review(policy, "https://evil.example/", ctx) == "The user denied this tool call."

    assert [(r.arguments["url"], r.tool_kind, r.always) for r in person.asked] == [
        ("https://docs.python.org/3/library/asyncio.html", ToolKind.FETCH, ("web_fetch(domain:docs.python.org)",)),
        ("https://evil.example/", ToolKind.FETCH, ("web_fetch(domain:evil.example)",)),
    ]


@pytest.mark.parametrize("rule, url, allowed", [
    ("web_fetch(domain:go.dev)", "https://go.dev/doc/", True),
    ("web_fetch(domain:go.dev)", "https://pkg.go.dev/x", False),
    ("web_fetch(domain:*.go.dev)", "https://pkg.go.dev/x", True),
    ("web_fetch", "http://anything.example/", True),
])
async def test_allow_rules_match_the_host(ctx, rule, url, allowed):
    person = Answers(ApprovalDecision("deny"))
    policy = ApprovalPolicy(human=person, rules=RuleSet(allow=[parse_rule(rule)]))

    denied = await review(policy, url, ctx)

    assert (denied is None) is allowed and bool(person.asked) is not allowed


async def test_a_deny_rule_refuses_even_in_yolo(ctx):
    policy = ApprovalPolicy(human=Answers(), mode=PermissionMode.YOLO,
                            rules=RuleSet(deny=[parse_rule("web_fetch(domain:pastebin.com)")]))

    denied = await review(policy, "https://pastebin.com/raw/x", ctx)

    assert denied is not None and "deny web_fetch(domain:pastebin.com)" in denied
    assert await review(policy, "https://example.org/", ctx) is None  # yolo allows the rest


@pytest.mark.parametrize("mode", [PermissionMode.ASK, PermissionMode.YOLO])
async def test_without_network_a_fetch_is_refused_before_anyone_is_asked(ctx, mode):
    person = Answers(ApprovalDecision("allow"))
    policy = ApprovalPolicy(human=person, mode=mode)
    boxed = replace(ctx, sandbox=Sandbox("bwrap", SandboxConfig(network=False)))
    events = EventList()

    denied = await policy.review(TOOL, {"url": "https://example.com"}, boxed, tool_call_id="w1", emit=events)

    assert denied == NO_NETWORK and person.asked == []  # no y/n for a call that cannot run
    assert [(e.type, e.decision, e.automatic, e.reason) for e in events] == [
        ("approval_resolved", "deny", True, NO_NETWORK)]


async def test_plan_mode_asks_before_a_fetch(ctx):
    person = Answers(ApprovalDecision("allow"))
    policy = ApprovalPolicy(human=person, mode=PermissionMode.PLAN)

    assert await review(policy, "https://example.org/", ctx) is None
    assert len(person.asked) == 1


@pytest.mark.parametrize("text", ["web_fetch(example.com)", "web_fetch(domain:)", "web_fetch(url:https://x)"])
def test_a_fetch_rule_needs_domain(text):
    with pytest.raises(RuleError, match=r"web_fetch\(domain:HOST\)"):
        parse_rule(text)


def test_the_host_of_a_url():
    assert [url_host(u) for u in ("https://User@Docs.Python.org:443/x", "not a url", "http://[::1]:8/")] == [
        "docs.python.org", "", "::1"]


def test_sessions_get_web_fetch_with_the_tools_table(workspace: Path, tmp_path: Path):
    options = RunOptions(model="openai/gpt-4o", api_base="http://127.0.0.1:9", workspace=workspace,
                         db_path=tmp_path / "c.db")
    session = build_session(Settings(tools={"web_fetch_allow_private": True}), options, human=Answers(), store=None)
    tool = session.agent.tools.get("web_fetch")
    assert isinstance(tool, WebFetch) and tool.config.allow_private
    with pytest.raises(ConfigError, match=r"\[tools\] unknown key\(s\) web_fetch_proxy"):
        build_session(Settings(tools={"web_fetch_proxy": "x"}), options, human=Answers(), store=None)

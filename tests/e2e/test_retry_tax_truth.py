"""The retry tax of a failed attempt is the best count of its prompt there is, and says whose.

Through the real loop and real HTTP on loopback; the server counts every prompt with
tiktoken, and adds hidden tokens (a tool-use system prompt) the local count cannot see,
so a tax made of the local estimate would be visibly off.
"""

from __future__ import annotations

from app.agent.events.resilience import TAX_CALIBRATED, TAX_PROVIDER, RetryTaxAccrued
from app.agent.events.retries_view import RetriesReducer
from app.cli import main
from storage.queries import session_summary
from tests.e2e.test_instrument_truth import run
from tests.support.openai_server import Fault, Reply, count_prompt_tokens
from widgets.retries_pane import render_summary

HIDDEN = 700  # tokens the provider adds to every prompt


def served_prompt(server, request) -> int:
    """The server's own count of a request's prompt (what it reports as ``prompt_tokens``)."""
    return count_prompt_tokens(request.body["messages"]) + server.hidden_prompt_overhead


def pane_lines(events) -> list[str]:
    reducer = RetriesReducer()
    for event in events:
        reducer.apply(event)
    return [" ".join(ln.split()) for ln in render_summary(reducer.state).plain.splitlines()]


def tax_line(events) -> str:
    return next(ln for ln in pane_lines(events) if ln.startswith("Tax"))


async def test_a_429_then_success_charges_the_providers_count_of_the_failed_prompt(
    capsys, openai_server, workspace, tmp_path
):
    openai_server.hidden_prompt_overhead = HIDDEN
    openai_server.script([Fault.rate_limited(retry_after=None), Reply(text="Done.")])
    session, result, events, db = await run(openai_server.url, workspace, tmp_path / "t.db")
    assert result.outcome == "completed"
    failed, retried = openai_server.chat_requests
    assert failed.body["messages"] == retried.body["messages"]  # the same prompt, sent twice
    [charge] = events.of(RetryTaxAccrued)
    truth = served_prompt(openai_server, failed)
    assert (charge.tokens, charge.source, charge.reason) == (truth, TAX_PROVIDER, "resent_input")
    assert charge.call_id.endswith(".1") and charge.attempt == 1
    local = next(e.estimated_prompt_tokens for e in events if getattr(e, "attempt", 0) == 1
                 and getattr(e, "estimated_prompt_tokens", None))
    assert abs(local - truth) >= HIDDEN // 2  # the local estimate would have been wrong
    assert tax_line(events) == f"Tax {truth:,} tok · unpriced"
    assert any(ln.startswith("1 retry / 1 first try ·") for ln in pane_lines(events))
    summary = session_summary(db, session.id)
    assert (summary["wasted_tokens"], summary["wasted_estimated_tokens"]) == (truth, 0)
    capsys.readouterr()
    assert main(["show", "latest", "--db", str(tmp_path / "t.db")]) == 0
    assert f"(retry tax {truth:,} tokens, unpriced)" in capsys.readouterr().out


async def test_without_a_count_of_the_retry_the_tax_is_the_calibrated_estimate_and_says_so(
    capsys, openai_server, workspace, tmp_path
):
    openai_server.hidden_prompt_overhead = HIDDEN
    # One good call calibrates the budget; the next call fails twice and the run gives up.
    openai_server.script([Reply(text="First."), Fault.server_error(), Fault.server_error()])
    session, _, events, db = await run(openai_server.url, workspace, tmp_path / "c.db", task="one",
                                       resilience={"max_attempts": 2})
    result = await session.run_task("two")
    session.finish()
    assert result.outcome != "completed"
    _, first_failed, second_failed = openai_server.chat_requests
    charges = events.of(RetryTaxAccrued)
    assert [c.source for c in charges] == [TAX_CALIBRATED, TAX_CALIBRATED]
    for charge, request in zip(charges, (first_failed, second_failed)):
        truth = served_prompt(openai_server, request)
        assert abs(charge.tokens - truth) <= 0.05 * truth, (charge.tokens, truth)
    total = sum(c.tokens for c in charges)
    assert tax_line(events) == f"Tax ≈{total:,} tok · calibrated estimate · unpriced"
    summary = session_summary(db, session.id)
    assert (summary["wasted_tokens"], summary["wasted_estimated_tokens"]) == (total, total)
    capsys.readouterr()
    assert main(["show", "latest", "--db", str(tmp_path / "c.db")]) == 0
    assert f"(retry tax ≈{total:,} tokens, estimated, unpriced)" in capsys.readouterr().out

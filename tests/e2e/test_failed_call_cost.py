"""A failed or cancelled model call has no cost of its own: it adds nothing, never a known $0.

A session (or a run) with no priced call reads "unpriced" or "—"; the retry tax of an
unpriced model is tokens only ("1,498 tokens, unpriced"); zero waste has no dollars.
Through the tally, the store's summary, ``cockpit show``, ``cockpit sessions``, the
Retries pane and ``cockpit run`` against a loopback server that answers 400.
"""

from __future__ import annotations

from app.agent.events import core as ev
from app.agent.events.format import CostTally, retry_tax
from app.agent.events.resilience import RetryTaxAccrued
from app.agent.events.retries_view import RetriesReducer
from app.cli import main
from storage.queries import session_summary
from tests.support.openai_server import Fault
from tests.support.store import store_events
from widgets.retries_pane import render_summary

MODEL = "scripted/x.json"


def failed_session(db, session_id="failed", status=ev.CallStatus.ERROR):
    store_events(db, [ev.SessionStarted(model=MODEL, workspace="/w"), ev.TurnStarted(turn=1, user_text="go"),
                      ev.ModelCallFinished(call_id=f"{session_id}-c1", turn=1, step=1, model=MODEL, status=status,
                                           usage={"prompt_tokens": 1498, "completion_tokens": 0}),
                      RetryTaxAccrued(call_id=f"{session_id}-c1", attempt=1, model=MODEL, tokens=1498, usd=None,
                                      reason="discarded_output")],
                 session_id=session_id)


def test_the_tally_of_failed_and_cancelled_calls_is_unknown_not_zero():
    tally = CostTally()
    assert (tally.total, tally.text()) == (None, "—")  # no call yet
    tally.add(None, ok=False)  # failed
    tally.add(None, ok=False)  # cancelled
    assert (tally.total, tally.text()) == (None, "—")
    tally.add(None, ok=True)
    assert (tally.total, tally.text()) == (None, "unpriced")
    tally.add(0.0125, ok=True)
    assert (tally.total, tally.text()) == (0.0125, "$0.0125 + 1 unpriced")


def test_the_retry_tax_is_tokens_only_without_a_price():
    assert retry_tax(None, 1498) == "1,498 tokens, unpriced"
    assert retry_tax(0.0012, 1498) == "$0.0012, 1,498 tokens"
    assert retry_tax(0.0, 0) == "none"


def test_a_session_whose_only_call_failed_has_no_cost_in_the_summary_show_and_sessions(capsys, db, tmp_path):
    failed_session(db)
    failed_session(db, "cancelled", ev.CallStatus.CANCELLED)
    for sid in ("failed", "cancelled"):
        s = session_summary(db, sid)
        assert (s["cost_usd"], s["unpriced_calls"], s["wasted_tokens"]) == (None, 0, 1498)
    db_path = db.conn.execute("pragma database_list").fetchone()[2]
    capsys.readouterr()
    assert main(["show", "failed", "--db", db_path]) == 0
    out = capsys.readouterr().out
    [line] = [ln for ln in out.splitlines() if ln.startswith("cost ")]
    assert line.split(None, 1)[1].startswith("—") and "(retry tax 1,498 tokens, unpriced)" in line
    assert "$" not in out
    assert main(["sessions", "--db", db_path]) == 0
    out = capsys.readouterr().out
    assert "$" not in out and "—" in out


def test_the_retries_pane_shows_unpriced_tax_in_tokens_and_zero_waste_without_dollars():
    quiet = RetriesReducer()
    quiet.apply(ev.ModelCallFinished(call_id="c0", turn=1, step=1, model="m", cost_usd=0.04, cost_source="litellm"))
    line = [ln for ln in render_summary(quiet.state).plain.splitlines() if ln.startswith("Tax")][0]
    assert line.split() == ["Tax", "0", "tok"]
    unpriced = RetriesReducer()
    unpriced.apply(RetryTaxAccrued(call_id="c1", attempt=1, model=MODEL, tokens=1498, usd=None, reason="resent_input"))
    line = [ln for ln in render_summary(unpriced.state).plain.splitlines() if ln.startswith("Tax")][0]
    assert " ".join(line.split()) == "Tax ≈1,498 tok · local estimate · unpriced"  # a re-sent prompt, no source: local


def test_cockpit_run_whose_call_fails_with_a_400_ends_without_a_dollar_figure(
    capsys, openai_server, workspace, tmp_path
):
    openai_server.script([Fault.context_length_exceeded()])
    main(["run", "hello", "--model", "openai/my-local-qwen", "--api-base", openai_server.url,
          "--workspace", str(workspace), "--db", str(tmp_path / "f.db")])
    flat = " ".join(capsys.readouterr().out.split())
    summary = flat[flat.index("1 model call"):]
    assert "no token counts · — ·" in summary and "$" not in summary  # the failed call counted nothing: not "0 in / 0 out"

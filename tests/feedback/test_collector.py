import math
from types import SimpleNamespace

from app.agent.events import core as ev
from app.agent.feedback.config import FeedbackConfig
from app.agent.events.feedback import FeedbackDismissed

from .helpers import PYTEST_FAILED, Harness

NO_FATIGUE = dict(fatigue_window_s=0)


def test_decision_log_has_one_row_per_completed_task_with_pi_and_u():
    h = Harness(FeedbackConfig(**NO_FATIGUE), seed=11)
    h.start_session()
    for i in range(60):
        h.begin(f"task {i}")
        h.model_call(cost=0.01)
        if i % 3 == 0:
            h.tool("read_file", {"path": "x"}, status=ev.ToolStatus.TOOL_ERROR)
        h.end()
        h.now += 1
    h.begin("the last one")  # still running when the session ends: abandoned, no decision
    h.finish_session()

    rows = list(h.db["feedback_tasks"].rows)
    assert len(rows) == 60
    assert len({r["task_id"] for r in rows}) == 60
    for row in rows:
        assert row["pi"] in (0.10, 0.25) and 0.0 <= row["u"] < 1.0
        assert row["shown"] == int(row["u"] < row["pi"])
        assert row["category"] in ("explore", "chat")
    risky = [r for r in rows if r["reasons"] == '["tool_error"]']
    assert len(risky) == 20 and all(r["pi"] == 0.25 for r in risky)
    # every task also got its implicit signals, the abandoned one included
    signals = {r["task_id"]: r for r in h.db["feedback_signals"].rows}
    assert len(signals) == 61 and signals["sess-1:61"]["abandoned"] == 1


def _binomial_ok(k: int, n: int, p: float) -> bool:
    sd = math.sqrt(n * p * (1 - p))
    return abs(k - n * p) <= 4 * sd


def test_empirical_prompt_rate_matches_pi_within_binomial_bounds():
    h = Harness(FeedbackConfig(**NO_FATIGUE), seed=2024)
    plain = risky = 0
    for i in range(3000):
        h.begin()
        if i % 4 == 0:
            h.emit(ev.ModelCallStarted(attempt=2))  # a retried call: oversampled
        h.end()
    decisions = h.of_type("feedback_sampled")
    plain = [d for d in decisions if not d.reasons]
    risky = [d for d in decisions if d.reasons == ["retry"]]
    assert len(plain) == 2250 and len(risky) == 750
    assert _binomial_ok(sum(d.shown for d in plain), len(plain), 0.10)
    assert _binomial_ok(sum(d.shown for d in risky), len(risky), 0.25)
    # and the prompts shown are exactly the decisions with u < π
    assert all(d.shown == (d.u < d.pi) for d in decisions)


def test_cost_and_loops_are_oversampled():
    h = Harness(FeedbackConfig(cost_threshold_usd=0.5))
    assert h.task(cost=0.6).reasons == ["cost"]
    assert h.task(cost=0.4).reasons == []
    h.begin()
    h.emit(ev.Notice(message="unrelated"))
    h.emit(SimpleNamespace(type="resilience_loop_detected", persist=True))  # resilience events are matched by type string
    decision = h.end()
    assert decision.reasons == ["loop"] and decision.pi == 0.25


def test_fatigue_lowers_pi_to_the_floor_for_ten_minutes():
    h = Harness(FeedbackConfig(rate=0.5), seed=5)
    decisions = []
    for _ in range(400):
        decisions.append(h.task())
        h.now += 30  # a task every 30 s
    last_shown = None
    for d in decisions:
        in_window = last_shown is not None and d.ts - last_shown < 600
        assert d.fatigued == in_window
        assert d.pi == (0.02 if in_window else 0.5)
        if d.shown:
            last_shown = d.ts
    assert sum(d.fatigued for d in decisions) > 300  # mostly fatigued, never zero
    assert any(d.shown and d.fatigued for d in decisions)  # the floor still asks sometimes


def test_rate_zero_logs_every_task_and_never_asks():
    h = Harness(FeedbackConfig(rate=0.0))
    decisions = [h.task() for _ in range(50)]
    assert len(decisions) == 50 and not any(d.shown for d in decisions)
    assert all(d.pi == 0.0 for d in decisions)


def test_unanswered_prompt_is_dismissed_when_the_user_moves_on():
    h = Harness(FeedbackConfig(rate=1.0))
    first = h.task("fix the bug")
    assert first.shown and h.collector.pending_prompt == first.task_id
    h.begin("now the docs")
    dismissed = h.of_type("feedback_dismissed")
    assert [(d.task_id, d.reason) for d in dismissed] == [(first.task_id, "moved_on")]
    assert h.db["feedback_tasks"].get(first.task_id)["response"] == "dismissed"
    # dismissal first, then the finished task's signals
    types = [e.type for e in h.events if e.type in ("feedback_dismissed", "implicit_signals")]
    assert types == ["feedback_dismissed", "implicit_signals"]


def test_answered_prompt_is_not_dismissed_and_volunteered_does_not_close_it():
    h = Harness(FeedbackConfig(rate=1.0))
    a = h.task()
    h.answer(a.task_id, "up", "nice")
    b = h.task()
    h.answer(b.task_id, "down", source="volunteered")
    assert h.collector.pending_prompt == b.task_id
    h.finish_session()
    assert [(d.task_id, d.reason) for d in h.of_type("feedback_dismissed")] == [(b.task_id, "session_ended")]
    row = h.db["feedback_tasks"].get(a.task_id)
    assert (row["response"], row["rating"], row["comment"]) == ("answered", "up", "nice")


def test_user_dismissal_is_recorded_once():
    h = Harness(FeedbackConfig(rate=1.0))
    a = h.task()
    h.emit(FeedbackDismissed(task_id=a.task_id, reason="dismissed"))
    h.begin()
    assert [d.reason for d in h.of_type("feedback_dismissed")] == ["dismissed"]
    assert h.db["feedback_tasks"].get(a.task_id)["dismiss_reason"] == "dismissed"


def test_correction_and_rephrase_are_signals_of_the_previous_task():
    h = Harness()
    h.start_session()
    first = h.task("add a retry decorator to fetch()")
    h.begin("No, put the retry decorator on fetch() in client.py")
    second_signals = h.of_type("implicit_signals")[-1]
    assert second_signals.task_id == first.task_id
    assert second_signals.signals["corrected"] and second_signals.signals["correction_cue"] == "no"
    h.end()
    h.begin("add a retry decorator to fetch() in client.py")
    s = h.of_type("implicit_signals")[-1].signals
    assert s["rephrased"] and not s["corrected"]


def test_revert_is_detected_and_oversamples_the_next_task(tmp_path):
    target = tmp_path / "app.py"
    target.write_text("original\n")
    h = Harness(FeedbackConfig(**NO_FATIGUE), workspace=tmp_path)
    h.begin("refactor app.py")
    h.tool("write_file", {"path": "app.py"}, approval="allow", effect=lambda: target.write_text("agent\n"))
    h.end()
    target.write_text("original\n")  # the user undoes it (git checkout, editor undo, ...)
    h.begin("hmm, let's leave app.py alone")
    signals = h.of_type("implicit_signals")[-1].signals
    assert signals["reverted_files"] == ["app.py"] and signals["approvals"] == 1
    assert h.db["feedback_signals"].get("sess-1:1")["reverted"] == 1
    assert h.end().reasons == ["revert"]


def test_workspace_comes_from_the_session_when_not_given(tmp_path):
    target = tmp_path / "a.txt"
    h = Harness()
    h.start_session(workspace=str(tmp_path))
    h.begin()
    h.tool("write_file", {"path": "a.txt"}, effect=lambda: target.write_text("x"))
    h.end()
    target.write_text("changed by hand")
    h.finish_session()
    signals = h.of_type("implicit_signals")[-1].signals
    assert signals["files_checked"] and signals["modified_files"] == ["a.txt"]


def test_tests_and_denials_reach_the_stored_signals():
    h = Harness()
    h.begin()
    h.tool("bash", {"command": "rm -rf build"}, status=ev.ToolStatus.DENIED, approval="deny")
    h.tool("bash", {"command": "pytest -q"}, status=ev.ToolStatus.TOOL_ERROR, exit_code=1, approval="allow", result=PYTEST_FAILED)
    h.emit(ev.Interrupted(turn=1))
    h.end("interrupted")
    h.finish_session()
    row = h.db["feedback_signals"].get("sess-1:1")
    assert (row["denials"], row["approvals"], row["tests_failed"], row["tests_last"]) == (1, 1, 1, "failed")
    assert row["interrupted"] == 1 and row["outcome"] == "interrupted" and row["abandoned"] == 0


def test_observe_returns_events_without_an_emit():
    from app.agent.feedback.collector import FeedbackCollector

    collector = FeedbackCollector(FeedbackConfig(rate=1.0))
    assert collector.observe(ev.TurnStarted(session_id="s", turn=1, user_text="hi")) == []
    produced = collector.observe(ev.TurnFinished(session_id="s", turn=1))
    assert [e.type for e in produced] == ["feedback_sampled"]
    assert produced[0].task_id == "s:1" and collector.last_task_id == "s:1"

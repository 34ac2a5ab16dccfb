"""Each doom-loop pattern: the first hit warns the model, the next one halts."""

from __future__ import annotations

from app.agent.events.core import event_from_dict
from app.agent.resilience.config import ResilienceConfig
from app.agent.events.resilience import LoopDetected
from app.agent.resilience.loop_detector import (
    HALT,
    WARN,
    LoopDetector,
    canonical_arguments,
    error_fingerprint,
    loop_detected_event,
)


def detector(**overrides) -> LoopDetector:
    d = LoopDetector(ResilienceConfig.from_dict(overrides))
    d.start_turn()
    return d


def run(d: LoopDetector, calls):
    """Feed (name, args, status, result, error) tuples; return the verdicts (None included)."""
    return [d.observe_tool(*call) for call in calls]


def read(path: str, result: str = "contents", status: str = "ok", error: str | None = None):
    return ("read_file", {"path": path}, status, result, error)


def test_canonical_arguments_ignore_key_order():
    assert canonical_arguments({"b": 1, "a": [1, {"y": 2, "x": 1}]}) == canonical_arguments(
        {"a": [1, {"x": 1, "y": 2}], "b": 1})


def test_varied_work_is_not_a_loop():
    d = detector()
    verdicts = run(d, [read(f"f{i}.py", f"body {i}") for i in range(30)])
    assert verdicts == [None] * 30


def test_same_call_five_times():
    d = detector()
    # different results each time (the file is being edited), so only the plain repeat counts
    verdicts = run(d, [read("a.py", f"version {i}") for i in range(6)])
    assert verdicts[:4] == [None] * 4
    warn, halt = verdicts[4], verdicts[5]
    assert (warn.pattern, warn.action, warn.count, warn.tool) == ("repeated_call", WARN, 5, "read_file")
    assert "same arguments 5 times" in warn.message
    assert (halt.pattern, halt.action) == ("repeated_call", HALT)
    assert halt.message.startswith("Halted:")


def test_same_call_three_times_with_errors():
    d = detector()
    call = ("bash", {"command": "make"}, "tool_error", "", "make: *** no rule")
    verdicts = run(d, [call] * 4)
    assert verdicts[:2] == [None, None]
    assert (verdicts[2].pattern, verdicts[2].action, verdicts[2].count) == ("repeated_failing_call", WARN, 3)
    assert (verdicts[3].pattern, verdicts[3].action) == ("repeated_failing_call", HALT)


def test_four_identical_call_result_pairs():
    d = detector()
    verdicts = run(d, [read("a.py", "same")] * 4)
    assert verdicts[:3] == [None] * 3
    assert (verdicts[3].pattern, verdicts[3].action, verdicts[3].count) == ("identical_results", WARN, 4)


def test_a_b_alternation_over_six_steps():
    d = detector()
    a = [read("a.py", f"A{i}") for i in range(4)]  # results differ: only the alternation is a loop
    b = ("grep", {"pattern": "x"}, "ok", "hits", None)
    verdicts = run(d, [a[0], b, a[1], b, a[2], b, a[3]])
    assert verdicts[:5] == [None] * 5
    assert (verdicts[5].pattern, verdicts[5].action) == ("alternation", WARN)
    assert "`read_file` and `grep`" in verdicts[5].message
    assert (verdicts[6].pattern, verdicts[6].action) == ("alternation", HALT)


def test_alternation_needs_two_different_calls():
    d = detector(loop_same_call=100, loop_identical_pairs=100, loop_window=100)
    assert run(d, [read("a.py", f"v{i}") for i in range(8)]) == [None] * 8


def test_three_empty_model_responses():
    d = detector()
    assert d.observe_model_response("", []) is None
    assert d.observe_model_response("   ", []) is None
    warn = d.observe_model_response("", [])
    assert (warn.pattern, warn.action, warn.count) == ("empty_responses", WARN, 3)
    assert d.observe_model_response("", []).action == HALT


def test_a_real_reply_resets_the_empty_count():
    d = detector()
    d.observe_model_response("", [])
    d.observe_model_response("", [])
    assert d.observe_model_response("Here is the plan.", []) is None
    assert d.observe_model_response("", [{"id": "t1"}]) is None
    assert d.observe_model_response("", []) is None


def test_same_error_fingerprint_across_turns():
    d = detector()
    verdicts = []
    for turn in range(4):
        if turn:
            d.start_turn()
        # different arguments and numbers each turn; the same error underneath
        verdicts.append(d.observe_tool("bash", {"command": f"pytest -k t{turn}"}, "tool_error", "",
                                       f"ModuleNotFoundError: No module named 'foo' (line {turn + 10})"))
    assert verdicts[:2] == [None, None]
    assert (verdicts[2].pattern, verdicts[2].action, verdicts[2].count) == ("repeated_error", WARN, 3)
    assert (verdicts[3].pattern, verdicts[3].action) == ("repeated_error", HALT)


def test_error_fingerprint_ignores_numbers_and_ids():
    assert error_fingerprint("bash", "timeout after 30 s (pid 1234)") == error_fingerprint(
        "bash", "Timeout after  45 s (pid 99)")
    assert error_fingerprint("bash", "x") != error_fingerprint("edit", "x")


def test_three_semantic_errors_in_a_row_halt_at_once():
    d = detector()
    bad = ("edit", {"path": "a.py"}, "validation_error", "", "missing required field 'old'")
    other = ("edit", {"path": "b.py", "old": "x"}, "validation_error", "", "unknown field 'neww'")
    assert run(d, [bad, other]) == [None, None]
    verdict = d.observe_tool(*bad)
    assert (verdict.pattern, verdict.action, verdict.tool, verdict.count) == ("semantic_errors", HALT, "edit", 3)
    assert "invalid arguments 3 times" in verdict.message


def test_a_valid_call_resets_semantic_errors():
    d = detector()
    def bad(path):
        return ("edit", {"path": path}, "validation_error", "", "missing 'old'")

    good = ("edit", {"path": "a.py", "old": "x", "new": "y"}, "ok", "edited", None)
    assert run(d, [bad("a.py"), bad("b.py"), good, bad("c.py"), bad("d.py")]) == [None] * 5


def test_one_warning_per_turn_then_any_pattern_halts():
    d = detector()
    assert run(d, [read("a.py", "same")] * 4)[-1].action == WARN
    assert d.observe_model_response("", []) is None
    assert d.observe_model_response("", []) is None
    halt = d.observe_model_response("", [])
    assert (halt.pattern, halt.action) == ("empty_responses", HALT)


def test_a_new_turn_forgets_calls_and_warnings():
    d = detector()
    assert run(d, [read("a.py", f"v{i}") for i in range(5)])[-1].action == WARN
    d.start_turn()
    verdicts = run(d, [read("a.py", f"w{i}") for i in range(5)])
    assert verdicts[:4] == [None] * 4 and verdicts[4].action == WARN


def test_the_event_helper_round_trips():
    d = detector()
    verdict = run(d, [read("a.py", "same")] * 4)[-1]
    event = loop_detected_event(verdict, turn=7)
    assert isinstance(event, LoopDetected)
    assert (event.pattern, event.action, event.tool, event.count, event.turn) == (
        "identical_results", "warn", "read_file", 4, 7)
    assert event_from_dict(event.to_dict()) == event
    assert verdict.turn == 1 and verdict.event().turn == 1  # the detector's own turn count by default

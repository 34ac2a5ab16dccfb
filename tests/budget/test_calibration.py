"""Calibration: estimates vs provider counts, per model, with an honest accuracy badge."""

from __future__ import annotations

from app.agent.budget.calibration import ModelCalibration
from tests.budget.scenarios import MODEL, Recorder, budget, grow, system_prompt, tool_defs
from tests.support.openai_server import count_prompt_tokens

HIDDEN = 346  # e.g. a provider's own tool-use system prompt


def provider_count(messages: list[dict]) -> int:
    """A synthetic provider: the OpenAI formula over o200k_base, plus tokens we cannot see."""
    return count_prompt_tokens(messages) + HIDDEN


def test_calibration_converges_on_a_provider_with_a_fixed_hidden_overhead() -> None:
    b = budget(window=128_000)
    tools = tool_defs()
    recorder = Recorder()
    messages = system_prompt()
    errors = []
    for call in range(12):
        messages = grow(messages, 1, call, 500 + 700 * call)
        snapshot = b.measure(messages, tools)
        provider = provider_count(messages)
        errors.append(abs(snapshot.calibrated_total - provider) / provider)
        b.record_usage(MODEL, snapshot.estimated_prompt_tokens, provider, emit=recorder, call_id=f"c{call}")
    assert errors[0] > 0.01  # before calibration the hidden tokens are missed
    assert max(errors[2:]) < 0.002  # after two calls of different sizes it predicts within 0.2%
    last = recorder.events[-1]
    assert last.type == "calibration_updated" and last.n == 12
    assert last.p95_error_pct is not None and last.p95_error_pct < errors[0] * 100
    assert last.badge.startswith("±") and last.badge.endswith("p95, n=12")
    assert abs(last.scale - 1) < 1e-9 and last.median_ratio > 1


def test_unattributed_is_provider_minus_local() -> None:
    b = budget(window=128_000)
    messages = grow(system_prompt(), 2, 0, 2_000)
    snapshot = b.measure(messages, tool_defs())
    provider = snapshot.local_total + 120
    recorder = Recorder()
    b.record_usage(MODEL, snapshot.estimated_prompt_tokens, provider, emit=recorder)
    event = recorder.events[-1]
    assert event.unattributed == provider - snapshot.local_total == 120
    after = b.measure(messages, tool_defs())
    assert after.unattributed == 120
    assert after.calibrated_total == provider
    category = {c["key"]: c for c in after.categories()}["unattributed"]
    assert category["tokens"] == 120 and category["local_tokens"] == 0


def test_a_scaled_tokenizer_is_corrected_by_its_ratio() -> None:
    calibration = ModelCalibration(exact=False)
    for estimated in (1_000, 2_000, 4_000, 8_000, 16_000):
        calibration.add(estimated, round(estimated * 1.18))
    assert abs(calibration.scale - 1.18) < 0.001
    assert abs(calibration.predict(10_000) - 11_800) <= 2
    assert abs(calibration.median_ratio - 1.18) < 0.001


def test_the_first_sample_is_read_by_the_tokenizer_kind() -> None:
    exact, approximate = ModelCalibration(exact=True), ModelCalibration(exact=False)
    exact.add(1_000, 1_100)
    approximate.add(1_000, 1_100)
    assert (exact.scale, exact.overhead) == (1.0, 100)
    assert (approximate.scale, approximate.overhead) == (1.1, 0.0)
    assert exact.p95_error_pct is None and exact.badge() == "uncalibrated (n=1)"


def test_p95_is_measured_on_predictions_made_before_each_call() -> None:
    calibration = ModelCalibration(exact=True)
    calibration.add(1_000, 1_100)
    calibration.add(2_000, 2_100)  # predicted 2_100 from the first sample: 0% error
    calibration.add(3_000, 3_400)  # predicted 3_100: 300 / 3_400 = 8.8% error
    assert calibration.p95_error_pct is not None and abs(calibration.p95_error_pct - 300 / 3_400 * 100) < 1e-9
    assert calibration.badge() == "±8.8% p95, n=3"


def test_cache_reads_and_writes_count_when_the_provider_left_them_out() -> None:
    b = budget(window=128_000)
    recorder = Recorder()
    b.record_usage(MODEL, 5_000, 5_050, cached_tokens=4_000, emit=recorder)  # litellm: already included
    b.record_usage(MODEL, 5_000, 50, cached_tokens=4_000, cache_write_tokens=1_000, emit=recorder)  # raw: added back
    assert [e.provider for e in recorder.events] == [5_050, 5_050]


def test_calls_without_counts_are_not_recorded() -> None:
    b = budget(window=128_000)
    recorder = Recorder()
    b.record_usage(MODEL, 5_000, 0, emit=recorder)
    b.record_usage(MODEL, 0, 5_000, emit=recorder)
    assert recorder.events == [] and b.model_calibration().n == 0


def test_statistics_are_kept_per_model_and_can_be_seeded() -> None:
    b = budget(window=128_000)
    recorder = Recorder()
    b.record_usage("openai/gpt-4o-mini", 1_000, 2_000, emit=recorder)
    assert b.model_calibration().n == 0 and b.model_calibration("openai/gpt-4o-mini").n == 1
    b.seed_calibration(MODEL, [(1_000, 1_050), (3_000, 3_050)])
    assert b.model_calibration().n == 2 and b.model_calibration().overhead == 50
    assert b.measure(system_prompt(), []).calibration["n"] == 2


def test_two_requests_of_nearly_one_size_give_no_slope() -> None:
    """A 100-token step with 500 more provider tokens is noise, not a ×5 tokenizer: the line it made
    predicted 0 for a small request and 132k for a 40k one (its overhead was −28k)."""
    calibration = ModelCalibration(exact=True)
    calibration.add(10_000, 12_000)
    calibration.add(10_100, 12_500)
    assert calibration.scale == 1.0 and calibration.overhead == 2_200  # the median hidden overhead
    assert calibration.predict(2_000) == 4_200 and calibration.predict(40_000) == 42_200
    calibration.add(16_000, 18_300)  # a request far enough from the others: its slopes count
    assert 0.9 < calibration.scale < 1.1 and 1_500 < calibration.overhead < 2_500

"""The Context budget against a real provider count (loopback OpenAI-compatible server)."""

from __future__ import annotations

from app.agent.events.budget import CalibrationUpdated, CompactionPerformed
from app.settings import Settings
from tests.core.helpers import make_session
from tests.support.openai_server import Fault, Reply, ToolCallSpec


async def test_calibrated_estimate_is_within_2_percent_of_the_provider(openai_server, workspace, tmp_path):
    # The provider adds tokens we cannot see (like a hidden tool-use preamble).
    openai_server.hidden_prompt_overhead = 137
    for i in range(6):
        (workspace / f"f{i}.py").write_text(f"def f{i}(x):\n    return x * {i}\n" * (20 + 15 * i))
    openai_server.script(
        [Reply(text=f"Reading f{i}.", tool_calls=[ToolCallSpec("read_file", {"path": f"f{i}.py"})]) for i in range(6)]
        + [Reply(text="All read.")]
    )
    session, events, db = make_session("openai/gpt-4o", workspace, tmp_path / "b.db", api_base=openai_server.url)
    session.start()
    result = await session.run_task("read every file")
    session.finish()
    assert result.outcome == "completed"
    updates = events.of(CalibrationUpdated)
    assert len(updates) == 7
    for update in updates[2:]:  # after calibration
        assert abs(update.predicted - update.provider) / update.provider < 0.02, update
    # Estimates and provider counts are stored per call.
    rows = list(db.query("select estimated_prompt_tokens, prompt_tokens from model_calls order by started_at"))
    assert all(r["estimated_prompt_tokens"] and r["prompt_tokens"] for r in rows)
    stored = list(db.query("select predicted, provider from budget_calibration order by ts"))
    assert len(stored) == 7 and all(abs(r["predicted"] - r["provider"]) / r["provider"] < 0.02 for r in stored[2:])


async def test_context_window_exceeded_compacts_and_retries_once(openai_server, workspace, tmp_path):
    (workspace / "big.log").write_text("".join(f"line {i}: something happened here\n" for i in range(4000)))
    openai_server.script(
        [
            Reply(tool_calls=[ToolCallSpec("bash", {"command": "cat big.log"})]),
            Reply(tool_calls=[ToolCallSpec("read_file", {"path": "big.log", "start_line": 1, "end_line": 900})]),
            Fault.context_length_exceeded(),
            Reply(text="Summarised the log."),
        ]
    )
    settings = Settings(resilience={"backoff_base_s": 0.01, "backoff_cap_s": 0.02})
    session, events, db = make_session("openai/gpt-4o", workspace, tmp_path / "b.db", settings=settings, api_base=openai_server.url)
    session.start()
    result = await session.run_task("what does the log say?")
    session.finish()
    assert result.outcome == "completed" and result.answer == "Summarised the log."
    compactions = events.of(CompactionPerformed)
    assert compactions and {c.reason for c in compactions} == {"context_exceeded"}
    assert all(c.tokens_after < c.tokens_before for c in compactions)
    # Exactly one retry after the overflow, with a smaller prompt than the one refused.
    requests = openai_server.chat_requests
    assert len(requests) == 4
    assert len(str(requests[3].body["messages"])) < len(str(requests[2].body["messages"]))
    assert db.execute("select count(*) from budget_compactions").fetchone()[0] == len(compactions)

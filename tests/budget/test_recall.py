"""recall_output reads back what compaction shortened."""

from __future__ import annotations

from pathlib import Path

from app.agent.budget.recall import RecallOutputTool
from app.agent.tools.base import Tool, ToolContext
from tests.budget.scenarios import Recorder, budget, code, grow, step, system_prompt


async def test_the_model_can_page_through_a_capped_result(tmp_path: Path) -> None:
    b = budget(window=12_000, tool_result_cap_chars=3_000)
    b.recall_tool = "recall_output"
    full = code(20_000, seed=3)
    messages = grow(system_prompt(), 1, 0, 500) + step(9, "bash", {"command": "make"}, full)
    compacted = await b.prepare(messages, [], emit=Recorder(), summarize=None)
    assert 'recall_output(tool_call_id="call_9"' in compacted[-1]["content"]
    tool = RecallOutputTool(b.original_output)
    assert isinstance(tool, Tool) and not tool.side_effects
    ctx = ToolContext(workspace=tmp_path)
    first = await tool.run({"tool_call_id": "call_9", "offset": 0, "limit": 5_000}, ctx)
    assert not first.is_error and first.text.endswith(full[:5_000]) and "offset=5000" in first.text
    last = await tool.run({"tool_call_id": "call_9", "offset": 19_000}, ctx)
    assert last.text.endswith(full[19_000:]) and "more characters" not in last.text
    missing = await tool.run({"tool_call_id": "call_0"}, ctx)
    assert missing.is_error

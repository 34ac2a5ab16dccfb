"""A provider that sends no usage: the stored usage is Cockpit's estimate (tiktoken o200k),
counted with the budget's tokenizer, and litellm's own tokenizer (cl100k) is never loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from app.agent.events import core as ev
from app.settings import Settings
from tests.core.helpers import make_session
from tests.e2e.test_instrument_truth import finished_calls, run
from tests.support.openai_server import (Reply, ToolCallSpec, count_completion_tokens, count_prompt_tokens,
                                         encoding)

ROOT = Path(__file__).resolve().parents[2]


def o200k(text: str) -> int:
    return len(encoding("o200k_base").encode(text, disallowed_special=())) if text else 0


def tools_tokens(tools: list[dict[str, Any]]) -> int:
    """OpenAI's published estimate for function definitions: name, description, schema, 7 each, 12 once."""
    total = 0
    for tool in tools:
        function = tool["function"]
        schema = json.dumps(function.get("parameters") or {}, separators=(",", ":"), sort_keys=True)
        total += 7 + o200k(function["name"]) + o200k(function.get("description") or "") + o200k(schema)
    return total + (12 if tools else 0)


async def test_usage_the_provider_never_sent_is_cockpits_o200k_count_of_the_request_and_the_answer(
    openai_server, workspace, tmp_path
):
    (workspace / "a.py").write_text("x = 1\n")
    replies = [
        Reply(text="Looking at it.", tool_calls=[ToolCallSpec("read_file", {"path": "a.py"})], send_usage=False),
        Reply(text="It sets x to one, and nothing else happens in that file.", send_usage=False),
    ]
    openai_server.script(list(replies))
    # The budget counts with o200k (auto would pick chars/4 for the unknown name "test-model").
    _, result, events, db = await run(openai_server.url, workspace, tmp_path / "e.db",
                                      budget={"tokenizer": "o200k_base"})
    assert result.outcome == "completed"
    calls = [c for c in finished_calls(events) if c.status == ev.CallStatus.OK]
    requests = openai_server.chat_requests
    assert len(calls) == len(requests) == 2
    for call, request, reply in zip(calls, requests, replies):
        body = request.body
        expected_prompt = count_prompt_tokens(body["messages"]) + tools_tokens(body.get("tools") or [])
        assert call.usage["source"] == ev.USAGE_ESTIMATED and not call.usage["reported"]
        assert call.usage["prompt_tokens"] == expected_prompt
        assert call.usage["completion_tokens"] == count_completion_tokens(reply)
        assert call.usage["cached_tokens"] is None  # nobody sent a cache figure
    rows = list(db.query("select usage_source, prompt_tokens, completion_tokens from model_calls "
                         "where status = 'ok' order by started_at"))
    assert [(r["usage_source"], r["prompt_tokens"], r["completion_tokens"]) for r in rows] == [
        ("estimated", c.usage["prompt_tokens"], c.usage["completion_tokens"]) for c in calls]


FIRST_CALL = """
import asyncio, json, sys, tempfile
from pathlib import Path
import tiktoken.registry
from app.agent.budget.tokenizer import tokenizer_for
from app.agent.model import LiteLLMModel
from app.agent.warmup import warm
from tests.support.openai_server import OpenAIServer, Reply

async def main():
    server = OpenAIServer().start()
    server.script([Reply(text="hello there", send_usage=False), Reply(text="hello again")])
    budget = tokenizer_for("openai/gpt-4o")  # what the context budget loads for an OpenAI model
    before = sorted(tiktoken.registry.ENCODINGS)
    warm()
    model = LiteLLMModel("openai/gpt-4o", api_base=server.url, api_key="sk-test")
    for _ in range(2):
        await model.stream([{"role": "user", "content": "hi"}], [], lambda text: None)
    server.close()
    script = Path(tempfile.mkdtemp()) / "script.json"  # a custom provider's call (litellm hands it the encoding)
    script.write_text(json.dumps([{"text": "hi"}]))
    await LiteLLMModel(f"scripted/{script}").stream([{"role": "user", "content": "hi"}], [], lambda text: None)
    print(json.dumps({"budget": budget.name, "before": before, "after": sorted(tiktoken.registry.ENCODINGS),
                      "default_encoding": "litellm.litellm_core_utils.default_encoding" in sys.modules}))

asyncio.run(main())
"""


def test_litellm_loads_no_tokenizer_of_its_own_at_the_warm_up_or_the_first_streamed_calls():
    # An OpenAI model's calls, then the scripted provider's (litellm passes every handler its cl100k encoding:
    # app.agent.offline defers it until a handler reads it).
    # A fresh interpreter: this one may have loaded any encoding already.
    done = subprocess.run([sys.executable, "-c", FIRST_CALL], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["budget"] == "tiktoken o200k_base"
    # The server (this process) counts with o200k too: the budget's encoding is the only one.
    assert seen["after"] == seen["before"] == ["o200k_base"]
    assert seen["default_encoding"] is False  # litellm's cl100k loader was never imported


async def test_the_scripted_provider_reports_only_the_usage_its_script_gives(write_script, workspace, tmp_path):
    model = write_script([{"text": "No counts in the script."},
                          {"text": "Counted.", "usage": {"prompt_tokens": 900, "completion_tokens": 12}}])
    session, events, _ = make_session(model, workspace, tmp_path / "s.db",
                                      settings=Settings(budget={"tokenizer": "o200k_base"}))
    session.start()
    for task in ("first", "second"):
        assert (await session.run_task(task)).outcome == "completed"
    session.finish()
    first, second = [c.usage for c in finished_calls(events)]
    # No usage scripted: Cockpit's estimate (the budget's count of the prompt), never the provider's.
    assert (first["source"], first["reported"]) == (ev.USAGE_ESTIMATED, False)
    assert first["prompt_tokens"] == finished_calls(events)[0].estimated_prompt_tokens
    assert first["completion_tokens"] == o200k("No counts in the script.")
    # The script's own counts play the provider's.
    assert (second["source"], second["prompt_tokens"], second["completion_tokens"]) == (ev.USAGE_PROVIDER, 900, 12)

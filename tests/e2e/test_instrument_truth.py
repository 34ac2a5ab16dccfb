"""What the model adapter reports is true, through the real loop and real HTTP on loopback.

Each case is a behaviour of a real OpenAI-compatible server (llama.cpp's
llama-server, llama-cpp-python, the LiteLLM proxy) played by the test server.
"""

from __future__ import annotations

import json
import socket

import pytest

from app.agent.events import core as ev
from app.agent.events.budget import CalibrationUpdated, ContextMeasured
from app.agent.events.budget_view import BudgetState
from app.agent.events.resilience import AttemptFailed, AttemptSucceeded, RetryTaxAccrued
from app.agent.events.retries_view import RetriesReducer
from app.agent.continuation import CONTINUE, MAX_CONTINUATIONS
from app.agent.model import StreamDropped
from app.cli import main
from app.settings import Settings
from tests.core.helpers import make_session
from tests.support.openai_server import DropStream, EmptyReply, Fault, Reply, ToolCallSpec
from widgets.retries_pane import render_summary

FAST = {"backoff_base_s": 0.01, "backoff_cap_s": 0.05}


async def run(server_url, workspace, db_path, *, task="hello", resume=None, resilience=None, **settings_kw):
    settings = Settings(resilience={**FAST, **(resilience or {})}, **settings_kw)
    session, events, db = make_session("openai/test-model", workspace, db_path, settings=settings,
                                       api_base=server_url, resume=resume)
    session.start()
    result = await session.run_task(task)
    session.finish()
    return session, result, events, db


def finished_calls(events):
    return events.of(ev.ModelCallFinished)


def attempts(db):
    return [(r[0], r[1]) for r in db.execute("select status, error_class from model_calls order by started_at, attempt")]


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --------------------------------------------------------------------------- usage provenance


async def test_usage_is_marked_with_where_it_came_from_and_only_provider_counts_calibrate(
    capsys, openai_server, workspace, tmp_path
):
    (workspace / "a.py").write_text("x = 1\n")
    openai_server.script([
        Reply(text="Looking.", tool_calls=[ToolCallSpec("read_file", {"path": "a.py"})], send_usage=False),
        Reply(text="It sets x."),
    ])
    _, result, events, db = await run(openai_server.url, workspace, tmp_path / "u.db")
    assert result.outcome == "completed"
    usages = [call.usage for call in finished_calls(events)]
    # Cockpit counted the first call itself (the provider sent no usage): an estimate.
    assert [(u["source"], u["reported"]) for u in usages] == [("estimated", False), ("provider", True)]
    assert usages[0]["prompt_tokens"] > 0
    # Only the provider's count was a calibration sample.
    assert len(events.of(CalibrationUpdated)) == 1
    rows = list(db.query("select usage_source, usage_reported from model_calls order by started_at"))
    assert [(r["usage_source"], r["usage_reported"]) for r in rows] == [("estimated", 0), ("provider", 1)]
    capsys.readouterr()
    assert main(["show", "latest", "--db", str(tmp_path / "u.db")]) == 0
    shown = capsys.readouterr().out
    assert "usage        1 call reported by the provider; 1 call estimated (the provider sent none): " in shown


async def test_a_server_that_never_reports_usage_says_so_in_the_badge(openai_server, workspace, tmp_path):
    openai_server.responder = lambda body: Reply(text="no counts here", send_usage=False)
    _, result, events, _ = await run(openai_server.url, workspace, tmp_path / "n.db")
    assert result.outcome == "completed"
    assert not events.of(CalibrationUpdated)
    state = BudgetState()
    for event in events:
        state.apply(event)
    assert state.badge == "no provider counts (1 call)"
    assert state.provider_prompt_tokens is None  # Cockpit's estimate is not shown as the provider's


# --------------------------------------------------------------------------- stream integrity


@pytest.mark.parametrize(
    "broken",
    [DropStream(after_chunks=3, chunked=False), DropStream(after_chunks=3), EmptyReply()],
    ids=["closed-without-done", "chunked-body-cut", "empty-200"],
)
async def test_a_dropped_or_empty_stream_is_retried_counted_and_taxed(broken, openai_server, workspace, tmp_path):
    openai_server.script([broken, Reply(text="The whole answer.")])
    _, result, events, db = await run(openai_server.url, workspace, tmp_path / "d.db")
    assert (result.outcome, result.answer) == ("completed", "The whole answer.")
    assert len(openai_server.chat_requests) == 2
    assert attempts(db) == [("error", "stream_dropped"), ("ok", None)]
    failed = events.of(AttemptFailed)
    assert [(f.error_kind, f.decision) for f in failed] == [("transient", "retry")]
    taxed = events.of(RetryTaxAccrued)
    assert taxed and taxed[0].call_id == finished_calls(events)[0].call_id and taxed[0].tokens > 0


async def test_stream_dropped_names_what_was_missing(openai_server):
    from app.agent.model import LiteLLMModel

    model = LiteLLMModel("openai/test-model", api_base=openai_server.url, timeout_s=10)
    openai_server.script([DropStream(after_chunks=3, chunked=False), EmptyReply()])
    received: list[str] = []
    with pytest.raises(StreamDropped) as cut:
        await model.stream([{"role": "user", "content": "hi"}], [], received.append)
    assert cut.value.reason == "incomplete" and cut.value.partial_text == "".join(received) != ""
    with pytest.raises(StreamDropped) as empty:
        await model.stream([{"role": "user", "content": "hi"}], [], received.append)
    assert empty.value.reason == "empty"


async def test_an_answer_cut_off_at_the_output_limit_is_continued(openai_server, workspace, tmp_path):
    openai_server.script([Reply(text="First half, ", finish_reason="length"), Reply(text="second half.")])
    _, result, events, _ = await run(openai_server.url, workspace, tmp_path / "c.db")
    assert (result.outcome, result.answer, result.cut_offs) == ("completed", "First half, second half.", 1)
    notices = [n for n in events.of(ev.Notice) if "cut off" in n.message]
    assert len(notices) == 1 and notices[0].level == "warning"
    assert [c.finish_reason for c in finished_calls(events)] == ["length", "stop"]
    second = openai_server.chat_requests[1].body["messages"]
    assert second[-2]["content"] == "First half, " and second[-1] == {"role": "user", "content": CONTINUE}


def test_an_answer_that_stays_cut_off_stops_headless_with_exit_code_3(capsys, openai_server, workspace, tmp_path):
    openai_server.responder = lambda body: Reply(text="and so on ", finish_reason="length")
    code = main(["run", "write a novel", "--model", "openai/test-model", "--api-base", openai_server.url,
                 "--workspace", str(workspace), "--db", str(tmp_path / "x.db")])
    assert code == 3, capsys.readouterr().out
    assert len(openai_server.chat_requests) == 1 + MAX_CONTINUATIONS


# --------------------------------------------------------------------------- valid history


async def test_malformed_tool_arguments_never_poison_a_strict_server_even_on_resume(
    openai_server, workspace, tmp_path
):
    openai_server.strict_tool_arguments = True  # llama-server: 500 "Failed to parse tool call arguments as JSON"
    raw = '{"path": "a.py"'
    openai_server.script([Reply(tool_calls=[ToolCallSpec("read_file", raw)]), Reply(text="Recovered.")])
    db_path = tmp_path / "s.db"
    session, result, events, db = await run(openai_server.url, workspace, db_path)
    assert (result.outcome, result.answer) == ("completed", "Recovered.")
    assert len(openai_server.chat_requests) == 2  # nothing was refused, nothing retried
    # Stored as the model sent it ...
    assert events.of(ev.ToolCallRequested)[0].arguments_raw == raw
    # ... sent as a JSON object, the error in the tool result.
    history = openai_server.chat_requests[1].body["messages"]
    sent = [c for m in history for c in m.get("tool_calls") or []][0]["function"]["arguments"]
    assert json.loads(sent) == {"_invalid_arguments": raw}
    assert history[-1]["role"] == "tool" and "JSON" in history[-1]["content"]
    db.close()

    openai_server.script([Reply(text="Still fine.")])
    _, resumed, _, _ = await run(openai_server.url, workspace, db_path, task="and now?", resume=session.id)
    assert (resumed.outcome, resumed.answer) == ("completed", "Still fine.")
    assert len(openai_server.chat_requests) == 3


async def test_a_request_the_server_cannot_parse_is_terminal(openai_server, workspace, tmp_path):
    openai_server.responder = lambda body: Fault.malformed_tool_arguments()
    _, result, _, db = await run(openai_server.url, workspace, tmp_path / "t.db")
    assert result.outcome == "failed"
    assert len(openai_server.chat_requests) == 1
    assert attempts(db) == [("error", "bad_request")]


# --------------------------------------------------------------------------- hidden retries


async def test_a_proxys_retries_and_retry_after_are_seen(openai_server, workspace, tmp_path):
    upstream = {"x-litellm-attempted-retries": "1", "x-litellm-max-retries": "2"}
    openai_server.script([Fault.proxy_rate_limited(retry_after=1, attempted_retries=2), Reply(text="ok", headers=upstream)])
    _, result, events, db = await run(openai_server.url, workspace, tmp_path / "p.db")
    assert result.outcome == "completed"
    first, second = openai_server.chat_requests
    assert second.time - first.time >= 1.0  # llm_provider-retry-after honoured, measured by the server
    (failed,) = events.of(AttemptFailed)
    assert (failed.retry_after_s, failed.upstream_retries, failed.decision) == (1.0, 2, "retry")
    assert events.of(AttemptSucceeded)[0].upstream_retries == 1
    assert [c.upstream_retries for c in finished_calls(events)] == [2, 1]
    told = [n for n in events.of(ev.Notice) if "num_retries: 0" in n.message]
    assert len(told) == 1  # once, however often the proxy retries
    assert [r[0] for r in db.execute("select upstream_retries from model_calls order by started_at")] == [2, 1]
    pane = RetriesReducer()
    for event in events:
        pane.apply(event)
    assert pane.state.upstream_retries == 3
    assert "retried upstream 3× unseen" in render_summary(pane.state).plain


# --------------------------------------------------------------------------- errors named truly


async def test_a_dead_endpoint_is_a_connect_error_and_costs_no_tax(workspace, tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    _, result, events, db = await run(url, workspace, tmp_path / "r.db", resilience={"max_attempts": 2})
    assert result.outcome == "failed"
    assert attempts(db) == [("error", "connect_error"), ("error", "connect_error")]
    assert [f.status for f in events.of(AttemptFailed)] == [None, None]  # no HTTP status was ever seen
    assert not [t for t in events.of(RetryTaxAccrued) if t.reason == "resent_input"]


# --------------------------------------------------------------------------- what --api-base sends and asks


async def test_the_api_key_and_tool_choice_are_sent(monkeypatch, openai_server, workspace, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local-server-key")
    _, result, _, db = await run(openai_server.url, workspace, tmp_path / "k.db")
    assert result.outcome == "completed"
    (request,) = openai_server.chat_requests
    assert request.headers["authorization"] == "Bearer sk-local-server-key"
    assert request.body["tool_choice"] == "auto" and request.body["tools"]
    assert "sk-local-server-key" not in json.dumps(list(db.query("select payload from events")))


async def test_a_configured_api_key_env_names_the_variable(monkeypatch, openai_server, workspace, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-the-wrong-one")
    monkeypatch.setenv("LOCAL_LLM_KEY", "sk-the-right-one")
    _, result, _, _ = await run(openai_server.url, workspace, tmp_path / "k.db", api_key_env="LOCAL_LLM_KEY")
    assert result.outcome == "completed"
    assert openai_server.chat_requests[0].headers["authorization"] == "Bearer sk-the-right-one"


@pytest.mark.parametrize(
    "metadata, props, window",
    [({"max_model_len": 8192}, None, 8192), ({"context_length": 12288}, None, 12288),
     ({}, {"default_generation_settings": {"n_ctx": 4096}}, 4096)],
    ids=["vllm-models", "models-context-length", "llama-cpp-props"],
)
async def test_the_context_window_of_an_unknown_model_is_asked_of_the_server(
    metadata, props, window, openai_server, workspace, tmp_path
):
    openai_server.model_metadata = {"test-model": metadata}
    openai_server.props = props
    _, _, events, _ = await run(openai_server.url, workspace, tmp_path / "w.db", task="one")
    measured = events.of(ContextMeasured)
    assert measured and {(m.advertised, m.advertised_source) for m in measured} == {(window, "server")}
    asked = [r.path for r in openai_server.requests if r.method == "GET"]
    assert len(asked) <= 2  # once per session: /v1/models, then /props only if needed


async def test_a_server_that_does_not_say_leaves_the_window_assumed(openai_server, workspace, tmp_path):
    _, _, events, _ = await run(openai_server.url, workspace, tmp_path / "a.db")
    assert {(m.advertised, m.advertised_source) for m in events.of(ContextMeasured)} == {(32768, "assumed")}

"""What Cockpit's harness would have seen in a session another agent ran.

An imported session (Claude Code, Codex CLI, mini-swe-agent) never met the loop
detector. :func:`with_loop_detections` runs the live detector over its tool
calls and model replies, in order, and inserts a ``resilience_loop_detected``
event after the call that completed each loop, with the action ``seen``:
nothing was sent to that agent and nothing was stopped, but the Retries pane,
replay, the ``resilience_loop_hits`` table and the feedback signals now show where it went
round in circles. The message says what Cockpit would have done there.

An imported call the other agent recorded no cost for is priced by
:func:`with_prices` from its model name with litellm's cost map (``cost_source``
``model_name``: "priced by Cockpit from the model name"); one litellm has no price
for stays unpriced (``cost_usd`` None), never $0.

The importers (in ``storage``) stay free of the core and of litellm; ``cockpit import``
passes :func:`enrich` (both steps) to :func:`storage.importers.import_path`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

SEEN = "seen"
_WOULD = {"warn": "Cockpit would have sent the model a correction", "halt": "Cockpit would have stopped the turn"}


def enrich(events: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """What ``cockpit import`` adds to an imported session: prices, then the loops found in it."""
    return with_loop_detections(with_prices(events))


def with_prices(events: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """``events`` with every successful model call that has no recorded cost priced from its model name."""
    from app.agent.events.core import COST_MODEL_NAME
    from app.agent.pricing import LITELLM_PRICING

    for event in events:
        if event["type"] == "model_call_finished" and event.get("status") == "ok" and event.get("cost_usd") is None:
            usage = event.get("usage") or {}
            price = LITELLM_PRICING.price(
                event.get("model") or "", prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
                cached_tokens=int(usage.get("cached_tokens") or 0),
                cache_write_tokens=int(usage.get("cache_write_tokens") or 0),
            )
            if price.known:
                event = {**event, "cost_usd": price.usd, "cost_source": COST_MODEL_NAME}
        yield event


def with_loop_detections(events: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """``events`` (as the importers build them, streamed; a file may interleave several sessions) with the loops
    found in each session, renumbered."""
    from app.agent.resilience.loop_detector import LoopDetector

    detectors: dict[str, LoopDetector] = {}
    seqs: dict[str, int] = {}
    for event in events:
        session_id = event["session_id"]
        detector = detectors.get(session_id) or detectors.setdefault(session_id, LoopDetector())
        seq = seqs[session_id] = seqs.get(session_id, 0) + 1
        event["seq"] = seq
        kind = event["type"]
        verdict = None
        if kind == "turn_started":
            detector.start_turn()
        elif kind == "model_call_finished" and event.get("status") == "ok":
            verdict = detector.observe_model_response(event.get("text") or "", event.get("tool_calls") or [])
        elif kind == "tool_call_finished":
            verdict = detector.observe_tool(
                event.get("name") or "", event.get("arguments"), event.get("status") or "", event.get("result") or "",
                event.get("error"), poll=bool(event.get("poll")),
            )
        yield event
        if verdict is not None:
            seqs[session_id] = seq + 1
            yield {**_seen(event, verdict), "seq": seq + 1}


def _seen(after: dict[str, Any], verdict: Any) -> dict[str, Any]:
    return {
        "type": "resilience_loop_detected",
        "session_id": after["session_id"],
        "seq": 0,  # numbered with the rest
        "ts": after["ts"],
        "pattern": verdict.pattern,
        "action": SEEN,
        "message": f"{_WOULD.get(verdict.action, 'Cockpit would have acted')}: {verdict.message}",
        "tool": verdict.tool,
        "count": verdict.count,
        "turn": after.get("turn") or verdict.turn,
    }

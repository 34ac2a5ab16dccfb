"""What the summarising rung sends, and the digest used without a model."""

from __future__ import annotations

from pathlib import Path

from app.agent.budget.summary import INSTRUCTIONS, fallback_summary, summary_request, transcript
from tests.budget.scenarios import grow, system_prompt

ROOT = Path(__file__).resolve().parents[2]


def test_the_request_asks_for_goals_and_open_items_at_the_end() -> None:
    request = summary_request(grow(system_prompt(), 2, 0, 500))
    assert request[0] == {"role": "system", "content": INSTRUCTIONS}
    assert INSTRUCTIONS.rstrip().splitlines()[-2].startswith("Goals:")
    assert INSTRUCTIONS.rstrip().splitlines()[-1].startswith("Open items:")
    body = request[1]["content"]
    assert "TOOL RESULT read_file(src/parser/mod_1.py):" in body and "calls: read_file(" in body


def test_the_transcript_keeps_the_newest_part_when_too_long() -> None:
    messages = grow(system_prompt(), 10, 0, 3_000)
    text = transcript(messages, max_chars=5_000)
    assert len(text) <= 5_000 + 40 and text.startswith("[…earlier lines omitted…]")
    assert "mod_9.py" in text and "mod_0.py" not in text


def test_the_fallback_digest_invents_nothing() -> None:
    digest = fallback_summary(grow(system_prompt(), 3, 0, 200))
    assert "mechanical digest of 8 messages" in digest
    assert "The parser test fails on empty input" in digest
    assert "read_file(src/parser/mod_2.py)" in digest
    assert digest.rstrip().endswith("Open items: unknown; check the current state.")

"""Benchmark: the context budget's incremental update vs tiktoken alone.

At a ~150k-token history, adding one new ~2k-token tool result must cost at
most 1.2x encoding that result with tiktoken alone. A full recount (a fresh
budget measuring the whole history) is reported beside it.

Run: ``python benchmarks/bench_budget.py`` (exit code 1 when the ratio is over 1.2).
"""

from __future__ import annotations

import copy
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.goals import report  # noqa: E402
from app.agent.budget.budget import ContextBudget  # noqa: E402
from app.agent.budget.config import BudgetConfig  # noqa: E402
from app.agent.budget.tokenizer import tokenizer_for  # noqa: E402

MODEL = "openai/gpt-4o"
HISTORY_TOKENS = 150_000
RESULT_TOKENS = 2_000
REPEATS = 41
LIMIT = 1.2


def code_text(rng: random.Random, tokens: int, count) -> str:
    """Source-like text of about ``tokens`` tokens."""
    words = ["def", "return", "self", "value", "items", "config", "path", "result", "None", "if", "for", "in"]
    lines: list[str] = []
    while True:
        name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(rng.randint(3, 10)))
        lines.append(f"{len(lines) + 1:5d}    {' '.join(rng.choice(words) for _ in range(6))} {name}({rng.randint(0, 999)})")
        if len(lines) % 20 == 0 and count("\n".join(lines)) >= tokens:
            return "\n".join(lines)


def tool_pair(index: int, text: str) -> list[dict]:
    call_id = f"call_{index}"
    arguments = json.dumps({"path": f"src/module_{index}.py"})
    return [
        {"role": "assistant", "content": None, "tool_calls": [{"id": call_id, "type": "function", "function": {"name": "read_file", "arguments": arguments}}]},
        {"role": "tool", "tool_call_id": call_id, "content": text},
    ]


def tools() -> list[dict]:
    names = ["read_file", "write_file", "edit_file", "bash", "grep", "glob", "list_dir", "recall_output"]
    return [
        {
            "type": "function",
            "function": {
                "name": name,
                "description": f"The {name} tool. " * 8,
                "parameters": {"type": "object", "properties": {"path": {"type": "string"}, "limit": {"type": "integer"}}},
            },
        }
        for name in names
    ]


def main() -> int:
    rng = random.Random(4)
    count = tokenizer_for(MODEL).count
    definitions = tools()
    history: list[dict] = [
        {"role": "system", "content": "You are Cockpit, a careful coding agent. " * 40},
        {"role": "user", "content": "Find and fix the failing test in the parser module."},
    ]
    budget = ContextBudget(MODEL, BudgetConfig(), advertised_window=400_000)
    index = 0
    while budget.measure(history, definitions).local_total < HISTORY_TOKENS:
        history += tool_pair(index, code_text(rng, RESULT_TOKENS, count))
        index += 1
    history_tokens = budget.measure(history, definitions).local_total

    results = [code_text(rng, RESULT_TOKENS, count) for _ in range(REPEATS)]
    pairs = [tool_pair(index + i, text) for i, text in enumerate(results)]
    base = [history + pair[:1] for pair in pairs]  # the call is already measured; the result is new
    import tiktoken

    encode = tiktoken.get_encoding("o200k_base").encode_ordinary
    encode_ms, update_ms, event_ms, full_ms = [], [], [], []
    for i in range(REPEATS):
        text = results[i]
        budget.measure(base[i], definitions)
        grown = base[i] + pairs[i][1:]
        definitions = copy.deepcopy(definitions)  # as the loop's registry hands out a fresh copy per call
        started = time.perf_counter()
        encode(text)
        encode_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        snapshot = budget.measure(grown, definitions)
        update_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        snapshot.to_event()
        event_ms.append((time.perf_counter() - started) * 1000)
        if i < 5:
            fresh = ContextBudget(MODEL, BudgetConfig(), advertised_window=400_000)
            started = time.perf_counter()
            full = fresh.measure(grown, definitions)
            full_ms.append((time.perf_counter() - started) * 1000)
            assert full.local_total == snapshot.local_total, "incremental and full recount disagree"

    encode_t, update_t = statistics.median(encode_ms), statistics.median(update_ms)
    event_t, full_t = statistics.median(event_ms), statistics.median(full_ms)
    ratio = update_t / encode_t
    rows = [
        ("tiktoken encode of the new result alone", encode_t),
        ("incremental update (measure)", update_t),
        ("  + building the ContextMeasured event", event_t),
        ("full recount (fresh budget)", full_t),
    ]
    print(f"history: {history_tokens:,} tokens in {len(history)} messages; new result: {count(results[0]):,} tokens")
    print(f"{'what':<44}{'median ms':>12}")
    for label, value in rows:
        print(f"{label:<44}{value:>12.3f}")
    verdict = "ok" if ratio <= LIMIT else "TOO SLOW"
    print(f"ratio update / encode: {ratio:.2f} (limit {LIMIT}) {verdict}")
    print(f"full recount / update: {full_t / update_t:.0f}x")
    report("budget update after a 2k-token result vs tiktoken encode alone", goal=f"<= {LIMIT}x",
           measured=f"{ratio:.2f}x ({update_t:.2f} ms)", ratio=ratio / LIMIT, ok=ratio <= LIMIT)
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())

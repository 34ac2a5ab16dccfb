"""Benchmark: what prompt caching saves over a scripted 50-call session.

A real Cockpit session (the loop, litellm's ``anthropic/`` provider, the store) talks to
Anthropic's Messages API on loopback (``tests/support/anthropic_server.py``: a prompt cache with
breakpoints, look-back and a five-minute life). Three tasks, 50 model calls: each reads source
files of 2-9 KB, one result after another; between the second and the third task the user is
away for six minutes, so the cache expires once. The same script runs twice, with
``[agent] prompt_cache`` on and off; each run's cost is the sum of its stored ``model_calls.cost_usd``
(litellm's cost map for claude-sonnet-4-5), and the cached run's ``uncached_cost_usd`` sum
prices the same tokens without caching. Prints both, the ratio, the hit rate and the misses.

Run: ``python benchmarks/bench_cache.py`` (exit code 1 when caching does not at least halve the cost).
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ["ANTHROPIC_API_KEY"] = "sk-ant-bench"  # the loopback server takes any key

from app.settings import Settings  # noqa: E402
from benchmarks.goals import report  # noqa: E402
from tests.core.helpers import make_session  # noqa: E402
from tests.support.anthropic_server import AnthropicServer  # noqa: E402
from tests.support.openai_server import Reply, ToolCallSpec  # noqa: E402

MODEL = "anthropic/claude-sonnet-4-5"
TASKS = (20, 20, 10)  # model calls per task: 50
IDLE_S = 360.0  # before the third task: longer than the cache lives
FILES = 40
LIMIT = 0.5  # caching must cost at most half


def write_files(workspace: Path) -> None:
    rng = random.Random(17)
    words = ["def", "return", "self", "value", "items", "config", "path", "result", "None", "if", "for", "in"]
    for n in range(FILES):
        lines = [f"    {' '.join(rng.choice(words) for _ in range(8))}  # {rng.randint(0, 10**6)}"
                 for _ in range(rng.randint(40, 180))]
        (workspace / f"mod_{n}.py").write_text(f"def f{n}():\n" + "\n".join(lines) + "\n")


def script(rng: random.Random) -> list[Reply]:
    steps: list[Reply] = []
    for calls in TASKS:
        steps += [Reply(text="Reading on.", tool_calls=[ToolCallSpec("read_file", {"path": f"mod_{rng.randrange(FILES)}.py"})])
                  for _ in range(calls - 1)]
        steps.append(Reply(text="Done with this part."))
    return steps


async def run(cached: bool, root: Path) -> dict[str, float]:
    workspace = root / ("cached" if cached else "uncached")
    workspace.mkdir()
    write_files(workspace)
    settings = Settings(agent={"prompt_cache": cached, "max_steps": 100, "max_cost_usd": 1000.0})
    with AnthropicServer() as server:
        server.script(script(random.Random(5)))
        session, _events, db = make_session(MODEL, workspace, root / f"{workspace.name}.db", settings=settings,
                                            api_base=server.url)
        clock = [0.0]
        session.agent.calls.cache.clock = lambda: clock[0]
        session.start()
        for n, _calls in enumerate(TASKS):
            if n == 2:
                clock[0] += IDLE_S
                server.advance(IDLE_S)
            await session.run_task(f"task {n + 1}: read the modules")
        session.finish()
        row = db.execute("""select count(*), sum(cost_usd), sum(uncached_cost_usd), sum(cached_tokens), sum(prompt_tokens),
                                   sum(cache_write_tokens), count(cache_miss_cause), sum(cache_miss_usd)
                            from model_calls where status = 'ok'""").fetchone()
        causes = [r[0] for r in db.execute("select cache_miss_cause from model_calls where cache_miss_cause is not null")]
        db.close()
    keys = ("calls", "cost", "uncached", "read", "prompt", "written", "misses", "miss_usd")
    result = dict(zip(keys, (float(v or 0) for v in row)))
    result["causes"] = causes  # type: ignore[assignment]
    return result


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["COCKPIT_HOME"] = str(root / "home")
        cached = asyncio.run(run(True, root))
        plain = asyncio.run(run(False, root))
    ratio = cached["cost"] / plain["cost"]
    print(f"calls: {cached['calls']:.0f} with caching, {plain['calls']:.0f} without")
    print(f"prompt tokens: {cached['prompt']:,.0f}; read from the cache {cached['read']:,.0f} "
          f"({cached['read'] / cached['prompt']:.1%} hit rate), written {cached['written']:,.0f}")
    print(f"cost with caching:    ${cached['cost']:.4f}")
    print(f"cost without caching: ${plain['cost']:.4f} (the same tokens priced uncached: ${cached['uncached']:.4f})")
    print(f"misses: {cached['misses']:.0f} {cached['causes']} costing ${cached['miss_usd']:.4f}")
    print(f"ratio (with / without): {ratio:.3f}  (limit {LIMIT})")
    goal = report("cost with prompt caching / without, 50 calls", goal=f"<= {LIMIT}x",
                  measured=f"{ratio:.3f}x (${cached['cost']:.4f} / ${plain['cost']:.4f})", ratio=ratio / LIMIT,
                  ok=ratio <= LIMIT)
    return 0 if goal.ok else 1


if __name__ == "__main__":
    sys.exit(main())

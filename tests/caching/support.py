"""A Cockpit session on Anthropic's Messages API over loopback, and the cost map's own rates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from app.agent.offline import litellm_package_dir
from tests.core.helpers import make_session

MODEL = "anthropic/claude-sonnet-4-5"
MAP_NAME = "claude-sonnet-4-5"  # its entry in litellm's cost map


def start_session(server, workspace: Path, db_path: Path, **kwargs):
    session, events, db = make_session(MODEL, workspace, db_path, api_base=server.url, **kwargs)
    session.start()
    return session, events, db


@dataclass(frozen=True)
class MapRates:
    """Dollars per token, read straight from litellm's cost map file (not through Cockpit's pricing)."""

    input: float
    output: float
    read: float
    write: float

    @classmethod
    def of(cls, name: str = MAP_NAME) -> MapRates:
        package = litellm_package_dir()
        assert package is not None
        entry = json.loads((package / "model_prices_and_context_window_backup.json").read_text())[name]
        # No cache write price: writes are billed as plain input (OpenAI's automatic cache).
        return cls(entry["input_cost_per_token"], entry["output_cost_per_token"], entry["cache_read_input_token_cost"],
                   entry.get("cache_creation_input_token_cost", entry["input_cost_per_token"]))

    def cost(self, prompt: int, completion: int, read: int, write: int) -> float:
        return (prompt - read - write) * self.input + read * self.read + write * self.write + completion * self.output

    def uncached(self, prompt: int, completion: int) -> float:
        return prompt * self.input + completion * self.output

"""Reading scripted-model files (no litellm needed, so start-up checks stay cheap)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class ScriptError(ValueError):
    """The script file is missing or not a list of turns."""


def load_script(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScriptError(f"scripted model: no script at {p}") from None
    except json.JSONDecodeError as exc:
        raise ScriptError(f"scripted model: {p} is not valid JSON ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("turns"), list):
        data = data["turns"]
    if not isinstance(data, list) or not all(isinstance(t, dict) for t in data):
        raise ScriptError(f"scripted model: {p} must hold a JSON list of turn objects")
    return data


def approx_tokens(messages: list[dict[str, Any]]) -> int:
    chars = 0
    for m in messages:
        content = m.get("content")
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):
            chars += sum(len(str(part.get("text", ""))) for part in content if isinstance(part, dict))
        for call in m.get("tool_calls") or []:
            chars += len(str(call.get("function", {}).get("arguments", "")))
    return chars // 4 + 4 * len(messages)

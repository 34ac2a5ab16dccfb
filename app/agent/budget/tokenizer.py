"""Count the tokens of a text, per model, without touching the network.

* OpenAI-style models: tiktoken (``o200k_base`` / ``cl100k_base``) loaded from
  the BPE files litellm ships; exact for text.
* Anthropic models: the tokenizer JSON litellm ships (Claude 2's vocabulary,
  so for newer Claude models it is an estimate that calibration corrects).
* Anything else: an honest characters / 4 estimate.

Encodings are loaded on first use and cached for the process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from app.agent.offline import litellm_tokenizer_dir, prepare_environment

# Encodings whose BPE files litellm bundles (o200k_harmony is o200k_base plus
# special tokens, which plain text never produces).
_BUNDLED = {"o200k_base": "o200k_base", "o200k_harmony": "o200k_base", "cl100k_base": "cl100k_base", "p50k_base": "p50k_base"}
_env_lock = threading.Lock()


@dataclass(frozen=True)
class Tokenizer:
    """A named token counter. ``approximate`` marks estimates shown with ≈."""

    name: str
    approximate: bool
    family: str  # openai | anthropic | chars
    _count: Callable[[str], int]

    def count(self, text: str) -> int:
        return self._count(text) if text else 0


def tokenizer_for(model: str, choice: str = "auto") -> Tokenizer:
    """The best tokenizer we have for ``model`` (``choice`` forces one, see BudgetConfig)."""
    if choice == "chars":
        return CHARS
    if choice == "anthropic":
        return _anthropic() or CHARS
    if choice in ("o200k_base", "cl100k_base"):
        return _tiktoken(choice) or CHARS
    encoding = openai_encoding_name(model)
    if encoding is not None:
        return _tiktoken(encoding) or CHARS
    if is_anthropic_model(model):
        return _anthropic() or CHARS
    return CHARS


def openai_encoding_name(model: str) -> str | None:
    """tiktoken's encoding for an OpenAI model name (provider prefix ignored), if bundled."""
    from tiktoken.model import encoding_name_for_model

    name = model.rsplit("/", 1)[-1]
    try:
        return _BUNDLED.get(encoding_name_for_model(name))
    except KeyError:
        return None


def is_anthropic_model(model: str) -> bool:
    lowered = model.lower()
    return lowered.startswith("anthropic/") or "claude" in lowered


def _chars_count(text: str) -> int:
    return (len(text) + 3) // 4


CHARS = Tokenizer(name="≈ chars/4", approximate=True, family="chars", _count=_chars_count)


@lru_cache(maxsize=None)
def _tiktoken(encoding_name: str) -> Tokenizer | None:
    directory = litellm_tokenizer_dir()
    if directory is None:
        return None
    prepare_environment()
    import tiktoken

    with _env_lock:  # point tiktoken at litellm's files for this load only
        previous = os.environ.get("TIKTOKEN_CACHE_DIR")
        os.environ["TIKTOKEN_CACHE_DIR"] = str(directory)
        try:
            encoding = tiktoken.get_encoding(encoding_name)
        except Exception:  # a missing or damaged file: never fall through to a download
            return None
        finally:
            if previous is None:
                os.environ.pop("TIKTOKEN_CACHE_DIR", None)
            else:
                os.environ["TIKTOKEN_CACHE_DIR"] = previous
    encode = encoding.encode_ordinary  # special-token text counts as text

    return Tokenizer(name=f"tiktoken {encoding_name}", approximate=False, family="openai", _count=lambda t: len(encode(t)))


@lru_cache(maxsize=None)
def _anthropic() -> Tokenizer | None:
    directory = litellm_tokenizer_dir()
    path = directory / "anthropic_tokenizer.json" if directory else None
    if path is None or not path.is_file():
        return None
    try:
        from tokenizers import Tokenizer as HFTokenizer

        hf = HFTokenizer.from_file(str(path))
    except Exception:
        return None

    def count(text: str) -> int:
        return len(hf.encode(text, add_special_tokens=False).ids)

    return Tokenizer(name="≈ anthropic (claude-2 vocab)", approximate=True, family="anthropic", _count=count)

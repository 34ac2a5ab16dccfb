"""Settings of the context budget (the ``[budget]`` table of the config file)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from app.agent.config import SHARE, Bound, require_order

TOKENIZER_CHOICES = ("auto", "o200k_base", "cl100k_base", "anthropic", "chars")


@dataclass(frozen=True)
class BudgetConfig:
    """How the window is measured and when and how it is compacted.

    advertised_window: override the window litellm reports for the model.
    default_window: assumed window for models litellm does not know (shown as assumed).
    output_reserve_tokens: reserved for the answer when the loop sets no max_tokens.
    compaction_buffer_tokens: kept free so that the summarising call itself fits.
    warn_at / compact_at: thresholds as fractions of the usable window.
    tool_result_cap_chars: step 1 caps every tool result at this many characters.
    cap_head_fraction: share of the capped result kept from the head (the rest is the tail).
    keep_last_results: step 2 keeps this many most recent tool results intact.
    keep_last_turns: step 3 keeps this many last user turns verbatim.
    keep_last_steps: step 3 keeps at least this many last assistant steps when
        a single long turn has to be summarised.
    summary_model: model for summaries (None: the session's model).
    summary_input_chars: most characters of old conversation sent to the summariser.
    tokenizer: auto, or force one of o200k_base, cl100k_base, anthropic, chars.
    top_items: how many largest items a measurement lists.
    calibration_window: how many recent calls per model calibration keeps.
    middle_warn_tokens / middle_warn_share: the pane warns about "lost in the
        middle" only when the prompt holds at least ``middle_warn_tokens``
        (local count) and its middle third at least ``middle_warn_share`` of
        the conversation's tokens.
    """

    advertised_window: int | None = None
    default_window: int = 32_768
    output_reserve_tokens: int = 4_096
    compaction_buffer_tokens: int = 2_048
    warn_at: float = 0.60
    compact_at: float = 0.80
    tool_result_cap_chars: int = 8_000
    cap_head_fraction: float = 0.6
    keep_last_results: int = 3
    keep_last_turns: int = 2
    keep_last_steps: int = 4
    summary_model: str | None = None
    summary_input_chars: int = 60_000
    tokenizer: str = "auto"
    top_items: int = 8
    calibration_window: int = 200
    middle_warn_tokens: int = 16_000
    middle_warn_share: float = 0.5

    def __post_init__(self) -> None:
        _positive_ints(
            self,
            "default_window",
            "tool_result_cap_chars",
            "summary_input_chars",
            "top_items",
            "calibration_window",
            "middle_warn_tokens",
        )
        _non_negative_ints(
            self,
            "output_reserve_tokens",
            "compaction_buffer_tokens",
            "keep_last_results",
            "keep_last_turns",
            "keep_last_steps",
        )
        if self.advertised_window is not None:
            _positive_ints(self, "advertised_window")
        for name in ("warn_at", "compact_at", "cap_head_fraction", "middle_warn_share"):
            SHARE.require(name, getattr(self, name))
        require_order(self, "warn_at", "compact_at")
        if self.tokenizer not in TOKENIZER_CHOICES:
            raise ValueError(f"tokenizer must be one of {', '.join(TOKENIZER_CHOICES)} (got {self.tokenizer!r})")
        if self.summary_model is not None and not (isinstance(self.summary_model, str) and self.summary_model):
            raise ValueError(f"summary_model must be a model name (got {self.summary_model!r})")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BudgetConfig:
        """Build from a config table; unknown keys are ignored, bad values raise ``ValueError``."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def _positive_ints(config: BudgetConfig, *names: str) -> None:
    for name in names:
        Bound(whole=True, low=1).require(name, getattr(config, name))


def _non_negative_ints(config: BudgetConfig, *names: str) -> None:
    for name in names:
        Bound(whole=True, low=0).require(name, getattr(config, name))

"""What the tools use to keep secrets out of their output, before it is capped.

The core does not know which values are secrets: the app gives the tool
context a :class:`Scrubber` (storage's ``Redactor``). Tools scrub their whole
output first and cut it afterwards, so a cap never leaves half a secret behind.
"""

from __future__ import annotations

from typing import Protocol


class Scrubber(Protocol):
    def scrub_text(self, text: str, /) -> str:
        """``text`` without secrets, including a cut-off piece of one at either end."""
        ...


class NoScrubber:
    """No secrets known (tests, runs without a store): text passes unchanged."""

    def scrub_text(self, text: str, /) -> str:
        return text


NO_SCRUBBER = NoScrubber()

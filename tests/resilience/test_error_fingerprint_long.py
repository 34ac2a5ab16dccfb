"""A long error's fingerprint is read from its start only, and is the one the whole text gives."""

from __future__ import annotations

import hashlib
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from app.agent.resilience.loop_detector import error_fingerprint


def whole_text_fingerprint(tool: str, error: str) -> str:
    """The definition: the whole error normalised, its first 300 characters digested."""
    text = error.lower()
    text = re.sub(r"\b[0-9a-f]{8,}\b", "<id>", text)
    text = re.sub(r"\d+", "#", text)
    text = re.sub(r"\s+", " ", text).strip()[:300]
    return hashlib.sha1(f"{tool}\0{text}".encode()).hexdigest()[:16]


WORDS = st.sampled_from(["error", "Traceback", "0x7fdeadbeef01", "deadbeefcafe", "12345", "line", "ΣΑΣ", "İstanbul",
                         "a1b2c3d4e5", "x" * 150, "\n", "  ", "\t", "\u00a0", "ß", "file.py:12:", "[ERROR]"])


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=600).map(" ".join))
def test_a_long_error_digests_as_its_whole_text(error: str) -> None:
    assert error_fingerprint("bash", error) == whole_text_fingerprint("bash", error)


def test_an_error_of_spacing_and_ids_is_read_whole() -> None:
    error = " " * 5_000 + "the real message 42"
    assert error_fingerprint("bash", error) == whole_text_fingerprint("bash", error)
    long_word = "q" * 5_000
    assert error_fingerprint("bash", long_word) == whole_text_fingerprint("bash", long_word)

"""Decoding many payloads with one :class:`storage.queries.SharedStrings`: the same values as ``json.loads``,
with each key and short string one object for all of them."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from storage.queries import SharedStrings

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(st.lists(json_values, max_size=5))
def test_the_same_values_as_json_loads(values):
    shared = SharedStrings()
    texts = [json.dumps(v) for v in values]
    assert [shared.loads(t) for t in texts] == [json.loads(t) for t in texts]


def test_keys_and_short_strings_are_shared_long_ones_are_not():
    shared = SharedStrings()
    long_text = "x" * (SharedStrings.SHORT + 1)
    first, second = (shared.loads(json.dumps({"model": "m-1", "nested": [{"status": "ok"}], "text": long_text}))
                     for _ in range(2))
    assert first == second
    key_1, key_2 = next(iter(first)), next(iter(second))
    assert key_1 is key_2
    assert first["model"] is second["model"]
    assert first["nested"][0]["status"] is second["nested"][0]["status"]
    assert first["text"] is not second["text"]  # texts and outputs are rarely repeated: not kept

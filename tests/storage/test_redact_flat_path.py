"""The redactor's shortcut for a dict of known clean keys (its orjson text, when the text shows that nothing in it
needs a walk) gives what the walk gives: the same scrubbed value and the same text, secrets and credentials included."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from storage.redact import Redactor, json_text

SECRET = "hunter2-the-secret"
KEYS = st.sampled_from(["name", "result", "status", "api_key", "Token", "token", "max_tokens", "\u212aey", "ſecret",
                        "duration_ms", "null", "{", "id"])


class Text(str):
    def __str__(self) -> str:
        return "api_key"


SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2 ** 70), max_value=2 ** 70)
           | st.floats(allow_nan=True, allow_infinity=True)
           | st.sampled_from(["", "plain", SECRET, f"a {SECRET} b", "null", "{", "ünï", "\ud800", Text("x")])
           | st.text(max_size=8))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.tuples(inner)
                      | st.dictionaries(KEYS, inner, max_size=3), max_leaves=6)
PAYLOADS = st.dictionaries(KEYS, VALUES, max_size=5)


@settings(max_examples=3000, deadline=None)
@given(PAYLOADS)
def test_scrub_json_of_a_payload_seen_before_is_the_walk_s(payload: dict[str, object]) -> None:
    warm = Redactor({"MY_TOKEN": SECRET})
    warm.scrub_json(payload)  # learns the payload's clean keys: the next call may take the shortcut
    value, text = warm.scrub_json(payload)
    walked, walked_text = Redactor({"MY_TOKEN": SECRET}).scrub_json(payload)  # (no key known yet: the walk)
    assert text == walked_text
    assert _same(value, walked)


def _same(a: object, b: object) -> bool:
    """Equal, NaN included (NaN != NaN), and of the same types (a str subclass is not its text)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)  # type: ignore[index]
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    return a == b


def test_a_flat_payload_of_known_keys_is_redacted_on_the_shortcut_too() -> None:
    redactor = Redactor({"MY_TOKEN": SECRET})
    flat = {"name": "bash", "result": "ok", "ms": 1.5}
    assert redactor.scrub_json(flat) == (flat, '{"name":"bash","result":"ok","ms":1.5}')
    assert redactor.scrub_json(flat)[0] is flat  # (the shortcut, its keys known: nothing to change)
    value, text = redactor.scrub_json({"name": "bash", "result": f"echo {SECRET}", "ms": math.nan})
    assert value == {"name": "bash", "result": "echo [redacted:MY_TOKEN]", "ms": value["ms"]} and math.isnan(value["ms"])
    assert json.loads(text.replace("NaN", "null")) == {"name": "bash", "result": "echo [redacted:MY_TOKEN]", "ms": None}
    assert redactor.scrub_json({"name": Text("x")})[0] == {"name": "x"}

"""The redactor's shortcuts (substring tests, the walk of keys only) change nothing it redacts, and its JSON text
(orjson's, the standard library's for what orjson refuses) reads back as the value."""

from __future__ import annotations

import json
import math
import random

from storage.redact import Redactor, SECRET_KEY, json_text

KEY_PARTS = ["api", "_", "-", "key", "KEY", "secret", "Pass", "word", "wd", "credential", "access", "auth", "token",
             "Token", "max", "tokens", "\n", "ſecret", "\u212aey", "İ", "id", "name"]
VALUES = ["", "plain", "hunter2-the-secret", "x", "ünïcode", "ends with hunter2-the-sec", 7, None, True, 1.5, math.inf, 2 ** 70]


def _key(rnd: random.Random) -> str:
    return "".join(rnd.choice(KEY_PARTS) for _ in range(rnd.randint(1, 3)))


def _value(rnd: random.Random, depth: int = 0) -> object:
    roll = rnd.random()
    if depth < 3 and roll < 0.25:
        return {_key(rnd): _value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))}
    if depth < 3 and roll < 0.4:
        return [_value(rnd, depth + 1) for _ in range(rnd.randint(0, 3))]
    return rnd.choice(VALUES)


def test_scrub_json_is_scrub_and_its_text_for_random_payloads() -> None:
    redactor = Redactor({"MY_TOKEN": "hunter2-the-secret"})
    rnd = random.Random(12)
    redacted = 0
    for _ in range(20_000):
        payload = {_key(rnd): _value(rnd) for _ in range(rnd.randint(1, 5))}
        value, text = redactor.scrub_json(payload)
        expected = redactor.scrub(payload)
        assert value == expected
        assert json.loads(text) == expected and text == json_text(expected)
        redacted += value != payload
    assert redacted > 1000  # the payloads do hold credentials and secrets


def test_a_credential_key_is_found_whatever_its_case_or_unicode_folding() -> None:
    redactor = Redactor({})
    for key in ("API_KEY", "apiKey", "Access-Token", "TOKEN", "ſecret", "\u212aey", "passwd"):
        if SECRET_KEY.search(key):
            value, _ = redactor.scrub_json({"args": [{key: "value"}]})
            assert value == {"args": [{key: "[redacted]"}]}, key


def test_json_text_reads_back_as_the_value_whatever_orjson_refuses() -> None:
    for value in ({"a": "é", "b": [1, 2.5, None, True]}, [], {"x": "\n\"\\\u0001\u007f"}, {"big": 2 ** 70, "neg": -(2 ** 64)},
                  {1: "non-str key", None: 2}, (1, "tuple"), 1e300, {"deep": [[[{"a": -0.0}]]]}):
        assert json.loads(json_text(value)) == json.loads(json.dumps(value, ensure_ascii=False)), value
    assert json_text({"a": "é"}) == '{"a":"é"}'  # compact, non-ASCII as it is


def test_json_text_keeps_what_orjson_would_change_or_refuse_as_json_writes_it() -> None:
    for value in ("\ud800", {"s": ["ok", "\udfff"]}, {"nan": math.nan}, [1, [math.inf]], -math.inf):
        assert json_text(value) == json.dumps(value, ensure_ascii=False), value

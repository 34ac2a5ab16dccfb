"""The redactor's shortcuts (substring tests, the credential-word check) change nothing it redacts."""

from __future__ import annotations

import json
import random

from storage.redact import Redactor, SECRET_KEY, json_text

KEY_PARTS = ["api", "_", "-", "key", "KEY", "secret", "Pass", "word", "wd", "credential", "access", "auth", "token",
             "Token", "max", "tokens", "\n", "ſecret", "\u212aey", "İ", "id", "name"]
VALUES = ["", "plain", "hunter2-the-secret", "x", "ünïcode", "ends with hunter2-the-sec", 7, None, True]


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
        assert text == json.dumps(expected, ensure_ascii=False)
        redacted += value != payload
    assert redacted > 1000  # the payloads do hold credentials and secrets


def test_a_credential_key_is_found_whatever_its_case_or_unicode_folding() -> None:
    redactor = Redactor({})
    for key in ("API_KEY", "apiKey", "Access-Token", "TOKEN", "ſecret", "\u212aey", "passwd"):
        if SECRET_KEY.search(key):
            value, _ = redactor.scrub_json({"args": [{key: "value"}]})
            assert value == {"args": [{key: "[redacted]"}]}, key


def test_json_text_is_json_dumps() -> None:
    for value in ({"a": "é", "b": [1, 2.5, None, True]}, "\ud800", [], {"x": "\n\"\\"}):
        assert json_text(value) == json.dumps(value, ensure_ascii=False)

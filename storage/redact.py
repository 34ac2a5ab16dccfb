"""Secrets never leave Cockpit: one redactor for everything it writes.

Which values are secrets: the value of every environment variable whose name
contains KEY, TOKEN, SECRET, PASSWORD, PASSWD or CREDENTIAL (any case:
``OPENAI_API_KEY``, ``GITHUB_TOKEN``, ``MY_SERVICE_SECRET``...) and is at least
:data:`MIN_SECRET_LEN` characters long. Each occurrence becomes
``[redacted:NAME]``; its JSON-escaped form too, so JSON text (an export, a
``--json`` line) is scrubbed in the same single pass. In a structure, a string
under a credential-like key (``{"api_key": ...}``) becomes ``[redacted]``.

One :class:`Redactor` serves the store (event payloads, hence every
projection, blob and the full-text index built from them), the idempotency
ledger, the headless printers and the exports; the core's tools use it (as
``app.agent.tools.scrub.Scrubber``) on their output before they cap it.
:meth:`Redactor.scrub_text` also removes the part of a secret that a cut left
at either end of a text (at least :data:`MIN_PARTIAL_LEN` characters).

Out of scope: a secret transformed before it is printed (``base64``, ``rev``,
split over lines by ``fold``) is not recognised.
"""

from __future__ import annotations

import json
import json.encoder
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
# Dictionary keys that hold a credential (narrower: "max_tokens" is not a secret).
SECRET_KEY = re.compile(
    r"(api[_-]?key|secret|password|passwd|credential|access[_-]?token|auth[_-]?token|^token$)", re.IGNORECASE
)
MIN_SECRET_LEN = 6  # shorter values are not treated as secrets (too many false hits)
MIN_PARTIAL_LEN = 4  # a cut-off piece of a secret at least this long is removed at a text's ends
KEY_REDACTED = "[redacted]"
_KEYS_REMEMBERED = 10_000
_CONTAINERS = (dict, list)


_ENCODER = json.JSONEncoder(ensure_ascii=False)
# The C encoder ``JSONEncoder.encode`` builds at every call, built once (without the check for circular
# structures: events are trees). None where the C accelerator is missing.
_MAKE_ENCODER = getattr(json.encoder, "c_make_encoder", None)
_ENCODE_STRING = getattr(json.encoder, "c_encode_basestring", None)
_C_ENCODE: Callable[[Any, int], Any] | None = (
    None if _MAKE_ENCODER is None or _ENCODE_STRING is None else
    _MAKE_ENCODER(None, _ENCODER.default, _ENCODE_STRING, None, ": ", ", ", False, False, True)
)


def json_text(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False)``, the same text, without building an encoder each time."""
    if _C_ENCODE is None:
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


def _json_escaped(value: str) -> str:
    return json_text(value)[1:-1]


class Redactor:
    def __init__(self, secrets: Mapping[str, str]) -> None:
        self.names: dict[str, str] = {}  # value (raw or JSON-escaped) → the variable it came from
        for name, value in sorted(secrets.items()):
            if len(value) >= MIN_SECRET_LEN:
                self.names.setdefault(value, name)
                self.names.setdefault(_json_escaped(value), name)
        # One compiled alternation, longest first, so a secret containing another is replaced whole.
        ordered = sorted(self.names, key=lambda value: (-len(value), value))
        self.pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self._credential_keys: dict[Any, bool] = {}  # key → SECRET_KEY matches it (keys repeat a lot)
        self.secrets = sorted(((name, value) for name, value in secrets.items() if len(value) >= MIN_SECRET_LEN),
                              key=lambda item: -len(item[1]))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> "Redactor":
        env = os.environ if environ is None else environ
        return cls({name: value for name, value in env.items() if SECRET_NAME.search(name) and value})

    def _replace(self, match: re.Match[str]) -> str:
        return f"[redacted:{self.names[match.group()]}]"

    def replace_secrets(self, text: str) -> str:
        """``text`` with every whole secret replaced (one regex pass)."""
        return self.pattern.sub(self._replace, text) if self.pattern is not None else text

    def scrub(self, value: Any, key: str = "") -> Any:
        """A structure (dicts, lists, strings) with secrets replaced; strings under credential keys too."""
        if isinstance(value, str):
            if key and value and SECRET_KEY.search(key):
                return KEY_REDACTED
            return self.replace_secrets(value)
        if isinstance(value, dict):
            return {k: self.scrub(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        return value

    def scrub_json(self, value: Any) -> tuple[Any, str]:
        """``value`` scrubbed and its JSON text; the walk runs only when the text shows it is needed."""
        text = json_text(value)
        if not (self.names and any(secret in text for secret in self.names)) and not (
                _may_name_credential(text) and self._has_credential(value)):
            return value, text  # (substring tests: many times faster than any regex over the text)
        value = self.scrub(value)
        return value, json_text(value)

    def _has_credential(self, value: Any) -> bool:
        """Is there a non-empty string under a credential key (keys only: strings are not searched)?

        Only dicts and lists are walked into: a payload holds many more strings and numbers than containers.
        """
        if isinstance(value, dict):
            for key, item in value.items():
                hit = self._credential_keys.get(key)
                if hit is None:
                    hit = bool(SECRET_KEY.search(str(key)))
                    if len(self._credential_keys) < _KEYS_REMEMBERED:
                        self._credential_keys[key] = hit
                if isinstance(item, str):
                    if hit and item:
                        return True
                elif isinstance(item, _CONTAINERS) and self._has_credential(item):
                    return True
        elif isinstance(value, list):
            return any(isinstance(item, _CONTAINERS) and self._has_credential(item) for item in value)
        return False

    def scrub_text(self, text: str, /) -> str:
        """``text`` without secrets, whole or cut: a secret's beginning at the very end of ``text``,
        or its ending at the very start, is replaced too (``app.agent.tools.scrub.Scrubber``)."""
        text = self.replace_secrets(text)
        for name, secret in self.secrets:
            text = _cut_end(text, secret, name)
            text = _cut_start(text, secret, name)
        return text


# Every key SECRET_KEY matches holds one of these words (any case), and a key's letters, "_" and "-" are in the JSON text as
# they are. A token key is access/auth + token or the key "token" itself (``$`` also matches before a final newline, which
# JSON writes as a backslash and an n): "prompt_tokens" is none of them, so a usage dict is not walked.
_CREDENTIAL_WORD = re.compile(r'api[_-]?key|secret|passw(?:or)?d|credential|(?:access|auth)[_-]?token|"token(?:\\n)?"')


def _may_name_credential(text: str) -> bool:
    """Could the JSON ``text`` have a credential key? False only when none of its keys can match SECRET_KEY.

    Only ASCII text is ruled out this way (its lower case is what IGNORECASE matches); other text says maybe:
    regular expressions fold a few other characters (``ſ``, ``K``, ``İ``) to these letters. Five substring tests
    (one of them is in every word) rule out most texts before the expression runs.
    """
    if not text.isascii():
        return True
    lowered = text.lower()
    if not ("api" in lowered or "secret" in lowered or "passw" in lowered or "credential" in lowered or "token" in lowered):
        return False
    return _CREDENTIAL_WORD.search(lowered) is not None


def _cut_end(text: str, secret: str, name: str) -> str:
    """``text`` ending in a prefix of ``secret`` (at least MIN_PARTIAL_LEN long) has it replaced."""
    window = text[-(len(secret) - 1):] if len(secret) > 1 else ""
    probe = secret[:MIN_PARTIAL_LEN]
    start = window.find(probe)
    while start >= 0:
        if secret.startswith(window[start:]):
            return text[: len(text) - len(window) + start] + f"[redacted:{name}…]"
        start = window.find(probe, start + 1)
    return text


def _cut_start(text: str, secret: str, name: str) -> str:
    """``text`` starting with a suffix of ``secret`` (at least MIN_PARTIAL_LEN long) has it replaced."""
    window = text[: len(secret) - 1]
    probe = secret[-MIN_PARTIAL_LEN:]
    end = window.rfind(probe)
    while end >= 0:
        if secret.endswith(window[: end + MIN_PARTIAL_LEN]):
            return f"[…redacted:{name}]" + text[end + MIN_PARTIAL_LEN:]
        end = window.rfind(probe, 0, end + MIN_PARTIAL_LEN - 1)
    return text

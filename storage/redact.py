"""Secrets never leave Cockpit: one redactor for everything it writes.

Which values are secrets: the value of every environment variable whose name
contains KEY, TOKEN, SECRET, PASSWORD, PASSWD or CREDENTIAL (any case:
``OPENAI_API_KEY``, ``GITHUB_TOKEN``, ``MY_SERVICE_SECRET``...) and is at least
:data:`MIN_SECRET_LEN` characters long, except a name that ends in ``_DIR``,
``_PATH`` or ``_FILE``: it names where something is (``TIKTOKEN_CACHE_DIR``, which
litellm sets, ``AWS_WEB_IDENTITY_TOKEN_FILE``), and its value is a path. Each occurrence becomes
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
import math
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

import orjson

SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
LOCATION_NAME = re.compile(r"_(DIR|PATH|FILE)$", re.IGNORECASE)  # a variable that says where something is
# Dictionary keys that hold a credential (narrower: "max_tokens" is not a secret).
SECRET_KEY = re.compile(
    r"(api[_-]?key|secret|password|passwd|credential|access[_-]?token|auth[_-]?token|^token$)", re.IGNORECASE
)
MIN_SECRET_LEN = 6  # shorter values are not treated as secrets (too many false hits)
MIN_PARTIAL_LEN = 4  # a cut-off piece of a secret at least this long is removed at a text's ends
KEY_REDACTED = "[redacted]"
_KEYS_REMEMBERED = 10_000
_CONTAINERS = (dict, list)
_SEQUENCES = (dict, list, tuple)  # what JSON writes as an object or an array


_ENCODER = json.JSONEncoder(ensure_ascii=False)
# The C encoder ``JSONEncoder.encode`` builds at every call, built once (without the check for circular
# structures: events are trees). None where the C accelerator is missing.
_MAKE_ENCODER = getattr(json.encoder, "c_make_encoder", None)
_ENCODE_STRING = getattr(json.encoder, "c_encode_basestring", None)
_C_ENCODE: Callable[[Any, int], Any] | None = (
    None if _MAKE_ENCODER is None or _ENCODE_STRING is None else
    _MAKE_ENCODER(None, _ENCODER.default, _ENCODE_STRING, None, ": ", ", ", False, False, True)
)
# What orjson leaves to the standard library (it raises instead): dataclasses and datetimes, which json refuses too.
ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def json_text(value: Any) -> str:
    """The JSON text of ``value`` (compact, non-ASCII characters as they are), which ``json.loads`` reads back as
    ``value``: orjson's, or the standard library's (``json.dumps(value, ensure_ascii=False)``) for what orjson
    refuses or would change: a lone surrogate, an integer beyond 64 bits, a key that is not a string, NaN or an
    infinity (orjson writes null)."""
    return std_json_text(value) if _inspect(value, None) else _fast_json_text(value)


def _fast_json_text(value: Any) -> str:
    """orjson's text of a value without NaN or infinities; the standard library's where orjson refuses it."""
    try:
        return orjson.dumps(value, option=ORJSON_OPTIONS).decode()
    except TypeError:  # (orjson.JSONEncodeError is one)
        return std_json_text(value)


def std_json_text(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False)``, without building an encoder at each call."""
    if _C_ENCODE is None:
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


_NON_FINITE = 1  # what :func:`_inspect` finds: a NaN or an infinity (orjson would write null) ...
_CREDENTIAL = 2  # ... a non-empty string under a credential key (looked for only when given the clean keys)
_SCALARS = frozenset({int, bool, type(None)})  # (exact types) nothing to look for in them


def _inspect(value: Any, clean: set[Any] | None) -> int:
    """What in ``value`` needs more than orjson's text, in one walk of its dicts, lists and tuples (strings are not
    searched; a key is looked at only when it holds a non-empty string: payloads hold many more strings and numbers
    than containers). ``clean``: the keys known not to match SECRET_KEY (added to); None: do not look for
    credentials. A credential ends the walk (the value will be scrubbed and encoded again)."""
    if isinstance(value, dict):
        found = 0
        for key, item in value.items():
            kind = type(item)
            if kind is str:
                if item and clean is not None and key not in clean and _credential_key(clean, key):
                    return _CREDENTIAL
            elif kind in _SCALARS:
                pass
            elif kind is dict or kind is list:  # (the common containers without :func:`_inspect_item`'s call)
                found |= _inspect(item, clean)
                if found & _CREDENTIAL:
                    return found
            elif kind is float:
                if not math.isfinite(item):
                    found = _NON_FINITE
            else:
                found |= _inspect_item(item, key, clean)
                if found & _CREDENTIAL:
                    return found
        return found
    if isinstance(value, _SEQUENCES):
        found = 0
        for item in value:
            kind = type(item)
            if kind in _SCALARS or kind is str:
                continue
            found |= _inspect(item, clean) if kind is dict else _inspect_item(item, None, clean)
            if found & _CREDENTIAL:
                return found
        return found
    return _NON_FINITE if isinstance(value, float) and not math.isfinite(value) else 0


def _inspect_item(item: Any, key: Any, clean: set[Any] | None) -> int:
    """:func:`_inspect` of an item that is not a str, int, bool or None (of a list when ``key`` is None)."""
    if isinstance(item, float):
        return 0 if math.isfinite(item) else _NON_FINITE
    if isinstance(item, str):  # a subclass of str
        return _inspect({key: str(item)}, clean) if key is not None else 0
    return _inspect(item, clean) if isinstance(item, _SEQUENCES) else 0


def _credential_key(clean: set[Any], key: Any) -> bool:
    """Does SECRET_KEY match ``key``? A key it does not match joins ``clean`` (up to _KEYS_REMEMBERED of them)."""
    if SECRET_KEY.search(str(key)):
        return True
    if len(clean) < _KEYS_REMEMBERED:
        clean.add(key)
    return False


# What in a payload needs more than orjson's text (0: nothing, and its text is orjson's), credential keys included
# (given :attr:`Redactor.clean_keys`): the test :meth:`Redactor.scrub_json` starts with, for a caller that makes a
# batch's texts itself (:mod:`storage.prepared`: a call less an event).
inspect_payload = _inspect


def is_secret_name(name: str) -> bool:
    """Does an environment variable of this name hold a secret (its value is redacted)?"""
    return SECRET_NAME.search(name) is not None and LOCATION_NAME.search(name) is None


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
        self.clean_keys: set[Any] = set()  # keys SECRET_KEY does not match (keys repeat a lot)
        self.secrets = sorted(((name, value) for name, value in secrets.items() if len(value) >= MIN_SECRET_LEN),
                              key=lambda item: -len(item[1]))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> "Redactor":
        env = os.environ if environ is None else environ
        return cls({name: value for name, value in env.items() if value and is_secret_name(name)})

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
        """``value`` scrubbed and its JSON text; the scrub runs only when the text or the keys show it is needed."""
        # (Not a dict or a list: scrub() replaces the secrets of a string, and returns anything else as it is.)
        found = _inspect(value, self.clean_keys) if isinstance(value, _CONTAINERS) else _CREDENTIAL
        if not found & _CREDENTIAL:
            text = std_json_text(value) if found else _fast_json_text(value)
            if not (self.names and any(map(text.__contains__, self.names))):
                return value, text  # (substring tests: many times faster than any regex over the text)
        value = self.scrub(value)
        return value, json_text(value)

    def scrub_text(self, text: str, /) -> str:
        """``text`` without secrets, whole or cut: a secret's beginning at the very end of ``text``,
        or its ending at the very start, is replaced too (``app.agent.tools.scrub.Scrubber``)."""
        text = self.replace_secrets(text)
        for name, secret in self.secrets:
            text = _cut_end(text, secret, name)
            text = _cut_start(text, secret, name)
        return text


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

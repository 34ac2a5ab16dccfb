"""Secrets never reach the database.

Values of environment variables whose names look like credentials (*KEY*,
*TOKEN*, *SECRET*, *PASSWORD*) are replaced wherever they appear in an event,
and so are dictionary values under such keys (``{"api_key": ...}``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
# Dictionary keys that hold a credential (narrower: "max_tokens" is not a secret).
SECRET_KEY = re.compile(
    r"(api[_-]?key|secret|password|passwd|credential|access[_-]?token|auth[_-]?token|^token$)", re.IGNORECASE
)
MIN_SECRET_LEN = 6


class Redactor:
    def __init__(self, secrets: Mapping[str, str]) -> None:
        # Longest first, so a secret containing another is replaced whole.
        self.secrets = sorted(
            ((name, value) for name, value in secrets.items() if len(value) >= MIN_SECRET_LEN),
            key=lambda item: -len(item[1]),
        )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> "Redactor":
        env = os.environ if environ is None else environ
        return cls({name: value for name, value in env.items() if SECRET_NAME.search(name) and value})

    def scrub(self, value: Any, key: str = "") -> Any:
        if isinstance(value, str):
            if key and value and SECRET_KEY.search(key):
                return "[redacted]"
            for name, secret in self.secrets:
                if secret in value:
                    value = value.replace(secret, f"[redacted:{name}]")
            return value
        if isinstance(value, dict):
            return {k: self.scrub(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        return value

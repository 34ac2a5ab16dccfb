"""``[telemetry]`` and the standard ``OTEL_EXPORTER_OTLP_*`` variables → a :class:`TelemetryConfig`.

The variables win over the file, as every OpenTelemetry SDK reads them. No endpoint: no export.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

TRACES_PATH = "/v1/traces"
KEYS = {"endpoint", "headers", "content", "max_queue", "timeout_s", "service_name"}


@dataclass(frozen=True)
class TelemetryConfig:
    endpoint: str  # the traces URL (…/v1/traces)
    headers: dict[str, str] = field(default_factory=dict)
    content: bool = False  # prompts, outputs, tool arguments and results (redacted) on the spans
    max_queue: int = 2048  # spans waiting for the exporter; beyond it the oldest are dropped (and counted)
    timeout_s: float = 5.0  # one export request
    service_name: str = "cockpit"

    @classmethod
    def from_settings(cls, table: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> "TelemetryConfig | None":
        """The export's settings, or None when no endpoint is set (export off). ValueError names a bad key."""
        env = os.environ if environ is None else environ
        unknown = sorted(set(table) - KEYS)
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(KEYS))})")
        endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or ""
        if not endpoint:
            base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or str(table.get("endpoint") or "")
            endpoint = base.rstrip("/") + TRACES_PATH if base and not base.rstrip("/").endswith(TRACES_PATH) else base
        if not endpoint:
            return None
        headers = dict(_str_dict(table.get("headers", {})))
        headers.update(parse_headers(env.get("OTEL_EXPORTER_OTLP_TRACES_HEADERS") or env.get("OTEL_EXPORTER_OTLP_HEADERS") or ""))
        return cls(
            endpoint=endpoint, headers=headers, content=_bool(table.get("content", False), "content"),
            max_queue=_positive_int(table.get("max_queue", 2048), "max_queue"),
            timeout_s=_positive(table.get("timeout_s", 5.0), "timeout_s"),
            service_name=env.get("OTEL_SERVICE_NAME") or str(table.get("service_name") or "cockpit"),
        )


def parse_headers(text: str) -> dict[str, str]:
    """``key1=value1,key2=value2`` (values URL-encoded), as the OTLP exporter spec writes them."""
    out = {}
    for pair in text.split(","):
        name, sep, value = pair.partition("=")
        if sep and name.strip():
            out[unquote(name.strip()).lower()] = unquote(value.strip())
    return out


def _str_dict(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ValueError("headers must be a table of strings")
    return {str(k).lower(): str(v) for k, v in value.items()}


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false")
    return value


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number, 1 or more")
    return value


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"{name} must be a number above 0")
    return float(value)

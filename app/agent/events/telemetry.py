"""The OpenTelemetry export's one event: how many spans never reached the collector.

Emitted (not stored: it is this process's export, not the session's story) by the export's
reporter on the session's bus, on the first event after the count changed. The Retries pane
folds it (``RetriesState.telemetry_dropped``): a collector that is down costs this number,
never the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from app.agent.events.core import Event


@dataclass(kw_only=True)
class TelemetryDropped(Event):
    type: ClassVar[str] = "telemetry_dropped"
    persist: ClassVar[bool] = False
    dropped: int = 0  # spans of this process that did not reach the collector, so far
    endpoint: str = ""

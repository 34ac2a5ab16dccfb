"""The export wired to live sessions: one :class:`Telemetry` per process, a span builder per session bus.

``session_telemetry(settings)`` is None while export is off, and then nothing of OpenTelemetry is
imported. A session and the children it delegates to share one :class:`Delegations`, so a child's
run is a child span of the parent's ``execute_tool task`` span, in the same trace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from app.telemetry.config import TelemetryConfig

if TYPE_CHECKING:
    from app.telemetry.exporter import Export
    from app.telemetry.spans import Delegations, Scrubber


class Telemetry:
    def __init__(self, export: "Export", scrubber: "Scrubber") -> None:
        from app.telemetry.spans import Delegations

        self.export, self.scrubber = export, scrubber
        self.delegations: Delegations = Delegations()

    @property
    def dropped(self) -> int:
        return self.export.counts.dropped

    def builder(self) -> Callable[[Any], None]:
        from app.telemetry.spans import SpanBuilder

        return SpanBuilder(self.export.tracer, scrubber=self.scrubber, content=self.export.config.content,
                           delegations=self.delegations)

    def watch(self, bus: Any) -> None:
        """Subscribe a span builder to ``bus`` (not required: a failing export never stops the session),
        and the reporter of dropped spans."""
        bus.subscribe(self.builder())
        bus.subscribe(DropReporter(self.export, bus.emit))


class DropReporter:
    """Tells the session's bus (the Retries pane) how many spans were dropped, on the first event after
    the count changed: on the agent's thread, never from the exporter's."""

    def __init__(self, export: "Export", emit: Callable[[Any], Any]) -> None:
        self.export, self.emit, self.seen = export, emit, 0

    def __call__(self, event: Any) -> None:
        from app.agent.events.telemetry import TelemetryDropped

        dropped = self.export.counts.dropped
        if dropped != self.seen and not isinstance(event, TelemetryDropped):
            self.seen = dropped
            self.emit(TelemetryDropped(dropped=dropped, endpoint=self.export.config.endpoint))

    def flush(self, timeout_s: float | None = None) -> bool:
        return self.export.flush(self.export.config.timeout_s if timeout_s is None else timeout_s)


def session_telemetry(table: Mapping[str, Any], scrubber: "Scrubber",
                      environ: Mapping[str, str] | None = None) -> Telemetry | None:
    """The export for this process's sessions, or None when it is off (no endpoint)."""
    config = TelemetryConfig.from_settings(table, environ)
    if config is None:
        return None
    from app.telemetry.exporter import process_export

    return Telemetry(process_export(config), scrubber)

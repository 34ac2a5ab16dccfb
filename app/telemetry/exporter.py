"""The process's tracer provider: OTLP/HTTP protobuf behind a bounded BatchSpanProcessor.

Nothing here blocks the agent: a finished span goes into the processor's queue and a background
thread sends batches. A collector that is down or slow costs spans, never the run: every span
that did not reach it (the export failed, or the queue was full and the oldest one went) is
counted in ``Export.counts.dropped``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Tracer

from app.telemetry.config import TelemetryConfig

TRACER_NAME = "cockpit"


class ExportCounts:
    """Spans ended (handed to the processor), taken by the exporter, sent and dropped."""

    def __init__(self, max_queue: int) -> None:
        self.max_queue = max_queue
        self.ended = self.taken = self.sent = 0
        self.overflowed = self.failed = 0  # dropped from the full queue; lost with a failed export
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    @property
    def dropped(self) -> int:
        return self.overflowed + self.failed

    @property
    def settled(self) -> int:
        return self.sent + self.dropped

    def span_ended(self) -> None:
        with self._lock:
            self.ended += 1
            if self.ended - self.taken - self.overflowed > self.max_queue:  # the processor's queue drops its oldest
                self.overflowed += 1
                self._changed.notify_all()

    def taking(self, count: int) -> None:
        with self._lock:
            self.taken += count

    def exported(self, count: int, ok: bool) -> None:
        with self._lock:
            if ok:
                self.sent += count
            else:
                self.failed += count
            self._changed.notify_all()

    def wait_settled(self, timeout_s: float) -> bool:
        """Wait until every span ended so far was sent or dropped (tests; a command's last flush)."""
        with self._changed:
            return self._changed.wait_for(lambda: self.settled >= self.ended, timeout_s)


class CountingExporter(SpanExporter):
    def __init__(self, inner: SpanExporter, counts: ExportCounts) -> None:
        self.inner, self.counts = inner, counts

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.counts.taking(len(spans))
        try:
            result = self.inner.export(spans)
        except Exception:  # an exporter that raises loses its batch like one that fails
            result = SpanExportResult.FAILURE
        self.counts.exported(len(spans), result is SpanExportResult.SUCCESS)
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


class _Counted(SpanProcessor):
    """Counts each span the batch processor is given (its queue is bounded by the same number)."""

    def __init__(self, counts: ExportCounts) -> None:
        self.counts = counts

    def on_end(self, span: ReadableSpan) -> None:
        self.counts.span_ended()


class Export:
    """One tracer provider for the process (live sessions, their children, a backfill)."""

    def __init__(self, config: TelemetryConfig, exporter: SpanExporter | None = None) -> None:
        self.config = config
        quiet_sdk()
        self.counts = ExportCounts(config.max_queue)
        inner = exporter or OTLPSpanExporter(endpoint=config.endpoint, headers=config.headers, timeout=config.timeout_s)
        self.provider = TracerProvider(resource=Resource.create({"service.name": config.service_name}))
        self.provider.add_span_processor(_Counted(self.counts))
        self.provider.add_span_processor(BatchSpanProcessor(
            CountingExporter(inner, self.counts), max_queue_size=config.max_queue,
            max_export_batch_size=min(512, config.max_queue), schedule_delay_millis=500))
        self.tracer: Tracer = self.provider.get_tracer(TRACER_NAME)

    def flush(self, timeout_s: float) -> bool:
        """Hand the queued spans to the exporter and wait at most ``timeout_s`` for them to settle."""
        threading.Thread(target=self.provider.force_flush, daemon=True, name="cockpit-otel-flush").start()
        return self.counts.wait_settled(timeout_s)



def quiet_sdk() -> None:
    """The SDK's own log lines (a retry of a failed export, a full queue) stay off the terminal:
    what was lost is the dropped-span count, which the Retries pane and the commands say."""
    sdk = logging.getLogger("opentelemetry")
    if not sdk.handlers:
        sdk.addHandler(logging.NullHandler())
    sdk.propagate = False


_current: dict[str, Any] = {}
_lock = threading.Lock()


def process_export(config: TelemetryConfig) -> Export:
    """The process's :class:`Export` for ``config`` (created on first use; every session of the
    process that asks for the same collector shares it)."""
    key = repr(config)
    with _lock:
        if key not in _current:
            _current[key] = Export(config)
        export: Export = _current[key]
        return export

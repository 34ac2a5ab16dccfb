"""A real OTLP/HTTP trace receiver on 127.0.0.1: decodes ``ExportTraceServiceRequest`` protobuf bodies.

``spans`` holds every span received as a plain :class:`ReceivedSpan`; ``wait_for(n)`` waits on
state (a condition), never on time. ``hold`` (a threading.Event, set to release) makes the
receiver slow: every request waits until it is set.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse
from opentelemetry.proto.common.v1.common_pb2 import AnyValue


def value_of(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [value_of(x) for x in v.array_value.values]
    return getattr(v, kind) if kind else None


@dataclass
class ReceivedSpan:
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status: int = 0  # 0 unset, 1 ok, 2 error
    service: str = ""


class Receiver:
    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self.requests: list[dict[str, str]] = []  # each request's headers
        self.hold: threading.Event | None = None
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if receiver.hold is not None:
                    receiver.hold.wait()
                request = ExportTraceServiceRequest.FromString(body)
                receiver._add(request, dict(self.headers.items()), self.path)
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _add(self, request: ExportTraceServiceRequest, headers: dict[str, str], path: str) -> None:
        spans = []
        for resource_spans in request.resource_spans:
            resource = {a.key: value_of(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for s in scope_spans.spans:
                    spans.append(ReceivedSpan(
                        name=s.name, trace_id=s.trace_id.hex(), span_id=s.span_id.hex(), parent_id=s.parent_span_id.hex(),
                        start_ns=s.start_time_unix_nano, end_ns=s.end_time_unix_nano,
                        attributes={a.key: value_of(a.value) for a in s.attributes},
                        events=[(e.name, {a.key: value_of(a.value) for a in e.attributes}) for e in s.events],
                        status=s.status.code, service=str(resource.get("service.name", ""))))
        with self._changed:
            self.requests.append({**{k.lower(): v for k, v in headers.items()}, ":path": path})
            self.spans.extend(spans)
            self._changed.notify_all()

    def wait_for(self, count: int, timeout_s: float = 20.0) -> list[ReceivedSpan]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.spans) >= count, timeout_s), \
                f"{len(self.spans)} spans received, waited for {count}"
            return list(self.spans)

    @staticmethod
    def down_url() -> str:
        """A loopback URL where nothing listens (a collector that is down)."""
        receiver = Receiver()
        url = receiver.url
        receiver.server.server_close()
        return url

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()

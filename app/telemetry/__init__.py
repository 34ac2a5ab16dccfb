"""OpenTelemetry export: a session's events as GenAI spans sent to an OTLP/HTTP collector.

Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``[telemetry] endpoint``) is set. The SDK is
imported only then. Composition side: the agent core never imports this package.
"""

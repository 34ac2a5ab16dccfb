"""``cockpit export-otel SESSION...``: send stored (and imported) sessions to an OTLP collector."""

from __future__ import annotations

import argparse
import os
import sys

from app.commands.common import EXIT_USAGE, clear_errors, open_database


def register(subparsers: argparse._SubParsersAction) -> None:
    from app.cli import add_db_option

    parser = subparsers.add_parser(
        "export-otel", help="send stored sessions to an OpenTelemetry collector (OTLP/HTTP)",
        description="Send stored and imported sessions, with their delegated children, as OpenTelemetry GenAI "
                    "spans to the collector named by OTEL_EXPORTER_OTLP_ENDPOINT, [telemetry] endpoint or --endpoint.")
    parser.add_argument("ids", nargs="+", metavar="SESSION", help="session id, a unique prefix of one, or 'latest'")
    parser.add_argument("--endpoint", help="the collector's OTLP/HTTP base URL (e.g. http://localhost:4318)")
    parser.add_argument("--content", action="store_true", default=None,
                        help="include prompts, outputs and tool results (redacted), as [telemetry] content = true")
    add_db_option(parser)
    parser.set_defaults(func=run)


@clear_errors
def run(args: argparse.Namespace) -> int:
    from app.settings import ConfigError, load_settings
    from app.telemetry.config import TelemetryConfig
    from storage.queries import resolve_session_id

    settings = load_settings()
    table = dict(settings.telemetry)
    if args.endpoint:
        table["endpoint"] = args.endpoint
    if args.content:
        table["content"] = True
    environ = dict(os.environ)
    if args.endpoint:  # the command line wins over the variables
        for name in ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"):
            environ.pop(name, None)
    try:
        config = TelemetryConfig.from_settings(table, environ)
    except ValueError as exc:
        raise ConfigError(f"{settings.path}: [telemetry] {exc}") from None
    if config is None:
        print("cockpit: no collector to send to: set OTEL_EXPORTER_OTLP_ENDPOINT, [telemetry] endpoint "
              "or --endpoint", file=sys.stderr)
        return EXIT_USAGE
    db = open_database(args)
    ids = [resolve_session_id(db, ref) for ref in args.ids]
    return _send(db, config, ids)


def _send(db, config, ids: list[str]) -> int:
    from app.telemetry.backfill import backfill
    from app.telemetry.exporter import Export
    from app.telemetry.spans import Delegations
    from storage.redact import Redactor

    export = Export(config)
    scrubber, delegations = Redactor.from_environment(), Delegations()
    sessions = sum(backfill(db, export, session_id, scrubber=scrubber, delegations=delegations) for session_id in ids)
    settled = export.flush(config.timeout_s * 3)
    counts = export.counts
    print(f"sent {counts.sent} of {counts.ended} spans ({sessions} session{'s' * (sessions != 1)}) to {config.endpoint}",
          file=sys.stderr)
    if counts.dropped or not settled:
        left = counts.ended - counts.settled
        print(f"cockpit: {counts.dropped} spans did not reach the collector"
              + (f", {left} still unsent when the wait ended" if left else ""), file=sys.stderr)
        return 1
    return 0

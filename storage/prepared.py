"""Events made ready for the store: redacted, encoded, with their projections' parameters.

:func:`prepare` touches no database, so an import can prepare its next batches
in another process (:mod:`storage.importers.reader_process`) while this one writes.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Container, Iterable
from typing import Any, NamedTuple

from orjson import dumps

from app.agent.events.core import well_formed
from storage import projection_params
from storage.migrations import feature_projections
from storage.projection_params import Params
from storage.redact import ORJSON_OPTIONS, Redactor, inspect_payload, json_text, std_json_text


class PreparedEvent(NamedTuple):
    """An event as it will be written: its envelope, its redacted payload's JSON text (the ``events`` row is the
    first five fields), the (hash, text) of its full output when it has one (stored in ``blobs``), the parameters
    of its projection's statement when :mod:`storage.projection_params` computes them, and the redacted payload
    itself, None when the writer does not read it (:func:`payload_kinds`: it is the text, parsed)."""

    session_id: str
    seq: int
    type: str
    ts: float
    text: str
    blob: tuple[str, str] | None
    params: Params | None = None
    payload: dict[str, Any] | None = None

    @property
    def row(self) -> dict[str, Any]:
        """The stored event row ``{"session_id", "seq", "type", "ts", "payload"}`` that projections receive
        (built at each call, the text parsed when the payload was left out: read the envelope's fields instead)."""
        payload = json.loads(self.text) if self.payload is None else self.payload
        return {"session_id": self.session_id, "seq": self.seq, "type": self.type, "ts": self.ts, "payload": payload}


def prepare(events: Iterable[dict[str, Any]], redactor: Redactor, *,
            kept: Container[str] | None = None) -> list[PreparedEvent]:
    """Events redacted and encoded, ready for :meth:`EventStore.append_prepared`, each with its payload only when
    its type is in ``kept``, by default when the writer reads it (:func:`payload_kinds`: the others' are dropped
    as soon as their text is made, so a batch holds about half the memory).

    Touches no database, so an import can prepare its next batches in another process.
    """
    return _prepare(events, redactor, new_prepared, payload_kinds() if kept is None else kept)


def prepare_to_send(events: Iterable[dict[str, Any]], redactor: Redactor) -> list[tuple[Any, ...]]:
    """:func:`prepare` as an import's reading process sends it: each event a plain tuple of PreparedEvent's fields
    (a NamedTuple is pickled through a Python method per event; the writer makes PreparedEvents again with
    :data:`new_prepared`)."""
    return _prepare(events, redactor, tuple, payload_kinds())  # (tuple() of a tuple is that tuple)


@functools.cache
def payload_kinds() -> frozenset[str]:
    """The event types whose payload the writer reads: those of the store's projections that read the stored row
    (:data:`projection_params.ROW_KINDS`) and of the features' (the others' projections take the parameters
    :func:`prepare` computed). A payload left out is its text, parsed (:attr:`PreparedEvent.row`)."""
    return frozenset((*projection_params.ROW_KINDS, *feature_projections()))


def _prepare(events: Iterable[dict[str, Any]], redactor: Redactor, new: Callable[[tuple[Any, ...]], Any],
             kept: Container[str]) -> list[Any]:
    """:func:`prepare`, each event made by ``new``, with its payload when its type is in ``kept``."""
    scrub, params_of, clean, names = redactor.scrub_json, projection_params.params, redactor.clean_keys, redactor.names
    prepared: list[Any] = []
    append = prepared.append
    for event in events:
        payload = dict(event)  # the event without its envelope (ENVELOPE), in its order
        kind, session_id, seq, ts = payload.pop("type"), payload.pop("session_id"), payload.pop("seq"), payload.pop("ts", None)
        if kind == "tool_call_finished" and "full_output" in payload:
            if payload["full_output"] is not None:
                with_output = _with_full_output(event, payload, redactor)
                append(new(with_output if kind in kept else (*with_output[:7], None)))
                continue
            del payload["full_output"]  # (no output beyond the result: the payload as it would be without the key)
        if inspect_payload(payload, clean):  # (Redactor.scrub_json, its common case inline: a call less an event)
            payload, text = scrub(payload)
        else:
            try:
                text = dumps(payload, option=ORJSON_OPTIONS).decode()
            except TypeError:  # (orjson.JSONEncodeError is one: a lone surrogate, an integer beyond 64 bits...)
                text = std_json_text(payload)
            if names and any(map(text.__contains__, names)):
                payload, text = scrub(payload)
        if not text.isascii() and well_formed(text) is not text:  # a lone surrogate: SQLite takes valid UTF-8 only
            payload = well_formed(payload)
            text = json_text(payload)
        if type(seq) is not int:
            seq = int(seq)
        if type(ts) is not float:
            ts = float(ts or 0.0)
        params = params_of(kind, session_id, seq, ts, payload) if kind in _PARAM_KINDS else None
        append(new((session_id, seq, kind, ts, text, None, params, payload if kind in kept else None)))
    return prepared


def without_payloads(batch: list[PreparedEvent]) -> list[PreparedEvent]:
    """The batch with the payloads the writer does not read left out (what :func:`prepare` makes)."""
    kept = payload_kinds()
    return [
        new_prepared((*event[:7], None)) if event.payload is not None and event.type not in kept else event
        for event in batch
    ]


def _with_full_output(event: dict[str, Any], payload: dict[str, Any], redactor: Redactor) -> PreparedEvent:
    """:func:`prepare` of a finished tool call with its full output (not None): stored in ``blobs``, the payload
    keeps its hash."""
    full = payload.pop("full_output")
    payload = well_formed(redactor.scrub_json(payload)[0])
    content = well_formed(redactor.replace_secrets(full))
    blob = (hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest(), content)
    payload["full_output_hash"] = blob[0]
    session_id, seq, ts = event["session_id"], int(event["seq"]), float(event.get("ts") or 0.0)
    params = projection_params.params("tool_call_finished", session_id, seq, ts, payload)
    return new_prepared((session_id, seq, "tool_call_finished", ts, json_text(payload), blob, params, payload))


_PARAM_KINDS = projection_params.KINDS
new_prepared = functools.partial(tuple.__new__, PreparedEvent)
"""A PreparedEvent of a tuple of its fields (NamedTuple's own ``__new__`` and ``_make`` are Python)."""

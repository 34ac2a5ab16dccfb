"""The verifier model's verdict: one JSON object, checked against :data:`VERDICT_SCHEMA`.

Strict: the reply must be the object and nothing else (a ```json fence around it is allowed,
models add one whatever they are told). Anything else — no JSON, JSON of another shape, a
verdict that is neither ``pass`` nor ``fail`` — is a verification that could not be made, with
the reason, never a crash and never a pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.agent.tools.validation import ArgumentError, parse_arguments, validate

VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["verdict", "findings"],
    "additionalProperties": False,
    "properties": {
        "verdict": {"type": "string", "enum": ["pass", "fail"]},
        "findings": {"type": "array", "items": {"type": "string"}},
        "summary": {"type": "string"},
    },
}

VERIFIER_PROMPT = """You verify a coding agent's work before its answer counts. You get the task, the agent's
answer, the files it changed (their content now) and, when they ran, the project's test results.
Check that the change does what the task asks and breaks nothing. Reply with one JSON object and
nothing else, matching this JSON schema:
""" + json.dumps(VERDICT_SCHEMA) + """
"pass" only when you found no problem; for "fail", each finding says what is wrong and where."""


@dataclass(frozen=True)
class ModelVerdict:
    passed: bool
    findings: tuple[str, ...]
    summary: str = ""


def parse_object(text: str, schema: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """The reply as an object matching ``schema``, or None and why not."""
    body = text.strip()
    if body.startswith("```"):
        body = body.removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    if not body:
        return None, "the reply was empty"
    try:
        value = parse_arguments(body)
    except ArgumentError as exc:
        return None, f"not a JSON object: {exc}"
    errors = validate(schema, value)
    if errors:
        return None, "; ".join(errors)
    return value, ""


def parse_verdict(text: str) -> tuple[ModelVerdict | None, str]:
    """The verdict, or None and why the reply is not one."""
    value, problem = parse_object(text, VERDICT_SCHEMA)
    if value is None:
        return None, f"malformed verdict: {problem}"
    findings = tuple(f.strip() for f in value["findings"] if f.strip())
    return ModelVerdict(value["verdict"] == "pass", findings, str(value.get("summary", ""))), ""

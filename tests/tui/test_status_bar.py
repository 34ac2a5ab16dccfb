"""The status bar at every width: the parts give way by priority, the context meter, no number cut."""

from __future__ import annotations

import re

import pytest

from app.agent.events.budget import ContextMeasured
from app.agent.events.core import ModelCallFinished, SandboxState, SessionStarted
from widgets.status_bar import StatusBar

MODEL = "anthropic/claude-sonnet-4-5"
ESSENTIAL = ("mode", "model", "context", "cost")


def bar(*, mode: str = "ask", sandbox: SandboxState | None = None, measured: bool = True) -> StatusBar:
    status = StatusBar(clock=lambda: 0.0)
    status.permission_mode = mode
    status.activity = "working · 2 queued"
    status.apply(SessionStarted(session_id="5e55101000000000", model=MODEL, workspace="/home/dev/project"))
    if sandbox is not None:
        status.apply(sandbox)
    if measured:
        status.apply(ContextMeasured(session_id="5e55101000000000", used=41_234, usable=128_000, used_pct=32.2,
                                     level="calm", advertised_source="litellm", estimate_is_approximate=True))
    status.apply(ModelCallFinished(session_id="5e55101000000000", usage={"prompt_tokens": 1234, "completion_tokens": 56},
                                   cost_usd=0.0123))
    return status


SHORT_MODES = {"ask": "ask", "yolo": "YOLO", "plan": "plan", "accept_edits": "edits"}
MODEL_FITS_FROM = 48  # mode, the model cut to 16 cells, "ctx 32%" and the cost


@pytest.mark.parametrize("mode", ["ask", "yolo", "plan", "accept_edits"])
def test_every_width_keeps_mode_model_context_and_cost_when_they_fit(mode):
    status = bar(mode=mode, sandbox=SandboxState(session_id="5e55101000000000", backend="bwrap", network=False))
    full = status.status_line().plain
    for width in range(40, 201):
        line = status.status_line(width).plain
        assert len(line) <= width, (width, line)
        # The mode, the context share and the cost from 40 columns on; the model (perhaps without its
        # provider, or cut with …) as soon as the four fit.
        assert SHORT_MODES[mode] in line and "ctx" in line and "32%" in line and "$0.0123" in line, (width, line)
        if width >= MODEL_FITS_FROM:
            assert "claude-sonnet-4" in line, (width, line)
        # No number is cut: every number on the narrow line is a number of the full line.
        for number in re.findall(r"[\d.,$]+[k%M]?", line):
            assert number in full, (width, number, line)
    assert status.status_line(200).plain == full


def test_lower_priority_parts_go_first():
    status = bar(sandbox=SandboxState(session_id="5e55101000000000", backend="bwrap", network=False))
    line80, line100 = status.status_line(78).plain, status.status_line(98).plain
    assert "session 5e551010" not in line100 and "project" not in line100  # workspace and session went first
    assert "ctx ≈41.2k/128k 32%" in line100 and "$0.0123" in line100
    assert "ctx" in line80 and "$0.0123" in line80 and "claude-sonnet-4-5" in line80
    wide = status.status_line(200).plain
    assert "1.2k in / 56 out" in wide and "session 5e551010" in wide and "project" in wide


def test_unsandboxed_and_yolo_never_go():
    status = bar(mode="yolo", sandbox=SandboxState(session_id="5e55101000000000", backend="", reason="none"))
    for width in range(30, 201):
        line = status.status_line(width).plain
        assert line.startswith(" YOLO   unsandboxed "), (width, line)


def test_the_context_meter_says_what_it_does_not_know():
    status = StatusBar(clock=lambda: 0.0)
    assert "ctx —" in status.status_line().plain  # no count yet
    status.apply(ModelCallFinished(session_id="s", usage={"prompt_tokens": 41_200, "completion_tokens": 5}))
    assert "ctx 41.2k/?" in status.status_line().plain  # the provider's count, no window known
    status.apply(ContextMeasured(session_id="s", used=11, usable=25_100, used_pct=0.04, advertised_source="assumed",
                                 estimate_is_approximate=True))
    assert "ctx ≈11/25.1k? 0%?" in status.status_line().plain  # an assumed window says so


@pytest.mark.parametrize(("level", "style"), [("calm", ""), ("warning", "$text-warning"), ("critical", "$text-error")])
def test_the_context_share_is_coloured_at_the_thresholds(level, style):
    status = StatusBar(clock=lambda: 0.0)
    status.apply(ContextMeasured(session_id="s", used=90_000, usable=100_000, used_pct=90.0, level=level))
    line = status.status_line()
    start = line.plain.index("90%")
    styles = [str(span.style) for span in line.spans if span.start <= start < span.end]
    assert (style in " ".join(styles)) if style else not any("$text-warning" in s or "$text-error" in s for s in styles)

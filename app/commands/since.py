"""``--since``: a date, a timestamp or a time ago (``24h``, ``7d``, ``4w``), as an ISO timestamp in UTC."""

from __future__ import annotations

import datetime as dt
import re

_AGO = re.compile(r"(\d+)\s*([hdw])")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, *, now: dt.datetime | None = None) -> str:
    """``7d`` → seven days before ``now``; ``2026-11-01`` → its midnight (UTC); a timestamp as given
    (UTC unless it names its offset). ValueError, saying what is understood, for anything else."""
    text = text.strip()
    ago = _AGO.fullmatch(text.lower())
    if ago:
        now = now or dt.datetime.now(dt.timezone.utc)
        return (now - dt.timedelta(**{_UNITS[ago[2]]: int(ago[1])})).isoformat(timespec="seconds")
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since {text!r}: give a date (2026-11-01), a timestamp (2026-11-01T09:30) "
                         "or a time ago (24h, 7d, 4w)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).isoformat(timespec="seconds")

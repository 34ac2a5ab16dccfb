"""Replay: a recorded session as a timeline you can step through.

Modules, one job each:

* ``transcript`` — what the transcript showed after each event (messages, tool
  calls with their status and result, notices), folded once by the live
  transcript's reducer (``app.agent.events.transcript_view``) and read at any
  position with a binary search.
* ``timeline`` — the stops, the marks (errors, retries, compactions), turns,
  and the state of every pane at any position, folded by the same reducers
  the live panes use, with checkpoints so that stepping is fast both ways;
  a long session is read and folded in pages, as far as the cursor needs.
* ``gc_freeze`` — keeps a long session's objects out of the cyclic collector's
  walks while its screen is open.
* ``synthetic`` — a realistic generated session (benchmarks, snapshot tests).

Pure Python: nothing here imports textual, storage or litellm, and nothing
runs at import time.
"""

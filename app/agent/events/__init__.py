"""The vocabulary: what core, store, panes and replay all speak.

* ``core`` — the base :class:`~app.agent.events.core.Event`, the core events
  (session, turns, model calls, tool calls, limits, notices) and decoding.
* ``budget``, ``resilience``, ``feedback`` — each feature's events.
* ``approvals`` — the approval request and decision types.
* ``budget_view``, ``retries_view``, ``feedback_view`` — the reducers that fold
  events into what the Context budget, Retries and Feedback panes show; live
  panes and replay use the same ones.

Plain dataclasses and pure functions. Nothing here imports the loop, tools,
litellm, storage or textual (an import-linter contract says so), and this file
imports nothing, so a widget that needs one module pays for that one only.
"""

"""The context budget: where every token of the window goes, and compaction.

Modules, one job each:

* ``tokenizer`` counts text per model; ``counter`` counts a conversation
  incrementally, per category and per message.
* ``window`` finds the advertised window; ``calibration`` compares estimates
  with provider counts; ``snapshot`` lays it all out.
* ``compaction`` (the ladder's rungs), ``pairing`` (tool-call pairing rules),
  ``summary`` (what the summarising rung asks) and ``overflow`` (compact and
  retry once on a context-exceeded error).
* ``budget.ContextBudget`` ties them together for the loop; ``state`` is the
  reducer the pane and replay share; ``events`` are what it all announces.

This package imports nothing on import: widgets import ``state`` and ``events``
only, and must not pull in the engine.
"""

"""The context budget: where every token of the window goes, and compaction.

Modules, one job each:

* ``tokenizer`` counts text per model; ``counter`` counts a conversation
  incrementally, per category and per message.
* ``window`` finds the advertised window; ``calibration`` compares estimates
  with provider counts; ``snapshot`` lays it all out.
* ``compaction`` (the ladder's rungs), ``pairing`` (tool-call pairing rules)
  and ``summary`` (what the summarising rung asks).
* ``budget.ContextBudget`` ties them together for the loop.

What it announces (``app.agent.events.budget``) and the reducer the pane and
replay share (``app.agent.events.budget_view``) live in the vocabulary package.
This package imports nothing on import.
"""

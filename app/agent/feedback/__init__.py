"""Feedback that does not lie.

One task is one user turn. When it finishes, :mod:`.policy` decides with a known
probability π whether to ask the user for a rating; :mod:`.signals` collects
what the user *did* (denials, interrupts, rephrasing, reverts, test runs) and
:mod:`.collector` turns the event stream into ``app.agent.events.feedback``. :mod:`.estimator`
turns the stored answers into a corrected satisfaction rate (Hajek weights 1/π,
post-stratified by task category, Wilson interval on the effective sample
size, worst-case bounds for non-response). ``app.agent.events.feedback_view``
is the reducer the live pane and replay share.

Nothing here imports textual, storage or litellm, and nothing runs at import.
"""

"""Screens of the Cockpit app, each created on demand (nothing here is imported at start-up).

* ``sessions.SessionsScreen`` — browse, search, filter and sort the stored sessions;
  open, resume, replay, export or delete one.
* ``replay.ReplayScreen`` — a recorded session, step by step, with every pane as it was.
"""

"""Hooks: shell commands the user runs at moments of a session, as Claude Code's hooks.

``config`` reads the ``[hooks]`` table, ``run`` runs one command (JSON on stdin, a
timeout, its process group killed), ``hooks`` is what the loop, the tool pipeline and
the session call at each moment. Every run is a ``hook_ran`` event
(``app.agent.events.hooks``).
"""

"""Compound roles around the generator: a router before a task, a verifier before its answer
counts, escalation to a stronger model.

* ``config`` — the ``[roles]`` table (everything off by default);
* ``base`` — what the loop asks of the roles (:class:`~app.agent.roles.base.TurnRoles`, with the
  null object :class:`~app.agent.roles.base.NoRoles`) and what the roles need of the loop;
* ``router`` — the rule table and the router model's classification;
* ``verifier`` — the project's tests (``test_command``) and the verifier model's JSON verdict
  (``verdict``);
* ``turn`` — :class:`~app.agent.roles.turn.Roles`, which puts them together for one session.

Every model call a role makes goes through the loop's one call path (``Agent.ask``): retried,
announced with its role (``router``, ``verifier``), priced and counted against the limits.
Each decision is an event (``app.agent.events.roles``).
"""

"""Escalation: after a failed verification or a loop warning the turn goes on on ``escalate_to``,
once, as an event; the next turn starts on the session's model again."""

from __future__ import annotations

from app.agent.events.roles import AFTER_FAILED_VERIFICATION, AFTER_LOOP_WARNING, FAIL, PASS, Escalated, \
    VerificationFinished
from app.agent.events.transcript_view import TranscriptFold
from tests.roles.support import GENERATOR, STRONGER, ByModel, checks_file, open_session, write
from tests.support.openai_server import Reply, ToolCallSpec


async def test_a_failed_verification_escalates_the_rest_of_the_turn(openai_server, workspace, tmp_path):
    models = ByModel(openai_server)
    models.script(GENERATOR, [write("a.txt", "bad"), Reply(text="Done."), Reply(text="Next task done.")])
    models.script(STRONGER, [write("a.txt", "good"), Reply(text="Fixed.")])
    roles = {"escalate_to": STRONGER, "escalate_api_base": openai_server.url,
             "verifier": {"mode": "tests", "test_command": checks_file(workspace, "a.txt", "good")}}
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url, roles)

    result = await session.run_task("write good into a.txt")

    assert result.answer == "Fixed."
    (escalated,) = events.of(Escalated)
    assert (escalated.from_model, escalated.to_model, escalated.reason) == (GENERATOR, STRONGER,
                                                                           AFTER_FAILED_VERIFICATION)
    assert [v.verdict for v in events.of(VerificationFinished)] == [FAIL, PASS]
    assert any(e.text == f"Escalated to {STRONGER} after the verification failed"
               for e in TranscriptFold.of(events).entries)
    models_by_call = [r[0] for r in db.execute("select model from model_calls where role = 'main' order by rowid")]
    assert models_by_call == [GENERATOR, GENERATOR, STRONGER, STRONGER]

    await session.run_task("say hi")  # no file changed: nothing to verify, and the session's model again

    assert session.agent.model.name == GENERATOR and len(events.of(Escalated)) == 1
    assert len(models.requests_to(GENERATOR)) == 3 and not models.pending()


async def test_a_loop_warning_escalates_once(openai_server, workspace, tmp_path):
    models = ByModel(openai_server)
    missing = Reply(tool_calls=[ToolCallSpec("read_file", {"path": "missing.txt"})])
    models.script(GENERATOR, [missing, missing, missing])
    models.script(STRONGER, [Reply(text="The file does not exist.")])
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                       {"escalate_to": STRONGER, "escalate_api_base": openai_server.url})

    result = await session.run_task("read missing.txt")

    assert result.outcome == "completed" and result.answer == "The file does not exist."
    (escalated,) = events.of(Escalated)
    assert escalated.reason == AFTER_LOOP_WARNING
    assert len(models.requests_to(STRONGER)) == 1 and not models.pending()


async def test_replay_shows_the_same_decisions_at_their_positions(openai_server, workspace, tmp_path):
    from app.replay.transcript import TranscriptIndex
    from app.tui.session_files import stored_events

    models = ByModel(openai_server)
    models.script(GENERATOR, [write("a.txt", "bad"), Reply(text="Done.")])
    models.script(STRONGER, [write("a.txt", "good"), Reply(text="Fixed.")])
    roles = {"escalate_to": STRONGER, "escalate_api_base": openai_server.url, "router": {"enabled": True},
             "verifier": {"mode": "tests", "test_command": checks_file(workspace, "a.txt", "good")}}
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url, roles)
    await session.run_task("fix the failing check")
    session.finish()

    stored = stored_events(db, session.id)
    index = TranscriptIndex(stored)
    shown = [e.text for e in index.at(len(stored) - 1)]
    decisions = [t for t in shown if t.startswith(("Routed", "Verification", "Escalated"))]
    assert decisions == [
        "Routed: debugging (rules) · no model call",
        "Verification failed (tests: python3 check.py) · round 1 · findings sent back (1 of 2)",
        f"Escalated to {STRONGER} after the verification failed",
        "Verification passed (tests: python3 check.py) · round 2",
    ]
    from app.agent.events.roles import RoleDecision, decisions_summary

    summary = decisions_summary(e for e in stored if isinstance(e, RoleDecision))
    assert summary == "routed 1 (debugging 1) · verified 2×: 1 failed, 1 passed · escalated 1×"
    escalated_at = next(i for i, e in enumerate(stored) if isinstance(e, Escalated))
    assert not any(t.startswith("Escalated") for t in (e.text for e in index.at(escalated_at - 1)))

"""The verifier through the real loop: the project's tests and the verifier model, over HTTP."""

from __future__ import annotations

from app.agent.events import core as ev
from app.agent.events.feedback import ImplicitSignals
from app.agent.events.mentions import VERIFIER_MARKER
from app.agent.events.roles import ERROR, FAIL, PASS, VerificationFinished
from tests.roles.support import GENERATOR, VERIFIER, ByModel, checks_file, open_session, verdict, write
from tests.support.openai_server import Reply


def user_messages(request) -> list[str]:
    return [m["content"] for m in request.body["messages"] if m["role"] == "user"]


async def test_a_failed_test_run_goes_back_to_the_generator_and_the_second_round_passes(openai_server, workspace, tmp_path):
    models = ByModel(openai_server)
    models.script(GENERATOR, [write("a.txt", "bad"), Reply(text="Done."), write("a.txt", "good"), Reply(text="Fixed.")])
    command = checks_file(workspace, "a.txt", "good")
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                       {"verifier": {"mode": "tests", "test_command": command}})

    result = await session.run_task("write good into a.txt")

    assert result.outcome == "completed" and result.answer == "Fixed."
    first, second = events.of(VerificationFinished)
    assert (first.verdict, first.round, first.sent_back, first.files) == (FAIL, 1, True, ["a.txt"])
    assert "1 failed" in first.findings[0] and first.test_exit_code == 1
    assert (second.verdict, second.round, second.sent_back) == (PASS, 2, False)
    third_request = models.requests_to(GENERATOR)[2]
    (findings,) = [m for m in user_messages(third_request) if m.startswith(VERIFIER_MARKER)]
    assert "1 failed" in findings
    assert (workspace / "a.txt").read_text() == "good"
    assert session.agent.turn == 1  # the findings are no task of their own


async def test_the_verifier_model_fails_the_work_then_passes_it(openai_server, workspace, tmp_path):
    models = ByModel(openai_server)
    models.script(GENERATOR, [write("a.py", "x = 1\n"), Reply(text="Done."), write("a.py", "x = 2\n"), Reply(text="Now.")])
    models.script(VERIFIER, [verdict("fail", "a.py: x must be 2"), verdict("pass")])
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                       {"verifier": {"mode": "model", "model": VERIFIER, "api_base": openai_server.url}})

    result = await session.run_task("set x to 2 in a.py")

    assert result.outcome == "completed"
    first, second = events.of(VerificationFinished)
    assert (first.verdict, first.findings, first.called_model) == (FAIL, ["a.py: x must be 2"], True)
    assert second.verdict == PASS
    asked = models.requests_to(VERIFIER)
    assert len(asked) == 2 and "x = 1" in asked[0].body["messages"][1]["content"]
    roles = [r[0] for r in db.execute("select role from model_calls order by rowid")]
    assert roles == ["main", "main", "verifier", "main", "main", "verifier"]
    assert not models.pending()


async def test_malformed_verifier_json_is_a_clean_failed_verification(openai_server, workspace, tmp_path):
    models = ByModel(openai_server)
    models.script(GENERATOR, [write("a.py", "x = 1\n"), Reply(text="Done.")])
    models.script(VERIFIER, [Reply(text='{"verdict": "pass", "findings": "none"'), ])
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                       {"verifier": {"mode": "model", "model": VERIFIER, "api_base": openai_server.url}})

    result = await session.run_task("set x")

    assert result.outcome == "completed" and result.answer == "Done."
    (only,) = events.of(VerificationFinished)
    assert only.verdict == ERROR and not only.sent_back and only.reason.startswith("malformed verdict")
    assert len(models.requests_to(GENERATOR)) == 2  # nothing went back
    stored = [r[0] for r in db.execute("select type from events where type = 'verification_finished'")]
    assert stored == ["verification_finished"]


async def test_a_verified_task_says_so_in_its_feedback_signals(openai_server, workspace, tmp_path):
    models = ByModel(openai_server)
    models.script(GENERATOR, [write("a.txt", "bad"), Reply(text="Done."), write("a.txt", "good"), Reply(text="Fixed.")])
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                       {"verifier": {"mode": "tests",
                                                     "test_command": checks_file(workspace, "a.txt", "good")}})
    await session.run_task("write good into a.txt")
    await session.run_task("thanks")  # the task's signals are complete once the next prompt is known

    first = next(e for e in events.of(ImplicitSignals) if e.turn == 1)
    assert (first.signals["verified"], first.signals["verify_rounds"]) == (PASS, 2)


def two_failed_rounds(openai_server, workspace, tmp_path):
    """A session whose generator fails the tests twice, with one round of findings sent back."""
    models = ByModel(openai_server)
    models.script(GENERATOR, [write("a.txt", "bad"), Reply(text="Done."), write("a.txt", "worse"), Reply(text="Done!")])
    command = checks_file(workspace, "a.txt", "good")
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                       {"max_verify_rounds": 1, "verifier": {"mode": "tests", "test_command": command}})
    return models, session, events, db


async def test_when_the_rounds_are_used_up_the_answer_stands_with_its_failed_verdict(openai_server, workspace, tmp_path):
    models, session, events, db = two_failed_rounds(openai_server, workspace, tmp_path)

    result = await session.run_task("write good into a.txt")
    await session.run_task("thanks")  # the task's signals are complete once the next prompt is known

    # the answer stands, but as unverified: the turn and the feedback signal agree
    assert result.outcome == "unverified" and result.answer == "Done!"
    assert [(v.verdict, v.round, v.sent_back) for v in events.of(VerificationFinished)] == [(FAIL, 1, True),
                                                                                          (FAIL, 2, False)]
    assert [e.outcome for e in events.of(ev.TurnFinished)] == ["unverified", "completed"]
    assert not models.pending()
    first = next(e for e in events.of(ImplicitSignals) if e.turn == 1)
    assert (first.signals["outcome"], first.signals["verified"]) == ("unverified", FAIL)


async def test_a_session_whose_last_answer_is_unverified_is_stored_so(openai_server, workspace, tmp_path):
    _models, session, events, db = two_failed_rounds(openai_server, workspace, tmp_path)

    assert (await session.run_task("write good into a.txt")).outcome == "unverified"
    session.finish()

    assert events.of(ev.SessionFinished)[-1].status is ev.SessionStatus.UNVERIFIED
    assert db.execute("select status from sessions").fetchone()[0] == "unverified"


async def test_a_turn_that_changed_no_file_is_not_verified(openai_server, workspace, tmp_path):
    models = ByModel(openai_server)
    models.script(GENERATOR, [Reply(text="It is a parser.")])
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                       {"verifier": {"mode": "model", "model": VERIFIER, "api_base": openai_server.url}})

    await session.run_task("what is this?")

    assert events.of(VerificationFinished) == [] and models.requests_to(VERIFIER) == []

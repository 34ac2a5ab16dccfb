"""``cockpit run``'s summary line says whose token counts it adds up: the provider's plain, Cockpit's estimate
with ≈ (a server that sent no usage), and no numbers at all when no call was counted."""

from __future__ import annotations

from app.cli import main
from tests.support.openai_server import Reply


def _summary(capsys) -> str:
    flat = " ".join(capsys.readouterr().out.split())
    return flat[flat.index("1 model call"):]


def test_provider_counts_are_plain(capsys, openai_server, workspace, tmp_path):
    openai_server.script([Reply(text="hello")])
    main(["run", "hi", "--model", "openai/my-local-qwen", "--api-base", openai_server.url,
          "--workspace", str(workspace), "--db", str(tmp_path / "p.db")])
    summary = _summary(capsys)
    assert " in / " in summary and "≈" not in summary and "no token counts" not in summary


def test_counts_the_server_did_not_send_are_marked_as_cockpits_estimate(capsys, openai_server, workspace, tmp_path):
    openai_server.script([Reply(text="hello", send_usage=False)])
    main(["run", "hi", "--model", "openai/my-local-qwen", "--api-base", openai_server.url,
          "--workspace", str(workspace), "--db", str(tmp_path / "e.db")])
    summary = _summary(capsys)
    assert "≈" in summary.split(" in / ")[0] and " / ≈" in summary and "out tokens" in summary

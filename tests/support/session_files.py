"""The real session files of other agents kept in ``tests/data/sessions`` (importer and replay tests)."""

from __future__ import annotations

from pathlib import Path

SESSIONS = Path(__file__).resolve().parents[1] / "data" / "sessions"
CLAUDE_SHORT = SESSIONS / "claude-code" / "short_v2.1.17_permission-errors__2b4ed4c0-b905-41de-9238-273db3ec737a.jsonl"
CLAUDE_DIR = SESSIONS / "claude-code" / "subagents_v2.1.114__ef958aa1"
CLAUDE_MAIN = CLAUDE_DIR / "ef958aa1-0e93-49f0-bb71-150f63befcd1.jsonl"
CLAUDE_SUBAGENTS = CLAUDE_DIR / "ef958aa1-0e93-49f0-bb71-150f63befcd1" / "subagents"
CODEX = SESSIONS / "codex-cli" / "short_0.66.0_exitcode-failures__rollout-2025-12-10T04-55-16-019b04ae-b1c6-7c72-a134-a4c2de66058c.jsonl"
MINI = SESSIONS / "mini-swe-agent" / "gemini3pro__pydata__xarray-4629.traj.json"
CODEX_NEW = SESSIONS / "codex-cli" / "v0.125.0_gpt-5.5_exec_command_websearch__rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl"
CLAUDE_INLINE = SESSIONS / "claude-code" / "inline-sidechains_v1.0.98_167tools_23errors__fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl"
GEMINI = SESSIONS / "gemini-cli" / "gemini-3-pro_delegate_to_agent__session-2026-01-16T11-01-file-ops-37b7abef.json"
AIDER = SESSIONS / "aider" / "v0.86.2_lm-studio-qwen_auth-error_thinking__mozgoslav.aider.chat.history.md"
OPENHANDS = SESSIONS / "openhands" / "claude-3-5-sonnet_gui-mode_run-exit-minus1__basic_gui_mode.json"
SWE_AGENT_V0 = SESSIONS / "swe-agent" / "v0_gpt4_edit-syntax-errors__pydicom__pydicom-1458.traj"
SWE_AGENT_V1 = SESSIONS / "swe-agent" / "v1_function-calling_replay__marshmallow-code__marshmallow-1867.traj"

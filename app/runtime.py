"""Composition: settings + options → a Session wired to the store.

Both ``cockpit run`` and the TUI build their session here; the core stays
unaware of SQLite, the screen and the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

from app import paths
from app.model_select import ModelChoice, choose_model
from app.settings import ConfigError, Settings

# The agent core is imported where a session is built, not here: the TUI's first
# frame imports this module and must not wait for the whole core.
if TYPE_CHECKING:
    from app.agent.approvals import Approver
    from app.agent.bus import EventBus
    from app.agent.config import AgentConfig
    from app.agent.events.core import Event
    from app.agent.model import LiteLLMModel
    from app.agent.session import Session


@dataclass
class RunOptions:
    model: str | None = None
    api_base: str | None = None
    workspace: Path = field(default_factory=Path.cwd)
    yes: bool = False
    max_steps: int | None = None
    max_cost: float | None = None
    max_time: float | None = None
    permission_mode: str | None = None
    db_path: Path | None = None
    resume: str | None = None
    feedback_rate: float | None = None
    headless: bool = False  # nobody to ask for feedback: π is 0 (decisions are still logged)
    trust_project: bool = False  # the project file's allow rules apply for this run, trusted or not


def store_sink(store: Any):
    """Persist every event that is worth keeping (stream deltas are not)."""

    def sink(event: "Event") -> None:
        if event.persist:
            store.append(event.to_dict())

    return sink


def agent_config(settings: Settings, options: RunOptions) -> "AgentConfig":
    from app.agent.events.approvals import PermissionMode
    from app.agent.config import AgentConfig

    data = dict(settings.agent)
    overrides = {
        "max_steps": options.max_steps,
        "max_cost_usd": options.max_cost,
        "max_wall_s": options.max_time,
        "permission_mode": options.permission_mode,
    }
    data.update({k: v for k, v in overrides.items() if v is not None})
    if options.yes:
        data["permission_mode"] = PermissionMode.YOLO.value
    try:
        return AgentConfig.from_dict(data)
    except ValueError as exc:
        raise ConfigError(f"{settings.path}: [agent] {exc}") from None


def resolve_workspace(path: Path) -> Path:
    workspace = path.expanduser().resolve()
    if not workspace.is_dir():
        raise ConfigError(f"workspace {workspace} is not a folder")
    return workspace


def pick_model(settings: Settings, options: RunOptions) -> ModelChoice:
    return choose_model(options.model, options.api_base or settings.api_base, settings.model, str(settings.path))


def open_store(options: RunOptions):
    from storage.db import open_db
    from storage.store import EventStore, mark_abandoned_sessions

    db = open_db(options.db_path or paths.db_path())
    mark_abandoned_sessions(db)
    return db, EventStore(db)


def resolve_resume(db: Any, options: RunOptions, *, latest_in_workspace: bool = False) -> dict[str, Any] | None:
    """The stored session to continue (``--resume ID`` or ``--continue``), or None."""
    from storage.queries import SessionNotFound, latest_session_in, resolve_session_id

    if latest_in_workspace:
        workspace = str(resolve_workspace(options.workspace))
        options.resume = latest_session_in(db, workspace)
        if options.resume is None:
            raise SessionNotFound(f"no earlier session in {workspace} to continue")
    if not options.resume:
        return None
    session_id = resolve_session_id(db, options.resume)
    options.resume = session_id
    return dict(db["sessions"].get(session_id))


def build_session(
    settings: Settings,
    options: RunOptions,
    *,
    human: "Approver",
    store: Any | None,
    choice: ModelChoice | None = None,
) -> "Session":
    """Create (or resume) a session; the store, when given, is subscribed first."""
    from app.agent.approvals import ApprovalPolicy
    from app.agent.bus import EventBus
    from app.agent.events.core import SessionStatus
    from app.agent.loop import Agent
    from app.agent.model import LiteLLMModel
    from app.agent.session import Session, new_session_id
    from app.mcp_servers import start_servers
    from app.model_check import check_choice
    from app.permission_files import ConfigRuleFile, load_rules, trust_notices
    from app.project_tools import disable_project_tools, user_disabled
    from app.roles_setup import session_roles

    workspace = resolve_workspace(options.workspace)
    previous = resolve_resume(store.db, options) if (options.resume and store is not None) else None
    if previous and choice is None and not options.model:
        # Continue with the model the session used, unless told otherwise.
        choice = ModelChoice(previous["model"], options.api_base or previous["api_base"], f"as recorded in session {previous['id']}")
    choice = choice or pick_model(settings, options)
    check_choice(choice, settings)  # a model litellm cannot call is refused here, blamed on who named it
    parent_id = None
    if choice.model.startswith("scripted/"):
        _check_script(choice.model.split("/", 1)[1])
    elif choice.model.startswith("replay/"):
        parent_id = _use_replay(choice, store, options)
    config = agent_config(settings, options)
    model = LiteLLMModel(
        choice.model, api_base=choice.api_base, api_key_env=settings.api_key_env,
        max_output_tokens=config.max_output_tokens, timeout_s=config.request_timeout_s, pricing=_pricing(settings),
        prompt_cache=config.prompt_cache,
    )
    messages: list[dict[str, Any]] = []
    session_id = new_session_id()
    start_seq = 0
    if previous is not None:
        from storage.queries import conversation

        session_id = previous["id"]
        messages = conversation(store.db, session_id)
        start_seq = store.last_seq(session_id)
    bus = EventBus(session_id, start_seq=start_seq)
    if store is not None:
        bus.subscribe(store_sink(store), required=True)
    telemetry = _telemetry(settings, store)
    if telemetry is not None:
        telemetry.watch(bus)
    rules = load_rules(settings.permissions, settings.path, workspace, trust_all=options.trust_project)
    approvals = ApprovalPolicy(human=human, mode=config.permission_mode, rule_file=ConfigRuleFile(workspace),
                               rules=rules)
    features = _features(settings, bus, store, config, model)
    # MCP servers start here (each within its start-up timeout); they stop when the session finishes.
    features["tools"], mcp_notices, mcp = start_servers(settings, workspace, bus, features["tools"])
    features["hooks"] = _hooks(settings, bus, workspace)
    delegator = _delegation(features, store, config, session_id, telemetry)
    # [tools] disabled in config.toml and in .cockpit/config.toml: never sent, never called
    disable_project_tools(features, workspace, user_disabled(settings.tools))
    agent = Agent(
        model=model,
        emit=bus.emit,
        workspace=workspace,
        approvals=approvals,
        config=config,
        messages=messages,
        session_id=session_id,
        **features,
    )
    if delegator is not None:
        delegator.bind(agent)
    agent.roles = session_roles(settings, config, model) or agent.roles  # [roles]: router, verifier, escalation
    recorded = {
        "agent": {k: (v.value if hasattr(v, "value") else v) for k, v in config.__dict__.items()},
        "model_reason": choice.reason,
    }
    if previous is not None:  # the per-session cost limit counts what the session already spent
        from storage.queries import last_turn, session_cost
        from storage.session_tree import delegated_cost

        agent.total_cost_usd = session_cost(store.db, session_id) + delegated_cost(store.db, session_id)
        # Turns continue from the last one recorded: counting the conversation's user messages would count a
        # compaction's summary and Cockpit's notes (an undo's) as turns. An import recorded none: its count.
        agent.turn = last_turn(store.db, session_id) or agent.turn
        _restore_resilience(store.db, session_id, features)
    from app.checkpoints import session_checkpoints

    session = Session(
        bus, agent, settings=recorded, api_base=choice.api_base, resumed=previous is not None, parent_id=parent_id,
        previous_status=SessionStatus(previous["status"]) if previous is not None else None,
        notices=(*(() if options.headless else trust_notices(rules)), *mcp_notices),
        instructions=project_instructions(workspace, features.get("budget")),
        checkpoints=session_checkpoints(settings, store, session_id, bus, workspace, agent, resumed=previous is not None),
    )
    session.feedback = feedback_collector(settings, options, bus, workspace)
    session.mcp = mcp
    return session


def _delegation(features: dict[str, Any], store: Any | None, config: "AgentConfig", session_id: str,
                telemetry: Any = None) -> Any:
    """``[agent] subagents``: the task tool, whose children are sessions of this store (linked to this one)."""
    if not config.subagents:
        return None
    from app.agent.bus import EventBus
    from app.agent.subagents.runner import Delegator, memory_bus
    from app.agent.tools.registry import ToolRegistry
    from app.agent.tools.task import TaskTool

    def child_bus(child_session_id: str) -> EventBus:
        bus = memory_bus(child_session_id)
        if store is not None:
            bus.subscribe(store_sink(store), required=True)
        if telemetry is not None:  # the child's spans under the parent's task call, in its trace
            telemetry.watch(bus)
        return bus

    delegator = Delegator(new_bus=child_bus, ledger=features["ledger"],
                          session_id=session_id, max_parallel=config.max_subagents)
    features["tools"] = ToolRegistry([*features["tools"], TaskTool(delegator)])
    return delegator


def _telemetry(settings: Settings, store: Any | None) -> Any:
    """The OpenTelemetry export (``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``[telemetry]``), or None when off."""
    from app.telemetry.live import session_telemetry
    from storage.redact import Redactor

    try:
        return session_telemetry(settings.telemetry, store.redactor if store is not None else Redactor.from_environment())
    except ValueError as exc:
        raise ConfigError(f"{settings.path}: [telemetry] {exc}") from None


def project_instructions(workspace: Path, budget: Any | None) -> Any:
    """AGENTS.md / CLAUDE.md from the config folder and the project, counted by the budget's tokenizer."""
    from app.agent.instructions.project import ProjectInstructions

    user_dir = paths.config_path().parent
    if budget is None:
        return ProjectInstructions(workspace, user_dir=user_dir)
    return ProjectInstructions(workspace, user_dir=user_dir, layouts=budget.layouts, counter=budget)


def _pricing(settings: Settings) -> Any:
    """The ``[pricing]`` table's rates, before litellm's cost map."""
    from app.agent.pricing import Pricing

    try:
        return Pricing.from_table(settings.pricing)
    except ValueError as exc:
        raise ConfigError(f"{settings.path}: {exc}") from None


def feedback_collector(settings: Settings, options: RunOptions, bus: "EventBus", workspace: Path) -> Any:
    """Sample tasks for feedback and gather implicit signals (a bus subscriber that emits)."""
    from app.agent.feedback.collector import FeedbackCollector
    from app.agent.feedback.config import FeedbackConfig

    try:
        config = FeedbackConfig.from_dict(settings.feedback)
        rate = 0.0 if options.headless else options.feedback_rate
        if rate is None:
            rate = settings.feedback_rate
        if rate is not None:
            config = config.with_rate(rate)
    except ValueError as exc:
        raise ConfigError(f"feedback: {exc}") from None
    collector = FeedbackCollector(config, workspace=workspace, emit=bus.emit)
    bus.subscribe(collector)
    return collector


def _check_script(path: str) -> None:
    from app.agent.providers.script_file import ScriptError, load_script

    try:
        load_script(path)
    except ScriptError as exc:
        raise ConfigError(str(exc)) from None


def _use_replay(choice: ModelChoice, store: Any | None, options: RunOptions) -> str:
    """``replay/<id>``: register the replay provider over this database."""
    if store is None:
        raise ConfigError("replay/<session-id> needs the session database")
    from app.agent.offline import register_provider
    from storage.queries import resolve_session_id

    recorded = resolve_session_id(store.db, choice.model.split("/", 1)[1])
    choice.model = f"replay/{recorded}"
    db_path = options.db_path or paths.db_path()

    def make_handler() -> object:
        from app.providers.replay import ReplayLLM

        return ReplayLLM(db_path)

    register_provider("replay", make_handler)
    return recorded


def _features(
    settings: Settings, bus: "EventBus", store: Any | None, config: "AgentConfig", model: "LiteLLMModel"
) -> dict[str, Any]:
    """The loop's collaborators: tools, the context budget, resilience, the sandbox."""
    return {**_resilience(settings, bus, store, config), **_budget(settings, store, bus.session_id, model),
            "sandbox": _sandbox(settings)}


def _hooks(settings: Settings, bus: "EventBus", workspace: Path) -> Any:
    """The user's hook commands, from ``[hooks]`` (the user's config file only: a project cannot add any)."""
    from app.agent.hooks.config import HooksConfig
    from app.agent.hooks.hooks import Hooks

    try:
        config = HooksConfig.from_dict(settings.hooks)
    except ValueError as exc:
        raise ConfigError(f"{settings.path}: [hooks] {exc}") from None
    return Hooks(config, emit=bus.emit, workspace=workspace, session_id=bus.session_id)


def _web_fetch(settings: Settings) -> Any:
    """The web_fetch tool, with the ``[tools] web_fetch_*`` settings."""
    from app.agent.tools.web_fetch import WebFetch, WebFetchConfig

    try:
        return WebFetch(WebFetchConfig.from_dict(settings.tools))
    except ValueError as exc:
        raise ConfigError(f"{settings.path}: [tools] {exc}") from None


def _sandbox(settings: Settings) -> Any:
    """The OS sandbox for commands, from ``[sandbox]`` (detected once per process); the data folder stays hidden."""
    from dataclasses import replace

    from app.agent.tools.sandbox import SandboxConfig, detect

    try:
        return replace(detect(SandboxConfig.from_dict(settings.sandbox)), hidden=(str(paths.home()),))
    except ValueError as exc:
        raise ConfigError(f"{settings.path}: [sandbox] {exc}") from None


def _budget(settings: Settings, store: Any | None, session_id: str, model: "LiteLLMModel") -> dict[str, Any]:
    """The Context budget: measurement, calibration (seeded from earlier sessions), compaction."""
    from app.agent.model import LiteLLMModel

    from app.agent.budget.budget import ContextBudget
    from app.agent.budget.config import BudgetConfig
    from app.agent.budget.recall import RecallOutputTool
    from app.agent.tools.registry import ToolRegistry, default_tools

    try:
        config = BudgetConfig.from_dict(settings.budget)
    except ValueError as exc:
        raise ConfigError(f"{settings.path}: [budget] {exc}") from None
    budget = ContextBudget(model.name, config, recall_tool=RecallOutputTool.name, server_window=_server_window(model))
    if store is not None:
        from storage.budget import calibration_samples
        from storage.queries import tool_output

        budget.seed_calibration(model.name, calibration_samples(store.db, model.name))

    def original_output(tool_call_id: str) -> str | None:
        kept = budget.original_output(tool_call_id)
        if kept is None and store is not None:
            kept = tool_output(store.db, session_id, tool_call_id)
        return kept

    # The agent asks it for compaction summaries through its own call path (retried, announced, paid for).
    summary_model = (LiteLLMModel(config.summary_model, timeout_s=model.timeout_s, prompt_cache=model.prompt_cache)
                     if config.summary_model else model)
    return {
        "budget": budget,
        "summary_model": summary_model,
        "tools": ToolRegistry([*default_tools(), _web_fetch(settings), RecallOutputTool(original_output)]),
    }


def session_tools(settings: Settings, model_name: str) -> Any:
    """The tools a session starts with, before MCP servers, the task tool and the project's disabled ones
    (``cockpit tools`` counts their definitions)."""
    from app.agent.model import LiteLLMModel

    return _budget(settings, None, "", LiteLLMModel(model_name))["tools"]


def _restore_resilience(db: Any, session_id: str, features: dict[str, Any]) -> None:
    """A resumed session keeps its retry bucket, breakers and loop history: no fresh storm per resume."""
    from app.agent.events.core import event_from_dict
    from app.agent.resilience.restore import RESTORED_TYPES
    from storage.queries import events_of_types

    events = [event_from_dict(row) for row in events_of_types(db, session_id, RESTORED_TYPES)]
    features["resilience"].restore(events)
    features["loop_detector"].restore(events)


def _server_window(model: "LiteLLMModel") -> Any:
    """For an OpenAI-compatible server: ask it for the context window (once, when first needed)."""
    api_base = model.api_base
    if not api_base or not api_base.startswith(("http://", "https://")):
        return None
    from app.agent.budget.server_window import server_context_window

    return lambda: server_context_window(api_base, model.name)


def _resilience(settings: Settings, bus: "EventBus", store: Any | None, config: "AgentConfig") -> dict[str, Any]:
    """One retry layer, breakers, the loop detector and the idempotency ledger."""
    from app.agent.model import LiteLLMModel

    from app.agent.resilience import LoopDetector, Resilience, ResilienceConfig
    from app.agent.resilience.idempotency import MemoryLedger

    try:
        resilience_config = ResilienceConfig.from_dict(settings.resilience)
    except ValueError as exc:
        raise ConfigError(f"{settings.path}: [resilience] {exc}") from None
    features: dict[str, Any] = {
        "resilience": Resilience(resilience_config, emit=bus.emit),
        "loop_detector": LoopDetector(resilience_config),
        "ledger": MemoryLedger(),
    }
    if store is not None:
        from storage.resilience import SqliteLedger

        features["ledger"] = SqliteLedger(store.db, redactor=store.redactor)
        features["scrubber"] = store.redactor  # tool output: secrets out before it is capped
    fallback = resilience_config.fallback_model or settings.fallback_model
    if fallback:
        features["fallback_model"] = LiteLLMModel(
            fallback, max_output_tokens=config.max_output_tokens, timeout_s=config.request_timeout_s,
            prompt_cache=config.prompt_cache,
        )
    return features

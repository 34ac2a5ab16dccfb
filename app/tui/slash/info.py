"""What-is-going-on commands: /help, /cost, /context, /tools (and /report, a screen). Their answer is a notice in the
transcript (never a message to or from the model)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.agent.events.format import UNKNOWN, tokens
from app.tui.slash.registry import BUILTIN, Builtin, Command

if TYPE_CHECKING:
    from app.agent.events.budget_view import BudgetState, Segment
    from app.tui.app import CockpitApp

TOP_ITEMS = 8
PRECEDENCE = ("A builtin wins over a custom command of the same name; a project command (.cockpit/commands, "
              ".claude/commands) wins over a user one (the config folder's commands/, ~/.claude/commands). "
              "Start a message with // to send it with a leading /.")


def usage(command: Command) -> str:
    names = " ".join(f"/{n}" for n in (command.name, *command.aliases))
    return f"{names} {command.argument_hint}".rstrip()


async def help_text(app: CockpitApp, args: str) -> None:
    commands = app.slash.commands
    everything = commands.commands()
    width = max(len(usage(c)) for c in everything)
    lines = [f"{usage(c).ljust(width)}  {c.description}" for c in everything if c.source == BUILTIN]
    custom = [c for c in everything if c.source != BUILTIN]
    lines.append("")
    if custom:
        lines.append("Custom commands:")
        lines += [f"{usage(c).ljust(width)}  ({c.source}) {c.description}" for c in custom]
    else:
        lines.append("No custom commands: put Markdown files in .cockpit/commands/ (this project) or in the "
                     "config folder's commands/ (every project); $ARGUMENTS is what follows the name.")
    lines += [f"/{c.name} ({c.source}: {c.path}) is hidden by the builtin /{c.name}" for c in commands.hidden()]
    lines += ["", PRECEDENCE]
    await app.transcript.add_notice("Commands", level="info", detail="\n".join(lines))


def _budget(app: CockpitApp) -> BudgetState | None:
    """The Context budget pane's state: what the side column shows."""
    from widgets.context_budget import ContextBudgetPane

    panes = app.query(ContextBudgetPane)
    return panes.first().reducer if panes else None


async def cost(app: CockpitApp, args: str) -> None:
    stats = app.status.stats
    budget = _budget(app)
    calls = stats.cost.priced + stats.cost.unpriced
    lines = [
        f"cost: {stats.cost.text()}" + (f" over {calls} call{'' if calls == 1 else 's'}" if calls else ""),
        f"tokens: {_known(stats.tokens_in)} in · {_known(stats.tokens_out)} out",
    ]
    if budget is not None:
        lines += [f"calls counted by the provider: {budget.provider_counted_calls}",  # short lines: whole at 80
                  f"calls estimated or not counted: {budget.uncounted_calls}"]
    else:
        lines.append(f"calls counted by the provider: {UNKNOWN} (no Context budget pane)")
    await app.transcript.add_notice("Cost of this session", level="info", detail="\n".join(lines))


def _known(n: int) -> str:
    return f"{n:,}" if n else UNKNOWN


async def context(app: CockpitApp, args: str) -> None:
    budget = _budget(app)
    if budget is None or budget.measured is None:
        await app.transcript.add_notice("Context budget", level="info",
                                        detail="No measurement yet: the budget appears with the first model call.")
        return
    await app.transcript.add_notice("Context budget", level="info", detail=context_text(budget))


def context_text(budget: BudgetState) -> str:
    m = budget.measured
    assert m is not None
    approx = "≈" if m.estimate_is_approximate else ""
    lines = [
        f"{approx}{tokens(m.used)} used · {m.used_pct:.0f}% of {tokens(m.usable)} usable · "
        f"{tokens(m.advertised)} window ({m.advertised_source}) · {m.level}, compact at {tokens(m.compact_at)}",
    ]
    legend = budget.legend()
    lines += ["", f"where the window goes (% of {tokens(legend.basis)}):"]
    width = max((len(e.label) for e in legend.entries), default=0)
    lines += [_legend_line(e, width) for e in legend.entries]
    items = budget.top_items()[:TOP_ITEMS]
    if items:
        lines += ["", "largest items (% of the prompt, place in it):"]
        lines += [f"  {tokens(int(i['tokens'])):>7}  {100 * float(i['share']):>3.0f}%  {i['position']:<6}  "
                  f"{_one_line(str(i['label']))}" for i in items]
    lines += ["", f"accuracy {budget.badge or 'uncalibrated'} · {m.tokenizer}"]
    return "\n".join(lines)


def _legend_line(entry: Segment, width: int) -> str:
    """``  tools  1.8k  14%``; a negative unattributed count reads as the pane says it."""
    from app.agent.events.budget_view import UNATTRIBUTED  # not at import: the first frame waits for no event module

    if entry.key == UNATTRIBUTED and entry.tokens < 0:
        return f"  {entry.label.ljust(width)}  local count is {tokens(-entry.tokens)} above the provider's"
    return f"  {entry.label.ljust(width)}  {tokens(entry.tokens):>7}  {entry.pct:>3}%"


def _one_line(text: str, most: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 1] + "…"


async def tools(app: CockpitApp, args: str) -> None:
    """This session's tool definitions: tokens, calls here and in the project's last sessions, the unused."""
    import asyncio

    from storage.tool_usage import tool_usage

    budget, database, session = _budget(app), app.database, app.session
    if session is None or database is None:
        await app.transcript.add_notice("Tools", level="info", detail="No session or no database yet.")
        return
    workspace, sid = str(session.agent.workspace), session.id
    usage = await asyncio.wrap_future(app.runner.call(lambda: tool_usage(database(), workspace, current=sid)))
    measured = {str(t["name"]): int(t["tokens"]) for t in (budget.measured.tools if budget and budget.measured else [])}
    names = session.agent.tools.names()
    width = max(len(n) for n in names) if names else 4
    n_sessions = len(usage.sessions)
    recent = f"last {n_sessions} session{'' if n_sessions == 1 else 's'}"
    last = f"last {n_sessions}"  # a short header: the table stays whole in a narrow transcript
    lines = [f"{'tool'.ljust(width)}  {'tokens':>7}  {'here':>5}  {last}"]
    lines += [f"{n.ljust(width)}  {_known(measured.get(n, 0)):>7}  {usage.last_session.get(n, 0):>5}  "
              f"{usage.calls.get(n, 0):>{len(last)}}" for n in names]
    lines += ["", f"Calls: here in this session, {last} in the project's {recent}."]
    kept = {n: str(getattr(session.agent.tools.get(n), "kept_because", "") or "") for n in names}
    unused = [n for n in names if not usage.calls.get(n) and not kept[n]]
    if unused:
        saved = sum(measured.get(n, 0) for n in unused)
        cost = f" ({saved:,} tokens on every call)" if saved else ""  # no measurement (no Context budget): not said
        lines += ["", f"Never called in the {recent}: {', '.join(unused)}{cost}.",
                  f"Leave them out of this project's next sessions: cockpit tools disable {' '.join(unused)}"]
    lines += [f"Not suggested: {n} ({why})." for n, why in kept.items() if why and not usage.calls.get(n)]
    await app.transcript.add_notice("Tool definitions", level="info", detail="\n".join(lines))


def report(app: CockpitApp, args: str) -> None:
    from app.commands.report_view import GROUPS

    by = args.split()[0] if args.split() else "day"
    if by not in GROUPS:
        app.notify(f"/report {by}: group by one of {', '.join(GROUPS)}", severity="warning")
        return
    app.palette.open_report(by)


COMMANDS = [
    Builtin("help", "The commands, builtin and custom", help_text),
    Builtin("tools", "Tool definitions: tokens, calls here and lately, the unused", tools),
    Builtin("report", "Usage across every session, by day|week|month|model|project|source|role", report,
            argument_hint="[group]"),  # the description names the groups
    Builtin("cost", "This session's cost and tokens", cost),
    Builtin("context", "The Context budget as text", context),
]

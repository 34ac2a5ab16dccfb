"""The schema, as an ordered list of named migrations (sqlite-utils ``Migrations``).

Never edit a migration that has shipped: add a new one. Feature modules
(``storage/<feature>.py``) contribute their own named steps through
``MIGRATIONS`` lists, appended here in a fixed order.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("cockpit")
# What a feature module's ``PROJECTIONS`` maps an event type to: called with the row the store writes.
Projection = Callable[[sqlite_utils.Database, dict[str, Any]], None]
# Feature modules whose MIGRATIONS / PROJECTIONS are part of the schema, in order.
FEATURE_MODULES = ("storage.budget", "storage.resilience", "storage.feedback", "storage.search", "storage.checkpoints",
                   "storage.caching")


@MIGRATIONS(name="core_001_tables")
def core_001_tables(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        create table sessions (
            id text primary key,
            title text not null default '',
            workspace text,
            model text,
            api_base text,
            source text not null default 'cockpit',
            source_path text,
            source_hash text,
            status text not null default 'running',
            started_at text not null,
            ended_at text,
            settings text,
            pid integer,
            host text,
            parent_id text
        )"""
    )
    db.execute(
        """
        create table events (
            id integer primary key,
            session_id text not null references sessions(id) on delete cascade,
            seq integer not null,
            type text not null,
            ts real not null,
            payload text not null,
            unique (session_id, seq)
        )"""
    )
    db.execute("create index events_type on events(type)")
    db.execute(
        """
        create table messages (
            id integer primary key,
            session_id text not null references sessions(id) on delete cascade,
            generation integer not null default 0,
            idx integer not null,
            role text not null,
            content text,
            tool_calls text,
            tool_call_id text,
            turn integer,
            seq integer
        )"""
    )
    db.execute("create index messages_session on messages(session_id, generation, idx)")
    db.execute(
        """
        create table model_calls (
            id text primary key,
            session_id text not null references sessions(id) on delete cascade,
            turn integer,
            step integer,
            attempt integer not null default 1,
            model text,
            started_at text,
            ended_at text,
            request_message_count integer,
            estimated_prompt_tokens integer,
            prompt_tokens integer,
            completion_tokens integer,
            cached_tokens integer,
            cache_write_tokens integer,
            usage_reported integer not null default 0,
            cost_usd real not null default 0,
            latency_ms real,
            status text not null default 'running',
            error_class text,
            error_message text,
            finish_reason text,
            text text,
            tool_call_count integer not null default 0,
            wasted_tokens integer not null default 0,
            wasted_usd real not null default 0
        )"""
    )
    db.execute("create index model_calls_session on model_calls(session_id)")
    db.execute(
        """
        create table tool_calls (
            session_id text not null references sessions(id) on delete cascade,
            tool_call_id text not null,
            turn integer,
            step integer,
            name text not null,
            arguments_raw text,
            arguments text,
            status text not null default 'requested',
            approval text,
            result text,
            truncated integer not null default 0,
            output_hash text references blobs(hash),
            error text,
            exit_code integer,
            duration_ms real,
            requested_at text,
            finished_at text,
            primary key (session_id, tool_call_id)
        )"""
    )
    db.execute("create index tool_calls_name on tool_calls(name)")
    db.execute(
        """
        create table blobs (
            hash text primary key,
            size integer not null,
            content text not null
        )"""
    )


@MIGRATIONS(name="core_002_usage_source")
def core_002_usage_source(db: sqlite_utils.Database) -> None:
    """Where each call's usage came from (provider | estimated | none), and a proxy's hidden retries.

    Rows written before this knew only ``usage_reported``; they counted litellm's
    estimates as reported, so they are marked ``provider`` only where that flag is set.
    """
    db.execute("alter table model_calls add column usage_source text not null default 'none'")
    db.execute("update model_calls set usage_source = 'provider' where usage_reported = 1")
    db.execute("alter table model_calls add column upstream_retries integer")


@MIGRATIONS(name="core_003_unpriced_cost")
def core_003_unpriced_cost(db: sqlite_utils.Database) -> None:
    """A cost nobody had a price for is null, not 0; ``cost_source`` says who priced the others.

    Rows written before this stored 0 for a model litellm did not price (and for Cockpit's
    offline models): a 0 becomes null. A positive cost was litellm's for Cockpit's own calls
    and the other agent's own figure for an imported session.
    """
    db.table("model_calls").transform(not_null={"cost_usd": False}, defaults={"cost_usd": None})
    db.execute("alter table model_calls add column cost_source text")
    db.execute("update model_calls set cost_usd = null where cost_usd = 0")
    db.execute(
        """update model_calls set cost_source = case when (select source from sessions s where s.id = session_id)
               = 'cockpit' then 'litellm' else 'recorded' end where cost_usd is not null"""
    )


@MIGRATIONS(name="core_004_model_call_role")
def core_004_model_call_role(db: sqlite_utils.Database) -> None:
    """What each model call was for: ``main`` (the conversation's next reply), ``summary`` (a
    compaction summary) or ``fallback`` (the next reply, from the fallback model).

    Rows written before this were all the conversation's (summaries made no model_calls row);
    an attempt that went to the fallback model is known by its call id (``mc_….f<n>``).
    """
    db.execute("alter table model_calls add column role text not null default 'main'")
    db.execute("update model_calls set role = 'fallback' where id glob 'mc_*.f[0-9]*'")


@MIGRATIONS(name="core_005_contract_version")
def core_005_contract_version(db: sqlite_utils.Database) -> None:
    """The contract version each event was written under (``app.agent.events.subagents.CONTRACT_VERSION``).

    Rows written before this were written under version 1, the first one.
    """
    db.execute("alter table events add column contract_version integer not null default 1")


TOOL_CALL_RESULT = "tool_call"  # messages.content_from: the content is the tool call's stored result (tool_calls.result)
# The text of a message whose content is its tool call's result, put back into the message (content_from null).
_RESTORE = f"""update messages set content = {{result}}, content_from = null
    where session_id = {{session}} and tool_call_id = {{call}} and content_from = '{TOOL_CALL_RESULT}'"""
MESSAGES_FULL = f"""
create view messages_full as
select m.id, m.session_id, m.generation, m.idx, m.role, coalesce(m.content, t.result) as content, m.tool_calls,
  m.tool_call_id, m.turn, m.seq
from messages m left join tool_calls t
  on m.content_from = '{TOOL_CALL_RESULT}' and t.session_id = m.session_id and t.tool_call_id = m.tool_call_id
"""


@MIGRATIONS(name="core_006_tool_message_content")
def core_006_tool_message_content(db: sqlite_utils.Database) -> None:
    """A tool message's content is stored once: in its tool call's ``result`` when they are equal (the store
    then writes ``content`` null and ``content_from`` = 'tool_call'; ``messages_full`` joins it back).

    It never dangles: before a tool call's row is deleted or its result changed, triggers put the text back into
    the messages that point at it. (An ``insert or replace`` fires the delete trigger only with recursive triggers
    on, as every connection of Cockpit has them, sqlite-utils' default: a trigger before each insert would cost
    an import ~3 % more instructions.) Rows written before this keep their content (``content_from`` null).
    """
    db.execute("alter table messages add column content_from text")
    db.execute("create index messages_content_from on messages(session_id, tool_call_id) where content_from is not null")
    old = _RESTORE.format(result="old.result", session="old.session_id", call="old.tool_call_id")
    db.execute(f"create trigger messages_keep_result_delete before delete on tool_calls when old.result is not null begin {old}; end")
    db.execute(
        f"""create trigger messages_keep_result_update before update of result, session_id, tool_call_id on tool_calls
              when old.result is not null and (new.result is not old.result or new.session_id is not old.session_id
                or new.tool_call_id is not old.tool_call_id) begin {old}; end"""
    )
    db.execute(MESSAGES_FULL)


# The event types whose rows are looked up across sessions by type alone: each has a partial index of its own.
INDEXED_EVENT_TYPES = ("turn_started", "resilience_retry_tax")


@MIGRATIONS(name="core_007_events_type_partial")
def core_007_events_type_partial(db: sqlite_utils.Database) -> None:
    """The index of every event's type (``events_type``) gives way to a partial index for each type that is read by
    type alone: ``turn_started`` (the turns of every session, in ``session_summary``; a session's last turn) and
    ``resilience_retry_tax`` (a session's estimated waste). Every other read of events is by session, through
    the ``(session_id, seq)`` key. Each event written paid for the index of all types (about a fifth of a batch's
    write); those reads are faster with the partial ones (the summary of 30 sessions of 10,000 events: 28 ms
    instead of 69)."""
    db.execute("drop index if exists events_type")
    for kind in INDEXED_EVENT_TYPES:
        db.execute(f"create index if not exists events_{kind} on events(session_id) where type = '{kind}'")


def core_steps() -> list[Callable[[sqlite_utils.Database], None]]:
    """The core schema's steps in order, without the features' (for tests of a core-only database)."""
    return [m.fn for m in MIGRATIONS._migrations if m.name.startswith("core_")]


def known_migration_names() -> set[str]:
    _load_features()
    return {m.name for m in MIGRATIONS._migrations}


_loaded = False


def _load_features() -> None:
    """Register feature migrations once, in FEATURE_MODULES order."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module_name in FEATURE_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        for name, fn in getattr(module, "MIGRATIONS", []):
            MIGRATIONS(name=name)(fn)


def feature_projections() -> dict[str, list[Projection]]:
    """event type → projection functions contributed by feature modules."""
    _load_features()
    projections: dict[str, list[Projection]] = {}
    for module_name in FEATURE_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        for type_name, fn in getattr(module, "PROJECTIONS", {}).items():
            projections.setdefault(type_name, []).append(fn)
    return projections


def pending(db: sqlite_utils.Database) -> list[str]:
    """Names of the migrations (core and features) not yet applied; read-only."""
    _load_features()
    return [m.name for m in MIGRATIONS.pending(db)]


def migrate(db: sqlite_utils.Database) -> None:
    """Apply every pending migration, core and features, each in its own transaction."""
    _load_features()
    MIGRATIONS.apply(db)

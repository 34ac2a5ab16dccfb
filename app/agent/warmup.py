"""Start-up work done ahead of the first model call, on a background thread.

``import litellm`` takes seconds, and litellm's first call imports a few hundred
more modules (openai's resource and type modules, litellm's proxy helpers).
``warm_in_background()`` does both on a thread while the
caller checks the configuration, opens the database and prepares the session;
the model call then finds them loaded
(``load_litellm`` waits on its lock if the thread is still at it). The thread
only imports: nothing is sent, and an error there is left for the call itself to
raise, where it is reported as usual.
"""

from __future__ import annotations

import importlib
import threading

from app.agent.offline import answered_offline, load_litellm

# What litellm (1.7x-1.10x) imports on its first streamed completion, heaviest first (python -X importtime).
# Not litellm's MCP gateway (litellm.responses.mcp): Cockpit's calls skip it (``_skip_mcp_handler``), and
# the MCP SDK it imports must not be imported here, beside an MCP client starting on its own thread
# (two threads importing the SDK's circular modules at once: "partially initialized module").
# Not litellm's default tokenizer (litellm.litellm_core_utils.default_encoding loads cl100k, ~40 MB):
# its token counter is off (app.agent.offline), so no call loads it.
FIRST_CALL_MODULES = (
    "openai.resources.chat",
    "litellm.proxy.openai_files_endpoints.common_utils",
    "litellm._service_logger",
    "litellm.types.litellm_core_utils.streaming_chunk_builder_utils",
    "anyio._core._sockets",
    "anyio._core._streams",
)


def warm() -> None:
    """Import litellm and what its first call would import (a module another version lacks is skipped)."""
    try:
        load_litellm()
    except Exception:  # the model call imports it again and reports the error
        return
    for name in FIRST_CALL_MODULES:
        try:
            importlib.import_module(name)
        except Exception:
            continue


def warm_in_background(model: str | None = None) -> threading.Thread | None:
    """Start :func:`warm` on its own thread, unless ``model`` is answered offline (a script, a replay: its
    call imports none of a provider's modules, and litellm is imported when the model is checked); None then.

    Not a daemon: the interpreter waits for it before shutting down. A daemon thread
    stopped at exit in the middle of an import keeps the import lock, and the next
    import (litellm's HTTP clients import in ``__del__``) would hang the exit."""
    if model is not None and answered_offline(model):
        return None
    thread = threading.Thread(target=warm, name="cockpit-warm-litellm")
    thread.start()
    return thread

"""An answer cut off at the output-token limit is continued, a few times at most.

When a reply without tool calls stops at the limit (``finish_reason`` ``length``), the
loop keeps the part it got and asks the model to go on where it stopped; after
:data:`MAX_CONTINUATIONS` continuations the turn ends with the ``output_tokens`` limit.
"""

from __future__ import annotations

from app.agent.errors import LimitExceeded

MAX_CONTINUATIONS = 2  # an answer cut off at the output limit is continued at most this often
CONTINUE = "[Cockpit harness] Your answer was cut off at the output-token limit. Continue exactly where it stopped."
CUT_OFF_TOOL_CALLS = "The answer was cut off at the output-token limit; its tool calls may be incomplete."


def continuation_notice(cut_offs: int) -> str:
    """What the user is told when asking for continuation number ``cut_offs``; past the
    last one allowed, the turn stops (:class:`LimitExceeded`)."""
    if cut_offs > MAX_CONTINUATIONS:
        raise LimitExceeded("output_tokens", MAX_CONTINUATIONS, cut_offs,
                            f"the answer was still cut off at the output-token limit after {MAX_CONTINUATIONS} "
                            "continuations; raise [agent] max_output_tokens or ask for a shorter answer")
    return (f"The answer was cut off at the output-token limit; asking the model to continue "
            f"({cut_offs} of {MAX_CONTINUATIONS}).")

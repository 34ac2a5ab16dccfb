"""The history as sent, converted as the conversation grows: the same as converting it whole each call."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.agent.events.core import well_formed
from app.agent.wire import WireHistory, wire_messages


def message(kind: str, n: int) -> dict:
    if kind == "user":
        return {"role": "user", "content": f"task {n}"}
    if kind == "attached":  # joins the task before it on the wire
        return {"role": "user", "content": f"@f{n}.py\nx = {n}"}
    if kind == "broken":  # malformed arguments, and a lone surrogate to mend
        return {"role": "assistant", "content": "\ud800 oops", "tool_calls": [
            {"id": f"t{n}", "type": "function", "function": {"name": "bash", "arguments": "{not json"}}]}
    if kind == "call":
        return {"role": "assistant", "content": None, "tool_calls": [
            {"id": f"t{n}", "type": "function", "function": {"name": "read_file", "arguments": '{"path": "a"}'}}]}
    return {"role": "tool", "tool_call_id": f"t{n}", "content": f"out {n}"}


kinds = st.sampled_from(["user", "attached", "broken", "call", "result"])
edits = st.lists(st.tuples(st.sampled_from(["append", "append", "replace", "cut", "restart"]), kinds,
                           st.integers(min_value=0, max_value=20)), min_size=1, max_size=30)


@settings(max_examples=80, deadline=None)
@given(edits)
def test_whatever_happens_to_the_conversation_it_goes_out_as_converted_whole(steps):
    history = WireHistory()
    messages: list[dict] = [{"role": "system", "content": "You are Cockpit."}]
    for action, kind, n in steps:
        if action == "append":
            messages.append(message(kind, n))  # in place, as the loop appends
        elif action == "replace" and len(messages) > 1:
            index = 1 + n % (len(messages) - 1)
            messages = [*messages[:index], message(kind, n), *messages[index + 1:]]
        elif action == "cut":
            messages = messages[:max(1, len(messages) - n % 4)]
        elif action == "restart":  # another conversation through the same model (a summary's prompt)
            messages = [message(kind, n)]
        assert history.messages(messages) == well_formed(wire_messages(messages))


def test_a_conversation_that_only_grows_is_converted_once():
    history = WireHistory()
    messages = [{"role": "system", "content": "s"}, message("user", 0)]
    first = history.messages(messages)
    messages += [message("call", 1), message("result", 1)]
    again = history.messages(messages)
    assert again[0] is first[0] and again[1] is first[1] and len(again) == 4

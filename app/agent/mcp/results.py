"""What an MCP tool call gives back, as the text the model reads.

Text blocks as they are; an image or audio block as a placeholder naming its type and size
(the model gets no pixels through a tool result); an embedded resource's text with its URI,
a binary one as a placeholder; a resource link as its URI. Structured content is shown as
JSON only when the server sent no text (servers are asked to send both, the text being the
same JSON). Then secrets out and the usual cap (head and tail kept, all of it stored).
"""

from __future__ import annotations

import json
from typing import Any

from app.agent.tools.base import ToolContext, ToolOutput
from app.agent.tools.output import cap_output


def tool_output(result: Any, ctx: ToolContext) -> ToolOutput:
    """A ``CallToolResult`` as a capped :class:`ToolOutput` (an error result stays an error)."""
    parts = [_block(block) for block in result.content]
    texts = [block for block in result.content if getattr(block, "type", "") == "text"]
    if result.structured_content is not None and not texts:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False, indent=2, default=str))
    full = ctx.scrubber.scrub_text("\n".join(parts) if parts else "(no content)")
    text, truncated = cap_output(full, ctx.output_cap_chars)
    data: dict[str, Any] = {}
    if result.structured_content is not None:
        data["structured_content"] = result.structured_content
    return ToolOutput(text, is_error=bool(result.is_error), full_output=full if truncated else None, data=data)


def _block(block: Any) -> str:
    kind = getattr(block, "type", "")
    if kind == "text":
        return str(block.text)
    if kind in ("image", "audio"):
        return f"[{kind}: {block.mime_type}, {_decoded_size(block.data)} — not shown to the model]"
    if kind == "resource":
        resource = block.resource
        text = getattr(resource, "text", None)
        if text is not None:
            return f"[resource {resource.uri}]\n{text}"
        mime = getattr(resource, "mime_type", None) or "binary"
        return f"[resource {resource.uri}: {mime}, {_decoded_size(getattr(resource, 'blob', ''))} — not shown]"
    if kind == "resource_link":
        return f"[resource link: {block.uri}" + (f" ({block.name})" if getattr(block, "name", "") else "") + "]"
    return f"[{kind or 'unknown'} content — not shown]"


def _decoded_size(data: str) -> str:
    """The size of base64 ``data`` once decoded, for a person."""
    return f"{len(data) * 3 // 4 - data[-2:].count('='):,} bytes"

"""``web_fetch``: read a web page (HTML as Markdown) or a text resource over http(s).

A side effect like a command: it asks for approval, per domain (the rule
``web_fetch(domain:docs.python.org)``; :mod:`app.agent.permissions.rules`). Refused with a
reason: a scheme other than http(s); a private, link-local or loopback address unless
``[tools] web_fetch_allow_private = true`` (:mod:`app.agent.tools.web_address`, checked at
every hop, and the address connected to); a sandbox without network (``[sandbox] network = false``); a binary body.
Redirects are followed on the same host (``www.`` added or dropped), at most
``MAX_REDIRECTS``; a redirect to another host is not followed: the model is told the
URL and fetches it with a call (and an approval) of its own. The body is streamed and
reading stops at ``[tools] web_fetch_max_kb``; the result says when it was cut. The
call's timeout bounds the whole fetch, and Esc cancels it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.agent.errors import describe
from app.agent.events.approvals import ToolKind
from app.agent.tools.base import ToolContext, ToolError, ToolOutput
from app.agent.tools.output import cap_output, looks_binary
from app.agent.tools.validation import require_valid
from app.agent.tools.web_address import Classify, Resolve, address_kind, check_host, check_peer, check_scheme
from app.agent.tools.web_address import resolve_host

MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("application/json", "application/xml", "application/javascript", "application/x-javascript",
              "application/x-yaml", "application/yaml", "application/toml", "application/x-sh")
USER_AGENT = "Cockpit-web_fetch/1 (a coding agent reading documentation)"
NO_NETWORK = ("the sandbox has no network ([sandbox] network = false), so web_fetch is off too; "
              "the user can set [sandbox] network = true to allow it")


@dataclass(frozen=True)
class WebFetchConfig:
    """The ``web_fetch_*`` keys of the ``[tools]`` table."""

    allow_private: bool = False  # web_fetch_allow_private: private, link-local and loopback addresses too
    max_kb: int = 1024  # web_fetch_max_kb: reading stops after this much of a body

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WebFetchConfig:
        known = {"web_fetch_allow_private", "web_fetch_max_kb"}
        unknown = sorted(set(data) - known - {"disabled"})  # [tools] disabled: app/project_tools.py
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        allow, max_kb = data.get("web_fetch_allow_private", cls.allow_private), data.get("web_fetch_max_kb", cls.max_kb)
        if not isinstance(allow, bool):
            raise ValueError(f"web_fetch_allow_private must be true or false (got {allow!r})")
        if isinstance(max_kb, bool) or not isinstance(max_kb, int) or max_kb <= 0:
            raise ValueError(f"web_fetch_max_kb must be a positive whole number of KB (got {max_kb!r})")
        return cls(allow_private=allow, max_kb=max_kb)


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    content_type: str
    body: bytes
    cut: bool  # reading stopped at the cap
    charset: str | None


@dataclass
class WebFetch:
    config: WebFetchConfig = field(default_factory=WebFetchConfig)
    resolve: Resolve = resolve_host  # tests resolve names their own way
    classify: Classify = address_kind  # and may call a loopback address public

    name = "web_fetch"
    description = (
        "Fetch a web page or text resource by URL (http or https) and read it: HTML comes back as Markdown, "
        "text types as they are. Needs the user's approval per domain. Private and local addresses are "
        "refused; binary content (images, PDFs, archives) is refused; long pages are cut."
    )
    parameters: dict[str, Any] = field(default_factory=lambda: {
        "type": "object",
        "properties": {"url": {"type": "string", "description": "The URL to fetch (http:// or https://)."}},
        "required": ["url"],
        "additionalProperties": False,
    })
    side_effects = True  # it reaches the network: asks, per domain
    permission_kind = ToolKind.FETCH
    enforces_own_timeout = False  # the call's timeout cancels it

    def refusal(self, args: dict[str, Any], ctx: ToolContext) -> str | None:
        """Why no call can run, known before the user is asked (``approvals.Prechecks``): no network."""
        return None if ctx.sandbox.network else NO_NETWORK

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        require_valid(self.parameters, args)
        if (refused := self.refusal(args, ctx)) is not None:
            raise ToolError(refused)
        url = str(args["url"]).strip()
        try:
            page = await self._fetch(url, ctx.timeout_s)
        except httpx.TimeoutException:
            raise ToolError(f"{url} did not answer within {ctx.timeout_s:g} s") from None
        except httpx.HTTPError as exc:
            raise ToolError(f"could not fetch {url}: {describe(exc)}") from None
        if isinstance(page, ToolOutput):
            return page
        text = ctx.scrubber.scrub_text(self._text(page))
        shown, truncated = cap_output(text, ctx.output_cap_chars)
        return ToolOutput(shown, full_output=text if truncated else None,
                          data={"url": page.url, "content_type": page.content_type, "bytes": len(page.body),
                                "cut": page.cut})

    async def _fetch(self, url: str, timeout_s: float) -> Page | ToolOutput:
        try:
            current = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise ToolError(f"not a URL: {url} ({exc})") from None
        first_host = current.host
        async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False, trust_env=False,
                                     headers={"User-Agent": USER_AGENT}) as client:
            for _ in range(MAX_REDIRECTS + 1):
                check_scheme(current.scheme, str(current))
                if not _same_site(current.host, first_host):
                    return ToolOutput(f"{url} redirects to {current}, on another host. web_fetch did not follow it "
                                      "(approvals are per domain): call web_fetch with that URL to read it.",
                                      data={"redirect": str(current)})
                allow = self.config.allow_private
                await check_host(current.host, current.port or (443 if current.scheme == "https" else 80),
                                 allow_private=allow, resolve=self.resolve, classify=self.classify)
                async with client.stream("GET", current) as response:
                    check_peer(current.host, _peer(response), allow_private=allow, classify=self.classify)
                    location = response.headers.get("location")
                    if response.status_code in REDIRECTS and location:
                        current = current.join(location)
                        continue
                    return await self._read(response, current)
        raise ToolError(f"{url} redirected more than {MAX_REDIRECTS} times; not followed further")

    async def _read(self, response: httpx.Response, url: httpx.URL) -> Page:
        if response.status_code >= 400:
            raise ToolError(f"HTTP {response.status_code} {response.reason_phrase} from {url}")
        content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type and not _textual(content_type):
            raise ToolError(f"{url} is {content_type}{_length(response)}, not text: web_fetch reads HTML and "
                            "text only")
        limit = self.config.max_kb * 1024
        body, cut = bytearray(), False
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > limit:
                del body[limit:]
                cut = True
                break
        if looks_binary(bytes(body)):
            raise ToolError(f"{url} is binary ({content_type or 'no content type'}{_length(response)}): "
                            "web_fetch reads HTML and text only")
        return Page(str(url), content_type or "text/plain", bytes(body), cut, response.charset_encoding)

    def _text(self, page: Page) -> str:
        try:
            text = page.body.decode(page.charset or "utf-8", errors="replace")
        except LookupError:  # a charset Python does not know
            text = page.body.decode("utf-8", errors="replace")
        if page.content_type in HTML_TYPES:
            text = _markdown(text)
        head = f"{page.url} · {page.content_type}"
        if page.cut:
            head += f"\n[cut: only the first {self.config.max_kb} KB of the page were read]"
        return f"{head}\n\n{text}"


def _markdown(html: str) -> str:
    from markdownify import markdownify  # deferred: only a fetch of HTML pays for it

    return re.sub(r"\n{3,}", "\n\n", markdownify(html, heading_style="ATX")).strip()


def _textual(content_type: str) -> bool:
    return (content_type.startswith("text/") or content_type in HTML_TYPES or content_type in TEXT_TYPES
            or content_type.endswith(("+json", "+xml")))


def _peer(response: httpx.Response) -> str | None:
    """The address the answer came from, when the transport tells."""
    stream = response.extensions.get("network_stream")
    address = stream.get_extra_info("server_addr") if stream is not None else None
    return str(address[0]) if isinstance(address, tuple) and address else None


def _same_site(host: str, first: str) -> bool:
    return host.lower().removeprefix("www.") == first.lower().removeprefix("www.")


def _length(response: httpx.Response) -> str:
    length = response.headers.get("content-length", "")
    return f", {int(length) / 1024:.0f} KB" if length.isdigit() else ""

"""Where ``web_fetch`` may go: http(s) only, and by default never to a private address.

A URL's host is resolved and EVERY address it resolves to is checked: one loopback,
private (RFC 1918, unique-local), link-local (cloud metadata at 169.254.169.254 among
them), multicast, reserved or unspecified address refuses the fetch, unless
``[tools] web_fetch_allow_private = true`` (for local dev servers). ``web_fetch``
checks again at each redirect, and checks the address it actually connected to before
it reads an answer (:func:`check_peer`): a host whose DNS answer changed after the check
(DNS rebinding) gets no answer read, though its request was sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

from app.agent.tools.base import ToolError

SCHEMES = ("http", "https")
ALLOW_SETTING = "[tools] web_fetch_allow_private = true"
REFUSED = ("web_fetch does not fetch private, link-local or loopback addresses unless the user sets "
           f"{ALLOW_SETTING} (for local dev servers)")

Resolve = Callable[[str, int], Awaitable[list[str]]]  # host, port -> its addresses
Classify = Callable[[str], "str | None"]  # an address -> what keeps it out ("a loopback address"), or None


async def resolve_host(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (an address literal resolves to itself)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_kind(address: str) -> str | None:
    """What keeps ``address`` out by default ("a loopback address"…), or None for a public one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    checks = (("loopback", ip.is_loopback), ("link-local", ip.is_link_local), ("private", ip.is_private),
              ("multicast", ip.is_multicast), ("unspecified", ip.is_unspecified), ("reserved", ip.is_reserved))
    return next((f"a {kind} address" for kind, hit in checks if hit), None)


def check_scheme(scheme: str, url: str) -> None:
    if scheme not in SCHEMES:
        raise ToolError(f"web_fetch fetches http and https URLs only, not {scheme or 'this'}: {url}")


async def check_host(host: str, port: int, *, allow_private: bool, resolve: Resolve = resolve_host,
                     classify: Classify = address_kind) -> None:
    """ToolError when ``host`` cannot be resolved or (unless allowed) any of its addresses is private."""
    if not host:
        raise ToolError("the URL has no host")
    try:
        addresses = await resolve(host, port)
    except OSError as exc:
        raise ToolError(f"cannot resolve {host}: {exc.strerror or exc}") from None
    if not addresses:
        raise ToolError(f"cannot resolve {host}: no address")
    if allow_private:
        return
    for address in addresses:
        kind = classify(address)
        if kind is not None:
            shown = host if host == address else f"{host} ({address})"
            raise ToolError(f"{shown} is {kind}: {REFUSED}")


def check_peer(host: str, peer: str | None, *, allow_private: bool, classify: Classify = address_kind) -> None:
    """ToolError when the connection went to a private address after all (``peer``: its address, None when
    the transport does not say)."""
    kind = None if allow_private or peer is None else classify(peer)
    if kind is not None:
        raise ToolError(f"{host} was checked, then the connection went to {peer}, {kind} (its DNS answer changed): "
                        f"{REFUSED}; nothing it answered was read")

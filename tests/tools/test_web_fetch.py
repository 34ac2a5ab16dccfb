"""web_fetch against a real HTTP server on 127.0.0.1: pages, redirects, a huge page, binary, errors,
and the refusals (scheme, private addresses, a sandbox without network)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.agent.tools.base import ToolContext, ToolError
from app.agent.tools.sandbox import Sandbox, SandboxConfig
from app.agent.tools.web_address import address_kind
from app.agent.tools.web_fetch import MAX_REDIRECTS, WebFetch, WebFetchConfig

PAGE = (b"<html><head><title>Guide</title><style>p {color: red}</style><script>var secret = 1;</script></head>"
        b"<body><h1>Install</h1><p>Run <code>pip install x</code>, then read <a href='/next'>the next page</a>.</p>"
        b"<ul><li>fast</li><li>small</li></ul></body></html>")
HUGE_CHUNKS = 200  # of 64 KB: 12.5 MB, far more than the cap
CHUNK = b"<p>" + b"lorem ipsum " * 5_000 + b"</p>\n"


class Site(BaseHTTPRequestHandler):
    served: list[str]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.served.append(self.path)
        route = ROUTES.get(self.path.split("?")[0])
        if route is None:
            self._send(404, "text/html", b"<h1>Not here</h1>")
        else:
            route(self)

    def _send(self, status: int, content_type: str | None, body: bytes, **headers: str) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, to: str) -> None:
        self._send(302, "text/html", b"moved", Location=to)

    def huge(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        try:
            for _ in range(HUGE_CHUNKS):
                self.wfile.write(CHUNK)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading at its cap


ROUTES = {
    "/page": lambda h: h._send(200, "text/html; charset=utf-8", PAGE),
    "/notes.txt": lambda h: h._send(200, "text/plain; charset=utf-8", b"line one\nline two\n"),
    "/data.json": lambda h: h._send(200, "application/json", b'{"ok": true}'),
    "/logo.png": lambda h: h._send(200, "image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40),
    "/untyped": lambda h: h._send(200, None, b"\x00\x01\x02binary\x00" * 50),
    "/huge": Site.huge,
    "/moved": lambda h: h.redirect("/page"),
    "/loop": lambda h: h.redirect("/loop"),
    "/to-loopback": lambda h: h.redirect(f"http://127.0.0.1:{h.server.server_port}/page"),
    "/to-ftp": lambda h: h.redirect("ftp://example.com/file"),
    "/broken": lambda h: h._send(500, "text/plain", b"boom"),
}


@pytest.fixture
def site() -> Iterator[ThreadingHTTPServer]:
    handler = type("Handler", (Site,), {"served": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url(site: ThreadingHTTPServer, path: str, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{site.server_port}{path}"


def served(site: ThreadingHTTPServer) -> list[str]:
    return site.RequestHandlerClass.served  # type: ignore[attr-defined]


@pytest.fixture
def net(ctx: ToolContext) -> ToolContext:
    """A context whose sandbox lets tools reach the network."""
    return replace(ctx, sandbox=Sandbox("", SandboxConfig(mode="off")))


LOCAL = WebFetch(WebFetchConfig(allow_private=True))  # a local dev server is allowed


async def test_an_html_page_comes_back_as_markdown(site, net):
    out = await LOCAL.run({"url": url(site, "/page")}, net)

    assert not out.is_error
    assert out.text.startswith(f"{url(site, '/page')} · text/html\n\n")
    assert "# Install" in out.text and "[the next page](/next)" in out.text and "* fast" in out.text
    assert "secret" not in out.text and "color: red" not in out.text  # scripts and styles are no text
    assert out.data["cut"] is False


async def test_text_types_come_back_as_they_are(site, net):
    assert (await LOCAL.run({"url": url(site, "/notes.txt")}, net)).text.endswith("\n\nline one\nline two\n")
    assert (await LOCAL.run({"url": url(site, "/data.json")}, net)).text.endswith('\n\n{"ok": true}')


async def test_a_redirect_on_the_same_host_is_followed(site, net):
    out = await LOCAL.run({"url": url(site, "/moved")}, net)

    assert out.text.startswith(f"{url(site, '/page')} · text/html") and "# Install" in out.text
    assert served(site) == ["/moved", "/page"]


async def test_a_redirect_to_another_host_is_not_followed_the_model_is_told_the_url(site, net):
    out = await LOCAL.run({"url": url(site, "/to-loopback", host="localhost")}, net)

    assert not out.is_error and out.data["redirect"] == url(site, "/page")
    assert "on another host" in out.text and "call web_fetch with that URL" in out.text
    assert served(site) == ["/to-loopback"]


async def test_redirects_are_bounded(site, net):
    with pytest.raises(ToolError, match=f"redirected more than {MAX_REDIRECTS} times"):
        await LOCAL.run({"url": url(site, "/loop")}, net)
    assert len(served(site)) == MAX_REDIRECTS + 1


async def test_a_redirect_to_another_scheme_is_refused(site, net):
    with pytest.raises(ToolError, match="http and https URLs only, not ftp"):
        await LOCAL.run({"url": url(site, "/to-ftp")}, net)


PUBLIC = "93.184.215.14"


def rebinding(first: str, then: str):
    """A resolver whose answer for a host changes after the first look-up (DNS rebinding)."""
    answers = [first]

    async def resolve(host: str, port: int) -> list[str]:
        return [answers.pop() if answers else then]

    return resolve


def loopback_server_is_public(address: str) -> str | None:
    """The test server's 127.0.0.1 counts as public here; every other address as it really is."""
    return None if address == "127.0.0.1" else address_kind(address)


@pytest.mark.parametrize("allow_private", [False, True])
async def test_a_redirect_to_a_private_address_is_checked_again_and_refused_unless_allowed(site, net, allow_private):
    tool = WebFetch(WebFetchConfig(allow_private=allow_private), resolve=rebinding(PUBLIC, "127.0.0.2"),
                    classify=loopback_server_is_public)

    if allow_private:
        out = await tool.run({"url": url(site, "/moved", host="localhost")}, net)
        assert "# Install" in out.text
    else:
        with pytest.raises(ToolError, match=r"localhost \(127\.0\.0\.2\) is a loopback address.*"
                                            r"web_fetch_allow_private = true"):
            await tool.run({"url": url(site, "/moved", host="localhost")}, net)
        assert served(site) == ["/moved"]  # the first hop was public; the second was never asked for


async def test_a_connection_that_went_to_a_private_address_after_the_check_is_not_read(site, net):
    tool = WebFetch(resolve=rebinding(PUBLIC, PUBLIC))  # the check sees a public address; localhost is 127.0.0.1

    with pytest.raises(ToolError, match=r"localhost was checked, then the connection went to 127\.0\.0\.1, a "
                                        r"loopback address .*nothing it answered was read"):
        await tool.run({"url": url(site, "/page", host="localhost")}, net)
    assert served(site) == ["/page"]  # the request itself went out: the check comes before the answer is read


async def test_private_and_loopback_addresses_are_refused_by_default(site, net):
    with pytest.raises(ToolError, match=r"127\.0\.0\.1 is a loopback address"):
        await WebFetch().run({"url": url(site, "/page")}, net)
    assert served(site) == []


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "a loopback address"), ("::1", "a loopback address"), ("10.1.2.3", "a private address"),
    ("192.168.0.10", "a private address"), ("169.254.169.254", "a link-local address"),
    ("fe80::1", "a link-local address"), ("::ffff:127.0.0.1", "a loopback address"), ("0.0.0.0", "a private address"),
    ("fd00::5", "a private address"), ("93.184.215.14", None), ("2606:4700::1111", None),
])
def test_every_kind_of_address_that_stays_out(address, kind):
    assert address_kind(address) == kind


async def test_a_host_with_one_private_address_among_public_ones_is_refused(net):
    async def resolve(host: str, port: int) -> list[str]:
        return [PUBLIC, "10.0.0.7"]

    with pytest.raises(ToolError, match=r"example\.test \(10\.0\.0\.7\) is a private address"):
        await WebFetch(resolve=resolve).run({"url": "https://example.test/"}, net)


async def test_a_huge_page_is_cut_at_the_cap_and_says_so(site, net):
    tool = WebFetch(WebFetchConfig(allow_private=True, max_kb=256))

    out = await tool.run({"url": url(site, "/huge")}, net)

    assert out.data["bytes"] == 256 * 1024 and out.data["cut"] is True
    assert "[cut: only the first 256 KB of the page were read]" in out.text
    assert out.truncated and len(out.text) < 3_000  # and what the model reads is capped like every output


@pytest.mark.parametrize("path, why", [
    ("/logo.png", r"is image/png, 10 KB, not text"),
    ("/untyped", r"is binary \(no content type"),
])
async def test_binary_content_is_refused(site, net, path, why):
    with pytest.raises(ToolError, match=why):
        await LOCAL.run({"url": url(site, path)}, net)


@pytest.mark.parametrize("path, status", [("/missing", "HTTP 404 Not Found"), ("/broken", "HTTP 500")])
async def test_an_http_error_is_an_error_result(site, net, path, status):
    with pytest.raises(ToolError, match=status):
        await LOCAL.run({"url": url(site, path)}, net)


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://example.com/x", "javascript:alert(1)"])
async def test_other_schemes_are_refused(net, target):
    with pytest.raises(ToolError, match="http and https URLs only"):
        await LOCAL.run({"url": target}, net)


async def test_a_sandbox_without_network_refuses_with_that_reason(site, ctx):
    boxed = replace(ctx, sandbox=Sandbox("bwrap", SandboxConfig(network=False)))

    with pytest.raises(ToolError, match=r"\[sandbox\] network = false"):
        await LOCAL.run({"url": url(site, "/page")}, boxed)
    assert served(site) == []


async def test_a_server_that_never_answers_hits_the_timeout(net):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # accepts, never answers
    try:
        quick = replace(net, timeout_s=0.5)
        with pytest.raises(ToolError, match="did not answer within 0.5 s"):
            await LOCAL.run({"url": f"http://127.0.0.1:{listener.getsockname()[1]}/"}, quick)
    finally:
        listener.close()


async def test_esc_cancels_a_fetch_that_waits_for_an_answer(net):
    import asyncio

    connected = asyncio.Event()

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connected.set()
        await reader.read()  # until the client goes away
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        fetch = asyncio.ensure_future(LOCAL.run({"url": f"http://127.0.0.1:{port}/"}, net))
        await connected.wait()
        fetch.cancel()
        with pytest.raises(asyncio.CancelledError):
            await fetch
    finally:
        server.close()
        await server.wait_closed()


def test_the_tools_table_is_checked():
    assert WebFetchConfig.from_dict({"web_fetch_allow_private": True}).allow_private
    for bad in ({"web_fetch_allow_private": "yes"}, {"web_fetch_max_kb": 0}, {"fetch": 1}):
        with pytest.raises(ValueError):
            WebFetchConfig.from_dict(bad)



"""The link patrol against real HTTP servers on loopback addresses (no database)."""

import asyncio
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from libreach.eresources.patrol import Status, check_links


class Handler(BaseHTTPRequestHandler):
    routes: dict = {}  # path -> callable(handler, method) -> (status, headers, body)
    fallback = None

    def log_message(self, *args):  # keep the test output quiet
        pass

    def _answer(self, method):
        route = self.routes.get(self.path.split("?")[0]) or self.fallback
        if route is None:
            status, headers, body = 404, {}, b"no such page"
        else:
            status, headers, body = route(self, method)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if method == "GET":
            self.wfile.write(body)

    def do_GET(self):
        self._answer("GET")

    def do_HEAD(self):
        self._answer("HEAD")


@contextmanager
def serve(routes=None, fallback=None, host="127.0.0.1", protocol="HTTP/1.0", connections=None):
    # staticmethod: a plain function stored on the class would be bound to the handler.
    extra = {"routes": routes or {}, "fallback": staticmethod(fallback) if fallback else None}
    extra["protocol_version"] = protocol  # HTTP/1.1 keeps connections alive
    if connections is not None:  # count the TCP connections the server accepts

        def handle(self):
            connections.append(self.client_address)
            Handler.handle(self)

        extra["handle"] = handle
    handler = type("H", (Handler,), extra)
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def page(body=b"<html>a database landing page</html>"):
    return lambda h, m: (200, {"Content-Type": "text/html"}, body)


def redirect(to, code=302):
    return lambda h, m: (code, {"Location": to}, b"")


def check(urls, **kw):
    kw.setdefault("timeout", 0.5)
    kw.setdefault("retries", 1)
    kw.setdefault("backoff", 0.01)
    return asyncio.run(check_links(urls, **kw))


def test_every_class():
    def slow(h, m):
        time.sleep(1.2)
        return 200, {}, b"late"

    def head_refused(h, m):
        return (405, {}, b"") if m == "HEAD" else (200, {}, b"<html>GET only</html>")

    def boom(h, m):
        return 500, {}, b"oops"

    routes = {
        "/ok": page(),
        "/head-refused": head_refused,
        "/moved": redirect("/ok", 301),
        "/journal": redirect("/idp/profile/SAML2/Redirect/SSO?SAMLRequest=x"),
        "/missing": lambda h, m: (404, {}, b"gone"),
        "/boom": boom,
        "/slow": slow,
        "/loop-a": redirect("/loop-b"),
        "/loop-b": redirect("/loop-a"),
        "/forbidden": lambda h, m: (403, {}, b"off campus"),
    }
    seen = []
    with serve(routes) as site, serve(fallback=page(b"<html>Welcome!</html>")) as catch_all:
        port = site.rsplit(":", 1)[1]
        expected = {
            f"{site}/ok": (Status.OK, 200),
            f"{site}/head-refused": (Status.OK, 200),
            f"{site}/moved": (Status.REDIRECTED, 200),
            f"{site}/journal": (Status.LOGIN_REQUIRED, 302),
            f"{site}/missing": (Status.NOT_FOUND, 404),
            f"{catch_all}/database/123": (Status.SOFT_404, 200),
            f"{site}/boom": (Status.SERVER_ERROR, 500),
            f"{site}/slow": (Status.TIMEOUT, None),
            f"{site}/loop-a": (Status.REDIRECT_LOOP, 302),
            f"{site}/forbidden": (Status.CLIENT_ERROR, 403),
            "http://no-such-vendor.invalid/db": (Status.DNS_FAILURE, None),
            f"https://127.0.0.1:{port}/ok": (Status.TLS_FAILURE, None),
        }
        results = check(
            list(expected), progress=lambda r, done, total: seen.append((r.url, done, total))
        )
    got = {r.url: (r.status, r.http_status) for r in results}
    assert got == expected
    assert [r.url for r in results] == list(expected)  # the order given
    assert sorted(done for _, done, _ in seen) == list(range(1, len(expected) + 1))
    assert {total for _, _, total in seen} == {len(expected)}
    by_url = {r.url: r for r in results}
    assert by_url[f"{site}/moved"].final_url == f"{site}/ok"
    assert by_url[f"{site}/moved"].redirects == (f"{site}/ok",)
    assert "/idp/profile/SAML2" in by_url[f"{site}/journal"].final_url
    assert by_url[f"{site}/journal"].reachable
    assert by_url[f"{site}/loop-a"].redirects == (f"{site}/loop-b", f"{site}/loop-a")
    assert not by_url[f"{site}/boom"].reachable


def test_retries_mend_a_passing_failure():
    attempts = []

    def flaky(h, m):
        attempts.append(m)
        return (503, {}, b"busy") if len(attempts) <= 2 else (200, {}, b"<html>up</html>")

    with serve({"/db": flaky}) as site:
        [result] = check([f"{site}/db"], retries=2)
    assert result.status == Status.OK
    # HEAD 503 then GET 503, a retry: HEAD 200.
    assert attempts == ["HEAD", "GET", "HEAD"]


class InFlight:
    """Counts, on the server, the requests being answered at once."""

    def __init__(self, cap):
        self.cap = cap
        self.lock = threading.Lock()
        self.now = self.most = 0
        self.over = []
        self.starts = []

    def route(self, h, m):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
            self.starts.append(time.monotonic())
            if self.now > self.cap:
                self.over.append((h.path, self.now))
        try:
            time.sleep(0.05)
        finally:
            with self.lock:
                self.now -= 1
        return 200, {}, b"<html>title list %s</html>" % h.path.encode()


def test_per_host_cap_is_never_exceeded():
    cap = 3
    a, b = InFlight(cap), InFlight(cap)
    # Only /p/ pages exist, so the soft-404 probe (a random path) gets a 404.
    with (
        serve(fallback=None, routes={f"/p/{i}": a.route for i in range(40)}) as host_a,
        serve(host="127.0.0.2", routes={f"/p/{i}": b.route for i in range(40)}) as host_b,
    ):
        urls = [f"{host}/p/{i}" for i in range(40) for host in (host_a, host_b)]
        results = check(urls, global_cap=20, per_host_cap=cap, timeout=5)
    assert {r.status for r in results} == {Status.OK}
    assert a.over == [] and b.over == []
    assert a.most <= cap and b.most <= cap
    # The cap was reached (requests ran in parallel), and it is per host, not global.
    assert a.most >= 2 and b.most >= 2


def test_per_host_delay_spaces_request_starts():
    counter = InFlight(4)
    with serve(routes={f"/p/{i}": counter.route for i in range(5)}) as site:
        check([f"{site}/p/{i}" for i in range(5)], per_host_cap=4, per_host_delay=0.1, timeout=5)
    gaps = [b - a for a, b in zip(counter.starts, counter.starts[1:], strict=False)]
    assert len(counter.starts) == 5
    assert min(gaps) >= 0.09


@pytest.mark.parametrize("target", ["/cas/login?service=x", "/Shibboleth.sso/Login", "/login"])
def test_sign_in_pages_count_as_reachable(target):
    with serve({"/db": redirect(target)}) as site:
        [result] = check([f"{site}/db"])
    assert result.status == Status.LOGIN_REQUIRED


def test_connections_are_kept_alive():
    connections = []
    routes = {f"/p/{i}": page() for i in range(30)}
    with serve(routes, protocol="HTTP/1.1", connections=connections) as site:
        results = check([f"{site}/p/{i}" for i in range(30)], per_host_cap=2)
    assert {r.status for r in results} == {Status.OK}
    # 31 requests (30 HEADs and the soft-404 probe) over at most per_host_cap connections.
    assert len(connections) <= 2

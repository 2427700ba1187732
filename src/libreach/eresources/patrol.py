"""Link patrol: check many URLs politely and say, for each, how a reader would fare.

Pure engine (no models, no database): `check_links` takes URLs and returns one `Result`
per URL, in the order given. The command and the daily task store the results.

Politeness: every single request (HEAD, GET, each redirect hop, each retry, the soft-404
probe) passes a per-host gate (a semaphore of `per_host_cap` and a delay of
`per_host_delay` seconds between request starts) and then a global semaphore, so a
vendor's server never sees more than `per_host_cap` requests from us at once. A host is
the URL's host name and port: 127.0.0.1:8001 and 127.0.0.1:8002 are two hosts.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urljoin, urlsplit

import httpx


class Status(StrEnum):
    OK = "ok"
    REDIRECTED = "redirected"
    # A redirect to an IdP, CAS or login page: the resource is up and asks who you are.
    LOGIN_REQUIRED = "login_required"
    NOT_FOUND = "not_found"
    # A random path on the same host answers like the page: the "page" is an error page.
    SOFT_404 = "soft_404"
    # Other 4xx answers (403, 429 after retries...): the server refuses us.
    CLIENT_ERROR = "client_error"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    DNS_FAILURE = "dns_failure"
    TLS_FAILURE = "tls_failure"
    # Connection refused or reset: the host resolves but nothing answers.
    CONNECTION_FAILURE = "connection_failure"
    REDIRECT_LOOP = "redirect_loop"
    INVALID_URL = "invalid_url"


# The resource answers (possibly after asking the reader to sign in).
REACHABLE = frozenset({Status.OK, Status.REDIRECTED, Status.LOGIN_REQUIRED})


@dataclass(frozen=True)
class Result:
    url: str
    status: Status
    http_status: int | None
    final_url: str
    elapsed: float  # seconds, from the first request for this URL to the verdict
    detail: str = ""
    redirects: tuple[str, ...] = ()  # the chain of Location targets followed

    @property
    def reachable(self) -> bool:
        return self.status in REACHABLE


# Where federated and single sign-on services live (Shibboleth/CARSI IdPs, CAS, SAML
# endpoints, EZproxy and OpenAthens logins, vendors' own sign-in pages).
LOGIN_PATTERN = re.compile(
    r"/idp/|/cas/|/cas$|/login|/signin|/sign-in|/sso\b|/wayf|/ds/|shibboleth|saml|"
    r"openathens|/authenticate",
    re.IGNORECASE,
)
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
BODY_LIMIT = 1 << 20  # compare at most the first MiB of a page with the probe
USER_AGENT = "libreach-patrol/1 (+link check of a library's e-resource guide)"


@dataclass(frozen=True)
class _Answer:
    status: int
    location: str | None
    body: bytes | None  # None for HEAD


class _Failure(Exception):
    def __init__(self, status: Status, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _cause_chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _classify_error(exc: Exception) -> _Failure:
    if isinstance(exc, httpx.TimeoutException):
        return _Failure(Status.TIMEOUT, f"{type(exc).__name__}: no answer in time")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return _Failure(Status.INVALID_URL, str(exc))
    for e in _cause_chain(exc):
        if isinstance(e, socket.gaierror):
            return _Failure(Status.DNS_FAILURE, str(e))
        if isinstance(e, ssl.SSLError | ssl.CertificateError):
            return _Failure(Status.TLS_FAILURE, str(e))
    text = str(exc)
    # httpcore does not always keep the original exception; fall back on its words.
    if "Name or service not known" in text or "nodename nor servname" in text:
        return _Failure(Status.DNS_FAILURE, text)
    if "SSL" in text or "TLS" in text or "certificate" in text.lower():
        return _Failure(Status.TLS_FAILURE, text)
    return _Failure(Status.CONNECTION_FAILURE, f"{type(exc).__name__}: {text}")


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{host}:{port}"


def _looks_alike(a: bytes, b: bytes) -> bool:
    if hashlib.sha256(a).digest() == hashlib.sha256(b).digest():
        return True
    # Error pages often echo the requested path, so allow a small difference in length.
    longest = max(len(a), len(b))
    return abs(len(a) - len(b)) <= max(32, longest // 50)


class _Patrol:
    def __init__(self, make_client, global_cap, per_host_cap, per_host_delay, retries, backoff):
        self.make_client = make_client
        # One client (connection pool) per host: httpcore scans its whole pool on every
        # request, so one pool over thousands of hosts' connections costs O(n) each time.
        self.clients: dict[str, httpx.AsyncClient] = {}
        self.global_gate = asyncio.Semaphore(global_cap)
        self.per_host_cap = per_host_cap
        self.per_host_delay = per_host_delay
        self.retries = retries
        self.backoff = backoff
        self.host_gates: dict[str, asyncio.Semaphore] = {}
        self.host_clocks: dict[str, asyncio.Lock] = {}
        self.host_next_start: dict[str, float] = {}
        self.probes: dict[str, asyncio.Task] = {}

    async def _pace(self, host: str) -> None:
        if self.per_host_delay <= 0:
            return
        lock = self.host_clocks.setdefault(host, asyncio.Lock())
        async with lock:
            wait = self.host_next_start.get(host, 0.0) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self.host_next_start[host] = time.monotonic() + self.per_host_delay

    async def request(self, method: str, url: str, *, want_body: bool) -> _Answer:
        host = _host_key(url)
        host_gate = self.host_gates.setdefault(host, asyncio.Semaphore(self.per_host_cap))
        # The host's gate first: a request waiting for a busy host holds no global slot.
        async with host_gate:
            await self._pace(host)
            async with self.global_gate:
                client = self.clients.get(host)
                if client is None:
                    client = self.clients[host] = self.make_client()
                request = client.build_request(method, url)
                response = await client.send(request, stream=True)
                try:
                    # Read to the end (even HEAD's empty body) so the connection goes back
                    # to the pool for keep-alive; a page longer than the limit closes it.
                    chunks, size = [], 0
                    async for chunk in response.aiter_bytes():
                        if want_body:
                            chunks.append(chunk)
                        size += len(chunk)
                        if size >= BODY_LIMIT:
                            break
                    body = b"".join(chunks)[:BODY_LIMIT] if want_body else None
                finally:
                    await response.aclose()
        return _Answer(response.status_code, response.headers.get("location"), body)

    async def hop(self, url: str) -> _Answer:
        """One URL, no redirects followed: HEAD, GET where HEAD fails, bounded retries."""
        failure: _Failure | None = None
        answer: _Answer | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            failure = answer = None
            try:
                try:
                    answer = await self.request("HEAD", url, want_body=False)
                except httpx.TimeoutException:
                    raise
                except httpx.TransportError as exc:
                    # Some servers drop HEAD; only a failure that GET cannot mend is final.
                    f = _classify_error(exc)
                    if f.status in (Status.DNS_FAILURE, Status.TLS_FAILURE, Status.INVALID_URL):
                        raise
                if answer is None or answer.status >= 400:
                    answer = await self.request("GET", url, want_body=False)
            except (httpx.TransportError, httpx.InvalidURL) as exc:
                failure = _classify_error(exc)
                if failure.status not in (Status.TIMEOUT, Status.CONNECTION_FAILURE):
                    raise failure from exc
                continue
            if answer.status >= 500 or answer.status == 429:
                continue
            return answer
        if failure is not None:
            raise failure
        assert answer is not None
        return answer

    async def probe(self, url: str) -> _Answer | None:
        """A random path on the URL's host, fetched once per host per run."""
        host = _host_key(url)
        if host not in self.probes:
            parts = urlsplit(url)
            probe_url = f"{parts.scheme}://{parts.netloc}/libreach-patrol-{secrets.token_hex(8)}"
            self.probes[host] = asyncio.ensure_future(self._fetch_probe(probe_url))
        return await self.probes[host]

    async def _fetch_probe(self, url: str) -> _Answer | None:
        try:
            return await self.request("GET", url, want_body=True)
        except (httpx.HTTPError, httpx.InvalidURL):
            return None

    async def soft_404(self, url: str) -> bool:
        probe = await self.probe(url)
        if probe is None or not 200 <= probe.status < 300 or probe.body is None:
            return False
        try:
            page = await self.request("GET", url, want_body=True)
        except (httpx.HTTPError, httpx.InvalidURL):
            return False
        return page.status == probe.status and _looks_alike(page.body or b"", probe.body)

    async def check(self, url: str, max_redirects: int) -> Result:
        started = time.monotonic()
        chain: list[str] = []
        seen = {url}
        current = url

        def result(status: Status, http_status: int | None, detail: str = "") -> Result:
            return Result(
                url, status, http_status, current, time.monotonic() - started, detail, tuple(chain)
            )

        while True:
            try:
                answer = await self.hop(current)
            except _Failure as failure:
                return result(failure.status, None, failure.detail)
            code = answer.status
            if code in REDIRECT_CODES and answer.location:
                target = urljoin(current, answer.location)
                chain.append(target)
                if LOGIN_PATTERN.search(urlsplit(target).netloc + urlsplit(target).path):
                    current = target
                    return result(Status.LOGIN_REQUIRED, code, "redirected to a sign-in page")
                if target in seen:
                    current = target
                    return result(Status.REDIRECT_LOOP, code, f"back to {target}")
                if len(chain) > max_redirects:
                    current = target
                    return result(
                        Status.REDIRECT_LOOP, code, f"more than {max_redirects} redirects"
                    )
                seen.add(target)
                current = target
                continue
            if 200 <= code < 300:
                if await self.soft_404(current):
                    return result(Status.SOFT_404, code, "a random path answers the same page")
                return result(Status.REDIRECTED if chain else Status.OK, code)
            if code in (404, 410):
                return result(Status.NOT_FOUND, code)
            if code == 401:
                return result(Status.LOGIN_REQUIRED, code, "asks for credentials")
            if code >= 500:
                return result(Status.SERVER_ERROR, code, f"after {self.retries + 1} attempts")
            return result(Status.CLIENT_ERROR, code)


async def check_links(
    urls: Iterable[str],
    *,
    global_cap: int = 50,
    per_host_cap: int = 4,
    per_host_delay: float = 0.0,
    timeout: float = 15.0,
    retries: int = 2,
    backoff: float = 1.0,
    max_redirects: int = 10,
    verify: bool | ssl.SSLContext = True,
    progress: Callable[[Result, int, int], None] | None = None,
) -> list[Result]:
    """Check every URL; return one Result per URL in the order given.

    `retries` more attempts (after `backoff`, doubling) follow a timeout, a refused
    connection, a 5xx or a 429. `progress(result, done, total)` is called after each URL.
    """
    urls = list(urls)
    total = len(urls)
    done = 0
    # One TLS context for all the clients: loading the CA bundle per host is slow.
    if not isinstance(verify, ssl.SSLContext):
        verify = httpx.create_ssl_context(verify=verify)

    def make_client() -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(
                max_connections=per_host_cap, max_keepalive_connections=per_host_cap
            ),
            verify=verify,
            follow_redirects=False,  # followed by hand, so the chain and loops are seen
            headers={"User-Agent": USER_AGENT},
        )

    patrol = _Patrol(make_client, global_cap, per_host_cap, per_host_delay, retries, backoff)

    async def one(url: str) -> Result:
        nonlocal done
        try:
            res = await patrol.check(url, max_redirects)
        except Exception as exc:  # a patrol of thousands must not stop at one URL
            res = Result(url, Status.CONNECTION_FAILURE, None, url, 0.0, repr(exc))
        done += 1
        if progress is not None:
            progress(res, done, total)
        return res

    try:
        return list(await asyncio.gather(*(one(u) for u in urls)))
    finally:
        for client in patrol.clients.values():
            await client.aclose()

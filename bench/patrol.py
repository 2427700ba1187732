"""Link patrol: 10,000 links over 20 local hosts that answer after 50 ms, per-host cap 4.

    python bench/patrol.py [--links N] [--hosts N] [--cap N] [--delay-ms N]
        [--linkchecker-links N] [--skip-linkchecker]

Starts `--hosts` HTTP servers on 127.0.0.1 (distinct ports) in a separate process, so
they do not share the client's CPU and GIL. Each answers every request after
`--delay-ms`: 200 with a small page for the links' paths (/page/N), 404 for any other
path (so the patrol's soft-404 probe, one per host, finds a proper 404, as on a real
server). They send a `LinkChecker` header, which lets LinkChecker go faster than its
default pace (see below). The servers count, per host, the requests in flight at once.

Then `eresources.patrol.check_links` checks the `--links` links, spread evenly over the
hosts, with `per_host_cap=--cap`, `retries=0`, no per-host delay and a global cap of
hosts × cap (so only the per-host cap binds). Printed: the wall time and its ratio to the
ideal (links per host × delay ÷ cap: 500 × 50 ms ÷ 4 = 6.25 s; target ratio ≤ 1.5), the
most requests any host had in flight (must be ≤ cap) and that every link is ok.

Baseline, in the same run: LinkChecker (PyPI, command `linkchecker`) on the same links
read from stdin, `--no-robots`, recursion level 0 (only the listed links), hosts × cap
threads, and `maxrequestspersecond` raised to 10,000 in its config file. LinkChecker
applies that rate only to hosts that answer with a `LinkChecker` header, which ours do;
otherwise it waits 0.1 to 0.6 s between requests to a host, and would only measure its
politeness. It has no per-host cap on requests in flight. Printed: its wall time,
the most requests it had in flight on one host (it has no per-host cap) and the ratio of
ours to it. With `--linkchecker-links` below `--links` it checks only the first N links
and its time is scaled by links ÷ N (the output says so).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _common import figure, machine, peak_rss_mib, timed  # noqa: E402

PAGE = b"<!doctype html><html><head><title>Database</title></head><body>ok</body></html>"


# --- the servers (a separate process) --------------------------------------------------------


def _serve(hosts: int, delay: float, conn) -> None:
    """Run `hosts` HTTP/1.1 servers in one event loop; answer "stats" on `conn`."""
    asyncio.run(_serve_async(hosts, delay, conn))


async def _serve_async(hosts: int, delay: float, conn) -> None:
    inflight = [0] * hosts
    peak = [0] * hosts
    count = [0] * hosts

    def handler(n: int):
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    try:
                        head = await reader.readuntil(b"\r\n\r\n")
                    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                        return
                    lines = head.decode("latin-1").split("\r\n")
                    method, path, _ = (lines[0].split(" ") + ["", ""])[:3]
                    close = any(
                        h.lower().startswith("connection:") and "close" in h.lower()
                        for h in lines[1:]
                    )
                    inflight[n] += 1
                    count[n] += 1
                    peak[n] = max(peak[n], inflight[n])
                    try:
                        await asyncio.sleep(delay)
                    finally:
                        inflight[n] -= 1
                    ok = path.startswith("/page/")
                    body = PAGE if ok else b"not found"
                    status = b"200 OK" if ok else b"404 Not Found"
                    writer.write(
                        b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html\r\nLinkChecker: ok\r\n"
                        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
                        + (b"Connection: close\r\n" if close else b"")
                        + b"\r\n" + (b"" if method == "HEAD" else body)
                    )  # fmt: skip
                    await writer.drain()
                    if close:
                        return
            except (ConnectionError, OSError):
                return
            finally:
                writer.close()

        return handle

    servers = [
        await asyncio.start_server(handler(n), "127.0.0.1", 0, backlog=1024) for n in range(hosts)
    ]
    conn.send([s.sockets[0].getsockname()[1] for s in servers])
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command == "stats":
            conn.send({"requests": sum(count), "peak": max(peak), "inflight": sum(inflight)})
            count[:] = [0] * hosts
            peak[:] = [0] * hosts
        else:
            break
    for s in servers:
        s.close()


# --- the runs ---------------------------------------------------------------------------------


def run_ours(urls: list[str], hosts: int, cap: int) -> tuple[float, dict[str, int]]:
    from libreach.eresources.patrol import check_links

    async def go():
        return await check_links(
            urls, global_cap=hosts * cap, per_host_cap=cap, per_host_delay=0.0,
            timeout=30.0, retries=0,
        )  # fmt: skip

    with timed() as t:
        results = asyncio.run(go())
    statuses: dict[str, int] = {}
    for r in results:
        statuses[str(r.status)] = statuses.get(str(r.status), 0) + 1
    return t.wall, statuses


def run_linkchecker(urls: list[str], threads: int) -> tuple[float, int, int]:
    """Wall time, valid links and links logged of one `linkchecker` run."""
    exe = shutil.which("linkchecker")
    if exe is None:
        raise SystemExit("linkchecker not found: pip install -e '.[bench]'")
    # LinkChecker drops root privileges to `nobody`, so its config must be world-readable.
    with tempfile.NamedTemporaryFile("w", suffix=".ini", dir="/tmp", delete=False) as rc:
        rc.write("[checking]\nmaxrequestspersecond=10000\n")
    os.chmod(rc.name, 0o644)
    command = [
        exe, "--config", rc.name, "--stdin", "--no-robots", "--recursion-level", "0",
        "--threads", str(threads), "--timeout", "30", "--no-status", "--no-warnings",
        "--verbose", "--output", "csv",
    ]  # fmt: skip
    try:
        with timed() as t:
            done = subprocess.run(
                command, input="\n".join(urls), capture_output=True, text=True, check=False
            )
    finally:
        os.unlink(rc.name)
    rows = [line for line in done.stdout.splitlines() if line and not line.startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(rows)), delimiter=";")
    valid = logged = 0
    for row in reader:
        logged += 1
        valid += row.get("valid") == "True"
    if logged == 0:
        print(done.stderr[-2000:], file=sys.stderr)
    return t.wall, valid, logged


def server_stats(conn) -> dict[str, int]:
    """Requests since the last call, and the most in flight at once on one host."""
    conn.send("stats")
    return conn.recv()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--cap", type=int, default=4)
    parser.add_argument("--delay-ms", type=float, default=50.0)
    parser.add_argument("--linkchecker-links", type=int, default=None)
    parser.add_argument("--skip-linkchecker", action="store_true")
    args = parser.parse_args()
    delay = args.delay_ms / 1000

    os.environ.setdefault("LIBREACH_HOME", str(BENCH / "results" / "home"))
    os.environ.setdefault("LIBREACH_SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "libreach.settings")

    here, there = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(args.hosts, delay, there), daemon=True)
    server.start()
    ports = here.recv()
    urls = [f"http://127.0.0.1:{ports[n % args.hosts]}/page/{n}" for n in range(args.links)]
    per_host = -(-args.links // args.hosts)
    ideal = per_host * delay / args.cap

    print(f"# link patrol: {args.links:,} links over {args.hosts} hosts, {per_host} per host, "
          f"answer after {args.delay_ms:g} ms, per-host cap {args.cap}")  # fmt: skip
    print(f"# {machine()}")
    try:
        wall, statuses = run_ours(urls, args.hosts, args.cap)
        stats = server_stats(here)
        figure("patrol wall", wall, "s", baseline=ideal, baseline_name="ideal")
        figure("patrol links per second", args.links / wall, "links/s")
        print(f"patrol server side: {stats['requests']:,} requests, "
              f"most in flight on one host {stats['peak']} (cap {args.cap}: "
              f"{'kept' if stats['peak'] <= args.cap else 'EXCEEDED'})")  # fmt: skip
        ok = statuses.get("ok", 0)
        print(f"patrol results: {statuses} ({'all ok' if ok == args.links else 'NOT all ok'})")
        print(f"patrol target ratio <= 1.5: {'met' if wall / ideal <= 1.5 else 'NOT met'}")

        if not args.skip_linkchecker:
            n = min(args.linkchecker_links or args.links, args.links)
            threads = args.hosts * args.cap
            lc_wall, valid, logged = run_linkchecker(urls[:n], threads)
            lc_stats = server_stats(here)
            scaled = lc_wall * args.links / n
            note = "" if n == args.links else f" (first {n:,} links, scaled by {args.links / n:g})"
            print(f"# LinkChecker: {threads} threads, --no-robots, -r 0, "
                  f"maxrequestspersecond 10000{note}")  # fmt: skip
            figure("linkchecker wall", scaled, "s", baseline=ideal, baseline_name="ideal")
            print(f"linkchecker results: {valid:,} valid of {logged:,} logged of {n:,}; "
                  f"server side {lc_stats['requests']:,} requests, most in flight on one "
                  f"host {lc_stats['peak']}")  # fmt: skip
            figure("patrol wall vs linkchecker", wall, "s", baseline=scaled,
                   baseline_name="linkchecker")  # fmt: skip
        figure("peak RSS (bench process)", peak_rss_mib(), "MiB")
    finally:
        here.send("stop")
        server.join(timeout=5)
        if server.is_alive():
            server.terminate()


if __name__ == "__main__":
    main()

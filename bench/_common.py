"""Shared benchmark helpers: timing, peak memory, and one printed line per figure.

Every benchmark prints each figure on its own line, with its ratio to the baseline
measured in the same run, and the peak resident memory of its processes.
"""

from __future__ import annotations

import os
import platform
import resource
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Timing:
    wall: float = 0.0  # seconds
    cpu: float = 0.0  # seconds of this process (children not included)


@contextmanager
def timed() -> Iterator[Timing]:
    """Wall-clock and CPU time of a block: `with timed() as t: ...; t.wall`."""
    timing = Timing()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield timing
    finally:
        timing.wall = time.perf_counter() - wall
        timing.cpu = time.process_time() - cpu


def api_tokens(users, expires) -> list[str]:
    """A bearer token for each user, stored hashed as the token route stores it (Django set up)."""
    from libreach.accounts.models import ApiToken
    from libreach.accounts.selectors import hash_token

    tokens = [secrets.token_urlsafe(32) for _ in users]
    ApiToken.objects.bulk_create(
        ApiToken(user=user, key_hash=hash_token(token), expires_at=expires)
        for user, token in zip(users, tokens, strict=True)
    )
    return tokens


def circulation_staff_tokens(library, prefix: str, count: int, password: str, expires) -> list[str]:
    """Tokens of `count` circulation staff of `library`, named <prefix>0, <prefix>1, ..."""
    from libreach.accounts import services as account_services
    from libreach.accounts.models import StaffRole

    staff = [
        account_services.create_staff(
            library=library, username=f"{prefix}{n}", password=password,
            name=f"流通馆员{n}", role=StaffRole.CIRCULATION,
        ).user
        for n in range(count)
    ]  # fmt: skip
    return api_tokens(staff, expires)


def peak_rss_mib(children: bool = False) -> float:
    """Peak resident set size so far, of this process or of its largest waited-for child."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def figure(
    name: str,
    value: float,
    unit: str = "",
    *,
    baseline: float | None = None,
    baseline_name: str = "baseline",
) -> None:
    """Print `name value unit`, and its ratio to `baseline` when there is one."""
    text = f"{name:<32} {value:>14,.2f} {unit}".rstrip()
    if baseline:
        text += f"   ratio {value / baseline:.3f} to {baseline_name} ({baseline:,.2f} {unit})"
    print(text, flush=True)


def machine() -> str:
    """One line describing where the figures were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )

"""Catalogue search on 250,000 Library of Congress records: p50 / p95 / max of 200 queries.

    python bench/search.py [--file PATH] [--database-url URL] [--rebuild]
    python bench/search.py --index-cost N [--file PATH]

The catalogue is imported once with `catalog.marc_import.import_marc` into
bench/results/search-catalogue.sqlite3 (or the PostgreSQL database given, created if
missing) and reused while it holds records. The 200 queries are drawn from it with a
fixed seed, 50 of each kind: title words (one in five two words), 2-4 character
substrings of Chinese titles, ISBNs (ISBN-10 or -13, hyphenated or not), surnames from
personal author names. The import compacts the index at its end, as `import-marc` does
after any large import (--optimize compacts it again first). Each query runs once to warm the caches, then once timed
through `catalog.selectors.search_records` (count, ranked first page of 20, its items).

Baseline, in the same run: the same queries as a search without an index would run
them, every term as LIKE '%term%' over the same columns, counting the matches (a full
scan). The primary-key lookup is printed too, as the floor of any ORM query.

--index-cost N [--skip M] imports N records (after the first M) into fresh SQLite
databases with and without the search index (best of two runs each) and prints both
rates beside pymarc's parse rate of the same records. Records 180,001-200,000 hold the
most Chinese ones (a fifth of them).

The default file is BooksAll.2016.part01.utf8 from $LIBREACH_MARC_DIR, else .cache/marc
(scripts/get-marc-data.sh fetches it).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _common import figure, machine, peak_rss_mib, timed  # noqa: E402

RESULTS = BENCH / "results"
MARC_NAME = "BooksAll.2016.part01.utf8"
SEED = 2020
PER_KIND = 50


def default_file() -> Path:
    base = os.environ.get("LIBREACH_MARC_DIR") or BENCH.parent / ".cache" / "marc"
    return Path(base) / MARC_NAME


def setup_django(database_url: str) -> None:
    if database_url.startswith("postgres"):
        _create_pg_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("LIBREACH_HOME", str(RESULTS / "home"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "libreach.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _create_pg_database(url: str) -> None:
    import dj_database_url
    import psycopg

    name = dj_database_url.parse(url)["NAME"]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def import_catalogue(path: Path, **options) -> tuple[int, float]:
    """Import `path` into a new library; returns (records imported, seconds)."""
    from libreach.catalog.marc_import import import_marc
    from libreach.consortium.services import create_library

    library = create_library(code=f"LOC{int(time.time())}", name="Library of Congress")
    with timed() as run:
        result = import_marc(library=library, path=path, **options)
    return result.imported, run.wall


# --- queries ----------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]{3,}")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
_STOP = {"the", "and", "for", "with", "from", "its", "des", "der", "die", "und", "les", "del"}


def _hyphenate(isbn: str) -> str:
    # Group boundaries depend on the registrant; any hyphen positions must work.
    if len(isbn) == 13:
        return f"{isbn[:3]}-{isbn[3]}-{isbn[4:7]}-{isbn[7:12]}-{isbn[12]}"
    return f"{isbn[0]}-{isbn[1:4]}-{isbn[4:9]}-{isbn[9]}"


def draw_queries(seed: int = SEED) -> list[tuple[str, str]]:
    """(kind, query) pairs drawn from the catalogue with a fixed seed."""
    from libreach.catalog.isbn import isbn10
    from libreach.catalog.models import Record

    rng = random.Random(seed)
    rows = list(Record.objects.order_by("id").values_list("title", "authors", "isbn"))
    latin = [r[0] for r in rows if _WORD.search(r[0]) and not _CJK_RUN.search(r[0])]
    chinese = [r[0] for r in rows if _CJK_RUN.search(r[0])]
    isbns = [r[2] for r in rows if r[2]]
    people = [a for r in rows for a in r[1][:1] if "," in a and not _CJK_RUN.search(a)]
    queries: list[tuple[str, str]] = []
    while len(queries) < PER_KIND:
        words = [w for w in _WORD.findall(rng.choice(latin)) if w.lower() not in _STOP]
        if words:
            count = 2 if len(words) > 1 and rng.random() < 0.2 else 1
            start = rng.randrange(len(words) - count + 1)
            queries.append(("title words", " ".join(words[start : start + count]).lower()))
    while len(queries) < 2 * PER_KIND:
        run = rng.choice(_CJK_RUN.findall(rng.choice(chinese)))
        size = rng.randint(2, min(4, len(run)))
        start = rng.randrange(len(run) - size + 1)
        queries.append(("chinese", run[start : start + size]))
    while len(queries) < 3 * PER_KIND:
        isbn = rng.choice(isbns)
        form = (isbn10(isbn) if rng.random() < 0.5 else None) or isbn
        queries.append(("isbn", _hyphenate(form) if rng.random() < 0.5 else form))
    while len(queries) < 4 * PER_KIND:
        queries.append(("author", rng.choice(people).split(",")[0].strip()))
    return queries


# --- timing -----------------------------------------------------------------------------


def _timed_each(run: Callable[[object], object], args: list) -> list[float]:
    for arg in args:  # warm the caches
        run(arg)
    times = []
    for arg in args:
        started = time.perf_counter()
        run(arg)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1]


def like_scan_count(query: str) -> int:
    """The search without an index: every term as LIKE '%term%' over the same columns."""
    from django.db import connection
    from django.db.models import BooleanField
    from django.db.models.expressions import RawSQL

    from libreach.catalog.models import Record
    from libreach.catalog.search import contains_pattern, parse_query
    from libreach.catalog.selectors import SEARCH_TEXT

    parsed = parse_query(query)
    op = "LIKE" if connection.vendor == "sqlite" else "ILIKE"
    # "|| ''" keeps PostgreSQL from using the trigram index on the plain expression.
    like = f"({SEARCH_TEXT.format(t='')} || '') {op} %s"
    records = Record.objects.all()
    for term in [parsed.isbn13] if parsed.isbn13 else parsed.terms:
        condition = RawSQL(like, [contains_pattern(term)], output_field=BooleanField())
        records = records.filter(condition)
    return records.count()


def run_search(database_url: str, path: Path, rebuild: bool, reoptimize: bool) -> None:
    setup_django(database_url)
    from django.db import connection

    from libreach.catalog.models import Item, Record
    from libreach.catalog.selectors import search_records

    if rebuild:
        Item.objects.all().delete()
        Record.objects.all().delete()
    print(f"# {machine()}; database {connection.vendor}")
    total = Record.objects.count()
    if total == 0:
        if not path.is_file():
            raise SystemExit(f"{path} not found: run scripts/get-marc-data.sh or pass --file")
        total, seconds = import_catalogue(path)
        figure("import_records_per_s", total / seconds, "records/s")
    figure("records", total)
    if reoptimize:
        from libreach.catalog.search import optimize_index

        with timed() as optimizing:
            optimize_index()
        figure("optimize_index_s", optimizing.wall, "s")
    drawn = draw_queries()
    queries = [query for _, query in drawn]

    times = _timed_each(lambda q: search_records(query=q), queries)
    baseline = _timed_each(like_scan_count, queries)
    ids = list(Record.objects.order_by("?").values_list("id", flat=True)[:200])
    pk_times = _timed_each(lambda pk: Record.objects.get(pk=pk), ids)

    scan = "LIKE scan"
    figure("search_p50_ms", statistics.median(times), "ms",
           baseline=statistics.median(baseline), baseline_name=scan)  # fmt: skip
    figure("search_p95_ms", _p95(times), "ms", baseline=_p95(baseline), baseline_name=scan)
    figure("search_max_ms", max(times), "ms", baseline=max(baseline), baseline_name=scan)
    figure("pk_lookup_p50_ms", statistics.median(pk_times), "ms")
    for kind in dict.fromkeys(kind for kind, _ in drawn):
        mine = [t for (k, _), t in zip(drawn, times, strict=True) if k == kind]
        base = [t for (k, _), t in zip(drawn, baseline, strict=True) if k == kind]
        name = f"search_p95_ms_{kind.replace(' ', '_')}"
        figure(name, _p95(mine), "ms", baseline=_p95(base), baseline_name=scan)
    slowest = sorted(zip(times, queries, strict=True), reverse=True)[:5]
    print("# slowest: " + ", ".join(f"{q!r} {t:.1f} ms" for t, q in slowest))
    figure("peak_rss_mib", peak_rss_mib(), "MiB")


# --- index cost on import ---------------------------------------------------------------


def _sample(source: Path, skip: int, count: int, target: Path) -> int:
    """Records skip+1 .. skip+count of `source`, copied as they are to `target`."""
    import pymarc

    written = 0
    with source.open("rb") as stream, target.open("wb") as out:
        reader = pymarc.MARCReader(stream, to_unicode=False, permissive=True)
        for number, _ in enumerate(reader):
            if written == count:
                break
            if number >= skip:
                out.write(reader.current_chunk)
                written += 1
    return written


def run_index_cost(path: Path, count: int, skip: int) -> None:
    """Import `count` records with and without the index, into fresh SQLite files."""
    import subprocess

    from import_marc import bare_parse

    with tempfile.TemporaryDirectory(prefix="libreach-bench-") as tmp:
        sample = Path(tmp) / "sample.mrc"
        records = _sample(path, skip, count, sample)
        seconds: dict[bool, list[float]] = {False: [], True: []}
        parse = []
        for with_index in (False, True, False, True):
            with timed() as t:
                bare_parse(sample)
            parse.append(t.wall)
            db = Path(tmp) / f"db-{len(parse)}.sqlite3"
            command = [sys.executable, __file__, "--_import", str(sample)]
            env = dict(os.environ, DATABASE_URL=f"sqlite:///{db}", LIBREACH_HOME=tmp)
            env["LIBREACH_BENCH_INDEX"] = "1" if with_index else "0"
            out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            seconds[with_index].append(float(out.stdout.split()[-1]))
    print(f"# {machine()}; database sqlite; records {skip + 1}-{skip + records}")
    parse_rate = records / min(parse)
    without = records / min(seconds[False])
    with_ = records / min(seconds[True])
    figure("parse_rate_records_per_s", parse_rate, "records/s")
    figure("import_without_index_per_s", without, "records/s", baseline=parse_rate,
           baseline_name="parse")  # fmt: skip
    figure("import_with_index_per_s", with_, "records/s", baseline=parse_rate,
           baseline_name="parse")  # fmt: skip
    figure("index_cost_ratio", with_ / without, "", baseline=None)
    figure("peak_rss_mib", peak_rss_mib(children=True), "MiB")


def _import_once(path: Path) -> None:
    """Child of --index-cost: migrate, drop the index if asked, import, print seconds."""
    setup_django(os.environ["DATABASE_URL"])
    if os.environ.get("LIBREACH_BENCH_INDEX") == "0":
        import importlib

        from django.db import connection

        with connection.schema_editor() as editor:
            for name in ("0004_search_fold", "0002_search_index"):  # newest first
                migration = importlib.import_module(f"libreach.catalog.migrations.{name}")
                migration.backwards(None, editor)
    _, seconds = import_catalogue(path, background=False)
    print(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument(
        "--database-url", default=f"sqlite:///{RESULTS / 'search-catalogue.sqlite3'}"
    )
    parser.add_argument("--rebuild", action="store_true", help="import the catalogue again")
    parser.add_argument(
        "--optimize",
        action="store_true",
        help="run optimize_index() first (import-marc does after large imports; for a "
        "catalogue built by an older importer)",
    )
    parser.add_argument("--index-cost", type=int, metavar="N")
    parser.add_argument("--skip", type=int, default=0, help="--index-cost: after M records")
    parser.add_argument("--_import", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    path = args.file or default_file()
    if args._import:
        _import_once(args._import)
    elif args.index_cost:
        run_index_cost(path, args.index_cost, args.skip)
    else:
        run_search(args.database_url, path, args.rebuild, args.optimize)


if __name__ == "__main__":
    main()

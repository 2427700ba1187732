"""Search in one script (migration 0004) on the demo catalogue: latency and results.

    python bench/search_fold.py [--database-url URL] [--save FILE] [--compare FILE]
    python bench/search_fold.py --rebuild-index [--database-url URL]

Loads the demo's catalogue into one library of a fresh database (the CNMARC Chinese books
and the 3,000 Library of Congress sample records, about 3,080 records), draws 150 queries
with a fixed seed — 50 substrings (2-4 characters) of Chinese titles and authors as
catalogued, the same 50 in traditional characters (OpenCC s2t, phrase dictionaries), 50
Latin title words — runs each once to warm the caches and once timed through
`catalog.selectors.search_records` (count, first page of 20 with items).

--save writes each query's ranked result ids; --compare reads such a file (written by the
code before the change, run with PYTHONPATH pointing at a checkout of it) and reports the
queries whose results differ. --rebuild-index times migration 0004 rebuilding the index
over the catalogue (backwards to 0003's index first, not timed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _common import figure, machine, timed  # noqa: E402
from search import setup_django  # noqa: E402

SEED = 2026
PER_KIND = 50
_CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
_WORD = re.compile(r"[^\W\d_]{4,}")


def load_catalogue() -> int:
    from libreach.catalog.marc_import import import_marc
    from libreach.catalog.models import Record
    from libreach.consortium.services import create_library
    from libreach.site.demo import chinese_books_marc, loc_records_for

    if Record.objects.exists():
        return Record.objects.count()
    library = create_library(code="DEMO", name="演示图书馆")
    for data in (chinese_books_marc(library, share=1, seed=0), loc_records_for(0, 1)):
        with tempfile.NamedTemporaryFile(suffix=".mrc") as handle:
            handle.write(data)
            handle.flush()
            import_marc(library=library, path=handle.name, background=False)
    return Record.objects.count()


def draw_queries() -> list[tuple[str, str]]:
    import opencc

    from libreach.catalog.models import Record

    rng = random.Random(SEED)
    rows = list(Record.objects.order_by("id").values_list("title", "author_text"))
    runs = [run for row in rows for text in row for run in _CJK_RUN.findall(text)]
    words = [w.lower() for title, _ in rows for w in _WORD.findall(title)]
    s2t = opencc.OpenCC("s2t")
    chinese = []
    for _ in range(PER_KIND):
        run = rng.choice(runs)
        size = rng.randint(2, min(4, len(run)))
        start = rng.randrange(len(run) - size + 1)
        chinese.append(run[start : start + size])
    queries = [("as catalogued", q) for q in chinese]
    queries += [("traditional", s2t.convert(q)) for q in chinese]
    queries += [("latin", rng.choice(words)) for _ in range(PER_KIND)]
    return queries


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1]


def _server_cpu_s() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (a local server)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(args) -> None:
    setup_django(args.database_url)
    from django.db import connection

    from libreach.catalog.selectors import search_records

    records = load_catalogue()
    print(f"# {machine()}; database {connection.vendor}; records {records}")
    queries = draw_queries()
    for _, query in queries:  # warm the caches
        search_records(query=query)
    times, cpu, results = [], [], {}
    server = _server_cpu_s()
    for _, query in queries:
        started, started_cpu = time.perf_counter(), time.process_time()
        page = search_records(query=query)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        results[query] = [page.count, [r.pk for r in page.results]]
    figure("search_p50_ms", statistics.median(times), "ms")
    figure("search_p95_ms", _p95(times), "ms")
    # On a loaded machine: the CPU time of this process (SQLite runs in it; not PostgreSQL).
    figure("search_cpu_p50_ms", statistics.median(cpu), "ms")
    figure("search_cpu_p95_ms", _p95(cpu), "ms")
    if server is not None:  # PostgreSQL's backend on this machine: its CPU per query
        figure("server_cpu_mean_ms", (_server_cpu_s() - server) * 1000 / len(queries), "ms")
    for kind in dict.fromkeys(k for k, _ in queries):
        mine = [t for (k, _), t in zip(queries, times, strict=True) if k == kind]
        found = sum(1 for k, q in queries if k == kind and results[q][0])
        figure(f"p50_ms_{kind.replace(' ', '_')}", statistics.median(mine), "ms")
        figure(f"p95_ms_{kind.replace(' ', '_')}", _p95(mine), "ms")
        mine = [t for (k, _), t in zip(queries, cpu, strict=True) if k == kind]
        figure(f"cpu_p50_ms_{kind.replace(' ', '_')}", statistics.median(mine), "ms")
        figure(f"queries_finding_something_{kind.replace(' ', '_')}", found, f"of {PER_KIND}")
    if args.save:
        Path(args.save).write_text(json.dumps(results, ensure_ascii=False, indent=0))
    if args.compare:
        before = json.loads(Path(args.compare).read_text())
        same = [q for q in before if before[q] == results.get(q)]
        differ = [q for q in before if before[q] != results.get(q)]
        print(f"# same results as before: {len(same)} of {len(before)} queries")
        for query in differ:
            print(f"#   {query!r}: before {before[query]}, now {results.get(query)}")


def rebuild_index(args) -> None:
    import importlib

    setup_django(args.database_url)
    from django.db import connection

    records = load_catalogue()
    migration = importlib.import_module("libreach.catalog.migrations.0004_search_fold")
    with connection.schema_editor() as editor:
        migration.backwards(None, editor)
    with timed() as rebuilding, connection.schema_editor() as editor:
        migration.forwards(None, editor)
    print(f"# {machine()}; database {connection.vendor}; records {records}")
    figure("rebuild_index_s", rebuilding.wall, "s")
    figure("rebuild_index_ms_per_1000_records", rebuilding.wall / records * 1e6, "ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = f"sqlite:///{BENCH / 'results' / 'search-fold.sqlite3'}"
    parser.add_argument("--database-url", default=default)
    parser.add_argument("--save", help="write each query's results (JSON)")
    parser.add_argument("--compare", help="compare with results saved before")
    parser.add_argument("--rebuild-index", action="store_true")
    args = parser.parse_args()
    (BENCH / "results").mkdir(exist_ok=True)
    os.environ.setdefault("LIBREACH_HOME", str(BENCH / "results" / "home"))
    if args.rebuild_index:
        rebuild_index(args)
    else:
        run(args)


if __name__ == "__main__":
    main()

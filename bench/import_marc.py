"""MARC import rate against pymarc's bare parse rate of the same file, in the same run.

    python bench/import_marc.py [--records N] [--file PATH] [--inline] [--reimport]

Creates a fresh, migrated database (SQLite in a temporary directory; with DATABASE_URL
set to a PostgreSQL server, a temporary database there, dropped afterwards), then:

- parse: iterates pymarc's MARCReader over the file and touches every field of every
  record (the baseline), timed before and after the import; the faster run counts, so
  a busy machine cannot flatter the ratio;
- import: `catalog.marc_import.import_marc` into a new library, wall-clock time;
- with --reimport, the same file again (every record an update).

The default file is BooksAll.2016.part01.utf8 (250,000 LoC records) from
$LIBREACH_MARC_DIR, else .cache/marc (fetch it with scripts/get-marc-data.sh).
--records N takes the first N records (copied to a temporary file, so both sides read
the same bytes). --inline reads the file in the importing process instead of a child.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _common import figure, machine, peak_rss_mib, timed  # noqa: E402

MARC_NAME = "BooksAll.2016.part01.utf8"


def default_file() -> Path:
    base = os.environ.get("LIBREACH_MARC_DIR") or BENCH.parent / ".cache" / "marc"
    return Path(base) / MARC_NAME


def first_records(source: Path, count: int, target: Path) -> int:
    import pymarc

    written = 0
    with source.open("rb") as stream, target.open("wb") as out:
        reader = pymarc.MARCReader(stream, to_unicode=False, permissive=True)
        for _ in reader:
            if written == count:
                break
            out.write(reader.current_chunk)
            written += 1
    return written


def bare_parse(path: Path) -> int:
    """pymarc's own reading of the file: every record, every field touched."""
    import pymarc

    records = 0
    with path.open("rb") as stream:
        for record in pymarc.MARCReader(stream, to_unicode=True, permissive=True):
            records += 1
            if record is not None:
                for field in record.fields:
                    field.data if field.control_field else field.subfields  # noqa: B018
    return records


def fresh_database(workdir: Path) -> str | None:
    """Point Django at a new database; returns the PostgreSQL one to drop at the end."""
    url = os.environ.get("DATABASE_URL", "")
    os.environ["LIBREACH_HOME"] = str(workdir)
    if not url:
        return None
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("DATABASE_URL: only PostgreSQL (or none, for SQLite) is supported")
    name = f"libreach_bench_{uuid.uuid4().hex[:8]}"
    admin = url.rsplit("/", 1)[0] + "/" + config["NAME"]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
    return name


def drop_database(name: str, original_url: str) -> None:
    import dj_database_url
    import psycopg
    from django.db import connections

    connections.close_all()
    admin = original_url.rsplit("/", 1)[0] + "/" + dj_database_url.parse(original_url)["NAME"]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--records", type=int, default=None, help="only the first N records")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--inline", action="store_true", help="no reader process")
    parser.add_argument("--reimport", action="store_true", help="time a second import too")
    args = parser.parse_args()

    source = args.file or default_file()
    if not source.is_file():
        raise SystemExit(f"{source} not found: run scripts/get-marc-data.sh or pass --file")
    original_url = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory(prefix="libreach-bench-") as tmp:
        workdir = Path(tmp)
        path = source
        if args.records is not None:
            path = workdir / "sample.mrc"
            first_records(source, args.records, path)
        pg_name = fresh_database(workdir)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "libreach.settings")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from libreach.catalog.marc_import import import_marc
        from libreach.catalog.models import Item, Record
        from libreach.consortium.services import create_library

        try:
            call_command("migrate", verbosity=0)
            library = create_library(code="BENCH", name="Benchmark library")
            print(f"# {machine()}; database {connection.vendor}; file {path.name}")

            def run_import():
                return import_marc(
                    library=library,
                    path=path,
                    batch_size=args.batch_size,
                    background=False if args.inline else None,
                )

            with timed() as parse_before:
                records = bare_parse(path)
            with timed() as run:
                result = run_import()
            with timed() as parse_after:
                bare_parse(path)
            parse_seconds = min(parse_before.wall, parse_after.wall)
            parse_rate = records / parse_seconds
            import_rate = result.read / run.wall

            figure("records", records)
            figure("imported", result.imported)
            figure("skipped", result.skipped)
            figure("items", Item.objects.filter(library=library).count())
            assert Record.objects.filter(library=library).count() == result.imported
            figure("parse_rate_records_per_s", parse_rate, "records/s")
            figure(
                "import_rate_records_per_s",
                import_rate,
                "records/s",
                baseline=parse_rate,
                baseline_name="parse",
            )
            figure("ratio", import_rate / parse_rate)
            figure("import_seconds", run.wall, "s")
            figure("import_cpu_seconds_main", run.cpu, "s")
            if args.reimport:
                with timed() as again:
                    second = run_import()
                assert second.updated == result.imported, second.summary()
                figure(
                    "reimport_rate_records_per_s",
                    second.read / again.wall,
                    "records/s",
                    baseline=parse_rate,
                    baseline_name="parse",
                )
            figure("load_average_at_end", os.getloadavg()[0])
            figure("peak_rss_mib", peak_rss_mib(), "MiB")
            figure("peak_rss_reader_mib", peak_rss_mib(children=True), "MiB")
        finally:
            if pg_name:
                drop_database(pg_name, original_url)


if __name__ == "__main__":
    main()

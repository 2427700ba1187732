"""Document delivery routing: 10,000 requests over 100 members' holdings.

    python bench/docdelivery.py [--file PATH] [--database-url URL] [--rebuild]
        [--requests N] [--baseline N]

Builds once (reused while it holds records) a consortium of 100 members and a union
catalogue of 250,000 records: 25,000 works read from the Library of Congress file (real
titles, years and ISBNs, second ISBNs kept; about 70% with an ISBN), each held by 1 to
19 members (about 10) with 1 to 3 copies, a tenth of the copies withdrawn, missing or on
loan; 2,000 journals with valid ISSNs, each held by about 15 members over a range of
years; a year of rota history (40,000 entries) for the ratios and response hours.

Then 10,000 requests (fixed seed), from readers of every member: 55% books by ISBN (a
tenth of them by a record's second ISBN), 15% books and chapters by title and year, 25%
articles by ISSN and year, 5% articles by journal title. They are routed together with
`docdelivery.lenders.route_many` (what `rank_lenders_many` does for one member's). Target: all in
under 10 s on SQLite.

Baseline, in the same run: the first 500 requests one at a time with `rank_lenders`
(a query set per request, as a loop over requests would do), as requests per second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _common import figure, machine, peak_rss_mib, timed  # noqa: E402

RESULTS = BENCH / "results"
MARC_NAME = "BooksAll.2016.part01.utf8"
SEED = 2020
MEMBERS = 100
RECORDS = 250_000
WORKS = 25_000
JOURNALS = 2_000
ROTA_HISTORY = 40_000


def default_file() -> Path:
    base = os.environ.get("LIBREACH_MARC_DIR") or BENCH.parent / ".cache" / "marc"
    return Path(base) / MARC_NAME


def setup_django(database_url: str) -> None:
    if database_url.startswith("postgres"):
        from search import _create_pg_database

        _create_pg_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("LIBREACH_HOME", str(RESULTS / "home"))
    os.environ.setdefault("LIBREACH_SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "libreach.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


# --- the consortium -------------------------------------------------------------------------


def read_works(path: Path, rng: random.Random) -> list[dict]:
    """WORKS works from the MARC file: title, year, ISBN-13s (about 70% with one)."""
    import pymarc

    from libreach.catalog.isbn import normalize_isbn

    with_isbn, without = [], []
    want_with = int(WORKS * 0.7)
    with path.open("rb") as handle:
        for record in pymarc.MARCReader(handle, to_unicode=True, force_utf8=True):
            if record is None or not record.title:
                continue
            isbns = []
            for fld in record.get_fields("020"):
                isbn = normalize_isbn(" ".join(fld.get_subfields("a")))
                if isbn and isbn not in isbns:
                    isbns.append(isbn)
            work = {
                "title": record.title.rstrip(" /:;,.").strip()[:500],
                "year": (record.pubyear or "").strip(" .[]c")[:16],
                "isbns": isbns,
            }
            if isbns and len(with_isbn) < want_with:
                with_isbn.append(work)
            elif not isbns and len(without) < WORKS - want_with:
                without.append(work)
            if len(with_isbn) >= want_with and len(without) >= WORKS - want_with:
                break
    works = with_isbn + without
    rng.shuffle(works)
    return works


def _issn(n: int) -> str:
    from stdnum import issn

    digits = f"{n:07d}"
    return issn.format(digits + issn.calc_check_digit(digits))


def build(path: Path) -> None:
    from django.db import transaction
    from django.utils import timezone

    from libreach.accounts.models import ReaderProfile, User
    from libreach.catalog.callnumbers import shelving_key
    from libreach.catalog.models import Item, ItemStatus, JournalHolding, Record
    from libreach.catalog.search import optimize_index
    from libreach.catalog.services import search_columns
    from libreach.catalog.titles import title_key
    from libreach.consortium.models import Library
    from libreach.docdelivery.models import DocRequest, RotaEntry, RotaStatus

    rng = random.Random(SEED)
    works = read_works(path, rng)
    libraries = Library.objects.bulk_create(
        Library(code=f"M{n:03d}", name=f"成员馆{n:03d}") for n in range(MEMBERS)
    )
    ids = [library.pk for library in libraries]
    made = 0
    barcode = 0
    batch: list[tuple[Record, int]] = []
    with timed() as building:
        while made < RECORDS:
            for work in works:
                if made >= RECORDS:
                    break
                holders = rng.sample(ids, min(rng.randint(1, 19), RECORDS - made))
                for library_id in holders:
                    columns = search_columns(authors=[], isbns=work["isbns"], call_numbers=[])
                    record = Record(
                        library_id=library_id, title=work["title"], year=work["year"],
                        isbn=work["isbns"][0] if work["isbns"] else "", **columns,
                    )  # fmt: skip
                    batch.append((record, rng.randint(1, 3)))
                    made += 1
                if len(batch) >= 5000 or made >= RECORDS:
                    with transaction.atomic():
                        records = Record.objects.bulk_create([r for r, _ in batch])
                        items = []
                        for record, copies in zip(records, (c for _, c in batch), strict=True):
                            for _ in range(copies):
                                barcode += 1
                                roll = rng.random()
                                status = (
                                    ItemStatus.WITHDRAWN if roll < 0.03
                                    else ItemStatus.MISSING if roll < 0.05
                                    else ItemStatus.ON_LOAN if roll < 0.10
                                    else ItemStatus.AVAILABLE
                                )  # fmt: skip
                                items.append(
                                    Item(
                                        record=record,
                                        library_id=record.library_id,
                                        barcode=f"{barcode:09d}",
                                        status=status,
                                        shelving_key=shelving_key(""),
                                    )  # fmt: skip
                                )
                        Item.objects.bulk_create(items, batch_size=5000)
                    batch = []
    figure("build_records_per_s", made / building.wall, "records/s")
    holdings = []
    for n in range(JOURNALS):
        title = f"Journal of bench studies {n}" if n % 4 else f"图书馆学研究第{n}辑"
        issn, eissn = _issn(1000000 + n * 7), _issn(5000000 + n * 7) if n % 2 else ""
        for library_id in rng.sample(ids, rng.randint(5, 25)):
            first = rng.choice([None, 1990, 2000, 2010])
            last = rng.choice([None, None, 2015, 2020])
            holdings.append(
                JournalHolding(
                    library_id=library_id,
                    issn=issn,
                    eissn=eissn,
                    title=title,
                    title_key=title_key(title),
                    first_year=first,
                    last_year=last,
                )  # fmt: skip
            )
    JournalHolding.objects.bulk_create(holdings, batch_size=5000)
    # A year of rota history: one reader per member, requests supplied or not.
    users = User.objects.bulk_create(User(username=f"bench{n}", name="读者") for n in ids)
    readers = ReaderProfile.objects.bulk_create(
        ReaderProfile(
            user=user, library_id=library_id, card_number=f"B{library_id}", reader_type="staff"
        )
        for user, library_id in zip(users, ids, strict=True)
    )
    now = timezone.now()
    requests = []
    for n in range(ROTA_HISTORY):
        reader = rng.choice(readers)
        created = now - dt.timedelta(hours=rng.randint(1, 360 * 24))
        requests.append(
            DocRequest(
                library_id=reader.library_id,
                reader=reader,
                type="article",
                title="bench",
                citation_key=f"h{n}",
                status="completed",
                created_at=created,
                updated_at=created,
            )  # fmt: skip
        )
    requests = DocRequest.objects.bulk_create(requests, batch_size=5000)
    entries = []
    for request in requests:
        lender = rng.choice(ids)
        while lender == request.library_id:
            lender = rng.choice(ids)
        sent = request.created_at + dt.timedelta(hours=1)
        entries.append(
            RotaEntry(
                request=request,
                position=1,
                lender_id=lender,
                sent_at=sent,
                status=RotaStatus.SUPPLIED if rng.random() < 0.77 else RotaStatus.UNFILLED,
                answered_at=sent + dt.timedelta(hours=rng.expovariate(1 / (2 + lender % 30))),
            )  # fmt: skip
        )
    RotaEntry.objects.bulk_create(entries, batch_size=5000)
    optimize_index()


# --- the requests ----------------------------------------------------------------------------


def draw_requests(count: int) -> list[tuple[int, dict]]:
    """(requester id, citation) pairs with a fixed seed."""
    from libreach.catalog.models import JournalHolding, Record
    from libreach.consortium.models import Library

    rng = random.Random(SEED + 1)
    ids = list(Library.objects.order_by("id").values_list("id", flat=True))
    records = list(Record.objects.values_list("title", "year", "isbn", "isbns"))
    sample = rng.sample(records, min(len(records), 30_000))
    with_isbn = [r for r in sample if r[2]]
    second = [(r, i) for r in sample for i in r[3].split() if len(i) == 13 and i != r[2]]
    without = [r for r in sample if not r[2]]
    journals = list(JournalHolding.objects.values_list("issn", "eissn", "title").distinct())
    drawn = []
    for _ in range(count):
        roll = rng.random()
        requester = rng.choice(ids)
        if roll < 0.55:
            if second and rng.random() < 0.1:
                (_title, _year, _isbn, _), isbn = rng.choice(second)
            else:
                isbn = rng.choice(with_isbn)[2]
            citation = {"type": "book", "isbn": isbn}
        elif roll < 0.70:
            title, year, _isbn, _ = rng.choice(without)
            citation = {"type": rng.choice(["book", "chapter"]), "title": title, "year": year}
        elif roll < 0.95:
            issn, eissn, _title = rng.choice(journals)
            number = eissn if eissn and rng.random() < 0.3 else issn
            citation = {"type": "article", "issn": number, "year": str(rng.randint(1995, 2024))}
        else:
            _issn_, _eissn, title = rng.choice(journals)
            citation = {"type": "article", "title": title, "year": str(rng.randint(1995, 2024))}
        drawn.append((requester, citation))
    return drawn


def run(database_url: str, path: Path, rebuild: bool, count: int, baseline_count: int) -> None:
    setup_django(database_url)
    from django.db import connection

    from libreach.catalog.models import Item, JournalHolding, Record
    from libreach.consortium.models import Library
    from libreach.docdelivery.lenders import rank_lenders, route_many
    from libreach.docdelivery.models import DocRequest

    print(f"# {machine()}; database {connection.vendor}")
    if rebuild:
        for model in (DocRequest, Item, Record, JournalHolding):
            model.objects.all().delete()
    if not Record.objects.exists():
        if not path.is_file():
            raise SystemExit(f"{path} not found: run scripts/get-marc-data.sh or pass --file")
        build(path)
    figure("members", Library.objects.count())
    figure("records", Record.objects.count())
    figure("items", Item.objects.count())
    figure("journal_holdings", JournalHolding.objects.count())
    drawn = draw_requests(count)

    baseline_requests = drawn[:baseline_count]
    with timed() as one_at_a_time:
        baseline_found = [
            rank_lenders(requester_id=requester, **citation)
            for requester, citation in baseline_requests
        ]
    baseline_rate = len(baseline_requests) / one_at_a_time.wall

    with timed() as routing:
        found = route_many(drawn)
    assert found[:baseline_count] == baseline_found, "batched and one-at-a-time disagree"
    routed = sum(1 for candidates in found if candidates)
    figure("baseline_requests_per_s", baseline_rate, "requests/s")
    figure("routing_s", routing.wall, "s")
    figure("routing_cpu_s", routing.cpu, "s")
    figure(
        "requests_per_s", len(drawn) / routing.wall, "requests/s",
        baseline=baseline_rate, baseline_name="one at a time",
    )  # fmt: skip
    figure("requests_with_a_lender_pct", 100 * routed / len(drawn), "%")
    figure("mean_candidates", sum(len(c) for c in found) / len(found))
    figure("peak_rss_mib", peak_rss_mib(), "MiB")
    print(
        f"target: {len(drawn):,} routed in under 10 s: {'met' if routing.wall < 10 else 'NOT met'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=default_file())
    parser.add_argument("--database-url", default=f"sqlite:///{RESULTS / 'docdelivery.sqlite3'}")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=500)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    run(args.database_url, args.file, args.rebuild, args.requests, args.baseline)


if __name__ == "__main__":
    main()

"""Two desks lend the last copy at the same moment: exactly one loan, the other 409."""

import os
import subprocess
import sys
import threading

import pytest
from django.db import connection, connections

from libreach.accounts.models import ReaderProfile
from libreach.catalog.models import Item, ItemStatus
from libreach.circulation import services
from libreach.circulation.models import Loan
from libreach.core.errors import Conflict


def _run_on_a_file_database(tmp_path) -> None:
    env = {**os.environ, "LIBREACH_TEST_SQLITE_NAME": str(tmp_path / "circ.sqlite3")}
    env.pop("DATABASE_URL", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{__file__}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "1 passed" in run.stdout


@pytest.mark.django_db(transaction=True)
def test_two_checkouts_of_the_last_copy(circ, tmp_path):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Threads share an in-memory database only through SQLite's shared cache, whose
        # table locks fail at once instead of waiting; production SQLite is a file. So
        # run this same test again in a pytest process whose test database is a file.
        _run_on_a_file_database(tmp_path)
        return
    readers = [circ.reader.pk, circ.other_reader.pk]
    barrier = threading.Barrier(len(readers))
    results: list[object] = []

    def desk(reader_pk: int) -> None:
        try:
            item = Item.objects.get(pk=circ.item.pk)
            reader = ReaderProfile.objects.get(pk=reader_pk)
            barrier.wait(timeout=30)
            services.checkout(item=item, reader=reader)
            results.append("loan")
        except Conflict as exc:
            results.append(exc.code)
        except Exception as exc:  # reported by the assertion below
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=desk, args=(pk,)) for pk in readers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(map(str, results)) == ["invalid_transition", "loan"]
    assert Loan.objects.filter(item=circ.item).count() == 1
    assert Item.objects.get(pk=circ.item.pk).status == ItemStatus.ON_LOAN

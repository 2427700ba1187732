"""Two desks lend the last copy at the same moment: exactly one loan, the other 409."""

import threading

import pytest
from django.db import connection, connections

from libreach.accounts.models import ReaderProfile
from libreach.catalog.models import Item, ItemStatus
from libreach.circulation import services
from libreach.circulation.models import Loan
from libreach.core.errors import Conflict


@pytest.mark.django_db(transaction=True)
def test_two_checkouts_of_the_last_copy(circ):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Threads share an in-memory database only through SQLite's shared cache, whose
        # table locks fail at once instead of waiting. The test database is a file
        # unless LIBREACH_TEST_SQLITE_NAME says otherwise (settings.py).
        pytest.skip("needs a file database: threads cannot wait for in-memory locks")
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

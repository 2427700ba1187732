"""The demo consortium `libreach demo` loads: three member libraries with buildings,
pickup points and hours, readers of each type, staff of each role, a consortium admin,
and a catalogue of real records (Library of Congress MARC 21 records from pymarc's
sample data, and Chinese books catalogued in CNMARC with 中图法 call numbers).

Loading is idempotent: what exists is kept, what is missing is added.
"""

import datetime as dt
import gzip
import io
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pymarc
from django.db import transaction

from libreach.accounts import services as account_services
from libreach.accounts.models import ReaderProfile, StaffMembership, User
from libreach.catalog.models import Record
from libreach.consortium import services as consortium_services
from libreach.consortium.models import Building, Library, OpeningHours, ServicePoint

DATA = Path(__file__).resolve().parent.parent / "demo_data"
PASSWORD = "libreach-demo"
# The demo's proxy pickup: the proxy's name and the whole ID number the desk asks for at
# handover. The request keeps only a hash and the last four digits, so the demo prints
# these with the logins (proxy_pickup_lines) for a tester to complete the handover.
DEMO_PROXY = ("陈静", "110101199203154321")

LIBRARIES = [
    # code, name, English name, buildings, service points
    (
        "JHU",
        "京华大学图书馆",
        "Jinghua University Library",
        [
            ("DORM1", "学生宿舍1号楼"),
            ("DORM2", "学生宿舍2号楼"),
            ("GRAD", "研究生公寓"),
            ("CHEM", "化学楼"),
            ("ADMIN", "行政楼"),
        ],
        [("EAST", "总馆东门取书点", True, 15, 8), ("DESK", "总馆服务台", False, 30, 10)],
    ),
    (
        "YSNU",
        "燕山师范大学图书馆",
        "Yanshan Normal University Library",
        [("DORM-A", "学生公寓A座"), ("DORM-B", "学生公寓B座"), ("TEACH", "教学楼")],
        [("MAIN", "图书馆正门", True, 20, 6)],
    ),
    (
        "NIT",
        "北方理工大学图书馆",
        "Northern Institute of Technology Library",
        [("D10", "10号宿舍楼"), ("LAB", "实验楼"), ("OFFICE", "科研楼")],
        [("NORTH", "北门取书点", True, 30, 10), ("BRANCH", "理科分馆", True, 30, 5)],
    ),
]

READERS = [
    # card suffix, name, reader type, department, building index
    ("0001", "张明", "undergraduate", "计算机学院", 0),
    ("0002", "李华", "graduate", "化学学院", 1),
    ("0003", "王芳", "faculty", "历史学系", 2),
    ("0004", "赵强", "staff", "后勤处", None),
]

STAFF = [
    ("circ", "流通部馆员", "circulation"),
    ("ref", "参考咨询馆员", "reference"),
    ("admin", "图书馆管理员", "admin"),
    ("vol", "学生志愿者", "volunteer"),
]


@dataclass
class Login:
    who: str
    username: str
    password: str


def _ensure_library(code, name, name_en, buildings, points) -> Library:
    library = Library.objects.filter(code=code).first() or consortium_services.create_library(
        code=code, name=name, name_en=name_en
    )
    for b_code, b_name in buildings:
        if not Building.objects.filter(library=library, code=b_code).exists():
            consortium_services.create_building(library=library, code=b_code, name=b_name)
    for p_code, p_name, pickup, minutes, capacity in points:
        if not ServicePoint.objects.filter(library=library, code=p_code).exists():
            consortium_services.create_service_point(
                library=library,
                code=p_code,
                name=p_name,
                is_pickup=pickup,
                slot_minutes=minutes,
                slot_capacity=capacity,
            )
    if not OpeningHours.objects.filter(library=library).exists():
        weekday = [(dt.time(8, 0), dt.time(22, 0))]
        weekend = [(dt.time(9, 0), dt.time(17, 0))]
        consortium_services.set_weekly_hours(
            library=library, hours={d: weekday if d < 5 else weekend for d in range(7)}
        )
    return library


def _ensure_people(library: Library, index: int) -> list[Login]:
    logins = []
    prefix = library.code.lower()
    for suffix, role_name, role in STAFF:
        username = f"{prefix}-{suffix}"
        if not User.objects.filter(username=username).exists():
            account_services.create_staff(
                library=library, username=username, password=PASSWORD, name=role_name, role=role
            )
        elif not StaffMembership.objects.filter(user__username=username, role=role).exists():
            user = User.objects.get(username=username)
            account_services.grant_role(user=user, library=library, role=role)
        logins.append(Login(f"{library.code} {role}", username, PASSWORD))
    buildings = list(Building.objects.filter(library=library).order_by("id"))
    for suffix, name, reader_type, department, building in READERS:
        card = f"{2020 + index}{suffix}"
        if not ReaderProfile.objects.filter(card_number=card).exists():
            account_services.create_reader(
                library=library,
                card_number=card,
                name=name,
                reader_type=reader_type,
                department=department,
                building=buildings[building].code if building is not None else None,
                email=f"{card}@{prefix}.example.edu.cn",
                password=PASSWORD,
            )
        logins.append(Login(f"{library.code} reader ({reader_type})", card, PASSWORD))
    return logins


def chinese_books_marc(library: Library, *, share: float, seed: int) -> bytes:
    """CNMARC (UNIMARC) records of the demo's Chinese books, as this library holds them."""
    rng = random.Random(seed)
    out = io.BytesIO()
    lines = (DATA / "chinese-books.tsv").read_text(encoding="utf-8").splitlines()
    number = 0
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        title, authors, publisher, year, clc, book_no, copies, location = line.split("\t")
        number += 1
        if rng.random() > share:
            continue
        names = authors.split(";")
        record = pymarc.Record(force_utf8=True, leader="     nam0 22        450 ")
        record.add_field(
            pymarc.Field(tag="001", data=f"DEMO-ZH-{number:04d}"),
            pymarc.Field(
                tag="100",
                indicators=[" ", " "],
                subfields=[pymarc.Subfield("a", f"20200203d{year}    em y0chiy50      ea")],
            ),
            pymarc.Field(tag="101", indicators=["0", " "], subfields=[pymarc.Subfield("a", "chi")]),
            pymarc.Field(
                tag="200",
                indicators=["1", " "],
                subfields=[pymarc.Subfield("a", title), pymarc.Subfield("f", "，".join(names))],
            ),
            pymarc.Field(
                tag="210",
                indicators=[" ", " "],
                subfields=[
                    pymarc.Subfield("a", "北京"),
                    pymarc.Subfield("c", publisher),
                    pymarc.Subfield("d", year),
                ],
            ),
            pymarc.Field(
                tag="690",
                indicators=[" ", " "],
                subfields=[pymarc.Subfield("a", clc), pymarc.Subfield("v", "5")],
            ),
        )
        for i, name in enumerate(names):
            record.add_field(
                pymarc.Field(
                    tag="701" if i == 0 else "702",
                    indicators=[" ", "0"],
                    subfields=[pymarc.Subfield("a", name), pymarc.Subfield("4", "070")],
                )
            )
        for copy in range(1, int(copies) + 1):
            record.add_field(
                pymarc.Field(
                    tag="905",
                    indicators=[" ", " "],
                    subfields=[
                        pymarc.Subfield("a", library.code),
                        pymarc.Subfield("b", f"{library.code}{number:04d}{copy:02d}"),
                        pymarc.Subfield("c", location),
                        pymarc.Subfield("d", clc),
                        pymarc.Subfield("e", book_no),
                        pymarc.Subfield("f", f"c.{copy}" if int(copies) > 1 else ""),
                    ],
                )
            )
        out.write(record.as_marc())
    return out.getvalue()


def loc_records_for(library_index: int, libraries: int) -> bytes:
    """Every n-th record of the Library of Congress sample, so each library holds its own."""
    out = io.BytesIO()
    with gzip.open(DATA / "loc-books-sample.mrc.gz", "rb") as handle:
        reader = pymarc.MARCReader(handle, to_unicode=True, force_utf8=True, permissive=True)
        for position, record in enumerate(reader):
            if record is not None and position % libraries == library_index:
                out.write(record.as_marc())
    return out.getvalue()


def load_demo(*, stdout=None, progress=None) -> list[Login]:
    """Create or complete the demo consortium; return the logins to print. `progress`,
    given a label, returns the callback an import reports its bytes to."""
    from libreach.catalog.marc_import import import_marc

    logins: list[Login] = []
    with transaction.atomic():
        admin = User.objects.filter(username="consortium").first()
        if admin is None:
            User.objects.create_superuser(
                username="consortium",
                password=PASSWORD,
                name="联盟秘书处",
                email="secretariat@example.edu.cn",
            )
        logins.append(Login("consortium admin (also /admin/)", "consortium", PASSWORD))
        libraries = []
        for index, spec in enumerate(LIBRARIES):
            library = _ensure_library(*spec)
            libraries.append(library)
            logins.extend(_ensure_people(library, index))

    for index, library in enumerate(libraries):
        if Record.objects.filter(library=library).exists():
            continue
        for label, data in (
            (
                "Chinese books (CNMARC)",
                chinese_books_marc(library, share=1 - 0.2 * index, seed=index),
            ),
            ("Library of Congress sample", loc_records_for(index, len(libraries))),
        ):
            with tempfile.NamedTemporaryFile(suffix=".mrc") as handle:
                handle.write(data)
                handle.flush()
                result = import_marc(
                    library=library,
                    path=handle.name,
                    on_progress=progress(f"  {library.code}: {label}") if progress else None,
                )
            if stdout:
                stdout.write(f"  {library.code}: {label}: {result.summary()}")
    _ensure_contactless(libraries[0])
    _ensure_loans(libraries[0])
    _ensure_basket(libraries[0])
    return logins


def _ensure_contactless(library: Library) -> None:
    """A morning at the desk: requests in each state, one delivery run for the volunteer.

    Made through the services, as readers and staff would, and only once.
    """
    from django.utils import timezone

    from libreach.catalog.models import ItemStatus
    from libreach.contactless import services
    from libreach.contactless.models import BorrowRequest

    if BorrowRequest.objects.filter(library=library).exists():
        return
    staff = User.objects.get(username=f"{library.code.lower()}-circ")
    volunteer = User.objects.get(username=f"{library.code.lower()}-vol")
    readers = list(User.objects.filter(reader__library=library).order_by("reader__card_number"))
    # Chinese records with an available copy, in a stable order.
    records = list(
        Record.objects.filter(library=library, language="chi", items__status=ItemStatus.AVAILABLE)
        .order_by("id")
        .distinct()[:13]
    )
    if len(records) < 13 or len(readers) < 3:
        return
    now = timezone.now()
    point = ServicePoint.objects.filter(library=library, is_pickup=True).order_by("code").first()

    def request(reader, mode, books, hours_ago, **extra):
        return services.submit_request(
            user=reader,
            library=library,
            mode=mode,
            lines=[services.LineSpec(record_id=r.id) for r in books],
            service_point_code=None if mode == "delivery" else point.code,
            at=now - dt.timedelta(hours=hours_ago),
            **extra,
        )

    def pick(req, not_found=()):
        for line in req.lines.order_by("position"):
            if line.record_id in not_found:
                services.mark_not_found(
                    request_id=req.pk, line_id=line.pk, by=staff, reason="not_on_shelf"
                )
            else:
                services.mark_found(request_id=req.pk, line_id=line.pk, by=staff)

    delivered = request(readers[0], "delivery", records[0:2], 30)
    pick(delivered)
    services.disinfect(request_id=delivered.pk, by=staff, method="uv", minutes=30)
    services.stage(request_id=delivered.pk, by=staff)
    services.dispatch(request_id=delivered.pk, by=staff)
    services.handover(request_id=delivered.pk, by=staff, pickup_code=delivered.pickup_code)

    on_the_way = request(readers[1], "delivery", records[2:4], 20)
    pick(on_the_way, not_found={records[3].id})
    services.disinfect(request_id=on_the_way.pk, by=staff, method="uv", minutes=30)
    services.stage(request_id=on_the_way.pk, by=staff)
    run = services.create_run(library=library, by=staff, assignee=volunteer)
    services.dispatch_run(run_id=run.pk, by=volunteer)

    waiting = request(readers[2], "pickup", records[4:6], 6)
    pick(waiting)
    services.disinfect(request_id=waiting.pk, by=staff, method="wipe", minutes=10)
    services.stage(request_id=waiting.pk, by=staff)

    # Staged, then called off (the reader has left campus): its copy waits on the desk's
    # returns page to be checked in, not straight back on the shelf.
    called_off = request(readers[1], "pickup", records[12:13], 8)
    pick(called_off)
    services.stage(request_id=called_off.pk, by=staff)
    services.cancel_request(request_id=called_off.pk, by=staff)

    request(
        readers[0],
        "proxy",
        records[6:7],
        3,
        proxy=services.Proxy(*DEMO_PROXY),
    )
    request(readers[1], "delivery", records[7:10], 2)
    request(readers[2], "pickup", records[10:12], 1)


def proxy_pickup_lines() -> list[str]:
    """What a tester needs to hand over the demo's proxy pickup: its request, reader and
    pickup code, the proxy's name and whole ID number. None of it once it is collected
    or closed, or if the demo has none."""
    from libreach.contactless.models import OPEN_REQUEST_STATES, BorrowRequest, Mode

    name, id_number = DEMO_PROXY
    request = (
        BorrowRequest.objects.select_related("library", "reader")
        .filter(
            mode=Mode.PROXY,
            proxy_name=name,
            proxy_id_last4=id_number[-4:],
            status__in=OPEN_REQUEST_STATES,
        )
        .order_by("id")
        .first()
    )
    if request is None:
        return []
    code = request.library.code
    return [
        f"Proxy pickup to try: {code} request #{request.pk} (No. {request.queue_number}), "
        f"reader {request.reader.card_number}, now {request.status}",
        f"  proxy {name}, ID number {id_number}, pickup code {request.pickup_code}",
        f"  Pick and stage it at /desk/{code}/, then hand it over at /desk/{code}/handover/ "
        f"as {code.lower()}-circ.",
    ]


def _ensure_loans(library: Library) -> None:
    """The first reader's loans page: two due soon, one overdue, one renewed to the
    limit (so it says why it cannot be renewed again), and a history of returned loans,
    one of them late with a fine; the second reader has one due soon. Made through the
    circulation services at past moments, and only once.
    """
    from django.utils import timezone

    from libreach.catalog.models import Item, ItemStatus
    from libreach.circulation import services
    from libreach.circulation.models import Loan

    if Loan.objects.filter(library=library, returned_at__isnull=False).exists():
        return
    readers = list(ReaderProfile.objects.filter(library=library).order_by("card_number")[:2])
    # Copies far from the ones the contactless requests took (those are the first ids).
    items = list(
        Item.objects.filter(library=library, status=ItemStatus.AVAILABLE, loanable=True)
        .select_related("library")
        .order_by("-id")[:30]
    )
    if len(readers) < 2 or len(items) < 30:
        return
    now = timezone.now()
    day = dt.timedelta(days=1)
    # Returned loans, a week apart, the latest returned first on the history page.
    for n in range(24):
        out = now - (200 - 7 * n) * day
        services.checkout(item=items[n], reader=readers[0], at=out)
        services.checkin(item=items[n], at_library=library, at=out + 12 * day)
    services.checkout(item=items[24], reader=readers[0], at=now - 45 * day)  # late: a fine
    services.checkin(item=items[24], at_library=library, at=now - 8 * day)
    # Open loans: the policy lends for 30 days, so these fall due tomorrow, in two days
    # and three days ago.
    for n, days_ago in ((25, 29), (26, 28), (27, 33)):
        services.checkout(item=items[n], reader=readers[0], at=now - days_ago * day)
    limit = services.checkout(item=items[28], reader=readers[0], at=now - 5 * day)
    services.renew(loan=limit, at=now - 5 * day)
    services.renew(loan=limit, at=now - 4 * day)
    services.checkout(item=items[29], reader=readers[1], at=now - 28 * day)


def _ensure_basket(library: Library) -> None:
    """The first reader's basket: one book to send, and one they already have on loan (put
    in the basket on their phone before the desk lent it), so the basket marks it and the
    request form offers to remove it. Only once."""
    from django.utils import timezone

    from libreach.catalog.models import ItemStatus
    from libreach.circulation.models import Loan
    from libreach.contactless import basket
    from libreach.contactless.models import BasketLine

    reader = ReaderProfile.objects.filter(library=library).order_by("card_number").first()
    if reader is None or BasketLine.objects.filter(reader=reader).exists():
        return
    loan = (
        Loan.objects.filter(reader=reader, returned_at=None)
        .select_related("item__record")
        .order_by("id")
        .first()
    )
    # Past the books the demo's requests took (the first available ones).
    fresh = list(
        Record.objects.filter(library=library, language="chi", items__status=ItemStatus.AVAILABLE)
        .order_by("id")
        .distinct()[20:21]
    )
    if loan is None or not fresh:
        return
    basket.add(reader, record_id=fresh[0].pk)
    # Straight in: the basket itself refuses a book the reader has.
    BasketLine.objects.create(
        reader=reader,
        library=library,
        record=loan.item.record,
        added_at=timezone.now() - dt.timedelta(days=2),
    )

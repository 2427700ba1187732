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
import textwrap
from dataclasses import dataclass
from decimal import Decimal
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
    # One commit for the whole story rather than one per step (each an fsync).
    with transaction.atomic():
        _ensure_docdelivery(libraries)
    from libreach.site.demo_eresources import load_eresources

    load_eresources(libraries)
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


# Document delivery (docdelivery): JHU's readers ask for articles and books its members
# hold. English articles are real papers; the Chinese ones are made up and carry no DOI.
NATURE_2020 = {
    "title": "Nature",
    "issn": "0028-0836",
    "year": "2020",
    "volume": "579",
    "issue": "7798",
}
DOC_ARTICLES = {
    "delivered": {
        **NATURE_2020,
        "article_title": "A pneumonia outbreak associated with a new coronavirus of probable "
        "bat origin",
        "authors": "Zhou P, Yang XL, Wang XG, et al.",
        "pages": "270-273",
        "doi": "10.1038/s41586-020-2012-7",
    },
    "cancelled": {
        **NATURE_2020,
        "article_title": "A new coronavirus associated with human respiratory disease in China",
        "authors": "Wu F, Zhao S, Yu B, et al.",
        "pages": "265-269",
        "doi": "10.1038/s41586-020-2008-3",
    },
    "unfilled": {
        "title": "The Lancet",
        "issn": "0140-6736",
        "year": "2020",
        "volume": "395",
        "issue": "10223",
        "article_title": "Clinical features of patients infected with 2019 novel coronavirus "
        "in Wuhan, China",
        "authors": "Huang C, Wang Y, Li X, et al.",
        "pages": "497-506",
        "doi": "10.1016/S0140-6736(20)30183-5",
    },
    "retry": {
        "title": "Science",
        "issn": "0036-8075",
        "year": "2020",
        "volume": "368",
        "issue": "6493",
        "article_title": "Projecting the transmission dynamics of SARS-CoV-2 through the "
        "postpandemic period",
        "authors": "Kissler SM, Tedijanto C, Goldstein E, et al.",
        "pages": "860-868",
        "doi": "10.1126/science.abb5793",
    },
    "sent": {
        "title": "化学学报",
        "issn": "0567-7351",
        "year": "2021",
        "volume": "79",
        "issue": "1",
        "article_title": "金属有机框架材料在气体吸附分离中的研究进展",
        "authors": "刘洋; 陈晓",
        "pages": "1-15",
    },
    "will_supply": {
        "title": "历史研究",
        "issn": "0459-1909",
        "year": "2019",
        "issue": "3",
        "article_title": "宋代城市商业与市民生活",
        "authors": "周文",
        "pages": "4-22",
    },
    "new": {
        "title": "计算机学报",
        "issn": "0254-4164",
        "year": "2022",
        "volume": "45",
        "issue": "2",
        "article_title": "基于深度学习的中文分词方法综述",
        "authors": "王磊; 李娜",
        "pages": "245-270",
    },
    "satisfied_locally": {
        "title": "中国图书馆学报",
        "issn": "1001-8867",
        "year": "2020",
        "volume": "46",
        "issue": "3",
        "article_title": "疫情期间高校图书馆文献传递服务的调查与思考",
        "authors": "张红",
        "pages": "4-16",
    },
    # A YSNU reader's request that JHU, as lender, finds in its incoming queue.
    "incoming": {
        "title": "Cell",
        "issn": "0092-8674",
        "year": "2020",
        "volume": "181",
        "issue": "2",
        "article_title": "Structure, function, and antigenicity of the SARS-CoV-2 spike "
        "glycoprotein",
        "authors": "Walls AC, Park YJ, Tortorici MA, et al.",
        "pages": "281-292",
        "doi": "10.1016/j.cell.2020.02.058",
    },
}


def demo_pdf(lines: list[str]) -> bytes:
    """A one-page PDF (A4, Helvetica) with `lines` of ASCII text: the demo's supplied copy,
    with a correct cross-reference table so that any PDF reader opens it."""
    text = "".join(
        "({}) Tj 0 -22 Td ".format(
            line.encode("ascii", "replace").decode().replace("\\", "\\\\").replace("(", "\\(")
            .replace(")", "\\)")
        )
        for line in lines
    )  # fmt: skip
    stream = f"BT /F1 12 Tf 60 780 Td {text}ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _ensure_journals(libraries: list[Library]) -> None:
    from libreach.catalog.models import JournalHolding
    from libreach.catalog.services import add_journal_holdings

    by_code = {library.code: library for library in libraries}
    rows: dict[str, list[dict]] = {}
    for line in (DATA / "journals.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, issn, eissn, title, first, last = line.split("\t")
        rows.setdefault(code, []).append(
            {"issn": issn, "eissn": eissn, "title": title, "first_year": first,
             "last_year": last}
        )  # fmt: skip
    for code, holdings in rows.items():
        library = by_code.get(code)
        if library and not JournalHolding.objects.filter(library=library).exists():
            add_journal_holdings(library, holdings)


def _ensure_docdelivery(libraries: list[Library]) -> None:
    """Document delivery across the demo consortium: each member's terms as a lender, the
    journals it holds, the consortium's fees, and JHU's readers' requests in every state,
    made through the services at past moments (rotas ranked from the holdings, a lender
    silent past its window losing its turn, a copy supplied as a PDF), only once."""
    from django.utils import timezone

    from libreach.catalog.models import ItemStatus
    from libreach.docdelivery import services
    from libreach.docdelivery.models import (
        DocDeliverySettings,
        DocRequest,
        FeeBasis,
        FeePolicy,
        FreePeriod,
        ServiceType,
    )

    home = libraries[0]
    # JHU and NIT answer within two working days, YSNU within one (CALIS's promise).
    for library, response_days in zip(libraries, (2, 1, 2), strict=False):
        DocDeliverySettings.objects.get_or_create(
            library=library, defaults={"response_days": response_days}
        )
    _ensure_journals(libraries)
    if not FeePolicy.objects.exists():
        FeePolicy.objects.create(
            service_type=ServiceType.COPY, basis=FeeBasis.PER_PAGE, price=Decimal("0.30"),
            minimum=Decimal("2.00"), valid_from=dt.date(2019, 1, 1),
            note="复制费每页0.30元，每篇不少于2元",
        )  # fmt: skip
        FeePolicy.objects.create(
            service_type=ServiceType.LOAN, basis=FeeBasis.PER_REQUEST, price=Decimal("20.00"),
            valid_from=dt.date(2019, 1, 1), note="馆际借书每册20元（含邮寄）",
        )  # fmt: skip
    if not FreePeriod.objects.exists():
        FreePeriod.objects.create(
            start=dt.date(2020, 2, 1), end=dt.date(2020, 6, 30),
            note="疫情期间文献传递免费，费用由联盟补贴",
        )  # fmt: skip
    if DocRequest.objects.filter(library=home).exists():
        return
    readers = list(User.objects.filter(reader__library=home).order_by("reader__card_number"))
    if len(readers) < 4 or len(libraries) < 3:
        return
    other_reader = (
        User.objects.filter(reader__library=libraries[1]).order_by("reader__card_number").first()
    )

    def staff(library: Library) -> User:
        return User.objects.get(username=f"{library.code.lower()}-circ")

    home_staff = staff(home)
    now = timezone.now()
    today = timezone.localdate(now)

    def day(days_ago: int, clock: str) -> dt.datetime:
        """`clock` (HH:MM, site time zone) on the day `days_ago` days before today: staff
        answer in their opening hours, whatever time the demo is loaded."""
        hour, minute = map(int, clock.split(":"))
        return dt.datetime.combine(
            today - dt.timedelta(days=days_ago),
            dt.time(hour, minute),
            tzinfo=timezone.get_default_timezone(),
        )

    def ask(reader, citation, at, type_="article", **extra):
        citation = DOC_ARTICLES[citation] if isinstance(citation, str) else citation
        library = Library.objects.get(pk=reader.reader.library_id)
        return services.submit(
            by=reader, library=library, type_=type_, citation=citation, at=at, **extra
        )

    def approve(request, at):
        services.approve(request_id=request.pk, by=staff(request.library), at=at)
        request.refresh_from_db()
        return request

    def lender_of(request):
        request.refresh_from_db()
        return staff(request.lender)

    # Two weeks ago: a book lent by another member, read and sent back.
    books = list(
        Record.objects.filter(items__status=ItemStatus.AVAILABLE)
        .exclude(library=home)
        .exclude(isbn="")
        .exclude(isbn__in=Record.objects.filter(library=home).exclude(isbn="").values("isbn"))
        .order_by("id")
        .distinct()[:2]
    )
    if len(books) == 2:
        lent = approve(ask(readers[3], _book_citation(books[0]), day(14, "09:12"), "book"),
                       day(14, "10:05"))  # fmt: skip
        services.will_supply(request_id=lent.pk, by=lender_of(lent), at=day(13, "09:30"))
        services.ship(request_id=lent.pk, by=lender_of(lent), at=day(13, "14:20"))
        services.receive(request_id=lent.pk, by=home_staff, at=day(11, "10:40"))
        services.return_loan(request_id=lent.pk, by=home_staff, at=day(4, "15:00"))
        services.complete(request_id=lent.pk, by=lender_of(lent), at=day(2, "09:50"))

    # Six days ago: the first lender has it on loan, the second never answers; its window
    # passes, the sweep passes the request on, and the rota ends unfilled with both reasons.
    unfilled = approve(ask(readers[0], "unfilled", day(6, "21:47")), day(5, "08:45"))
    services.unfilled(
        request_id=unfilled.pk, by=lender_of(unfilled), reason="InUseOnLoan",
        at=day(5, "10:30"),
    )  # fmt: skip
    services.pass_on_silent_lenders(at=day(2, "09:00"))

    # Four days ago: a Nature article, not on the first lender's shelf, supplied by the
    # second as a PDF the reader downloads.
    delivered = approve(ask(readers[0], "delivered", day(4, "22:15")), day(3, "08:50"))
    services.unfilled(
        request_id=delivered.pk, by=lender_of(delivered), reason="NotOnShelf",
        at=day(3, "11:20"),
    )  # fmt: skip
    article = DOC_ARTICLES["delivered"]
    services.supply(
        request_id=delivered.pk,
        by=lender_of(delivered),
        data=demo_pdf(
            [
                f"libreach document delivery - request {delivered.pk}",
                "",
                *textwrap.wrap(article["article_title"], 70),
                article["authors"],
                f"Nature {article['volume']}({article['issue']}): {article['pages']}, 2020",
                f"doi:{article['doi']}",
            ]
        ),
        at=day(2, "10:10"),
    )

    # Three days ago: the reader's library holds it in its e-resources.
    local = ask(readers[3], "satisfied_locally", day(3, "13:05"))
    services.satisfy_locally(
        request_id=local.pk, by=home_staff, note="本馆中国知网（CNKI）全文可获取",
        at=day(2, "09:20"),
    )  # fmt: skip

    # Two days ago: a doctoral thesis, which goes through CALIS's thesis service instead;
    # a book the lender has since shipped to JHU.
    thesis = ask(readers[0], {"title": "数字图书馆用户信息行为研究（博士学位论文）",
                              "authors": "陈明", "year": "2018"}, day(2, "20:30"), "book")  # fmt: skip
    services.reject(
        request_id=thesis.pk, by=home_staff,
        reason="学位论文请通过CALIS学位论文中心服务系统申请全文", at=day(1, "09:10"),
    )  # fmt: skip
    if len(books) == 2:
        shipped = approve(ask(readers[2], _book_citation(books[1]), day(2, "16:00"), "book"),
                          day(1, "08:40"))  # fmt: skip
        services.ship(request_id=shipped.pk, by=lender_of(shipped), at=day(1, "15:30"))

    # Yesterday: a lender will supply, one asks for a retry at a cost, one has not
    # answered yet (its window runs into tomorrow), a reader changed their mind; JHU as
    # lender has a YSNU reader's request in its queue. Today: one waits for review.
    will = approve(ask(readers[2], "will_supply", day(1, "11:00")), day(1, "11:30"))
    services.will_supply(request_id=will.pk, by=lender_of(will), at=day(1, "16:45"))
    retry = approve(ask(readers[1], "retry", day(1, "12:10")), day(1, "13:00"))
    services.retry(
        request_id=retry.pk, by=lender_of(retry), reason="CostExceedsMaxCost",
        cost=Decimal("30.00"), note="彩色图版需付费扫描", at=day(1, "17:05"),
    )  # fmt: skip
    approve(ask(readers[1], "sent", day(1, "18:40")), day(1, "19:30"))
    cancelled = ask(readers[1], "cancelled", day(1, "21:00"))
    services.cancel(request_id=cancelled.pk, by=readers[1], at=day(1, "21:20"))
    if other_reader is not None:
        approve(ask(other_reader, "incoming", day(1, "10:00")), day(1, "14:00"))
    ask(readers[0], "new", now - dt.timedelta(minutes=40), from_openurl=True)


def _book_citation(record: Record) -> dict:
    return {
        "title": record.title[:500],
        "authors": (record.author_text or "")[:500],
        "isbn": record.isbn,
        "year": str(record.year or "")[:16],
    }

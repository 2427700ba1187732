"""The accessibility walk: every reader and desk page, at 390 px and 1366 px, in Chinese
and in English, with axe-core (WCAG 2.0/2.1 A and AA: 0 violations) and the language of
parts (titles, names and notes in the other language carry `lang`, WCAG 3.1.2).

One data set per language: books with Chinese, English and a French title, in every state
a page shows (on the pick list, found and staged for pickup, in a delivery run, waiting
for check-in, on loan, returned and in quarantine), a closure with a note, a printed pick
slip. Each page is opened on both screens; every failure of every page is collected, and
the test fails once, with the whole list (the page, the rule, where).

The checks themselves (testing/axe.py) are tested first on pages written for the purpose,
so a walk that passes is known to be able to fail.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from libreach.catalog import services as catalog_services
from libreach.catalog.models import Item, ItemStatus, Record
from libreach.circulation import services as circulation_services
from libreach.circulation.closures import declare_closure
from libreach.circulation.models import CirculationSettings, LoanPolicy
from libreach.consortium import services as consortium_services
from libreach.consortium.models import ServicePoint
from libreach.contactless import services
from libreach.contactless.models import RequestLine
from libreach.testing.axe import (
    axe_violations,
    check_accessibility,
    format_violations,
    unmarked_parts,
)
from libreach.testing.browser import Page, assert_fits_the_screen, screenshot
from libreach.testing.fixtures import PASSWORD

pytestmark = pytest.mark.browser
D = dt.timedelta
DAY = [(dt.time(8), dt.time(22))]
# title, author, MARC language, call number, copies
BOOKS = [
    ("红楼梦", "曹雪芹", "chi", "I242.4/1", 3),
    ("The Selfish Gene", "Richard Dawkins", "eng", "Q343.1/7", 2),
    ("Le Petit Prince", "Antoine de Saint-Exupéry", "fre", "I565.88/2", 2),
    ("呐喊", "鲁迅", "chi", "I210.4/2", 1),
    ("A Brief History of Time", "Stephen Hawking", "eng", "P159/5", 2),
    # Not yet the reader's: added to the basket in the walk.
    ("论语译注", "杨伯峻", "chi", "B222.2/3", 1),
    ("Dune", "Frank Herbert", "eng", "I712.45/9", 1),
]
# Pages whose language of parts is known to be unmarked, the template that shows it and its
# owner, who is marking it (issue 8): `page name` -> why. Their axe-core check is never
# waived; their language-of-parts problems are printed, not failed. The list only shrinks.
LANGUAGE_PENDING: dict[str, str] = {}


class World:
    """PKU with hours, a loan policy and quarantine, books in every state a page shows."""

    def __init__(self, consortium):
        self.c = consortium
        lib = self.lib = consortium.lib
        for library in (lib, consortium.other_lib):
            consortium_services.set_weekly_hours(library=library, hours={d: DAY for d in range(7)})
        point = ServicePoint.objects.get(library=lib, code="MAIN")
        point.slot_minutes, point.slot_capacity = 30, 10
        point.save()
        LoanPolicy.objects.create(
            library=lib,
            reader_type="",
            loan_days=14,
            max_renewals=1,
            renewal_days=14,
            max_open_loans=10,
            fine_per_day_fen=10,
            hold_days=7,
        )
        CirculationSettings.objects.update_or_create(library=lib, defaults={"quarantine_hours": 72})
        self.records: dict[str, Record] = {}
        for n, (title, author, language, call_number, copies) in enumerate(BOOKS, start=1):
            self.records[title] = catalog_services.create_record(
                library=lib,
                title=title,
                authors=[author],
                language=language,
                call_number=call_number,
                items=[
                    catalog_services.ItemInput(
                        barcode=f"PKU{n:02}{copy}", location="书库", call_number=call_number
                    )
                    for copy in range(1, copies + 1)
                ],
            )
        reader, staff = consortium.reader, consortium.staff

        def request(mode: str, *titles: str, user=reader):
            return services.submit_request(
                user=user,
                library=lib,
                mode=mode,
                building_code="DORM1" if mode == "delivery" else None,
                lines=[services.LineSpec(record_id=self.records[t].pk) for t in titles],
                service_point_code="MAIN" if mode == "pickup" else None,
            )

        def found_and_staged(borrow_request):
            for line in borrow_request.lines.all():
                services.mark_found(request_id=borrow_request.pk, line_id=line.pk, by=staff)
            services.stage(request_id=borrow_request.pk, by=staff)

        # On the pick list (and its printed slip): a Chinese and an English title.
        self.picking = request("delivery", "红楼梦", "The Selfish Gene")
        self.slip = services.print_pick_slip(library=lib, by=staff)
        # Found and staged for pickup: French and Chinese, at the handover.
        self.pickup = request("pickup", "Le Petit Prince", "呐喊")
        found_and_staged(self.pickup)
        # Found, staged and in a volunteer's delivery run.
        self.delivery = request("delivery", "A Brief History of Time")
        found_and_staged(self.delivery)
        self.run = services.create_run(library=lib, by=staff, assignee=consortium.volunteer)
        # Staged, then cancelled by staff: its copy waits for check-in (returns).
        cancelled = request("delivery", "A Brief History of Time", user=consortium.other_reader)
        found_and_staged(cancelled)
        services.cancel_request(request_id=cancelled.pk, by=staff)
        self.returning = RequestLine.objects.get(request=cancelled).item
        # On loan (English title), and returned into quarantine (French title).
        profile = reader.reader
        circulation_services.checkout(item=self.on_shelf("The Selfish Gene"), reader=profile)
        returned = self.on_shelf("Le Petit Prince")
        circulation_services.checkout(item=returned, reader=profile, at=timezone.now() - D(5))
        circulation_services.checkin(item=returned, at_library=lib)
        # A closure declared ahead, its note in Chinese.
        today = timezone.localdate()
        declare_closure(
            library=lib,
            start_date=today + D(20),
            end_date=today + D(22),
            reason="设备检修，暂停服务",
            by=consortium.lib_admin,
        )

    def on_shelf(self, title: str) -> Item:
        items = Item.objects.filter(record=self.records[title], status=ItemStatus.AVAILABLE)
        return items.order_by("barcode").first()


class Walk:
    """The same address on a phone and a desktop, in one language; what fails is kept."""

    def __init__(self, pages: dict[str, Page], base_url: str, language: str):
        self.pages, self.base_url, self.language = pages, base_url, language
        self.failures: list[str] = []
        self.pending: list[str] = []
        self.visited: list[str] = []

    def as_user(self, username: str | None) -> None:
        for page in self.pages.values():
            page.context.clear_cookies()
            page.context.add_cookies(
                [{"name": "django_language", "value": self.language, "url": self.base_url}]
            )
            if username:
                page.goto("/accounts/login/")
                page.locator("#id_username").fill(username)
                page.locator("#id_password").fill(PASSWORD)
                page.locator('main form[action^="/accounts/login/"] button[type=submit]').click()
                page.wait_for_url(lambda url: "/accounts/login/" not in url)

    def check(self, name: str, page: Page) -> None:
        shot = f"{page.viewport_size['width']}-{name}"
        screenshot(page, shot)  # the test's name already says the language
        key = f"{self.language} {shot}"
        where = f"{key} ({page.url})"
        try:
            assert_fits_the_screen(page)
        except AssertionError as failure:
            self.failures.append(f"{where}: {failure}")
        violations = axe_violations(page)
        if violations:
            self.failures.append(f"{where}: axe-core:\n{format_violations(violations)}")
        unmarked = unmarked_parts(page)
        if unmarked:
            found = f"{where}: language of parts:\n    " + "\n    ".join(unmarked[:12])
            (self.pending if name in LANGUAGE_PENDING else self.failures).append(found)
        self.visited.append(key)

    def visit(self, name: str, path: str, status: int = 200) -> None:
        for page in self.pages.values():
            response = page.goto(path)
            assert response is not None and response.status == status, (path, response)
            self.check(name, page)

    def act(self, name: str, screen: str, action) -> None:
        """A page as an action leaves it (a message shown), on one screen: the basket is
        the reader's, and the same book cannot go in twice."""
        page = self.pages[screen]
        action(page)
        page.wait_for_load_state("load")
        self.check(name, page)


# --- the checks can fail -------------------------------------------------------------


def test_axe_finds_a_violation_and_the_language_of_parts_an_unmarked_title(desktop_page):
    page: Page = desktop_page
    page.set_content(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
        '<h1>Loans</h1><img src="data:,"><p>Due: <span>红楼梦</span></p>'
        '<p lang="zh">呐喊</p><p><input aria-label="书名"></p></main></body></html>'
    )
    assert [v["id"] for v in axe_violations(page)] == ["image-alt"]
    assert unmarked_parts(page) == ['main > p > span: "红楼梦"']

    # A Chinese page: a Latin title unmarked; codes, usernames and shared words are fine.
    page.set_content(
        '<!doctype html><html lang="zh-hans"><head><title>t</title></head><body><main>'
        "<h1>The Selfish Gene</h1><p>索书号 Q343.1/7 ISBN PKU0211 (PKU) pku-circ PDF libreach</p>"
        '<a href="/records/2/"><span lang="fr">Le Petit Prince</span></a>'
        '<a href="/records/3/">红楼梦</a></main></body></html>'
    )
    assert unmarked_parts(page) == ['main > h1: "The Selfish Gene"']
    with pytest.raises(AssertionError, match="language of parts"):
        check_accessibility(page, "self-test")


# --- the walk ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_has_no_axe_violation_and_marks_its_parts(
    language, live_server, consortium, phone_page, desktop_page, browser_problems
):
    world = World(consortium)
    walk = Walk({"phone": phone_page, "desktop": desktop_page}, live_server.url, language)
    lib = world.lib.code
    record = world.records

    # Anyone.
    walk.as_user(None)
    walk.visit("home", "/")
    walk.visit("search", "/search/?q=the")
    walk.visit("search-chinese", "/search/?q=红楼梦")
    walk.visit("record-french", f"/records/{record['Le Petit Prince'].pk}/")
    walk.visit("sign-in", "/accounts/login/")
    walk.visit("password-reset", "/accounts/password_reset/")
    walk.visit("not-found", "/records/999999/", status=404)

    # A reader: search, add to the basket, request, their requests and loans.
    walk.as_user("2020000001")
    walk.visit("record-chinese", f"/records/{record['红楼梦'].pk}/")
    walk.visit("record-english", f"/records/{record['The Selfish Gene'].pk}/")
    for n, (title, screen) in enumerate((("论语译注", "phone"), ("Dune", "desktop")), start=1):
        walk.visit(f"record-to-add-{n}", f"/records/{record[title].pk}/")
        walk.act(
            f"basket-added-{n}",
            screen,
            lambda page: page.locator('form[action="/basket/add/"] button').first.click(),
        )
    walk.visit("basket", "/basket/")
    walk.visit("request-form", f"/basket/{lib}/request/")
    walk.visit("my-requests", "/requests/")
    walk.visit("my-request-picking", f"/requests/{world.picking.pk}/")
    walk.visit("my-request-pickup", f"/requests/{world.pickup.pk}/")
    walk.visit("my-loans", "/loans/")
    walk.visit("loan-history", "/loans/history/")
    walk.visit("password-change", "/accounts/password_change/")
    walk.visit("forbidden", f"/desk/{lib}/", status=403)

    # Staff at the desk.
    walk.as_user("pku-circ")
    desk = f"/desk/{lib}"
    walk.visit("desk-home", f"{desk}/")
    walk.visit("pick-list", f"{desk}/pick-list/")
    walk.visit("pick-slip", f"{desk}/pick-slips/{world.slip.pk}/")
    walk.visit("requests", f"{desk}/requests/")
    walk.visit("request-picking", f"{desk}/requests/{world.picking.pk}/")
    walk.visit("request-ready", f"{desk}/requests/{world.pickup.pk}/")
    walk.visit("runs", f"{desk}/runs/")
    walk.visit("run", f"{desk}/runs/{world.run.pk}/")
    walk.visit("route-sheet", f"{desk}/runs/{world.run.pk}/sheet/")
    walk.visit("handover", f"{desk}/handover/")
    walk.visit("handover-found", f"{desk}/handover/?q=2020000001")
    walk.visit("returns", f"{desk}/returns/")
    walk.visit("quarantine", f"{desk}/quarantine/")
    walk.visit("closures", f"{desk}/closures/")
    walk.visit("stats", f"{desk}/stats/")

    # A consortium administrator chooses a desk.
    walk.as_user("balis")
    walk.visit("desk-choice", "/desk/")

    # The browser reports the 404 and 403 answers; those were the point.
    for problem in [p for p in browser_problems if re.search(r"status of 40[34]", p)]:
        browser_problems.remove(problem)
    for pending in walk.pending:
        print(f"PENDING (LANGUAGE_PENDING): {pending}")
    assert not walk.failures, f"{len(walk.failures)} of {len(walk.visited)} pages fail:\n" + (
        "\n\n".join(walk.failures)
    )
    assert len(set(walk.visited)) == 2 * 36 + 2, walk.visited

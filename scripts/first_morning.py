"""A new staff member's first morning and a reader's, walked in Chromium on the demo.

    python3 scripts/first_morning.py [--out DIR] [--docs]

Loads the demo once into a scratch home, then for each language (Simplified Chinese,
English) serves a fresh copy of it and walks:

- staff (jhu-circ): sign in → desk home → pick list (a delivery request and a pickup
  request found) → disinfect → stage → delivery run → route sheet → handover of the
  pickup request found by the reader's card number;
- a reader (20200002): search in traditional characters (紅樓夢) → add to basket →
  basket → request → My loans → renew.

The actions are done at one width (phone for Chinese, desktop for English) and every step
is photographed at 390 px and 1280 px, and checked with axe-core (WCAG 2.1 A and AA) and
for the language of parts (libreach.testing.axe): the walk exits nonzero if any page has
a violation. Screenshots go to DIR (default
/tmp/first-morning); with --docs, the ones docs/first-morning.md shows are also written to
docs/images/first-morning/. Uses Debian's chromium; needs nothing from the network.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from libreach.testing.axe import accessibility_problems

ROOT = Path(__file__).resolve().parent.parent
DOCS_IMAGES = ROOT / "docs" / "images" / "first-morning"
PASSWORD = "libreach-demo"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
# The steps docs/first-morning.md shows, at the width each is shown.
DOC_SHOTS = {
    ("zh-hans", "phone"): [
        "01-desk-home",
        "02-pick-list",
        "04-stage",
        "07-handover-by-card",
        "08-handover-done",
        "10-search-traditional",
        "12-request-sent",
        "13-loans-renewed",
    ],
    ("en", "desktop"): [
        "01-desk-home",
        "02-pick-list",
        "05-run",
        "06-route-sheet",
        "07-handover-by-card",
        "10-search-traditional",
        "13-loans-renewed",
    ],
}
WORDS = {
    "zh-hans": {
        "found": "找到",
        "disinfect": "登记消毒",
        "stage": "上架",
        "create_run": "建立批次",
        "dispatch_run": "整批出发",
        "find": "查找",
        "hand_over": "交付并借出",
        "send": "提交申请",
        "renew": "续借",
    },
    "en": {
        "found": "Found",
        "disinfect": "Record disinfection",
        "stage": "Stage",
        "create_run": "Create run",
        "dispatch_run": "Dispatch run",
        "find": "Find",
        "hand_over": "Hand over and lend",
        "send": "Send the request",
        "renew": "Renew",
    },
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_env(home: Path) -> dict:
    env = dict(os.environ, LIBREACH_HOME=str(home))
    env.pop("DATABASE_URL", None)  # the demo is SQLite
    return env


def serve(home: Path, port: int) -> subprocess.Popen:
    log = open(home / "walk-server.log", "w")  # noqa: SIM115 (closed with the process)
    server = subprocess.Popen(
        ["libreach", "demo", "--port", str(port)],
        env=demo_env(home),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit(f"the demo did not answer on port {port}; see {home}/walk-server.log")


class Walk:
    def __init__(self, browser, base: str, lang: str, acting: str, out: Path, docs: bool):
        self.base, self.lang, self.out, self.docs = base, lang, out, docs
        self.words = WORDS[lang]
        self.pages: dict[str, Page] = {}
        for name, (width, height) in WIDTHS.items():
            context = browser.new_context(
                viewport={"width": width, "height": height},
                base_url=base,
                locale="zh-CN" if lang == "zh-hans" else "en-GB",
                timezone_id="Asia/Shanghai",
            )
            context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
            self.pages[name] = context.new_page()
        self.acting = acting
        self.page = self.pages[acting]
        self.accessibility: list[str] = []  # every page's axe violations, readably
        self.checked = 0  # pages checked with axe-core and for the language of parts

    def sign_in(self, username: str, expect_path: str | None = None) -> None:
        for page in self.pages.values():
            page.context.clear_cookies()
            page.context.add_cookies(
                [{"name": "django_language", "value": self.lang, "url": self.base}]
            )
            page.goto("/accounts/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            page.click('form[action="/accounts/login/"] button')
            page.wait_for_load_state()
            if expect_path:
                assert page.url.endswith(expect_path), (page.url, expect_path)

    def shot(self, step: str, *, full_page: bool = True) -> None:
        """The acting page as it is, the other width at the same address."""
        url = self.page.url
        for name, page in self.pages.items():
            if name != self.acting:
                page.goto(url)
                page.wait_for_load_state()
            path = self.out / f"{self.lang}-{name}-{step}.png"
            page.screenshot(path=str(path), full_page=full_page)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                print(f"  ! {path.name}: the page scrolls sideways by {overflow} px")
            self.checked += 1
            for problem in accessibility_problems(page):
                found = f"{self.lang} {name} {step} ({page.url}):\n{problem}"
                print("  ! " + found.replace("\n", "\n    "))
                self.accessibility.append(found)
            if self.docs and step in DOC_SHOTS.get((self.lang, name), []):
                DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(DOCS_IMAGES / f"{self.lang}-{name}-{step}.png"))
        print(f"  {step}: {url}")

    def message(self):
        return self.page.locator(".messages .alert").last


def staff_morning(walk: Walk, db: Path) -> None:
    page, w = walk.page, walk.words
    walk.sign_in("jhu-circ", expect_path="/desk/JHU/")
    expect(page.locator("#work-to_pick .desk-work__count")).not_to_have_text("0")
    walk.shot("01-desk-home")

    page.locator("#work-to_pick a").click()
    expect(page).to_have_url(re.compile(r"/desk/JHU/pick-list/"))
    walk.shot("02-pick-list")
    delivery, pickup = 6, 7  # the demo's morning: #6 delivery to a dormitory, #7 pickup
    for request_id in (delivery, pickup):
        while True:
            row = page.locator(
                f'form[action^="/desk/JHU/requests/{request_id}/lines/"][action$="/found/"]'
            ).first
            if not row.count():
                break
            action = row.get_attribute("action")
            row.get_by_role("button", name=w["found"], exact=True).click()
            # Found in place (htmx) or by a reload: either way its line leaves the list.
            expect(page.locator(f'form[action="{action}"]')).to_have_count(0)
    walk.shot("03-picked")

    for request_id in (delivery, pickup):
        page.goto(f"/desk/JHU/requests/{request_id}/")
        disinfect = page.locator(f'form[action="/desk/JHU/requests/{request_id}/disinfect/"]')
        if disinfect.count():
            disinfect.locator("select[name=method]").select_option(index=0)
            disinfect.locator("input[name=minutes]").fill("30")
            disinfect.get_by_role("button", name=w["disinfect"]).click()
            page.wait_for_load_state()
        page.locator(f'form[action="/desk/JHU/requests/{request_id}/stage/"]').get_by_role(
            "button", name=w["stage"], exact=True
        ).click()
        page.wait_for_load_state()
        expect(walk.message()).to_be_visible()
    walk.shot("04-stage")

    page.goto("/desk/JHU/runs/")
    page.locator('form[action="/desk/JHU/runs/new/"] select[name=assignee]').select_option(index=1)
    page.get_by_role("button", name=w["create_run"]).click()
    expect(page).to_have_url(re.compile(r"/desk/JHU/runs/\d+/$"))
    walk.shot("05-run")
    run_url = page.url
    page.goto(run_url + "sheet/")
    walk.shot("06-route-sheet")
    page.goto(run_url)
    page.get_by_role("button", name=w["dispatch_run"]).click()
    page.wait_for_load_state()

    # The reader of the pickup request comes to the desk without a phone: found by card.
    card, code = (
        sqlite3.connect(db)
        .execute(
            "select p.card_number, r.pickup_code from contactless_borrowrequest r "
            "join accounts_readerprofile p on p.id = r.reader_id where r.id = ?",
            (pickup,),
        )
        .fetchone()
    )
    page.goto("/desk/JHU/handover/")
    # The scan box answers in place: the step (or the choice) is swapped into the page.
    page.fill("input[name=scan]", card)
    page.press("input[name=scan]", "Enter")
    expect(page.locator("#scan-result [data-scan-result]")).to_be_visible()
    choose = page.locator(f'a[href*="request={pickup}"]')
    if choose.count():
        choose.first.click()
        expect(page.locator("input[name=pickup_code]")).to_be_visible()
    # The scan left the address as it was: photograph the other width at the search's.
    page.evaluate("(q) => history.replaceState(null, '', '?q=' + encodeURIComponent(q))", card)
    walk.shot("07-handover-by-card")
    page.fill("input[name=pickup_code]", code)  # the code the reader reads out
    page.get_by_role("button", name=w["hand_over"]).click()
    page.wait_for_load_state()
    expect(page.locator("table.loans tbody tr").first).to_be_visible()
    walk.shot("08-handover-done")


def reader_morning(walk: Walk) -> None:
    page, w = walk.page, walk.words
    walk.sign_in("20200002")
    walk.shot("09-reader-home")
    page.goto("/search/?q=紅樓夢")
    expect(page.locator("main")).to_contain_text("红楼梦")
    expect(page.locator("main")).to_contain_text("紅樓夢")
    walk.shot("10-search-traditional")
    page.locator('a[href^="/records/"]', has_text="紅樓夢").first.click()
    page.locator('form[action="/basket/add/"] button').first.click()
    # Added in place (htmx) or by a reload: either way the page says so before we go on.
    expect(walk.message()).to_be_visible()
    page.goto("/basket/")
    walk.shot("11-basket")
    page.locator('a[href^="/basket/JHU/request/"]').first.click()
    page.wait_for_load_state()
    page.locator("input[name=mode][value=pickup]").check()
    # The first free slot, on whichever day has one (late in the evening, tomorrow's).
    day = page.locator("details.slot-day", has=page.locator("label.slot:not(.slot--full)")).first
    day.evaluate("details => { details.open = true; }")
    day.locator("label.slot:not(.slot--full)").first.click()
    page.get_by_role("button", name=w["send"]).click()
    expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
    walk.shot("12-request-sent")
    page.goto("/loans/")
    page.locator('form[action^="/loans/"][action$="/renew/"]').first.get_by_role("button").click()
    page.wait_for_load_state()
    expect(walk.message()).to_be_visible()
    walk.shot("13-loans-renewed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/first-morning"))
    parser.add_argument("--docs", action="store_true", help="also write docs/images/")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    scratch = Path(tempfile.mkdtemp(prefix="libreach-walk-"))
    template = scratch / "template"
    subprocess.run(
        ["libreach", "demo", "--no-serve"],
        env=demo_env(template),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    failures = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "chromium")
        for lang, acting in (("zh-hans", "phone"), ("en", "desktop")):
            home = scratch / lang
            shutil.copytree(template, home)
            port = free_port()
            server = serve(home, port)
            print(f"{lang}, acting at {acting} width:")
            try:
                walk = Walk(browser, f"http://127.0.0.1:{port}", lang, acting, args.out, args.docs)
                staff_morning(walk, home / "libreach.sqlite3")
                reader_morning(walk)
                print(
                    f"  axe-core and language of parts: {walk.checked} pages checked, "
                    f"{len(walk.accessibility)} with problems"
                )
                if walk.accessibility:
                    failures += 1
            except Exception as error:  # report and go on to the other language
                failures += 1
                print(f"  FAILED: {error}")
                walk.page.screenshot(path=str(args.out / f"{lang}-failure.png"), full_page=True)
            finally:
                server.terminate()
                server.wait(timeout=30)
        browser.close()
    shutil.rmtree(scratch, ignore_errors=True)
    print(f"screenshots in {args.out}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

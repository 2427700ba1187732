"""pytest plugin: headless Chromium through Playwright, against pytest-django's live server.

Fixtures:
    browser       one Chromium for the whole session (Debian's package; Playwright never
                  downloads a browser here)
    phone_page    a page on a 390x844 phone (device scale 2, touch, zh-CN)
    desktop_page  a page on a 1366x900 desktop (zh-CN)

Both pages open relative URLs against `live_server`, so tests that use them get a
transactional database: data a test creates is committed and visible to the server.

    browser_clock the clock of the whole process (the test, the live server's threads, the
                  ORM) for every browser test: set to BROWSER_NOW, or to the moment a test
                  gives by parametrising it (`indirect=True`), before any other fixture
                  runs, then ticking. No browser test depends on the time of day it runs at
                  (time-machine patches the C-level clocks, so `timezone.now`,
                  `date.today` and `datetime.now` all agree in every thread).
Any JavaScript error, console error or request to another host fails the test (a test
that expects one takes it out of the `browser_problems` list).
`screenshot(page, name)` saves test-artifacts/screenshots/<test>-<name>.png; a failing
test leaves <test>-FAILED-<fixture>.png there too. `check_layout(page, name)` asserts the
page fits the screen with big enough tap targets, saves its screenshot and runs
`check_accessibility` (testing/axe.py: axe-core's WCAG 2.1 A/AA rules and the language of
parts) on it;
`sign_in(page, username)` sends the sign-in form as the tests' users do.

Without Chromium or Playwright the tests are skipped with the reason, except under
CI=true, where they fail: a CI run must not pass by skipping its browser tests.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import warnings
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
import time_machine

from libreach.testing.axe import check_accessibility

try:  # for the tests: `from libreach.testing.browser import Page, expect`
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture then skips, or fails under CI=true, saying why
    Page = expect = None

from libreach.testing.fixtures import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN"}
# For actions and `expect`: generous for a loaded 2-core CI machine, short of a hang.
TIMEOUT_MS = 15_000
# Where a browser test's clock starts unless it says otherwise: a Tuesday morning in
# Beijing, inside the libraries' hours, with the rest of the day's slots ahead.
BROWSER_NOW = dt.datetime(2026, 3, 3, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))

_problems_key = pytest.StashKey[list[str]]()
_pages_key = pytest.StashKey[dict[str, "Page"]]()
_screenshot_dir: Path = Path("test-artifacts/screenshots")


def chromium_path() -> str:
    return os.environ.get("LIBREACH_CHROMIUM") or DEFAULT_CHROMIUM


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_configure(config: pytest.Config) -> None:
    global _screenshot_dir
    _screenshot_dir = config.rootpath / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Playwright's sync API leaves its event loop marked as running in the main thread,
    # so Django then needs DJANGO_ALLOW_ASYNC_UNSAFE (see `browser`). Running the browser
    # tests last keeps every other test under Django's async-safety check.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    result = yield
    problems = item.stash.get(_problems_key, [])
    if problems:
        pytest.fail("the browser reported:\n  " + "\n  ".join(problems), pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call" and report.failed:
        # What the browser showed when the test failed, before the page closes.
        for fixture, page in item.stash.get(_pages_key, {}).items():
            try:
                path = _screenshot_dir / f"{_file_name(item.name)}-FAILED-{fixture}.png"
                _screenshot_dir.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(path), full_page=True)
                report.sections.append(("browser", f"screenshot at failure: {path}"))
            except Exception as exc:  # a crashed page must not hide the real failure
                report.sections.append(("browser", f"no screenshot at failure: {exc}"))
    return report


@pytest.fixture(autouse=True)
def browser_clock(request: pytest.FixtureRequest) -> Iterator[time_machine.Coordinates | None]:
    """Browser tests: the process's clock at BROWSER_NOW, or at the parametrised moment."""
    if request.node.get_closest_marker("browser") is None:
        yield None
        return
    with time_machine.travel(getattr(request, "param", BROWSER_NOW), tick=True) as clock:
        yield clock


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    try:
        from playwright.sync_api import Error, expect, sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    path = chromium_path()
    if not os.access(path, os.X_OK):
        _unavailable(f"no Chromium at {path} (apt install chromium, or set LIBREACH_CHROMIUM)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    # The test thread sees Playwright's loop as running; the ORM calls the test and
    # pytest-django make are still plain synchronous calls, one at a time.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            try:
                chromium = playwright.chromium.launch(
                    executable_path=path, args=CHROMIUM_ARGS, headless=True
                )
            except Error as exc:
                _unavailable(f"Chromium at {path} does not start: {exc.message.splitlines()[0]}")
            expect.set_options(timeout=TIMEOUT_MS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _open_page(request: pytest.FixtureRequest, browser: Browser, live_server, options: dict):
    base_url = live_server.url
    context: BrowserContext = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(TIMEOUT_MS)
    problems = request.node.stash.setdefault(_problems_key, [])
    origin = urlsplit(base_url)[:2]

    def keep_local(route, req):
        # Pages must work offline: no fonts, scripts or trackers from elsewhere.
        if urlsplit(req.url)[:2] == origin or req.url.startswith("data:"):
            route.continue_()
        else:
            problems.append(f"request to another host: {req.url}")
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console error: {message.text} ({message.location.get('url')})")

    context.route("**/*", keep_local)
    page: Page = context.new_page()
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    request.node.stash.setdefault(_pages_key, {})[request.fixturename] = page
    return context, page


@pytest.fixture
def phone_page(request, browser, live_server) -> Iterator[Page]:
    context, page = _open_page(request, browser, live_server, PHONE)
    yield page
    context.close()


@pytest.fixture
def desktop_page(request, browser, live_server) -> Iterator[Page]:
    context, page = _open_page(request, browser, live_server, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def browser_problems(request) -> list[str]:
    """The problems the browser reported so far; a test that expects one removes it."""
    return request.node.stash.setdefault(_problems_key, [])


def _file_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text).strip("-")


def _current_test() -> str:
    # "src/x/test_y.py::test_z[param] (call)" -> "test_z-param"
    current = os.environ.get("PYTEST_CURRENT_TEST", "test")
    return _file_name(current.rsplit("::", 1)[-1].rsplit(" ", 1)[0])


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG of `page` as test-artifacts/screenshots/<test>-<name>.png."""
    _screenshot_dir.mkdir(parents=True, exist_ok=True)
    path = _screenshot_dir / f"{_current_test()}-{_file_name(name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Everything a reader can tap or click: WCAG 2.5.5 and the platform guides ask for 44 px.
TAP_TARGETS = "header a, header button, main a, main button, main input, main select, main .check"


def _laid_out(page: Page) -> None:
    # A page can be in the DOM (and pass `expect(...).to_be_visible()`) before its
    # stylesheet has arrived; measuring then sees the browser's default sizes.
    page.wait_for_load_state("load")


def assert_fits_the_screen(page: Page) -> None:
    _laid_out(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


def assert_tap_targets_are_big_enough(page: Page, selector: str = TAP_TARGETS) -> None:
    _laid_out(page)
    small = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter(e => e.offsetParent !== null && e.type !== 'checkbox')
            .map(e => [e, e.getBoundingClientRect()])
            .filter(([e, r]) => r.height < 44 || r.width < 44)
            .map(([e, r]) => `${e.tagName} "${(e.textContent || e.name).trim()}" `
                             + `${Math.round(r.width)}x${Math.round(r.height)}`)""",
        selector,
    )
    assert not small, f"tap targets under 44x44 px: {small}"


# Screenshots (`<test>-<name>`, as `screenshot` names them) whose accessibility check is
# waived for now, each with the reason and who fixes it; a waived check still runs and
# reports in the test's output, so the list can only shrink. Empty is the goal.
ACCESSIBILITY_WAIVED: dict[str, str] = {}


def check_layout(page: Page, name: str, targets: str = TAP_TARGETS) -> None:
    """The page fits the screen, its tap targets are big enough, it is saved as `name`,
    and it passes `check_accessibility` (axe-core, WCAG 2.1 A/AA; language of parts)."""
    assert_fits_the_screen(page)
    assert_tap_targets_are_big_enough(page, targets)
    screenshot(page, name)
    shot = f"{_current_test()}-{_file_name(name)}"
    try:
        check_accessibility(page, shot)
    except AssertionError as failure:
        if shot not in ACCESSIBILITY_WAIVED:
            raise
        warnings.warn(f"waived ({ACCESSIBILITY_WAIVED[shot]}): {failure}", stacklevel=2)


def sign_in(page: Page, username: str, password: str = PASSWORD, next_path: str = "") -> None:
    """Send the sign-in page's form; the caller expects what follows (a page, or a refusal)."""
    page.goto(f"/accounts/login/?next={next_path}" if next_path else "/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_role("main").get_by_role("button", name="登录").click()

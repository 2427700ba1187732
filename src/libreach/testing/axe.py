"""Accessibility checks of a page in the browser: axe-core (WCAG 2.0/2.1, A and AA) and
the language of parts (WCAG 3.1.2), which axe checks only where a `lang` is written.

    check_accessibility(page, name)   both, failing with a readable list
    accessibility_problems(page)      the same, as a list of readable paragraphs
    axe_violations(page)              axe's violations, as dicts (rule id, impact, help, nodes)
    unmarked_parts(page)              text in the other language with no `lang` saying so

axe-core is vendored for the tests (testing/vendor/axe.min.js, from npm). The pages'
Content-Security-Policy lets only same-origin or nonced scripts run, so a `<script>` added
to the page would be refused; the source is evaluated through the DevTools protocol
instead, which the page's CSP does not govern, and leaves the page's own policy in force.
"""

from __future__ import annotations

import contextlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
# The success criteria the issue asks for: WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Language of parts. On an English page, any visible text with a Han character must sit
# in an element whose nearest `lang` is Chinese: either it is data in Chinese (a title, a
# name, a note) that `|part` marks, or it is an untranslated label (the language-leak test
# catches those too). On a Chinese page Latin letters are ordinary in codes (barcodes, call
# numbers, ISBNs, usernames, library codes), so what counts is a word as the language-leak
# test counts one (three letters or more, not part of a code) with a lower-case letter,
# less the words both languages share: with no English labels on Chinese pages (that test
# sees to it), such a word is data in a Latin-script language and needs its `lang`.
# Attributes (aria-label, title) are not checked: `lang` cannot mark part of a value.
_LANGUAGE_OF_PARTS_JS = """
(shared) => {
  const page = (document.documentElement.lang || '').toLowerCase().slice(0, 2);
  const han = /[\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff]/;
  const latinWord = /(?<![A-Za-z0-9_.@\\/-])[A-Za-z\\u00c0-\\u024f]{3,}(?![A-Za-z0-9_@\\/-])/g;
  const langOf = (el) => {
    const holder = el.closest('[lang]');
    return holder ? holder.getAttribute('lang').toLowerCase().slice(0, 2) : '';
  };
  const visible = (el) =>
    !el.closest('script, style, template, noscript, metadata, [hidden], [aria-hidden="true"]')
    // Visually hidden text (.visually-hidden, clipped) is still read aloud: it counts.
    && el.checkVisibility({visibilityProperty: true});
  const foreign = page === 'en'
    ? (text) => han.test(text)
    : (text) => (text.match(latinWord) || [])
        .some(w => /[a-z\\u00df-\\u024f]/.test(w) && !shared.includes(w.toLowerCase()));
  const describe = (el, text) => {
    const path = [];
    for (let e = el; e && e !== document.body && path.length < 4; e = e.parentElement) {
      let s = e.tagName.toLowerCase();
      if (e.id) s += '#' + e.id;
      else if (e.classList.length) s += '.' + [...e.classList].join('.');
      path.unshift(s);
    }
    return `${path.join(' > ')}: "${text.trim().slice(0, 60)}"`;
  };
  const found = [];
  if (page !== 'en' && page !== 'zh') return found;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!foreign(node.data) || !visible(el)) continue;
    const lang = langOf(el);
    if (lang === '' || lang === page) found.push(describe(el, node.data));
  }
  return found;
}
"""
# Latin words the language-leak test lets Chinese pages use: brand, standards, formats.
SHARED_WORDS = ["libreach", "isbn", "issn", "qr", "pdf", "api", "csv", "marc", "uv", "id", "ics"]
# Names of access services, the same in Chinese (as test_language_leaks.ALLOWED_ASCII).
SHARED_WORDS += ["vpn", "webvpn", "carsi", "ezproxy", "openathens"]


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


# A page at rest: no htmx request in flight or swap settling (a busy button is dimmed) and
# no animation running (the scan box's flash), so axe sees what stays on the screen.
_AT_REST_JS = """() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')
    && document.getAnimations().every(a => a.playState !== 'running')"""


def wait_until_at_rest(page: Page, timeout_ms: int = 5_000) -> None:
    from playwright.sync_api import TimeoutError as StillBusy

    page.wait_for_load_state("load")
    # Still busy after `timeout_ms`: the page is checked as it is.
    with contextlib.suppress(StillBusy):
        page.wait_for_function(_AT_REST_JS, timeout=timeout_ms)


def axe_violations(page: Page, tags: list[str] = WCAG_TAGS) -> list[dict[str, Any]]:
    """axe-core's violations of `tags` on the page, once it is at rest."""
    wait_until_at_rest(page)
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())  # see the module's docstring: not a <script>
    result = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {
              runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
            });
            return result.violations.map(v => ({
              id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
              nodes: v.nodes.map(n => ({target: n.target.map(String), html: n.html,
                                        summary: n.failureSummary})),
            }));
        }""",
        tags,
    )
    return result


def unmarked_parts(page: Page) -> list[str]:
    """Text in the other language than the page's with no `lang` marking it (WCAG 3.1.2)."""
    wait_until_at_rest(page)
    return page.evaluate(_LANGUAGE_OF_PARTS_JS, SHARED_WORDS)


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:8]:
            lines.append(f"    at {' '.join(node['target'])}: {node['html'][:160]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def accessibility_problems(page: Page) -> list[str]:
    """What `check_accessibility` finds on the page as it is now, readably; [] if nothing."""
    problems = []
    violations = axe_violations(page)
    if violations:
        problems.append(format_violations(violations))
    unmarked = unmarked_parts(page)
    if unmarked:
        problems.append(
            "language of parts (WCAG 3.1.2): text in the other language without `lang`:\n"
            + "\n".join(f"    {text}" for text in unmarked[:20])
        )
    return problems


def check_accessibility(page: Page, name: str = "") -> None:
    """No axe-core violation of WCAG 2.0/2.1 A and AA, and every part in the other
    language marked with `lang`; fails naming the page, the rules and where."""
    problems = accessibility_problems(page)
    if problems:
        where = f"{name} ({page.url})" if name else page.url
        raise AssertionError(f"accessibility of {where}:\n" + "\n".join(problems))

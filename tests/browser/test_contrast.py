"""Contrast in every state (WCAG 1.4.3 and 1.4.11): the text of every link, button and form
control, and the marks inside them, against what lies behind them, as they are, hovered,
focused (where the focus ring must stand out too), current, open and disabled, on the header
(desktop menus and the folded phone menu) and the learner's pages; and no separate colours for
visited links, so they keep the contrast checked here.

The states are forced through the DevTools protocol (CSS.forcePseudoState), as the browser's
own inspector does, so what is measured is what the stylesheet gives in that state."""

from __future__ import annotations

import pytest

from courses import services as course_services
from courses.models import Lesson
from learning import clock
from learning.db import db
from tests.browser.conftest import DESKTOP, PHONE, start_quiz, visit

pytestmark = pytest.mark.browser

TARGETS = ("a[href], button, input:not([type=hidden]), select, textarea, summary, "
           "[aria-current], [tabindex='0']")

# For every shown target: each piece of text in it (and each aria-hidden mark, a graphic at
# 3:1) against the colour behind it, plus, when asked, its focus ring against what is around.
CONTRASTS = """([selector, ring]) => {
  const parse = s => { const m = s.match(/[\\d.]+/g) || [0, 0, 0, 0];
                       return [+m[0], +m[1], +m[2], m.length > 3 ? +m[3] : 1]; };
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92
                                                 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)];
                            return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const over = (top, bottom) => top.slice(0, 3).map((v, i) => v * top[3] + bottom[i] * (1 - top[3]));
  const behind = el => {  // the colour painted behind el, blending translucent layers
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg[3] > 0) { layers.push(bg); if (bg[3] >= 1) break; }
    }
    let colour = [255, 255, 255];
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden'
                      && !el.closest('.visually-hidden');
  const name = el => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
    ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' "' +
    (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 25) + '"';
  const problems = [];
  for (const target of document.querySelectorAll(selector)) {
    if (!shown(target)) continue;
    const pieces = [target, ...target.querySelectorAll('*')].filter(el => shown(el) &&
      [...el.childNodes].some(n => n.nodeType === 3 && n.data.trim()));
    if (target.matches('input, select, textarea') && !pieces.includes(target)) pieces.push(target);
    for (const piece of pieces) {
      const style = getComputedStyle(piece);
      const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
      const graphic = !!piece.closest('[aria-hidden=true]');
      const needed = graphic || size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
      const colour = parse(style.color);
      const back = behind(piece);
      const value = ratio(over(colour, back), back);
      if (value < needed) problems.push(`${name(target)}: ${name(piece)} ${value.toFixed(2)}:1`);
    }
    if (ring) {
      const style = getComputedStyle(target);
      const around = behind(target.parentElement);
      const colours = [];
      if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) colours.push(parse(style.outlineColor));
      const shadow = style.boxShadow.match(/rgba?\\([^)]*\\)/);
      if (shadow) colours.push(parse(shadow[0]));
      const best = Math.max(0, ...colours.map(c => ratio(over(c, around), around)));
      if (best < 3) problems.push(`${name(target)}: focus ring ${best.toFixed(2)}:1`);
    }
  }
  return problems;
}"""

VISITED_RULES = """() => [...document.styleSheets].flatMap(sheet => [...sheet.cssRules])
  .flatMap(rule => rule.cssRules ? [...rule.cssRules] : [rule])
  .filter(rule => rule.selectorText && rule.selectorText.includes(':visited'))
  .map(rule => rule.cssText)"""


class States:
    """Force states on a page's targets and collect what lacks contrast."""

    def __init__(self, page, problems: list[str]):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.problems = problems

    def _nodes(self) -> list[int]:
        self.cdp.send("DOM.enable")
        self.cdp.send("CSS.enable")
        root = self.cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        return self.cdp.send("DOM.querySelectorAll",
                             {"nodeId": root, "selector": TARGETS})["nodeIds"]

    def check(self, what: str) -> None:
        """Measure the page's targets as they are, hovered and focused."""
        self.problems += [f"{what}: {p}" for p in self.page.evaluate(CONTRASTS, [TARGETS, False])]
        nodes = self._nodes()
        for state in (["hover"], ["focus", "focus-visible"]):
            for node in nodes:
                self.cdp.send("CSS.forcePseudoState",
                              {"nodeId": node, "forcedPseudoClasses": state})
            found = self.page.evaluate(CONTRASTS, [TARGETS, state[0] == "focus"])
            self.problems += [f"{what}, {state[0]}: {problem}" for problem in found]
            for node in nodes:
                self.cdp.send("CSS.forcePseudoState", {"nodeId": node, "forcedPseudoClasses": []})
        self.cdp.send("DOM.disable")

    def with_menus(self, what: str) -> None:
        """Measure the header with each menu open, then the folded phone menu."""
        for button in self.page.locator(".site-header .menu-button").all():
            button.click()
            self.check(f"{what} with {button.get_attribute('aria-controls')} open")
        self.page.keyboard.press("Escape")
        self.page.set_viewport_size(PHONE)
        self.page.wait_for_timeout(250)  # hocso.js re-fits the header and table frames
        self.check(f"{what} at {PHONE['width']} px")
        self.page.locator(".menu-toggle").click()
        for button in self.page.locator(".site-header .menu-button").all():
            if button.get_attribute("aria-expanded") != "true":
                button.click()
        self.check(f"{what}, the phone menu open")
        self.page.set_viewport_size(DESKTOP)
        self.page.wait_for_timeout(250)


def test_contrast_holds_in_every_state(web, journeys, quiz_taker):
    lesson = db.session.scalar(db.select(Lesson).where(Lesson.slug == "signing"))
    course_services.complete_lesson(journeys.learner, lesson, now=clock.now())
    db.session.commit()

    problems: list[str] = []
    page = web.new_page()
    states = States(page, problems)
    visit(page, "/login")
    states.check("/login")
    assert not page.evaluate(VISITED_RULES), \
        "visited links have their own colours: check their contrast here too"

    page = web.signed_in_page(journeys.learner)
    states = States(page, problems)
    for path in ("/", "/courses/digital-skills", "/courses/digital-skills/lessons/signing",
                 f"/certificates/{journeys.certificate_id}"):
        visit(page, path)
        states.check(path)
    visit(page, "/courses/digital-skills/lessons/signing")
    assert page.locator('.player-modules a[aria-current="page"] .done-mark').count() == 1, \
        "the current lesson should show its tick here"
    states.with_menus("lesson page")

    page = web.signed_in_page(journeys.admin)
    admin = States(page, problems)
    visit(page, "/admin/users")
    admin.with_menus("/admin/users")
    start_quiz(page, quiz_taker)
    page.locator("input[type=radio]").first.check()
    admin.check("attempt page")
    with page.expect_navigation():
        page.locator("button.submit-attempt").click()
    with page.expect_navigation():
        page.locator("form.submit-attempt-form button[type=submit]").click()
    admin.check("result page")

    # A disabled button keeps readable text too.
    visit(page, "/admin/users/new")
    page.locator("main form button[type=submit]").evaluate("b => b.disabled = true")
    admin.check("/admin/users/new with its button disabled")

    assert not problems, "contrast too low:\n" + "\n".join(problems[:60])

"""The lesson page with the keyboard and the eyes: the skip link lands on the lesson itself
(not on the 30 links of the course outline), the tick of a done lesson stays readable on the
current item, and hint text is at least 16 px."""

from __future__ import annotations

import pytest

from courses import services as course_services
from courses.models import Lesson
from learning import clock
from learning.db import db
from tests.browser.conftest import COURSE, sign_in, visit

pytestmark = pytest.mark.browser

CONTRAST = """(el) => {
  const rgb = (s) => s.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92
                                                   : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  let node = el, background = null;
  while (node && !background) {
    const b = getComputedStyle(node).backgroundColor;
    if (b && !b.startsWith('rgba(0, 0, 0, 0)') && b !== 'transparent') background = b;
    node = node.parentElement;
  }
  const [l1, l2] = [lum(rgb(getComputedStyle(el).color)), lum(rgb(background))];
  return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
}"""


def test_the_skip_link_lands_on_the_lesson(web, ministry):
    page = web.new_page()
    sign_in(page, ministry.username)
    visit(page, f"/courses/{COURSE}/lessons/a")
    # The page makes wide code blocks focusable once its fonts have loaded (hocso.js): wait
    # for them, or on a loaded machine the Tab order changes under the test's feet.
    page.evaluate("async () => { await document.fonts.ready; return true; }")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "lesson"
    page.keyboard.press("Tab")  # the next stop is inside the lesson, not the outline
    inside = page.evaluate("document.getElementById('lesson').contains(document.activeElement)")
    assert inside


def test_the_tick_of_a_done_current_lesson_is_readable(web, ministry):
    lesson = db.session.scalar(db.select(Lesson).where(Lesson.slug == "a"))
    course_services.complete_lesson(ministry, lesson, now=clock.now())
    db.session.commit()
    page = web.new_page()
    sign_in(page, ministry.username)
    visit(page, f"/courses/{COURSE}/lessons/a")
    tick = page.locator('.player-modules a[aria-current="page"] .done-mark')
    assert tick.count() == 1
    assert tick.evaluate(CONTRAST) >= 3.0  # WCAG 1.4.11 for a graphic; text reaches 4.5
    hint_sizes = page.evaluate(
        "[...document.querySelectorAll('.hint')].map(e => parseFloat(getComputedStyle(e)"
        ".fontSize))")
    assert all(size >= 16 for size in hint_sizes), hint_sizes


def test_a_lessons_wide_code_and_table_take_keyboard_focus_on_a_phone(web, ministry):
    page = web.new_page(viewport={"width": 390, "height": 844})
    sign_in(page, ministry.username)
    visit(page, f"/courses/{COURSE}/lessons/a")
    # A table wider than the phone, as an author's long row makes one.
    page.evaluate("""() => {
      const cell = document.querySelector('.lesson-body table td');
      cell.textContent = 'https://vanban.mofa.gov.vn/' + 'tra-cuu'.repeat(1) + 'X'.repeat(150);
      window.dispatchEvent(new Event('resize'));
    }""")
    page.wait_for_selector(".lesson-body table[tabindex='0']")  # after the resize debounce
    for selector in (".lesson-body pre", ".lesson-body table"):
        box = page.locator(selector).first
        assert box.evaluate("el => el.scrollWidth > el.clientWidth"), selector
        assert box.get_attribute("tabindex") == "0", selector
        box.focus()
        before = box.evaluate("el => el.scrollLeft")
        for _ in range(20):  # keyboard scrolling is animated: give it time
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(50)
            if box.evaluate("el => el.scrollLeft") > before:
                break
        assert box.evaluate("el => el.scrollLeft") > before, selector


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800},
                                      {"width": 390, "height": 844}], ids=["desktop", "phone"])
def test_a_few_tabs_from_the_top_reach_mark_as_done(web, ministry, viewport):
    """With the skip link, "Mark as done" is a few Tab presses from the top of the page, not
    past the header and the whole course outline (37 Tabs before the skip link went there)."""
    page = web.signed_in_page(ministry, viewport)
    visit(page, f"/courses/{COURSE}/lessons/a")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    presses = 2
    while presses < 40:
        page.keyboard.press("Tab")
        presses += 1
        if page.evaluate("() => document.activeElement.closest('.lesson-footer form') !== null"):
            break
    assert presses <= 7, f"{presses} key presses to reach “Mark as done”"

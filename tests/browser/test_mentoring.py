"""The mentoring pages in a real browser: WCAG 2 A/AA by axe-core (plain and error states),
no sideways scrolling at 360 px, and targets of at least 44 px for buttons, the grid's links
and the choices of the forms."""

from __future__ import annotations

from datetime import timedelta

import pytest

from learning import clock
from learning.mentoring import services as mentoring
from tests import factories
from tests.browser.conftest import PASSWORD, PHONE, visit
from tests.browser.audit import Audit
from tests.browser.test_layout import _assert_fits
from tests.mentoring import steps as mentoring_steps

pytestmark = pytest.mark.browser

TARGETS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => el.offsetParent !== null)
  .map(el => { const r = el.getBoundingClientRect();
               return {what: (el.innerText || el.value || el.tagName).trim().slice(0, 30),
                       width: r.width, height: r.height}; })"""


@pytest.fixture
def mentored(ministry, db, tmp_path):
    """A mentor with a group of three (one overdue, one in progress, one done) and a learner
    who sees the assignments on the dashboard. Returns (mentor, learner, group, pages)."""
    now = clock.now()
    mentoring_steps.course(tmp_path, "kem-cap-so", title="Kỹ năng số cho cán bộ, công chức")
    unit = ministry.department
    mentor = factories.UserFactory(username="anh.pd", full_name="Phạm Đức Anh",
                                   department=unit, roles={"mentor", "learner"},
                                   password=PASSWORD)
    learner = factories.UserFactory(username="huong.nt", full_name="Nguyễn Thị Hương",
                                    department=unit, password=PASSWORD)
    others = [factories.UserFactory(full_name=name, department=unit)
              for name in ("Trịnh Thị Thu Trang Hoàng Phương", "Cao Minh Đức")]
    group = mentoring.create_group(None, "Chi đoàn Cục Cơ yếu - Công nghệ thông tin",
                                   [mentor.username], department_id=unit.id,
                                   now=now - timedelta(days=10))
    mentoring.add_members(None, group, [learner.username] + [o.username for o in others],
                          now=now - timedelta(days=10))
    today = mentoring.ministry_day(now)
    mentoring.assign(mentor, group, "kem-cap-so", "co-ban", None, today - timedelta(days=2),
                     "Làm quen với Cổng thông tin trong tuần đầu tiên.", None,
                     now=now - timedelta(days=10))
    assignment, _ = mentoring.assign(mentor, group, "kem-cap-so", None, None,
                                     today + timedelta(days=14), "", None,
                                     now=now - timedelta(days=10))
    db.session.commit()
    mentoring_steps.complete(others[1], "a", "b", "c", "d", now=now - timedelta(days=5),
                             course_slug="kem-cap-so")
    # a failed attempt: her page lists it under both assignments (a wide table on a phone)
    mentoring_steps.take_quiz(learner, "kiem-tra-co-ban", right=0, now=now - timedelta(days=4),
                              course_slug="kem-cap-so")
    base = f"/mentoring/groups/{group.id}"
    pages = ["/mentoring", base, f"{base}?state=overdue&sort=state", f"{base}/members?q=nguyen",
             f"{base}/members/{learner.id}", f"{base}/assignments/new?course=kem-cap-so",
             f"{base}/assignments/{assignment.id}", f"{base}/edit", "/mentoring/groups/new"]
    return mentor, learner, group, pages


def show_csv_errors(page, group) -> None:
    visit(page, f"/mentoring/groups/{group.id}/members")
    page.fill("#rows", "staff_number\nKHONG-CO\nKHONG-CO\n")
    with page.expect_navigation():
        page.locator("form[action$='/members/import'] button[type=submit]").click()
    assert page.locator(".import-errors").is_visible(), "the CSV errors are not shown"


def test_mentoring_pages_pass_axe(web, mentored):
    mentor, learner, group, pages = mentored
    audit = Audit()
    page = web.signed_in_page(mentor)
    for path in pages:
        visit(page, path)
        audit.check(page, path)
    show_csv_errors(page, group)
    audit.check(page, "members with CSV errors")
    visit(page, f"/mentoring/groups/{group.id}/assignments/new?course=kem-cap-so")
    with page.expect_navigation():
        page.locator("main form[method=post] button[type=submit]").first.click()
    audit.check(page, "assignment form with errors")
    learner_page = web.signed_in_page(learner, PHONE)
    audit.check(learner_page, "dashboard with assignments at 360 px")
    audit.assert_clean()


def test_mentoring_pages_fit_a_phone_with_44_px_targets(web, mentored):
    mentor, learner, group, pages = mentored
    page = web.signed_in_page(mentor, PHONE)
    small, measured, audit = [], 0, Audit()
    for path in pages:
        visit(page, path)
        _assert_fits(page, path)
        # on a phone wide tables become named, focusable regions: axe again (unique names)
        audit.check(page, f"{path} at {PHONE['width']} px", targets=False)
        targets = page.evaluate(TARGETS, ".mentoring .button, .mentoring-grid th a, "
                                         ".choice-list li, .mentoring .pager a")
        measured += len(targets)
        small += [f"{path}: {t}" for t in targets if t["height"] < 44 or t["width"] < 24]
    assert measured > 20, "hardly any target was measured"
    show_csv_errors(page, group)
    _assert_fits(page, "members with CSV errors")
    learner_page = web.signed_in_page(learner, PHONE)
    _assert_fits(learner_page, "/ with assignments")
    overdue = learner_page.locator(".assigned-item.is-overdue")
    assert overdue.count() == 1 and "Quá hạn" in overdue.inner_text()
    # an assigned module's course sits on a line of its own, not after a stray "·"
    courses = learner_page.locator(".assigned-course")
    assert courses.count() >= 1
    for text in courses.all_inner_texts():
        assert text.strip() and not text.strip().startswith("·"), text
    for target in learner_page.evaluate(TARGETS, ".assigned-title a"):
        if target["height"] < 44:
            small.append(f"/: {target}")
    assert not small, "targets smaller than 44 px:\n" + "\n".join(small)
    audit.assert_clean()

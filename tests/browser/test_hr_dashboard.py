"""HR's journey in a real browser: the HR menu's dashboard, the campaigns, a campaign's
department tree and chart, a drill into an overdue unit; the campaign form, plain and with
errors. axe-core on every page (WCAG 2 A/AA), and the pages fit a phone."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook

from courses import services as course_services
from learning import clock
from learning.accounts.models import Department
from learning.campaigns import services as campaigns
from learning.campaigns.summaries import ministry_day
from learning.db import db as _db
from tests import factories
from tests.browser.audit import Audit
from tests.browser.conftest import COURSE, DEPARTMENTS, PASSWORD, PHONE, visit
from tests.browser.test_layout import _assert_fits

pytestmark = pytest.mark.browser


@pytest.fixture
def campaign(ministry, db):
    """A ministry-wide campaign whose deadline passed three days ago: one official of the
    first unit completed in time, everyone else is overdue. Returns (hr, campaign)."""
    now = clock.now()
    root = db.session.query(Department).filter_by(parent_id=None).one()
    made = campaigns.create_campaign(
        None, title="Kỹ năng số bắt buộc năm 2026", course_id=course_services.get_course(
            COURSE).id, department_ids=[root.id],
        deadline=ministry_day(now) - timedelta(days=3), now=now - timedelta(days=30))
    db.session.commit()
    unit = db.session.query(Department).filter_by(name=DEPARTMENTS[1]).one()
    done = unit_officials(unit)[0]
    course = course_services.get_course(COURSE)
    for lesson in course_services.active_lessons(course.id):
        course_services.complete_lesson(done, lesson, now=now - timedelta(days=10))
    hr = factories.UserFactory(username="ha.ltt", full_name="Lê Thị Thu Hà",
                               department=root, roles={"hr", "learner"}, password=PASSWORD)
    db.session.commit()
    return hr, made


def unit_officials(unit):
    from learning.accounts.models import User
    return _db.session.query(User).filter_by(department_id=unit.id).order_by(User.id).all()


def test_hr_opens_a_campaign_and_drills_into_an_overdue_unit(web, campaign, tmp_path):
    hr, made = campaign
    audit = Audit()
    page = web.signed_in_page(hr)

    # The dashboard is the HR menu's first entry.
    page.locator("[aria-controls=menu-hr]").click()
    first = page.locator("#menu-hr a").first
    assert first.get_attribute("href") == "/hr"
    with page.expect_navigation():
        first.click()
    assert page.locator("h1").inner_text() == "Tổng quan tổ chức cán bộ"
    audit.check(page, "/hr")

    visit(page, "/hr/campaigns")
    audit.check(page, "/hr/campaigns")
    with page.expect_navigation():
        page.get_by_role("link", name="Kỹ năng số bắt buộc năm 2026", exact=True).click()
    assert parse_qs(urlsplit(page.url).query) == {"campaign": [str(made.id)]}
    assert page.locator(".notice").is_visible()  # the deadline has passed
    chart = page.locator("figure.chart svg[role=img]")
    assert chart.is_visible() and page.locator(".chart-deadline").count() == 1
    page.locator(".chart-data summary").click()
    assert page.locator(".chart-data table").is_visible()
    audit.check(page, "/hr?campaign (chart data open)")

    # The unit with an overdue figure: its overdue count drills into the people behind it.
    row = page.locator("table.rollup tbody tr", has_text=DEPARTMENTS[1])
    overdue = row.locator("td.overdue-cell a")
    assert overdue.inner_text() == "2"
    href = overdue.get_attribute("href")
    unit = _db.session.query(Department).filter_by(name=DEPARTMENTS[1]).one()
    assert urlsplit(href).path == "/hr/people"
    assert parse_qs(urlsplit(href).query) == {
        "campaign": [str(made.id)], "department": [str(unit.id)], "status": ["overdue"]}
    with page.expect_navigation() as navigation:
        overdue.click()
    assert navigation.value.status == 200
    names = [u.full_name for u in unit_officials(unit)]
    text = page.locator("main").inner_text()
    assert names[1] in text and names[0] not in text
    audit.check(page, "/hr/people (overdue unit)")

    # ... and exports them to Excel: the overdue of that unit, read back.
    with page.expect_download() as info:
        page.get_by_role("link", name="Tải Excel").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.suffix == ".xlsx"
    sheet = load_workbook(target).active
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    exported = {row[1] for row in rows}
    assert len(rows) == 2 and names[1] in exported and names[0] not in exported
    assert {row[6] for row in rows} == {"overdue"}

    # The emulation ranking of the campaign's units, reached from the dashboard.
    visit(page, f"/hr?campaign={made.id}")
    with page.expect_navigation():
        page.get_by_role("link", name="Xếp hạng thi đua", exact=False).first.click()
    assert urlsplit(page.url).path == f"/hr/campaigns/{made.id}/ranking"
    assert page.locator("table.ranking tbody tr").count() >= 1
    audit.check(page, "/hr/campaigns/ranking")

    # The campaign form, plain and with errors.
    visit(page, "/hr/campaigns/new")
    audit.check(page, "/hr/campaigns/new")
    with page.expect_navigation():
        page.locator("main form[method=post] button[type=submit]").click()
    assert page.locator(".field-error").count() >= 1
    audit.check(page, "/hr/campaigns/new with errors")
    visit(page, f"/hr/campaigns/{made.id}/edit")
    audit.check(page, "/hr/campaigns/edit")
    audit.assert_clean()


def test_hr_pages_fit_a_phone(web, campaign):
    hr, made = campaign
    page = web.signed_in_page(hr, PHONE)
    for path in ("/hr", f"/hr?campaign={made.id}", "/hr/campaigns", "/hr/campaigns/new"):
        visit(page, path)
        _assert_fits(page, path)

"""HR's people list in a real browser: filter a campaign to the overdue officials, download
them as Excel (read back), and axe-core on the page, its error state and a phone's width."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook

from tests import factories
from tests.browser.audit import Audit
from tests.browser.conftest import PASSWORD, PHONE, visit
from tests.browser.test_layout import _assert_fits
from tests.reports import people_steps as steps

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(app, db, tmp_path):
    built = steps.build(tmp_path)  # the deadline, 30 June 2026, has passed
    hr = factories.UserFactory(username="nhan.nt", full_name="Ngô Thị Nhân",
                               department=built.ministry.tccb, roles={"hr", "learner"},
                               password=PASSWORD)
    db.session.commit()
    return built, hr


def test_hr_filters_the_overdue_and_downloads_them_as_excel(web, scene, tmp_path):
    built, hr = scene
    audit = Audit()
    page = web.signed_in_page(hr)
    page.locator("#menu-hr").evaluate("list => list.hidden = false")
    with page.expect_navigation():
        page.locator("#menu-hr a[href='/hr/people']").click()
    audit.check(page, "/hr/people")

    page.select_option("#campaign", str(built.campaign.id))
    page.select_option("#status", "overdue")
    with page.expect_navigation():
        page.locator("main form.people-filter button[type=submit]").click()
    query = parse_qs(urlsplit(page.url).query)
    assert query["status"] == ["overdue"] and query["campaign"] == [str(built.campaign.id)]
    names = page.locator("main tbody td:first-child a").all_inner_texts()
    assert sorted(names) == sorted(["Lê Thị Bình", "Vũ Thị Lan", '=HYPERLINK("http://x")'])
    assert page.locator("main tbody .badge").all_inner_texts() == ["Quá hạn"] * 3
    audit.check(page, "/hr/people overdue")

    with page.expect_download() as info:
        page.get_by_role("link", name="Tải Excel").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    sheet = load_workbook(target).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sorted(row[1] for row in rows) == sorted(
        ["Lê Thị Bình", "Vũ Thị Lan", "'=HYPERLINK(\"http://x\")"])
    assert {row[6] for row in rows} == {"overdue"}

    visit(page, "/hr/people?from=31/02/2026&status=overdue")
    assert page.locator("#from-error").is_visible()
    audit.check(page, "/hr/people with a bad date")
    phone = web.signed_in_page(hr, PHONE)
    visit(phone, f"/hr/people?campaign={built.campaign.id}")
    _assert_fits(phone, "/hr/people at 360 px")
    audit.check(phone, "/hr/people at 360 px")
    audit.assert_clean()

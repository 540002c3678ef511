"""Adding members: from a CSV (or Excel) list of staff numbers, where every bad row is reported
by its line number and then nobody is added; from a department, with or without its units; by
username. Adding is idempotent, and a newcomer is enrolled in the group's assignments."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from courses.models import Enrolment
from learning.errors import RuleViolation
from learning.mentoring import services as mentoring
from learning.mentoring.models import GroupMember
from tests.conftest import translated, visible_text
from tests.courses.steps import new_client
from tests.mentoring import steps
from tests.mentoring.steps import at, due

NOW = at("2026-03-01 02:00")


@pytest.fixture
def office(app, db, tmp_path, monkeypatch):
    from learning import clock

    monkeypatch.setattr(clock, "now", lambda: NOW)
    steps.course(tmp_path)
    ministry = steps.department("Bộ Ngoại giao")
    consular = steps.department("Cục Lãnh sự", parent=ministry)
    passports = steps.department("Phòng Hộ chiếu", parent=consular)
    finance = steps.department("Cục Quản trị Tài vụ", parent=ministry)
    mentor = steps.official("Phạm Đức Anh", department=consular, roles=("mentor", "learner"))
    people = {
        "LS-01": steps.official("Trịnh Thị Thu Trang", department=consular,
                                staff_number="LS-01"),
        "LS-02": steps.official("Cao Minh Đức", department=consular, staff_number="LS-02"),
        "HC-01": steps.official("Dương Thị Bích Ngọc", department=passports,
                                staff_number="HC-01"),
        "HC-02": steps.official("Lâm Thị Mỹ Duyên", department=passports,
                                staff_number="HC-02", is_active_account=False),
        "TV-01": steps.official("Giang Thị Ánh Tuyết", department=finance,
                                staff_number="TV-01"),
    }
    group = mentoring.create_group(None, "Cán bộ mới Cục Lãnh sự", [mentor.username],
                                   department_id=consular.id, now=NOW)
    db.session.commit()
    return {"mentor": mentor, "people": people, "group": group, "consular": consular,
            "passports": passports, "finance": finance}


def member_count(db, group) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(GroupMember)
                             .where(GroupMember.group_id == group.id))


def post_csv(browser, group, text: str, filename: str = "danh-sach.csv"):
    return browser.post(f"/mentoring/groups/{group.id}/members/import",
                        data={"file": (io.BytesIO(text.encode("utf-8-sig")), filename)},
                        content_type="multipart/form-data")


def error_rows(response) -> list[tuple[str, str]]:
    """The (line, problem) rows of the page's error table."""
    import re
    html = response.data.decode()
    table = html[html.index('id="errors-title"'):]
    table = table[:table.index("</table>")]
    return [(line, " ".join(problem.split())) for line, problem in
            re.findall(r"<tr><td>(\d+)</td><td>(.*?)</td></tr>", table, re.S)]


def test_a_csv_with_bad_rows_reports_each_by_line_and_adds_nobody(app, db, office):
    browser = new_client(app, office["mentor"])
    group = office["group"]
    response = post_csv(browser, group, "\n".join([
        "staff_number;ghi chú",
        "LS-01;",          # line 2: fine
        "KHONG-CO;",       # line 3: unknown
        "ls-01;",          # line 4: repeats line 2 (case ignored)
        ";trống",          # line 5: no staff number
        "TV-01;",          # line 6: outside the mentor's reach (another department)
        "HC-02;",          # line 7: deactivated
        "",                # line 8: blank, skipped
        "HC-01;",          # line 9: fine
    ]))
    assert response.status_code == 400
    rows = error_rows(response)
    assert [line for line, _ in rows] == ["3", "4", "5", "6", "7"]
    assert rows[0][1] == translated("vi", "No official has the staff number %(staff)s.",
                                    staff="KHONG-CO")
    assert rows[1][1] == translated("vi", "Staff number %(staff)s already appears on line "
                                          "%(other)d.", staff="ls-01", other=2)
    assert "TV-01" in rows[3][1] and "HC-02" in rows[4][1]
    assert member_count(db, group) == 0
    # The rows stay on the page, to be corrected and sent again.
    assert "KHONG-CO" in response.data.decode()


def test_a_good_csv_adds_everyone_once(app, db, office):
    browser = new_client(app, office["mentor"])
    group = office["group"]
    csv_text = "Mã cán bộ,Họ và tên\nLS-01,Trịnh Thị Thu Trang\nHC-01,Dương Thị Bích Ngọc\n"
    assert post_csv(browser, group, csv_text).status_code == 302
    assert member_count(db, group) == 2
    again = post_csv(browser, group, csv_text + "LS-02,Cao Minh Đức\n")
    assert again.status_code == 302
    assert member_count(db, group) == 3
    page = visible_text(browser.get(f"/mentoring/groups/{group.id}/members"))
    assert translated("vi", "%(added)d added to the group, %(already)d already in it.",
                      added=1, already=2) in page


def test_pasted_rows_and_an_excel_file_work_too(app, db, office):
    browser = new_client(app, office["mentor"])
    group = office["group"]
    pasted = browser.post(f"/mentoring/groups/{group.id}/members/import",
                          data={"rows": "staff_number\nLS-02\n"})
    assert pasted.status_code == 302
    book = Workbook()
    book.active.append(["staff_number"])
    book.active.append(["HC-01"])
    data = io.BytesIO()
    book.save(data)
    sent = browser.post(f"/mentoring/groups/{group.id}/members/import",
                        data={"file": (io.BytesIO(data.getvalue()), "ds.xlsx")},
                        content_type="multipart/form-data")
    assert sent.status_code == 302
    assert member_count(db, group) == 2


def test_a_file_without_the_column_is_refused(app, db, office):
    browser = new_client(app, office["mentor"])
    response = post_csv(browser, office["group"], "username\ntrang\n")
    assert response.status_code == 400
    assert "staff_number" in visible_text(response)
    assert member_count(db, office["group"]) == 0


def test_a_department_with_or_without_its_units(app, db, office):
    browser = new_client(app, office["mentor"])
    group = office["group"]
    page = browser.get(f"/mentoring/groups/{group.id}/members").data.decode()
    assert f'value="{office["passports"].id}"' in page
    assert f'value="{office["finance"].id}"' not in page  # outside the mentor's reach
    only = browser.post(f"/mentoring/groups/{group.id}/members/department",
                        data={"department_id": str(office["consular"].id)})  # box unticked
    assert only.status_code == 302
    # The consular department itself: Trang, Đức and the mentor himself; not its units.
    assert member_count(db, group) == 3
    units = browser.post(f"/mentoring/groups/{group.id}/members/department",
                         data={"department_id": str(office["consular"].id),
                               "include_subunits": "y"})
    assert units.status_code == 302
    assert member_count(db, group) == 4  # + Ngọc; Duyên's account is deactivated
    refused = browser.post(f"/mentoring/groups/{group.id}/members/department",
                           data={"department_id": str(office["finance"].id),
                                 "include_subunits": "y"})
    assert refused.status_code == 400
    assert member_count(db, group) == 4


def test_adding_is_idempotent_and_enrols_newcomers_in_the_group_assignments(app, db, office):
    group, people = office["group"], office["people"]
    mentor = office["mentor"]
    mentoring.add_members(mentor, group, [people["LS-01"].username], now=NOW)
    mentoring.assign(mentor, group, steps.SLUG, None, None, due("2026-03-20"), "", None,
                     now=NOW)
    db.session.commit()
    result = mentoring.add_members(mentor, group, [people["LS-01"].username,
                                                   people["LS-02"].username], now=NOW)
    db.session.commit()
    assert [u.username for u in result.added] == [people["LS-02"].username]
    assert [u.username for u in result.already] == [people["LS-01"].username]
    assert member_count(db, group) == 2
    enrolled = set(db.session.scalars(select(Enrolment.user_id)))
    assert enrolled == {people["LS-01"].id, people["LS-02"].id}
    with pytest.raises(RuleViolation, match="khong-ai-ca"):
        mentoring.add_members(mentor, group, ["khong-ai-ca", people["HC-01"].username],
                              now=NOW)
    assert member_count(db, group) == 2  # a bad username and nobody is added


def test_removing_a_member_keeps_their_records(app, db, office):
    browser = new_client(app, office["mentor"])
    group, trang = office["group"], office["people"]["LS-01"]
    mentoring.add_members(None, group, [trang.username], now=NOW)
    mentoring.assign(None, group, steps.SLUG, None, None, due("2026-03-20"), "", [trang.id],
                     now=NOW)
    db.session.commit()
    removed = browser.post(f"/mentoring/groups/{group.id}/members/{trang.id}/remove", data={})
    assert removed.status_code == 302
    assert member_count(db, group) == 0
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 1
    assert mentoring.assigned_to(trang, now=NOW) == []

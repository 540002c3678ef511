"""The people lists behind HR's figures: every filter, the statuses on the ministry's calendar
day, the Vietnamese order across keyset pages, and HR's scope."""

from __future__ import annotations

from datetime import date

import pytest

from learning.db import db
from learning.errors import PermissionDenied, RuleViolation
from learning.reports import people
from learning.reports.people import BadCursor, PeopleFilter, iter_people, list_people
from learning.text import name_sort_key
from tests import factories
from tests.reports import people_steps as steps
from tests.reports.people_steps import BEFORE, DEADLINE

AFTER = date(2026, 7, 1)


@pytest.fixture
def scene(app, db, tmp_path):
    return steps.build(tmp_path)


def names(page_or_rows) -> list[str]:
    rows = page_or_rows.rows if hasattr(page_or_rows, "rows") else page_or_rows
    return [row.full_name for row in rows]


def statuses(actor, filters, today) -> dict[str, str]:
    return {row.full_name: row.status for row in list_people(actor, filters, today=today).rows}


def test_a_campaign_lists_its_members_with_their_status_on_the_ministry_day(scene):
    campaign = PeopleFilter(campaign_id=scene.campaign.id)
    assert statuses(None, campaign, DEADLINE) == {
        "Nguyễn Thị Hương": "completed", "Trần Văn An": "completed_late",
        "Lê Thị Bình": "in_progress", "Vũ Thị Lan": "not_started",
        '=HYPERLINK("http://x")': "not_started"}
    # The day after the deadline, whoever has not completed is overdue.
    after = statuses(None, campaign, AFTER)
    assert after["Lê Thị Bình"] == after["Vũ Thị Lan"] == "overdue"
    assert after["Trần Văn An"] == "completed_late"


def test_the_overdue_filter_turns_on_the_day_after_the_deadline(scene):
    overdue = PeopleFilter(campaign_id=scene.campaign.id, status="overdue")
    assert names(list_people(None, overdue, today=BEFORE)) == []
    assert set(names(list_people(None, overdue, today=AFTER))) == {
        "Lê Thị Bình", "Vũ Thị Lan", '=HYPERLINK("http://x")'}
    in_progress = PeopleFilter(campaign_id=scene.campaign.id, status="in_progress")
    assert names(list_people(None, in_progress, today=BEFORE)) == ["Lê Thị Bình"]
    assert names(list_people(None, in_progress, today=AFTER)) == []  # overdue now
    late = PeopleFilter(campaign_id=scene.campaign.id, status="completed_late")
    assert names(list_people(None, late, today=AFTER)) == ["Trần Văn An"]


def test_a_row_carries_what_an_hr_database_expects(scene):
    page = list_people(None, PeopleFilter(campaign_id=scene.campaign.id, q="CB-0001"),
                       today=AFTER)
    (row,) = page.rows
    assert row.staff_number == "CB-0001"
    assert row.department_path == "Bộ Thử nghiệm/Cục Chuyển đổi số/Phòng Dữ liệu"
    assert row.job_title == "Chuyên viên chính"
    assert row.course_title == scene.course.title
    assert row.campaign_title == scene.campaign.title
    assert row.status == "completed"
    assert row.completed_at is not None and row.score is not None and row.score > 0
    assert row.certificate_serial and row.certificate_id
    assert isinstance(row.hours, float)
    assert page.total == 1


def test_the_department_filter_takes_the_subtree(scene):
    cds = PeopleFilter(campaign_id=scene.campaign.id, department_id=scene.ministry.cds.id)
    assert set(names(list_people(None, cds, today=AFTER))) == {
        "Nguyễn Thị Hương", "Trần Văn An", "Lê Thị Bình"}
    data = PeopleFilter(department_id=scene.ministry.data.id)
    assert names(list_people(None, data, today=AFTER)) == ["Nguyễn Thị Hương"]


def test_hr_of_a_unit_sees_only_its_subtree(scene):
    hr = factories.UserFactory(roles={"hr"}, hr_scope=scene.ministry.cds,
                               department=scene.ministry.cds)
    db.session.commit()
    for filters in (PeopleFilter(campaign_id=scene.campaign.id),
                    PeopleFilter(course_id=scene.course.id), PeopleFilter()):
        page = list_people(hr, filters, today=AFTER)
        assert set(names(page)) == {"Nguyễn Thị Hương", "Trần Văn An", "Lê Thị Bình"}
        assert page.total == 3
        assert {row.full_name for row in iter_people(hr, filters, today=AFTER)} == set(
            names(page))
    with pytest.raises(RuleViolation) as error:
        list_people(hr, PeopleFilter(department_id=scene.ministry.tccb.id), today=AFTER)
    assert error.value.field == "department"


def test_only_hr_and_administrators_see_people_lists(scene):
    learner = scene.people["lan"]
    with pytest.raises(PermissionDenied):
        list_people(learner, PeopleFilter(), today=AFTER)
    with pytest.raises(PermissionDenied):
        list(iter_people(learner, PeopleFilter(), today=AFTER))


def test_a_course_without_campaign_lists_its_enrolments(scene):
    course = PeopleFilter(course_id=scene.course.id)
    assert statuses(None, course, AFTER) == {
        "Nguyễn Thị Hương": "completed", "Trần Văn An": "completed",
        "Lê Thị Bình": "in_progress", "Vũ Thị Lan": "not_started",
        '=HYPERLINK("http://x")': "not_started"}
    assert {row.campaign_title for row in list_people(None, course, today=AFTER).rows} == {""}
    # A course has no deadline: nobody is late or overdue on it.
    assert list_people(None, PeopleFilter(course_id=scene.course.id, status="overdue"),
                       today=AFTER).rows == []
    assert names(list_people(None, PeopleFilter(course_id=scene.course.id,
                                                status="in_progress"), today=AFTER)) == [
        "Lê Thị Bình"]


def test_the_completion_dates_are_ministry_days(scene):
    def between(date_from, date_to):
        return set(names(list_people(None, PeopleFilter(
            campaign_id=scene.campaign.id, date_from=date_from, date_to=date_to),
            today=AFTER)))

    # Hương completed at 23:30 on 30 June in Hà Nội, An at 00:30 on 1 July there.
    assert between(DEADLINE, DEADLINE) == {"Nguyễn Thị Hương"}
    assert between(AFTER, None) == {"Trần Văn An"}
    assert between(None, DEADLINE) == {"Nguyễn Thị Hương"}
    assert between(date(2026, 6, 1), date(2026, 7, 31)) == {"Nguyễn Thị Hương", "Trần Văn An"}
    with pytest.raises(RuleViolation) as error:
        between(AFTER, DEADLINE)
    assert error.value.field == "to"


def test_the_search_ignores_diacritics_and_finds_staff_numbers(scene):
    def found(q):
        return names(list_people(None, PeopleFilter(campaign_id=scene.campaign.id, q=q),
                                 today=AFTER))

    assert found("nguyen thi huong") == ["Nguyễn Thị Hương"]
    assert found("HUONG") == ["Nguyễn Thị Hương"]
    assert found("cb-0003") == ["Lê Thị Bình"]
    assert found("không có ai") == []
    assert found("100%_") == []  # LIKE wildcards are text


@pytest.mark.parametrize("field,filters", [
    ("status", PeopleFilter(status="finished")),
    ("sort", PeopleFilter(sort="password_hash")),
    ("campaign", PeopleFilter(campaign_id=999_999)),
    ("course", PeopleFilter(course_id=999_999)),
    ("department", PeopleFilter(department_id=999_999)),
    ("q", PeopleFilter(q="x" * 201)),
])
def test_bad_filters_are_errors_on_their_field(scene, field, filters):
    with pytest.raises(RuleViolation) as error:
        list_people(None, filters, today=AFTER)
    assert error.value.field == field
    assert people.without(filters, field) != filters


def test_pages_follow_the_vietnamese_order(app, db, tmp_path):
    scene = steps.build(tmp_path)
    more = ["Đặng Văn Anh", "Bùi Thị Ánh", "Hồ Văn Ân", "Phạm Thị Ơn", "Đỗ Văn Ôn",
            "Ngô Thị Ư", "Lý Văn Út", "Trịnh Thị Hạnh", "Mai Văn Đức", "Võ Thị Dung"]
    for name in more:
        steps.campaign_steps.official(name, department=scene.ministry.data)
    db.session.commit()
    steps.join_everyone()
    filters = PeopleFilter(course_id=scene.course.id)
    everyone = [row.full_name for row in iter_people(None, filters, today=AFTER)]
    expected = sorted(everyone, key=name_sort_key)
    assert everyone == expected
    for sort in people.SORTS:
        sorted_filters = PeopleFilter(campaign_id=scene.campaign.id, sort=sort)
        whole = names(list_people(None, sorted_filters, today=AFTER, limit=200))
        paged, cursor = [], None
        while True:
            page = list_people(None, sorted_filters, today=AFTER, cursor=cursor, limit=2)
            assert page.total == len(whole)
            paged += names(page)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert paged == whole, sort
    by_name = names(list_people(None, PeopleFilter(campaign_id=scene.campaign.id),
                                today=AFTER, limit=200))
    assert by_name == sorted(by_name, key=name_sort_key)
    assert by_name.index("Trần Văn An") < by_name.index("Lê Thị Bình")  # An before Bình


def test_a_cursor_from_elsewhere_is_refused(scene):
    filters = PeopleFilter(campaign_id=scene.campaign.id)
    page = list_people(None, filters, today=AFTER, limit=1)
    assert page.next_cursor
    with pytest.raises(BadCursor):
        list_people(None, filters, today=AFTER, cursor=page.next_cursor + "x")
    with pytest.raises(BadCursor):  # another order
        list_people(None, PeopleFilter(campaign_id=scene.campaign.id, sort="score"),
                    today=AFTER, cursor=page.next_cursor)
    with pytest.raises(BadCursor):  # another list's shape
        list_people(None, PeopleFilter(course_id=scene.course.id), today=AFTER,
                    cursor=page.next_cursor)
    # The same shape and order with other filters: another list, whose rows after the
    # cursor's name would skip everyone before it.
    for other in (PeopleFilter(campaign_id=scene.campaign.id, status="completed"),
                  PeopleFilter(campaign_id=scene.campaign.id, q="an"),
                  PeopleFilter(campaign_id=scene.campaign.id,
                               department_id=scene.ministry.root.id)):
        with pytest.raises(BadCursor):
            list_people(None, other, today=AFTER, cursor=page.next_cursor)
    hr = factories.UserFactory(roles={"hr", "learner"})
    with pytest.raises(BadCursor):  # another reader's link
        list_people(hr, filters, today=AFTER, cursor=page.next_cursor)


def test_a_page_is_a_fixed_number_of_statements(scene, count_queries):
    filters = PeopleFilter(campaign_id=scene.campaign.id)
    db.session.expire_all()
    with count_queries() as few:
        list_people(None, filters, today=AFTER, limit=2)
    for index in range(30):
        steps.campaign_steps.official(f"Phan Văn Thêm {index}", department=scene.ministry.data)
    db.session.commit()
    steps.join_everyone()
    db.session.expire_all()
    with count_queries() as many:
        page = list_people(None, filters, today=AFTER, limit=50)
    assert len(page.rows) == 35
    assert len(many) == len(few)


def test_the_total_read_from_the_summaries_is_the_number_of_rows(scene):
    hr = factories.UserFactory(roles={"hr"}, hr_scope=scene.ministry.cds,
                               department=scene.ministry.cds)
    db.session.commit()
    campaign, course = scene.campaign.id, scene.course.id
    for actor in (None, hr):
        for today in (BEFORE, AFTER):
            for status in (None, *people.STATES):
                for shape in ({"campaign_id": campaign}, {"course_id": course}, {},
                              {"campaign_id": campaign, "department_id":
                               scene.ministry.data.id}):
                    filters = PeopleFilter(status=status, **shape)
                    rows = list(iter_people(actor, filters, today=today))
                    page = list_people(actor, filters, today=today)
                    assert page.total == len(rows) == people.count_people(
                        actor, filters, today=today), (actor, today, filters)

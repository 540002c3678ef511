"""The learner's side: "Assigned to me" comes first on the dashboard, overdue items first and
marked in words (not by colour alone), then by due date, with who assigned it and the note."""

from __future__ import annotations

import pytest

from learning import clock
from learning.db import db
from learning.mentoring import services as mentoring
from tests.conftest import translated, visible_text
from tests.courses.steps import new_client
from tests.mentoring import steps
from tests.mentoring.steps import at, due

ASSIGNED = at("2026-03-01 02:00")


@pytest.fixture
def huong(app, db, tmp_path, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: at("2026-03-12 02:00"))
    steps.course(tmp_path)
    steps.course(tmp_path, "khoa-khac", title="Khóa học khác")
    mentor = steps.official("Phạm Đức Anh", roles=("mentor", "learner"))
    hr = steps.official("Lê Thị Thu Hà", roles=("hr", "learner"))
    huong = steps.official("Nguyễn Thị Hương")
    other = steps.official("Trịnh Thị Thu Trang")
    cell = steps.group_with(mentor, [huong, other], name="Chi đoàn")
    newcomers = steps.group_with(mentor, [huong], name="Cán bộ mới")
    mentoring.assign(mentor, cell, steps.SLUG, None, None, due("2026-03-30"),
                     "Hoàn thành trước kỳ đánh giá quý.", None, now=ASSIGNED)
    mentoring.assign(hr, newcomers, steps.SLUG, "co-ban", None, due("2026-03-10"),
                     "Phần cơ bản trong tuần đầu.", None, now=ASSIGNED)
    mentoring.assign(mentor, cell, steps.SLUG, None, "c", due("2026-03-20"), "", None,
                     now=ASSIGNED)
    mentoring.assign(mentor, newcomers, "khoa-khac", None, "a", due("2026-03-05"), "", None,
                     now=ASSIGNED)
    mentoring.assign(mentor, cell, "khoa-khac", None, "b", due("2026-03-25"), "",
                     [other.id], now=ASSIGNED)  # for Trang only
    db.session.commit()
    steps.complete(huong, "a", now=at("2026-03-04 02:00"), course_slug="khoa-khac")
    return huong


def test_assigned_to_me_in_order(app, huong):
    items = mentoring.assigned_to(huong, now=at("2026-03-12 02:00"))
    assert [(i.course_slug, i.module_slug, i.lesson_slug, i.state) for i in items] == [
        (steps.SLUG, "co-ban", None, "overdue"),
        (steps.SLUG, None, "c", "not_started"),
        (steps.SLUG, None, None, "not_started"),
        ("khoa-khac", None, "a", "done"),
    ]
    assert items[0].assigned_by == "Lê Thị Thu Hà"
    assert items[0].note == "Phần cơ bản trong tuần đầu."
    assert items[0].group_name == "Cán bộ mới"


def test_the_dashboard_shows_them_first_with_overdue_marked_in_words(app, huong):
    page = new_client(app, huong).get("/")
    html = page.data.decode()
    assert page.status_code == 200
    assigned = html.index('id="assigned-title"')
    assert assigned < html.index('id="my-learning"')
    section = html[assigned:html.index("</section>", assigned)]
    items = section.split('<li class="assigned-item')[1:]
    assert len(items) == 4
    assert items[0].startswith(" is-overdue")
    overdue_word = translated("vi", "Overdue")
    assert overdue_word in items[0] and all(overdue_word not in item for item in items[1:])
    text = visible_text(page)
    assert "Phạm Đức Anh" in text and "Hoàn thành trước kỳ đánh giá quý." in text
    assert text.index("Phần co-ban") < text.index("Bài C")  # overdue first, then by due date


def test_an_official_with_nothing_assigned_sees_no_section(app, db):
    nobody = steps.official("Đặng Quốc Bảo")
    db.session.commit()
    html = new_client(app, nobody).get("/").data.decode()
    assert 'id="assigned-title"' not in html and 'id="my-learning"' in html


def test_the_section_costs_the_same_queries_for_one_or_many_assignments(
        app, db, tmp_path, count_queries, monkeypatch):
    from tests.progress.test_dashboard import dashboard_queries

    monkeypatch.setattr(clock, "now", lambda: at("2026-03-02 02:00"))
    steps.course(tmp_path)
    mentor = steps.official("Phạm Đức Anh", roles=("mentor", "learner"))
    one, many = steps.official("Trần Văn An"), steps.official("Lê Thị Bình")
    small = steps.group_with(mentor, [one], name="Nhóm một")
    big = steps.group_with(mentor, [many], name="Nhóm nhiều")
    # The same kinds of target (a few queries each at most), in different numbers.
    for module, lesson in ((None, None), ("co-ban", None), (None, "a")):
        mentoring.assign(mentor, small, steps.SLUG, module, lesson, due("2026-03-10"), "",
                         None, now=ASSIGNED)
    for module, lesson in ((None, None), ("co-ban", None), ("nang-cao", None), (None, "a"),
                           (None, "b"), (None, "c"), (None, "d")):
        mentoring.assign(mentor, big, steps.SLUG, module, lesson, due("2026-03-10"), "", None,
                         now=ASSIGNED)
    db.session.commit()
    steps.complete(many, "a", "c", now=at("2026-03-01 05:00"))
    steps.take_quiz(many, "kiem-tra-co-ban", now=at("2026-03-01 06:00"))
    browsers = [new_client(app, user) for user in (one, many)]
    assert browsers[1].get("/").data.decode().count('<li class="assigned-item') == 7
    assert dashboard_queries(browsers[1], count_queries) == dashboard_queries(
        browsers[0], count_queries)

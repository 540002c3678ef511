"""Assignment states over time, with a controlled clock: every service takes `now`, and the
pages read `learning.clock.now`, which the page tests replace. Days are the ministry's
calendar days (Asia/Ho_Chi_Minh, UTC+7) whatever the day is in UTC."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from learning.mentoring import services as mentoring
from learning.mentoring.progress import derive_state
from tests.mentoring import steps
from tests.mentoring.steps import at, due

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
DUE = date(2026, 3, 10)


@pytest.mark.parametrize(("done_at", "started", "today", "expected"), [
    (None, False, date(2026, 3, 10), "not_started"),
    (None, True, date(2026, 3, 10), "in_progress"),
    (None, False, date(2026, 3, 11), "overdue"),
    (None, True, date(2026, 3, 11), "overdue"),
    ("2026-03-10 16:59", True, date(2026, 3, 20), "done"),       # 23:59 in Hà Nội on the day
    ("2026-03-10 17:00", True, date(2026, 3, 20), "done_late"),  # 00:00 in Hà Nội the next day
    ("2026-03-02 01:00", True, date(2026, 3, 5), "done"),
])
def test_the_state_follows_the_ministry_day(done_at, started, today, expected):
    assert derive_state(done_at=at(done_at) if done_at else None, started=started,
                        due_on=DUE, today=today, zone=HANOI) == expected


@pytest.fixture
def scene(app, db, tmp_path):
    steps.course(tmp_path)
    mentor = steps.official("Phạm Đức Anh", roles=("mentor", "learner"))
    huong = steps.official("Nguyễn Thị Hương")
    group = steps.group_with(mentor, [huong])
    return mentor, huong, group


def test_a_lesson_assignment_over_time(db, scene):
    mentor, huong, group = scene
    assignment, created = mentoring.assign(
        mentor, group, steps.SLUG, None, "a", DUE, "Đọc trước buổi họp chi đoàn.", None,
        now=at("2026-03-01 02:00"))
    db.session.commit()
    assert created
    assert steps.state(huong, assignment, now=at("2026-03-01 03:00")) == "not_started"

    steps.open_lesson(huong, "a", now=at("2026-03-05 02:00"))
    assert steps.state(huong, assignment, now=at("2026-03-05 03:00")) == "in_progress"
    # 23:59 on the due day in Hà Nội is still on time; one minute later it is overdue,
    # although it is 17:00 on the due day in UTC.
    assert steps.state(huong, assignment, now=at("2026-03-10 16:59")) == "in_progress"
    assert steps.state(huong, assignment, now=at("2026-03-10 17:00")) == "overdue"

    steps.complete(huong, "a", now=at("2026-03-10 17:30"))  # 00:30 on 11 March in Hà Nội
    late = steps.cell(huong, assignment, now=at("2026-03-12 01:00"))
    assert (late.state, late.percent) == ("done_late", 100)


def test_a_completion_at_half_past_eleven_in_hanoi_is_on_time(db, scene):
    mentor, huong, group = scene
    assignment, _ = mentoring.assign(mentor, group, steps.SLUG, None, "b", DUE, "", None,
                                     now=at("2026-03-01 02:00"))
    db.session.commit()
    steps.complete(huong, "b", now=at("2026-03-10 16:30"))  # 23:30 on 10 March in Hà Nội
    assert steps.state(huong, assignment, now=at("2026-04-01 00:00")) == "done"


def test_the_configured_time_zone_decides_the_day(app, db, scene, monkeypatch):
    mentor, huong, group = scene
    assignment, _ = mentoring.assign(mentor, group, steps.SLUG, None, "b", DUE, "", None,
                                     now=at("2026-03-01 02:00"))
    db.session.commit()
    steps.complete(huong, "b", now=at("2026-03-10 17:30"))
    assert steps.state(huong, assignment, now=at("2026-03-20 00:00")) == "done_late"
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_TIMEZONE", "UTC")
    assert steps.state(huong, assignment, now=at("2026-03-20 00:00")) == "done"


def test_a_module_needs_its_lessons_and_its_required_quiz(db, scene):
    mentor, huong, group = scene
    assignment, _ = mentoring.assign(mentor, group, steps.SLUG, "co-ban", None, DUE, "", None,
                                     now=at("2026-03-01 02:00"))
    db.session.commit()
    assert steps.cell(huong, assignment, now=at("2026-03-02 00:00")).percent == 0
    steps.complete(huong, "a", "b", now=at("2026-03-03 02:00"))
    halfway = steps.cell(huong, assignment, now=at("2026-03-04 00:00"))
    assert (halfway.state, halfway.percent) == ("in_progress", 66)  # 2 lessons of 3 parts

    steps.take_quiz(huong, "kiem-tra-co-ban", now=at("2026-03-09 02:00"), right=0.25)
    failed = steps.cell(huong, assignment, now=at("2026-03-09 03:00"))
    assert (failed.state, failed.percent, failed.quiz_percent) == ("in_progress", 66, 25.0)
    assert steps.state(huong, assignment, now=at("2026-03-11 00:00")) == "overdue"

    steps.take_quiz(huong, "kiem-tra-co-ban", now=at("2026-03-12 02:00"))
    passed = steps.cell(huong, assignment, now=at("2026-03-13 00:00"))
    assert (passed.state, passed.percent, passed.quiz_percent) == ("done_late", 100, 100.0)
    assert passed.done_at == at("2026-03-12 02:05")  # when the quiz was passed


def test_a_module_of_a_lessons_only_course_is_done_with_its_lessons(db, tmp_path, scene):
    mentor, huong, group = scene
    steps.course(tmp_path, "chi-bai-hoc", rule="all_lessons")
    assignment, _ = mentoring.assign(mentor, group, "chi-bai-hoc", "co-ban", None, DUE, "",
                                     None, now=at("2026-03-01 02:00"))
    db.session.commit()
    steps.complete(huong, "a", "b", now=at("2026-03-03 02:00"), course_slug="chi-bai-hoc")
    done = steps.cell(huong, assignment, now=at("2026-03-04 00:00"))
    assert (done.state, done.percent) == ("done", 100)


def test_a_course_assignment_follows_the_course_completion(db, scene):
    mentor, huong, group = scene
    assignment, _ = mentoring.assign(mentor, group, steps.SLUG, None, None, DUE, "", None,
                                     now=at("2026-03-01 02:00"))
    db.session.commit()
    steps.complete(huong, "a", "b", "c", "d", now=at("2026-03-02 02:00"))
    steps.take_quiz(huong, "kiem-tra-co-ban", now=at("2026-03-03 02:00"))
    part = steps.cell(huong, assignment, now=at("2026-03-04 00:00"))
    assert part.state == "in_progress" and 0 < part.percent < 100
    steps.take_quiz(huong, "kiem-tra-cuoi", now=at("2026-03-10 16:00"), right=0.75)
    done = steps.cell(huong, assignment, now=at("2026-03-11 00:00"))
    assert (done.state, done.percent, done.quiz_percent) == ("done", 100, 75.0)


def test_nothing_done_before_the_cycle_counts_after_a_retake(db, scene, app):
    mentor, huong, group = scene
    assignment, _ = mentoring.assign(mentor, group, steps.SLUG, None, "a", due("2027-03-10"),
                                     "", None, now=at("2026-03-01 02:00"))
    db.session.commit()
    steps.complete(huong, "a", now=at("2026-03-02 02:00"))
    assert steps.state(huong, assignment, now=at("2026-03-03 00:00")) == "done"
    enrolment = steps.courses.get_enrolment(huong, steps.courses.get_course(steps.SLUG))
    enrolment.cycle, enrolment.cycle_started_at = 2, at("2026-04-01 00:00")
    db.session.commit()
    assert steps.state(huong, assignment, now=at("2026-04-02 00:00")) == "not_started"

"""Enrolling (by the official, or by a mentor's assignment) creates the enrolment's summary at
once, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from courses import services as courses
from learning.campaigns.models import EnrolmentSummary
from learning.db import db
from tests.campaigns import steps
from tests.mentoring import steps as mentoring_steps


def test_enrolling_counts_the_official_at_once(app, db, tmp_path):
    course = mentoring_steps.course(tmp_path)
    ministry = steps.Ministry()
    hoa = steps.official("Trần Thị Hoa", department=ministry.data)
    db.session.commit()
    enrolment = courses.enrol(hoa, hoa, course, now=steps.at("2026-03-01 02:00"))
    db.session.commit()
    summary = db.session.get(EnrolmentSummary, enrolment.id)
    assert summary is not None and summary.state == "not_started"
    assert steps.cells("course", course.id)[ministry.data.id]["people"] == 1
    steps.assert_agree()

"""The reports bench's data builders, run small on the test database (SQLite or PostgreSQL):
what they build is what the app's own records would be, so the bench cannot rot."""

from __future__ import annotations

from sqlalchemy import func, select

from courses.models import Enrolment, LessonProgress
from learning.campaigns import summaries
from learning.campaigns.models import CampaignMember, DepartmentSummary
from tests import bench_reports


def test_built_summaries_agree_with_the_raw_records(db):
    scene = bench_reports.build(200, 5)
    db.session.remove()

    assert summaries.differences() == []
    members = db.session.scalar(select(func.count()).select_from(CampaignMember).where(
        CampaignMember.campaign_id == scene.campaign_id))
    assert members == 200
    # every standing is represented, and the table holds learners × lessons progress rows
    states = set(db.session.scalars(select(CampaignMember.state).distinct()))
    assert states == {"completed", "completed_late", "in_progress", "not_started"}
    assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == \
        scene.progress_rows
    assert 200 * 5 - 5 < scene.progress_rows <= 200 * 5
    people = db.session.scalar(select(func.sum(DepartmentSummary.people)).where(
        DepartmentSummary.kind == "campaign", DepartmentSummary.ref_id == scene.campaign_id))
    assert people == 200
    # lessons_done is what lesson_progress says
    done = dict(db.session.execute(
        select(LessonProgress.user_id, func.count(LessonProgress.completed_at))
        .where(LessonProgress.course_id == scene.course_id).group_by(LessonProgress.user_id)).all())
    for user_id, lessons_done in db.session.execute(select(
            Enrolment.user_id, Enrolment.lessons_done).where(
            Enrolment.course_id == scene.course_id)):
        assert done.get(user_id, 0) == lessons_done


def test_the_raw_rollup_and_a_write_with_and_without_summaries(db):
    scene = bench_reports.build(200, 5)
    db.session.remove()
    rows = {row[0]: row for row in bench_reports.raw_rollup(scene, f"/{scene.root_id}/")}
    stored = db.session.execute(select(
        func.sum(DepartmentSummary.people), func.sum(DepartmentSummary.completed),
        func.sum(DepartmentSummary.completed_late), func.sum(DepartmentSummary.in_progress),
        func.sum(DepartmentSummary.not_started)).where(
        DepartmentSummary.kind == "campaign", DepartmentSummary.ref_id == scene.campaign_id)).one()
    assert tuple(rows[scene.root_id][2:7]) == tuple(stored)

    on, off = bench_reports.time_writes(scene, "first", 3)
    assert len(on) == len(off) == 3
    db.session.remove()
    assert summaries.differences() == []  # the writes without summaries were caught up

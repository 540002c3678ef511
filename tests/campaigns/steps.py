"""A campaign scene: a ministry with two departments, one of them with two units, officials
in each, the mentoring scene's course (two modules with quizzes and a final test)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from learning.campaigns import services as campaigns
from learning.campaigns import summaries
from learning.campaigns.models import DepartmentSummary
from learning.db import db
from tests.mentoring import steps as mentoring_steps
from tests.mentoring.steps import at, department, official  # noqa: F401 (re-exported)

SLUG = mentoring_steps.SLUG
DEADLINE = date(2026, 6, 30)


class Ministry:
    """Bộ → Vụ Tổ chức cán bộ; Cục Chuyển đổi số → Phòng Dữ liệu, Phòng Hạ tầng."""

    def __init__(self):
        self.root = department("Bộ Thử nghiệm")
        self.tccb = department("Vụ Tổ chức cán bộ", self.root)
        self.cds = department("Cục Chuyển đổi số", self.root)
        self.data = department("Phòng Dữ liệu", self.cds)
        self.infra = department("Phòng Hạ tầng", self.cds)
        db.session.flush()


def finish(user, *, now) -> None:
    """Do every lesson and pass every quiz of the scene's course."""
    mentoring_steps.complete(user, "a", "b", "c", "d", now=now)
    mentoring_steps.take_quiz(user, "kiem-tra-co-ban", now=now)
    mentoring_steps.take_quiz(user, "kiem-tra-cuoi", now=now, right=0.8)


def campaign(course, departments, *, deadline=DEADLINE, job_titles=None, actor=None,
             now=None):
    made = campaigns.create_campaign(
        actor, title="Kỹ năng số bắt buộc 2026", course_id=course.id,
        department_ids=[d.id for d in departments], deadline=deadline,
        job_titles=job_titles, now=now or at("2026-03-01 02:00"))
    db.session.commit()
    return made


def cells(kind: str, ref_id: int) -> dict[int, dict[str, float]]:
    """The stored department cells of a course or campaign, by department id."""
    db.session.expire_all()
    rows = db.session.scalars(select(DepartmentSummary).where(
        DepartmentSummary.kind == kind, DepartmentSummary.ref_id == ref_id))
    return {row.department_id: {name: getattr(row, name) for name in summaries.COUNTED}
            for row in rows}


def assert_agree() -> None:
    """The stored summaries are what the raw records give."""
    db.session.expire_all()
    assert summaries.differences() == []

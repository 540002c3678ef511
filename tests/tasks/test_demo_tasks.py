"""The demo course has a practical task for each of its systems (portal, documents and digital
signatures, LGSP), and the demo data has hand-ins in every state for the demo mentor."""

from __future__ import annotations

from sqlalchemy import select

from courses import services as course_services
from learning.tasks import services as task_services
from learning.tasks.models import TaskSubmission
from tests.conftest import page_text, sign_in
from tests.courses import steps as course_steps


def test_the_demo_has_tasks_per_system_and_hand_ins_in_every_state(app, runner, db):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    course = course_services.get_course("ky-nang-so")
    modules = {task.module.slug for task in task_services.course_tasks(course.id)}
    assert {"cong-thong-tin", "van-ban-dieu-hanh", "chia-se-du-lieu"} <= modules
    states = {s.state for s in db.session.scalars(select(TaskSubmission))}
    assert states == {"confirmed", "returned", "waiting"}

    mentor = course_steps.new_client(app)
    assert sign_in(mentor, "mentor", "hocso-demo").status_code == 302
    waiting = page_text(mentor.get("/mentoring/tasks?state=waiting"))
    assert "Đăng ký một văn bản đến trên hệ thống" in waiting

    again = runner.invoke(args=["demo", "load"])  # loading twice adds nothing
    assert again.exit_code == 0
    assert len(db.session.scalars(select(TaskSubmission)).all()) == 5

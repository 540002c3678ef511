"""Practical tasks in a real browser, on the demo data: the official's task page (plain and
with a form error) and the mentor's review pages pass axe-core (WCAG 2 A/AA), with 44 px
targets, at desktop and phone widths."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from learning.accounts.models import User
from learning.site.demo import DEMO_PASSWORD
from learning.tasks.models import TaskSubmission
from tests.browser.audit import Audit
from tests.browser.conftest import PHONE, sign_in, visit

pytestmark = pytest.mark.browser


def test_task_pages_pass_axe(web, db, app):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    mentor = db.session.scalar(select(User).where(User.username == "mentor"))
    waiting = db.session.scalar(select(TaskSubmission).where(TaskSubmission.state == "waiting"))
    returned = db.session.scalar(select(TaskSubmission).where(
        TaskSubmission.state == "returned"))
    official = db.session.get(User, returned.user_id)
    audit = Audit()
    for viewport, label in ((None, ""), (PHONE, " at 360 px")):
        page = web.new_page(viewport)
        sign_in(page, mentor.username, DEMO_PASSWORD)
        for path in ("/mentoring", "/mentoring/tasks", "/mentoring/tasks?state=returned",
                     f"/mentoring/tasks/{waiting.id}"):
            visit(page, path)
            audit.check(page, f"{path}{label}")
        learner = web.new_page(viewport)
        sign_in(learner, official.username, DEMO_PASSWORD)
        task_path = f"/courses/ky-nang-so/tasks/{returned.task.slug}"
        visit(learner, task_path)
        audit.check(learner, f"{task_path}{label}")
        with learner.expect_navigation():
            learner.locator("main form[method=post] button[type=submit]").first.click()
        audit.check(learner, f"{task_path} with a form error{label}")
    audit.assert_clean()

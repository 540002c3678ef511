"""Many officials of the same departments make progress at the same moment, each in their own
browser (request, application context and database connection): the increments on the shared
department cells never lose a count, and the summaries still equal a recount from the raw
records. On SQLite (WAL) and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from courses.models import Course
from learning.campaigns import services as campaigns
from learning.campaigns.models import CampaignMember
from learning import clock
from learning.db import db
from tests import factories
from tests.campaigns import steps
from tests.conftest import DEMO_PASSWORD
from tests.courses import steps as course_steps
from tests.progress.test_concurrency import together

SLUG = "dong-thoi-chien-dich"
LESSONS = ["bai-1", "bai-2", "bai-3"]
OFFICIALS = 6


def test_parallel_progress_keeps_the_summaries_exact(app, db, tmp_path):
    course = factories.make_course(tmp_path, SLUG, lessons=LESSONS)
    ministry = steps.Ministry()
    people = [factories.UserFactory(password=DEMO_PASSWORD,
                                    department=(ministry.data, ministry.infra)[n % 2])
              for n in range(OFFICIALS)]
    db.session.commit()
    campaign = campaigns.create_campaign(
        None, title="Đồng thời", course_id=course.id, department_ids=[ministry.cds.id],
        deadline=clock.now().date() + timedelta(days=30), now=clock.now())
    db.session.commit()
    browsers = [course_steps.new_client(app, user) for user in people]

    def work(browser, index):
        statuses = []
        for lesson in LESSONS[: 1 + index % len(LESSONS)]:  # some finish, some do not
            statuses.append(course_steps.mark_done(browser, SLUG, lesson).status_code)
        return statuses

    statuses = together(browsers, work)
    assert set(statuses) <= {200, 302, 303}
    steps.assert_agree()
    db.session.expire_all()
    states = db.session.scalars(select(CampaignMember.state).where(
        CampaignMember.campaign_id == campaign.id)).all()
    finished = sum(1 for n in range(OFFICIALS) if 1 + n % len(LESSONS) == len(LESSONS))
    assert states.count("completed") == finished
    assert states.count("in_progress") == OFFICIALS - finished
    cells = steps.cells("campaign", campaign.id)
    assert sum(cell["people"] for cell in cells.values()) == OFFICIALS
    assert sum(cell["completed"] for cell in cells.values()) == finished
    assert db.session.scalar(select(Course.id).where(Course.slug == SLUG)) == course.id

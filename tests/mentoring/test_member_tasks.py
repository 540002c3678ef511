"""A member's page shows the practical tasks of the learning the group assigns them (issue 10.4:
"open practical tasks"): each task with the member's standing in this cycle, and a link to
review the hand-in waiting for it."""

from __future__ import annotations

from datetime import timedelta

from lxml import html as lxml_html

from learning.db import db
from learning.mentoring import services as mentoring
from learning.mentoring import tasks as review
from learning.tasks import services as tasks
from learning.tasks.models import TaskSubmission
from tests.conftest import translated
from tests.courses.steps import new_client
from tests.mentoring.steps import group_with, official
from tests.tasks.test_tasks import MAX, NOW, SLUG, make


def test_the_member_page_lists_the_assigned_courses_tasks_with_a_link_to_review(app, tmp_path):
    course = make(tmp_path)  # a required task and an optional one
    learner = official("Lê Thị Học")
    mentor = official("Trần Văn Kèm", roles=("learner", "mentor"))
    group = group_with(mentor, [learner])
    mentoring.assign(mentor, group, SLUG, None, None, NOW.date() + timedelta(days=7), "", None,
                     now=NOW)
    required, optional = (tasks.get_task(course, slug) for slug in ("dang-ky-van-ban", "ky-so"))
    returned = tasks.submit(learner, required, tasks.Evidence(note="lần đầu"), now=NOW,
                            max_image_bytes=MAX)
    review.return_task(mentor, returned, "Thiếu số đến", NOW)
    waiting = tasks.submit(learner, required, tasks.Evidence(note="lần hai"), now=NOW,
                           max_image_bytes=MAX)
    db.session.commit()

    browser = new_client(app, mentor)
    page = lxml_html.fromstring(browser.get(
        f"/mentoring/groups/{group.id}/members/{learner.id}").data.decode())
    rows = [[" ".join(cell.text_content().split()) for cell in row.xpath("./th | ./td")]
            for row in page.xpath("//table[.//th[@scope='row']//span[@lang]]/tbody/tr")]
    with app.test_request_context():
        assert rows == [
            [required.title, translated("vi", "Waiting for review"),
             f"{translated('vi', 'Review')} {required.title}"],
            [f"{optional.title} {translated('vi', 'optional')}",
             translated("vi", "Not handed in"), ""]]
    [link] = page.xpath("//a[text()[contains(., 'Duyệt')]]/@href")
    assert link == f"/mentoring/tasks/{waiting.id}"
    assert browser.get(link).status_code == 200

    review.confirm(mentor, db.session.get(TaskSubmission, waiting.id), NOW)
    db.session.commit()
    text = browser.get(f"/mentoring/groups/{group.id}/members/{learner.id}").data.decode()
    assert "/mentoring/tasks/" not in text  # nothing left to review
    with app.test_request_context():
        assert translated("vi", "Confirmed") in text

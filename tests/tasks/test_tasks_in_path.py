"""Practical tasks in the learner's pages and in the recertification cycle.

A course whose completion requires its tasks (`[completion] tasks = "required"`) counts them
on the course page and the dashboard ("1/1 bài học · 0/1 bài thực hành"), with the percentage
the progress layer stores; once the lessons are done the next step is the task to hand in (or
to hand in again once returned), then a wait for review, then the certificate. After a
re-take only the reviews of the new cycle count."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import select

from certificates.models import Certificate
from courses import services as courses
from learning import clock
from learning.db import db
from learning.mentoring import tasks as review
from learning.tasks import services as tasks
from learning.tasks.models import TaskSubmission
from tests import factories
from tests.certificates.steps import add_months
from tests.conftest import location_path, translated, translated_plural, visible_text
from tests.courses import steps as course_steps
from tests.mentoring.steps import group_with, official
from tests.progress import pages
from tests.tasks.test_tasks import MAX, SLUG, TASKS, make

TASK_URL = f"/courses/{SLUG}/tasks/dang-ky-van-ban"
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|COMMIT)\b", re.I)


def tasks_count(done: int, total: int, locale: str = "vi") -> str:
    return translated_plural(locale, "%(done)s/%(num)s practical task",
                             "%(done)s/%(num)s practical tasks", total, done=done)


def figures(client, user) -> dict:
    course = client.get(f"/courses/{SLUG}").data.decode()
    home = client.get("/").data.decode()
    enrolment = course_steps.enrolment_of(user, SLUG)
    return {"course": (pages.counts(course), pages.percent_shown(course)),
            "home": (pages.counts(home), pages.percent_shown(home)),
            "stored": enrolment.percent_complete}


def expect(lessons: int, confirmed: int, percent: int) -> dict:
    shown = (f"{pages.lessons_count(lessons, 1)} · {tasks_count(confirmed, 1)}", percent)
    return {"course": shown, "home": shown, "stored": percent}


def buttons(client) -> dict:
    """The next-step button of the course page and of the dashboard, and where /learn goes."""
    learn = client.get("/learn")
    return {"course": pages.card_button(client.get(f"/courses/{SLUG}").data.decode()),
            "home": pages.card_button(client.get("/").data.decode()),
            "learn": location_path(learn)}


def hand_in(client, note: str = "Số đến 12") -> None:
    assert client.post(TASK_URL, data={"note": note}).status_code == 302


def waiting() -> TaskSubmission:
    db.session.expire_all()
    return db.session.scalar(select(TaskSubmission).where(TaskSubmission.state == "waiting"))


def test_the_pages_count_the_required_task_and_lead_to_it(app, db, tmp_path):
    make(tmp_path)  # lesson a; a required task and an optional one
    learner = official("Lê Thị Học")
    mentor = official("Trần Văn Kèm", roles=("learner", "mentor"))
    group_with(mentor, [learner])
    client = course_steps.new_client(app, learner)
    course_steps.enrol(client, SLUG)
    assert figures(client, learner) == expect(0, 0, 0)
    rule = pages.completion_rule(client.get(f"/courses/{SLUG}").data.decode())
    assert translated_plural("vi", "Its %(num)s required practical task must also be confirmed "
                                   "by a mentor or HR.", "Its %(num)s required practical tasks "
                                   "must also be confirmed by a mentor or HR.", 1) in rule

    course_steps.mark_done(client, SLUG, "a")
    assert figures(client, learner) == expect(1, 0, 50)
    hand_in_button = (translated("vi", "Hand in the task"), TASK_URL)
    assert buttons(client) == {"course": hand_in_button, "home": hand_in_button,
                               "learn": TASK_URL}

    hand_in(client)
    page = client.get(f"/courses/{SLUG}").data.decode()
    assert pages.card_kind(page) == "review"
    assert pages.card_button(page) == (translated("vi", "See your hand-in"), TASK_URL)
    assert translated("vi", "A mentor or HR will review your hand-in; it counts once it is "
                            "confirmed.") in visible_text(client.get(f"/courses/{SLUG}"))
    assert location_path(client.get("/learn")) == f"/courses/{SLUG}"  # nothing to do now
    assert figures(client, learner) == expect(1, 0, 50)  # waiting counts for nothing yet

    review.return_task(mentor, waiting(), "Thiếu ảnh chụp số đến.", clock.now())
    db.session.commit()
    again = (translated("vi", "Hand it in again"), TASK_URL)
    assert buttons(client) == {"course": again, "home": again, "learn": TASK_URL}
    assert translated("vi", "Practical task returned") in visible_text(client.get("/"))

    hand_in(client, "Số đến 12, ảnh đã gửi kèm")
    review.confirm(mentor, waiting(), clock.now())
    db.session.commit()
    course = client.get(f"/courses/{SLUG}").data.decode()
    assert (pages.counts(course), pages.percent_shown(course)) == (
        f"{pages.lessons_count(1, 1)} · {tasks_count(1, 1)}", 100)
    assert pages.card_kind(course) == "certificate"
    assert course_steps.enrolment_of(learner, SLUG).completed_at is not None


def test_the_course_page_reads_the_hand_ins_once_and_the_lesson_page_stays_a_read(
        app, db, tmp_path, count_queries):
    make(tmp_path)
    optional = "chi-tuy-chon"
    factories.import_course(factories.write_package(
        tmp_path / optional, factories.course_package(optional, lessons=("a",)),
        files={"01-co-ban/tasks.toml": TASKS}))
    learner = official("Lê Thị Học")
    db.session.commit()
    client = course_steps.new_client(app, learner)
    for slug in (SLUG, optional):
        course_steps.enrol(client, slug)
    hand_in(client)

    def statements(url: str) -> list[str]:
        assert client.get(url).status_code == 200  # warm the caches of this version
        with count_queries() as found:
            assert client.get(url).status_code == 200
        return list(found)

    # required tasks (read for the figures, reused by the task list) or optional ones (read
    # for the task list only): the same statements
    assert len(statements(f"/courses/{SLUG}")) == len(statements(f"/courses/{optional}"))
    lesson = statements(f"/courses/{SLUG}/lessons/a")
    # the session, the course with the enrolment, the lessons done, the attempts, the hand-ins
    assert len(lesson) <= 5, "\n".join(lesson)
    assert not [s for s in lesson if WRITES.match(s)]


def test_after_a_retake_only_the_new_cycles_reviews_count(app, db, tmp_path):
    package = factories.course_package(SLUG, lessons=("a",), certificate={"validity_months": 12},
                                       completion={"rule": "all_lessons", "tasks": "required"})
    course = factories.import_course(factories.write_package(
        tmp_path / SLUG, package, files={"01-co-ban/tasks.toml": TASKS})).course
    learner = official("Lê Thị Học")
    mentor = official("Trần Văn Kèm", roles=("learner", "mentor"))
    group_with(mentor, [learner])
    # the first cycle, finished so that its certificate expires in ten days
    then = add_months(clock.now() + timedelta(days=10), -12)
    courses.enrol(learner, learner, course, now=then)
    courses.complete_lesson(learner, courses.get_lesson(course, "a"), now=then)
    required, optional = (tasks.get_task(course, slug) for slug in ("dang-ky-van-ban", "ky-so"))
    first = tasks.submit(learner, required, tasks.Evidence(note="Số đến 12"), now=then,
                         max_image_bytes=MAX)
    review.confirm(mentor, first, then + timedelta(hours=1))
    early = tasks.submit(learner, optional, tasks.Evidence(note="Đã ký"), now=then,
                         max_image_bytes=MAX)  # still waiting when the new cycle begins
    db.session.commit()
    assert course_steps.enrolment_of(learner, SLUG).completed_at is not None

    client = course_steps.new_client(app, learner)
    assert client.post(f"/courses/{SLUG}/retake", data={}).status_code == 302
    enrolment = course_steps.enrolment_of(learner, SLUG)
    assert (enrolment.cycle, enrolment.completed_at) == (2, None)
    # the old confirmation no longer counts; the hand-in still waiting does
    assert tasks.confirmed_required(course.id, [learner.id]) == {}
    assert tasks.states(learner.id, course.id) == {optional.id: "waiting"}
    course_steps.mark_done(client, SLUG, "a")
    assert figures(client, learner) == expect(1, 0, 50)
    assert course_steps.enrolment_of(learner, SLUG).completed_at is None
    assert pages.card_button(client.get("/").data.decode()) == (
        translated("vi", "Hand in the task"), TASK_URL)

    hand_in(client)  # the task confirmed in the first cycle is handed in again
    second = db.session.scalar(select(TaskSubmission).where(
        TaskSubmission.task_id == required.id, TaskSubmission.state == "waiting"))
    # the hand-in from before the retake, reviewed in this cycle, counts in it
    review.confirm(mentor, db.session.get(TaskSubmission, early.id), clock.now())
    review.confirm(mentor, second, clock.now())
    db.session.commit()
    assert tasks.states(learner.id, course.id) == {required.id: "confirmed",
                                                   optional.id: "confirmed"}
    enrolment = course_steps.enrolment_of(learner, SLUG)
    assert enrolment.completed_at is not None and enrolment.percent_complete == 100
    newest = db.session.scalar(select(Certificate).where(Certificate.cycle == 2))
    assert newest.practical_tasks == "\n".join([required.title, optional.title])


def test_a_hand_in_page_after_the_retake_offers_the_form_again(app, db, tmp_path):
    """The task page's standing follows the cycle too (it read 'confirmed' before)."""
    course = make(tmp_path)
    learner = official("Lê Thị Học")
    mentor = official("Trần Văn Kèm", roles=("learner", "mentor"))
    group_with(mentor, [learner])
    then = clock.now() - timedelta(days=3)
    courses.enrol(learner, learner, course, now=then)
    first = tasks.submit(learner, tasks.get_task(course, "dang-ky-van-ban"),
                         tasks.Evidence(note="x"), now=then, max_image_bytes=MAX)
    review.confirm(mentor, first, then)
    db.session.commit()
    client = course_steps.new_client(app, learner)
    assert 'name="note"' not in client.get(TASK_URL).data.decode()
    enrolment = course_steps.enrolment_of(learner, SLUG)
    enrolment.cycle, enrolment.cycle_started_at = 2, clock.now() - timedelta(days=1)
    db.session.commit()
    assert 'name="note"' in client.get(TASK_URL).data.decode()
    response = client.post(TASK_URL, data={"note": "Lần hai", "image": (io.BytesIO(b""), "")},
                           content_type="multipart/form-data")
    assert response.status_code == 302

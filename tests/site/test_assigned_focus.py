"""The next step takes assignments into account (issue 10, point 3): the dashboard's card and
/learn go to what a mentor assigned, the most urgent first, before the course the official was
last busy with; once the assignment is finished, the learner's path chooses again."""

from __future__ import annotations

from datetime import timedelta

from learning import clock
from learning.db import db
from learning.mentoring import services as mentoring
from tests import factories
from tests.conftest import location_path
from tests.courses import steps


def two_courses(tmp_path):
    factories.make_course(tmp_path, "khoa-dang-hoc", lessons=("a", "b"), title="Đang học")
    factories.make_course(tmp_path, "khoa-duoc-giao", lessons=("x", "y", "z"), title="Được giao")


def assign(user, course, lesson=None, days=3):
    mentor = factories.UserFactory(roles={"mentor", "learner"})
    group = mentoring.create_group(None, "Chi đoàn", [mentor.username], now=clock.now())
    mentoring.add_members(None, group, [user.username], now=clock.now())
    mentoring.assign(None, group, course, None, lesson,
                     mentoring.ministry_day(clock.now()) + timedelta(days=days), "Làm sớm nhé",
                     None, now=clock.now())
    db.session.commit()


def test_an_assigned_lesson_comes_before_the_course_last_worked_on(client, login_as, tmp_path):
    two_courses(tmp_path)
    user = login_as("learner")
    steps.enrol(client, "khoa-dang-hoc")
    steps.open_lesson(client, "khoa-dang-hoc", "a")  # the course she was busy with
    assert location_path(client.get("/learn")) == "/courses/khoa-dang-hoc/lessons/a"

    assign(user, "khoa-duoc-giao", lesson="y")  # enrols her, due in 3 days
    assert location_path(client.get("/learn")) == "/courses/khoa-duoc-giao/lessons/y"
    home = client.get("/").data.decode()
    card = home[home.index("next-step-card"):]
    assert "/courses/khoa-duoc-giao/lessons/y" in card[:3000]

    steps.open_lesson(client, "khoa-dang-hoc", "a")  # busy elsewhere: the assignment still leads
    assert location_path(client.get("/learn")) == "/courses/khoa-duoc-giao/lessons/y"

    steps.mark_done(client, "khoa-duoc-giao", "y")  # the assignment is done
    steps.open_lesson(client, "khoa-dang-hoc", "a")
    assert location_path(client.get("/learn")) == "/courses/khoa-dang-hoc/lessons/a"

"""Re-assigning is idempotent: the same course, module or lesson assigned to the same group
again updates the assignment (due date, note, members) and never adds a second one, also
when the form is sent several times at once."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from courses.models import Enrolment
from learning.mentoring import services as mentoring
from learning.mentoring.models import Assignment, AssignmentMember
from tests.courses.steps import new_client
from tests.mentoring import steps
from tests.mentoring.steps import at, due
from tests.progress.test_concurrency import together

NOW = at("2026-03-01 02:00")
THREADS = 8


@pytest.fixture
def group(app, db, tmp_path):
    steps.course(tmp_path)
    mentor = steps.official("Phạm Đức Anh", roles=("mentor", "learner"))
    members = [steps.official(f"Đoàn viên {n}") for n in range(3)]
    return steps.group_with(mentor, members), mentor, members


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_same_target_again_updates_it(db, group):
    group, mentor, members = group
    first, created = mentoring.assign(mentor, group, steps.SLUG, "co-ban", None,
                                      due("2026-03-10"), "Lần đầu", None, now=NOW)
    db.session.commit()
    assert created
    again, created = mentoring.assign(mentor, group, steps.SLUG, "co-ban", None,
                                      due("2026-03-17"), "Lùi một tuần", [members[0].id],
                                      now=at("2026-03-02 02:00"))
    db.session.commit()
    assert not created and again.id == first.id
    assert count(db, Assignment) == 1
    stored = db.session.get(Assignment, first.id)
    assert (stored.due_on, stored.note, stored.is_whole_group) == (
        due("2026-03-17"), "Lùi một tuần", False)
    assert list(db.session.scalars(select(AssignmentMember.user_id))) == [members[0].id]
    assert count(db, Enrolment) == 3  # enrolled once each


def test_other_targets_of_the_same_course_are_other_assignments(db, group):
    group, mentor, _ = group
    for module, lesson in ((None, None), ("co-ban", None), (None, "a"), ("co-ban", "a"),
                           (None, "c")):
        mentoring.assign(mentor, group, steps.SLUG, module, lesson, due("2026-03-10"), "",
                         None, now=NOW)
    db.session.commit()
    # The course, its module co-ban, lesson a (named with or without its module), lesson c.
    assert sorted(db.session.scalars(select(Assignment.target_key))) == sorted(
        [f"course:{k}" for k in db.session.scalars(select(Assignment.course_id).limit(1))] +
        [f"module:{mentoring.resolve_target(steps.SLUG, 'co-ban', None)[1].id}",
         f"lesson:{steps.lesson(steps.SLUG, 'a').id}",
         f"lesson:{steps.lesson(steps.SLUG, 'c').id}"])


def test_parallel_double_submits_make_one_assignment(app, db, group, caplog, monkeypatch):
    from learning import clock

    monkeypatch.setattr(clock, "now", lambda: NOW)
    group, mentor, members = group
    browsers = [new_client(app, mentor) for _ in range(THREADS)]
    url = f"/mentoring/groups/{group.id}/assignments/new"
    chosen = [members[0].id, members[1].id]
    form = {"course": steps.SLUG, "target": "lesson:b", "due_on": "2026-03-10",
            "note": "Bấm hai lần", "audience": "chosen", "members": [str(i) for i in chosen]}

    def submit(browser, index):
        return [browser.post(url, data=dict(form)).status_code for _ in range(2)]

    statuses = together(browsers, submit)
    assert statuses == [302] * THREADS * 2
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert count(db, Assignment) == 1
    assert sorted(db.session.scalars(select(AssignmentMember.user_id))) == chosen
    assert sorted(db.session.scalars(select(Enrolment.user_id))) == chosen

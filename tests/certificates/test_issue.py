"""Issued once: completing a course (every lesson and the required final test) issues exactly
one certificate, whatever is repeated or sent at the same time; `flask certificates
issue-pending` issues the ones owed and nothing twice; a GET never issues one."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import update

from certificates import services as certificates
from courses import services as course_services
from courses.models import Enrolment
from learning import clock
from learning.db import db as _db
from tests.certificates import steps
from tests.certificates.steps import NOW, SLUG
from tests.conftest import sign_in
from tests.courses import steps as course_steps
from tests.courses.steps import new_client
from tests.quizzes import steps as quiz_steps


def together(count: int, work) -> list:
    """Run `work(index)` in `count` threads released at once; return the results in order;
    re-raise the first failure."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    failures: list = []

    def run(index):
        try:
            barrier.wait()
            results[index] = work(index)
        except BaseException as error:  # noqa: BLE001 - handed to the test thread below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results


def owe_a_certificate(user, slug: str = SLUG, completed_at=NOW) -> None:
    """Make a completed enrolment whose certificate row was never made (written in the DB,
    as a completion from before certificates existed would be)."""
    course = course_steps.course_by_slug(slug)
    course_services.enrol(user, user, course, now=completed_at)
    _db.session.execute(update(Enrolment).where(
        Enrolment.user_id == user.id, Enrolment.course_id == course.id).values(
        completed_at=completed_at, percent_complete=100))
    _db.session.commit()


def test_completing_on_the_pages_issues_one_certificate(app, client, db, tmp_path):
    steps.course(tmp_path)
    user = steps.official()
    assert sign_in(client, user.username).status_code == 302
    course_steps.enrol(client, SLUG)
    for lesson in ("a", "b"):
        course_steps.mark_done(client, SLUG, lesson)
    assert steps.certificates_of(user) == []  # the final test is still to pass

    before = clock.now()
    attempt_id = quiz_steps.start(client, SLUG, steps.QUIZ)
    layout = quiz_steps.get_attempt(attempt_id).layout
    quiz_steps.submit(client, attempt_id, quiz_steps.answer_fields(layout, 7))

    [certificate] = steps.certificates_of(user)
    enrolment = course_steps.enrolment_of(user, SLUG)
    assert (certificate.cycle, certificate.reason, certificate.previous_id) == (1, "completion",
                                                                               None)
    assert certificate.completed_at == enrolment.completed_at >= before
    assert certificate.score == 87.5
    year, number = steps.SERIAL.fullmatch(certificate.serial).groups()
    assert int(year) == certificate.issued_at.year and int(number) == certificate.id
    # the holder finds it in their list
    page = client.get("/certificates").data.decode()
    assert certificate.serial in page and steps.TITLE in page


def test_failing_the_final_test_issues_nothing(app, client, login_as, db, tmp_path):
    steps.course(tmp_path)
    user = login_as("learner")
    steps.complete_on_pages(client, right=2)  # 25 %: below the pass mark
    assert steps.certificates_of(user) == []


def test_completing_again_or_twice_keeps_one_certificate(app, client, login_as, db, tmp_path):
    steps.course(tmp_path)
    user = login_as("learner")
    steps.complete_on_pages(client)
    [first] = steps.certificates_of(user)

    # mark the lessons done again, pass the test again with a better score
    for lesson in ("a", "b"):
        assert course_steps.mark_done(client, SLUG, lesson).status_code == 302
    attempt_id = quiz_steps.start(client, SLUG, steps.QUIZ)
    layout = quiz_steps.get_attempt(attempt_id).layout
    quiz_steps.submit(client, attempt_id, quiz_steps.answer_fields(layout))
    # the same completion through the services, and a new version of the course
    steps.complete(user, now=clock.now())
    steps.course(tmp_path, version="1.1.0")
    assert certificates.issue_for_enrolment(course_steps.enrolment_of(user, SLUG),
                                            now=clock.now()).id == first.id
    db.session.commit()

    [again] = steps.certificates_of(user)
    assert (again.id, again.serial, again.score) == (first.id, first.serial, 87.5)


def test_concurrent_completions_from_several_browsers_issue_one_certificate(app, db, tmp_path):
    steps.course(tmp_path, lessons=("a", "b", "c"))
    user = steps.official()
    browsers = [new_client(app, user) for _ in range(6)]
    course_steps.enrol(browsers[0], SLUG)
    course_steps.mark_done(browsers[0], SLUG, "a")
    attempt_id = quiz_steps.start(browsers[0], SLUG, steps.QUIZ)
    layout = quiz_steps.get_attempt(attempt_id).layout
    fields = quiz_steps.answer_fields(layout)

    # every browser at once: the last lessons and the final test's submission
    def finish(index):
        browser = browsers[index]
        if index % 3 == 0:
            return quiz_steps.submit(browser, attempt_id, fields).status_code
        return course_steps.mark_done(browser, SLUG, "b" if index % 3 == 1 else "c").status_code

    assert together(len(browsers), finish) == [302] * len(browsers)
    db.session.expire_all()
    assert course_steps.enrolment_of(user, SLUG).completed_at is not None
    assert len(steps.certificates_of(user)) == 1


def test_concurrent_issuing_of_one_completion_makes_one_row(app, db, tmp_path):
    """The database, not a check before inserting, keeps one certificate per completion:
    threads that all find none and issue at once end with one row, and each gets it."""
    steps.course(tmp_path)
    user = steps.official()
    owe_a_certificate(user)
    enrolment_id = course_steps.enrolment_of(user, SLUG).id

    def issue(_index):
        with app.app_context():
            certificate = certificates.issue_for_enrolment(
                _db.session.get(Enrolment, enrolment_id), now=clock.now())
            serial = certificate.serial
            _db.session.commit()
            return serial

    serials = together(6, issue)
    [certificate] = steps.certificates_of(user)
    assert set(serials) == {certificate.serial}


def test_issue_pending_issues_what_is_owed_once(app, runner, db, tmp_path):
    steps.course(tmp_path)
    owed = [steps.official(name) for name in steps.NAMES]
    for user in owed:
        owe_a_certificate(user)
    already = steps.official("Lê Văn Đủ")
    issued = steps.complete(already)
    not_done = steps.official("Hoàng Chưa Xong")
    course_services.enrol(not_done, not_done, course_steps.course_by_slug(SLUG), now=NOW)
    db.session.commit()

    result = steps.cli(runner, "issue-pending")
    assert result.exit_code == 0, result.output
    assert "Issued 3 certificate(s)." in result.output
    for user in owed:
        [certificate] = steps.certificates_of(user)
        assert (certificate.holder_name, certificate.completed_at, certificate.cycle) == (
            user.full_name, NOW, 1)
        assert certificate.credential_jws and certificate.serial
    assert [c.id for c in steps.certificates_of(already)] == [issued.id]
    assert steps.certificates_of(not_done) == []

    again = steps.cli(runner, "issue-pending")
    assert again.exit_code == 0 and "Issued 0 certificate(s)." in again.output
    assert steps.count_certificates() == 4


def test_concurrent_issue_pending_runs_issue_each_certificate_once(app, db, tmp_path):
    steps.course(tmp_path)
    for name in steps.NAMES:
        owe_a_certificate(steps.official(name))

    def run(_index):
        with app.app_context():
            certificates.issue_pending(now=clock.now())
            _db.session.commit()

    together(3, run)
    assert steps.count_certificates() == 3


@pytest.mark.parametrize("who", ["holder", "hr", "admin"])
def test_no_page_opened_with_get_issues_a_certificate(app, client, db, tmp_path, who):
    steps.course(tmp_path)
    holder = steps.official()
    owe_a_certificate(holder)
    viewer = {"holder": holder, "hr": steps.hr_official(),
              "admin": steps.official("Quản Trị", roles={"admin", "learner"},
                                      username="quan.tri")}[who]
    browser = new_client(app, viewer)
    for url in ("/", "/learn", "/certificates", f"/courses/{SLUG}", f"/courses/{SLUG}/continue",
                f"/courses/{SLUG}/lessons/a", f"/courses/{SLUG}/quizzes/{steps.QUIZ}",
                "/hr/certificates", "/verify", "/.well-known/did.json",
                "/.well-known/jwks.json", f"/hr/officials/{holder.id}"):
        response = browser.get(url)
        assert response.status_code in (200, 302, 403), (url, response.status_code)
    assert steps.count_certificates() == 0
    assert certificates.issue_pending(now=clock.now()) == 1

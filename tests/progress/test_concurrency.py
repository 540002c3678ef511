"""Many "mark as done" requests at once, for the same lesson and for different lessons of one
course by one official: every lesson counts once and the course figures come out exact.

Two ways: threads, each with its own test client (each request in its own application context
and database connection), and the real app under gunicorn with three worker processes, driven
over HTTP. Both on SQLite (WAL) and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import http.cookiejar
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from courses.models import LessonProgress
from courses.signals import lesson_completed
from learning.config import PROJECT_ROOT
from learning.progress.signals import course_completed
from tests import factories
from tests.conftest import DEMO_PASSWORD
from tests.courses import steps

SLUG = "dong-thoi"
LESSONS = [f"bai-{n}" for n in range(1, 7)]
THREADS = 8


@pytest.fixture
def course(db, tmp_path):
    return factories.make_course(tmp_path, SLUG, lessons=LESSONS)


@contextmanager
def announcements():
    """Record every first completion of a lesson and of a course, from any thread."""
    lock, heard = threading.Lock(), {"lessons": [], "courses": []}

    def on_lesson(lesson, user_id, **_):
        with lock:
            heard["lessons"].append((user_id, lesson.slug))

    def on_course(enrolment, **_):
        with lock:
            heard["courses"].append((enrolment.user_id, enrolment.course_id))

    lesson_completed.connect(on_lesson, weak=False)
    course_completed.connect(on_course, weak=False)
    try:
        yield heard
    finally:
        lesson_completed.disconnect(on_lesson)
        course_completed.disconnect(on_course)


def together(workers: list, work) -> list:
    """Run `work(worker, index)` in one thread per worker, all released at once; return
    every result; re-raise the first failure."""
    barrier = threading.Barrier(len(workers))
    results, failures, lock = [], [], threading.Lock()

    def run(worker, index):
        try:
            barrier.wait()
            found = work(worker, index)
            with lock:
                results.extend(found)
        except BaseException as error:  # noqa: BLE001 - handed to the test thread below
            with lock:
                failures.append(error)

    threads = [threading.Thread(target=run, args=(worker, index))
               for index, worker in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results


def rotated(index: int, lessons: list[str]) -> list[str]:
    """Each thread takes the lessons in another order, so different lessons overlap too."""
    start = index % len(lessons)
    return lessons[start:] + lessons[:start]


def lesson_rows(db, user) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(LessonProgress)
                             .where(LessonProgress.user_id == user.id))


def assert_figures(db, user, done: list[str], *, completed: bool):
    assert lesson_rows(db, user) == len(done)
    assert steps.done_slugs(user, SLUG) == set(done)
    enrolment = steps.enrolment_of(user, SLUG)
    assert enrolment.lessons_done == len(done)
    assert enrolment.percent_complete == (100 if completed else 100 * len(done) // len(LESSONS))
    assert (enrolment.completed_at is not None) is completed


# --- threads, one test client each -----------------------------------------------------------

@pytest.fixture
def browsers(app, db, course):
    """One official signed in on THREADS browsers, enrolled in the course."""
    user = steps.official()
    clients = [steps.new_client(app, user) for _ in range(THREADS)]
    steps.enrol(clients[0], SLUG)
    return user, clients


def post_done(lessons, repeat: int = 1):
    def work(browser, index):
        return [steps.mark_done(browser, SLUG, lesson).status_code
                for _ in range(repeat) for lesson in rotated(index, lessons)]
    return work


def no_errors_logged(caplog):
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


def test_concurrent_posts_for_one_lesson_count_once(db, browsers, caplog):
    user, clients = browsers
    with announcements() as heard:
        statuses = together(clients, post_done(["bai-1"], repeat=3))
    assert statuses == [302] * THREADS * 3
    assert no_errors_logged(caplog) == []
    assert heard["lessons"] == [(user.id, "bai-1")]
    assert_figures(db, user, ["bai-1"], completed=False)


def test_concurrent_posts_for_many_lessons_give_exact_figures(db, browsers, caplog):
    user, clients = browsers
    first_five = LESSONS[:5]
    with announcements() as heard:
        statuses = together(clients, post_done(first_five, repeat=2))
    assert statuses == [302] * THREADS * len(first_five) * 2
    assert sorted(heard["lessons"]) == sorted((user.id, lesson) for lesson in first_five)
    assert heard["courses"] == []
    assert_figures(db, user, first_five, completed=False)   # 5 of 6: 83 %
    completed_at = {lesson: record.completed_at
                    for lesson, record in steps.progress_by_lesson(user, SLUG).items()}

    with announcements() as heard:
        statuses = together(clients, post_done(LESSONS))
    assert statuses == [302] * THREADS * len(LESSONS)
    assert heard["lessons"] == [(user.id, "bai-6")]
    assert len(heard["courses"]) == 1                       # the course completes once
    assert_figures(db, user, LESSONS, completed=True)
    again = steps.progress_by_lesson(user, SLUG)
    assert all(again[lesson].completed_at == moment for lesson, moment in completed_at.items())
    assert no_errors_logged(caplog) == []


def test_concurrent_visits_and_time_reports_all_add_up(db, browsers, caplog):
    user, clients = browsers

    def work(browser, index):
        statuses = []
        for _ in range(3):
            statuses.append(steps.open_lesson(browser, SLUG, "bai-2").status_code)
            statuses.append(browser.post(f"/courses/{SLUG}/lessons/bai-2/time",
                                         data={"seconds": "10"}).status_code)
        return statuses

    assert sorted(together(clients, work)) == sorted([200, 204] * THREADS * 3)
    record = steps.progress_by_lesson(user, SLUG)["bai-2"]
    assert record.visits == THREADS * 3
    assert record.time_spent_seconds == THREADS * 3 * 10
    assert steps.enrolment_of(user, SLUG).time_spent_seconds == THREADS * 3 * 10
    assert no_errors_logged(caplog) == []


# --- the real app under gunicorn, three worker processes -------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # hand the 302 back: the test reads where it points


class Browser:
    """A stdlib HTTP client with its own cookies."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())
        self.token = ""

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = None
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrf_token": self.token}).encode()
        try:
            with self.opener.open(self.base + path, body, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode()

    def fetch_token(self, path: str) -> None:
        status, html = self.request(path)
        assert status == 200, (path, status)
        self.token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    def sign_in(self, username: str) -> None:
        self.fetch_token("/login")
        status, _ = self.request("/login", {"username": username, "password": DEMO_PASSWORD})
        assert status == 302
        self.fetch_token("/courses")  # the token of the signed-in session
        assert self.request("/")[0] == 200


@pytest.fixture
def server(app, database_url, tmp_path):
    """The app under gunicorn on a free port (3 sync workers), on the test database."""
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {**os.environ, "HOCSO_ENV": "test", "DATABASE_URL": database_url,
           "SECRET_KEY": app.config["SECRET_KEY"], "HOCSO_MEDIA_DIR": app.config["MEDIA_DIR"]}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "3", "-b", f"127.0.0.1:{port}",
             "--timeout", "120", "learning.app:create_app()"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, log_path)
        yield base, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(base: str, process, log_path: Path) -> None:
    """Wait for /healthz to answer (gunicorn is starting its workers)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer:\n{log_path.read_text()}")


def test_concurrent_posts_across_worker_processes_give_exact_figures(db, course, server):
    base, log_path = server
    user = steps.official()
    browsers = [Browser(base) for _ in range(THREADS)]
    for browser in browsers:
        browser.sign_in(user.username)
    assert browsers[0].request(f"/courses/{SLUG}/enrol", {})[0] == 302

    def work(lessons):
        def mark(browser, index):
            return [browser.request(f"/courses/{SLUG}/lessons/{lesson}/done", {})[0]
                    for lesson in rotated(index, lessons)]
        return mark

    statuses = together(browsers, work(LESSONS[:4]))
    assert statuses == [302] * THREADS * 4, log_path.read_text()
    assert_figures(db, user, LESSONS[:4], completed=False)   # 4 of 6: 66 %

    statuses = together(browsers, work(LESSONS))
    assert statuses == [302] * THREADS * len(LESSONS), log_path.read_text()
    assert_figures(db, user, LESSONS, completed=True)
    log = log_path.read_text()
    assert "Traceback" not in log and "database is locked" not in log, log

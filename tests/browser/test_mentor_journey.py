"""The mentor's journey of issue 10 in a real browser, on the demo ministry, with the mouse and
the keyboard only: the demo mentor builds a group (a name, a colleague found by search, a
department in bulk), assigns the demo course with a due date and a note, filters the grid for
those who have not started and nudges them, then opens a member's page and confirms their
practical task waiting for review, which leaves the header's "Tasks to review". The member
then sees the assignment under "Assigned to me", the notification and the confirmed task,
which counts in the course's figures. axe-core checks every page on the way."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from courses.models import Course
from learning import clock
from learning.accounts.models import User
from learning.mentoring import services as mentoring
from learning.notifications import Notification
from learning.site.demo import DEMO_COURSES_DIR, DEMO_PASSWORD, MAIN_COURSE
from learning.tasks.models import TaskSubmission
from tests import factories
from tests.browser.audit import Audit
from tests.browser.conftest import sign_in
from tests.conftest import translated, translated_plural
from tests.courses import steps as course_steps

pytestmark = pytest.mark.browser

GROUP = "Tổ thực hành số Cục Cơ yếu"
NOTE = "Hoàn thành trước buổi giao ban tháng; nhớ nộp các bài thực hành."
MEMBER, BEHIND = "BNG-0113", "BNG-0110"  # Tạ Thị Hồng Nhung (a task waiting), Lý Thị Kim Oanh
DEPARTMENT = "Phòng Hạ tầng và Dữ liệu"  # Oanh's, added in bulk


def require_tasks(tmp_path) -> None:
    """Import a new version of the demo course whose completion requires its practical tasks
    (`[completion] tasks = "required"`), as an administrator would."""
    root = tmp_path / MAIN_COURSE
    shutil.copytree(DEMO_COURSES_DIR / MAIN_COURSE, root)
    toml = (root / "course.toml").read_text(encoding="utf-8")
    toml = toml.replace('version = "1.0.0"', 'version = "1.1.0"').replace(
        'rule = "all_lessons_and_quizzes"', 'rule = "all_lessons_and_quizzes"\ntasks = "required"')
    (root / "course.toml").write_text(toml, encoding="utf-8")
    assert factories.import_course(root).course.requires_tasks


def path_of(page) -> str:
    return urlsplit(page.url).path


def click(page, locator) -> None:
    """Click a link or a submit button and wait for the page it leads to."""
    with page.expect_navigation():
        locator.click()


def choose(select, ending: str) -> None:
    """Pick the option of a <select> whose label ends with `ending` (departments are shown
    with their path)."""
    labels = select.locator("option").all_inner_texts()
    [label] = [text for text in labels if text.strip().endswith(ending)]
    select.select_option(label=label)


def test_a_mentor_builds_a_group_assigns_nudges_and_confirms_a_task(web, app, db, tmp_path):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    require_tasks(tmp_path)
    member = db.session.scalar(select(User).where(User.staff_number == MEMBER))
    behind = db.session.scalar(select(User).where(User.staff_number == BEHIND))
    handed_in = db.session.scalar(select(TaskSubmission).where(
        TaskSubmission.user_id == member.id, TaskSubmission.state == "waiting"))
    task = handed_in.task
    due = mentoring.ministry_day(clock.now()) + timedelta(days=14)
    with app.test_request_context():
        t = {text: translated("vi", text) for text in (
            "Mentoring", "My groups", "New group", "Name", "Department", "Save", "Search",
            "Add the ticked officials", "Add its officials", "Back to the group",
            "Assign learning", "Choose", "Due date", "Note for the members", "Assign",
            "Not started only", "Tasks to review", "Confirm", "Task confirmed.",
            "Assigned to me", "Confirmed", "Waiting for review", "Review")}
        t["nudge"] = re.escape(translated("vi", "Nudge those behind (%(num)s)", num=0)
                               ).replace("0", r"\d+")
        t["notice"] = translated("vi", "Your practical task “%(task)s” was confirmed.",
                                 task=task.title)
        t["assigned by"] = translated("vi", "assigned by %(name)s (%(group)s)",
                                      name="Phạm Đức Anh", group=GROUP)
    audit = Audit()
    page = web.new_page()
    sign_in(page, "mentor", DEMO_PASSWORD)
    main = page.locator("main")

    # The header's Mentoring menu leads to the mentor's groups.
    page.locator("button[aria-controls=menu-mentoring]").click()
    click(page, page.locator("#menu-mentoring").get_by_role("link", name=t["My groups"]))
    assert path_of(page) == "/mentoring"

    # Build a group: its name and department, then its members.
    click(page, main.get_by_role("link", name=t["New group"]))
    audit.check(page, "new group")
    main.get_by_label(t["Name"], exact=True).fill(GROUP)
    choose(main.get_by_label(t["Department"], exact=True), "Cục Cơ yếu - Công nghệ thông tin")
    click(page, main.get_by_role("button", name=t["Save"]))
    assert re.fullmatch(r"/mentoring/groups/\d+/members", path_of(page)), page.url
    group_url = path_of(page).removesuffix("/members")

    # A colleague found by name…
    main.locator("#q").fill("Hồng Nhung")
    click(page, main.locator("form[role=search]").get_by_role("button", name=t["Search"]))
    audit.check(page, "members: search results")
    main.get_by_label(re.compile(f"^{member.full_name} ")).check()
    click(page, main.get_by_role("button", name=t["Add the ticked officials"]))
    # …and a whole department.
    choose(main.locator("#department_id"), DEPARTMENT)
    click(page, main.get_by_role("button", name=t["Add its officials"]))
    audit.check(page, "members added")
    members = main.locator("table").first.inner_text()
    assert member.full_name in members and behind.full_name in members

    # Assign the demo course, due in two weeks, with a note.
    click(page, main.get_by_role("link", name=t["Back to the group"]))
    click(page, main.locator(".page-head").get_by_role("link", name=t["Assign learning"]))
    main.locator("#course-choice").select_option(label="Kỹ năng số cho cán bộ")
    click(page, main.get_by_role("button", name=t["Choose"]))
    audit.check(page, "assignment form")
    main.get_by_label(t["Due date"]).fill(due.isoformat())
    main.get_by_label(t["Note for the members"]).fill(NOTE)
    click(page, main.get_by_role("button", name=t["Assign"], exact=True))
    assert path_of(page) == group_url
    audit.check(page, "group grid")

    # Who is behind: those who have not started.
    click(page, main.get_by_role("link", name=t["Not started only"]))
    assert parse_qs(urlsplit(page.url).query) == {"state": ["not_started"]}
    grid = main.locator("table.mentoring-grid tbody").inner_text()
    assert behind.full_name in grid and member.full_name not in grid
    audit.check(page, "group grid: not started")

    # Nudge them.
    nudge = main.get_by_role("button", name=re.compile(t["nudge"]))
    count = int(re.search(r"\d+", nudge.inner_text()).group())
    click(page, nudge)
    with app.test_request_context():
        sent = translated_plural("vi", "%(num)d reminder sent.", "%(num)d reminders sent.",
                                 count)
    assert sent in page.locator(".flashes").inner_text()
    audit.check(page, "group grid after the nudge")
    db.session.expire_all()
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == behind.id, Notification.kind == "assignment_nudge"))

    # The member's page (from the grid) lists the task waiting for review.
    assert path_of(page) == group_url
    click(page, main.locator("table.mentoring-grid").get_by_role("link", name=member.full_name))
    audit.check(page, "a member's page")
    row = main.locator("tbody tr", has_text=task.title).filter(has_text=t["Waiting for review"])
    click(page, row.get_by_role("link", name=re.compile(f"^{t['Review']}")))
    assert path_of(page) == f"/mentoring/tasks/{handed_in.id}"
    audit.check(page, "a hand-in to review")
    click(page, main.get_by_role("button", name=t["Confirm"], exact=True))
    assert t["Task confirmed."] in page.locator(".flashes").inner_text()
    # The header's Tasks to review: it is no longer waiting there.
    page.locator("button[aria-controls=menu-mentoring]").click()
    click(page, page.locator("#menu-mentoring").get_by_role("link", name=t["Tasks to review"]))
    assert path_of(page) == "/mentoring/tasks"
    audit.check(page, "tasks to review")
    waiting_rows = main.locator("tbody").inner_text()
    assert "Trịnh Thị Thu Trang" in waiting_rows  # the demo's other hand-in still waits
    assert not main.locator("tbody tr", has_text=member.full_name).filter(
        has_text=task.title).count()

    # The member: the assignment, the notification and the confirmed task, which counts.
    learner = web.new_page()
    sign_in(learner, member.username, DEMO_PASSWORD)
    assigned = learner.locator("section.assigned")
    item = assigned.locator(".assigned-item", has_text=GROUP)
    assert item.count() == 1
    assert t["assigned by"] in item.inner_text() and NOTE in item.inner_text()
    assert t["notice"] in learner.locator(".notifications").inner_text()
    audit.check(learner, "member's dashboard")

    click(learner, item.locator(".assigned-title a"))
    assert path_of(learner) == f"/courses/{MAIN_COURSE}"
    course = db.session.scalar(select(Course).where(Course.slug == MAIN_COURSE))
    enrolment = course_steps.enrolment_of(member, MAIN_COURSE)
    with app.test_request_context():
        counted = translated_plural("vi", "%(done)s/%(num)s practical task",
                                    "%(done)s/%(num)s practical tasks", 3, done=2)
    assert counted in learner.locator(".progress-counts").first.inner_text()
    shown = learner.locator("main progress.progress-bar").first.get_attribute("value")
    assert int(shown) == enrolment.percent_complete  # the figure the progress layer stores
    line = learner.locator("main li", has_text=task.title)
    assert t["Confirmed"] in line.inner_text()
    audit.check(learner, "member's course page")
    click(learner, line.get_by_role("link", name=task.title))
    assert path_of(learner) == f"/courses/{course.slug}/tasks/{task.slug}"
    audit.check(learner, "member's confirmed task")
    audit.assert_clean()

"""The demo ministry: departments, about forty officials and the four demo accounts.

For development and evaluation only; refused in production. Loading twice changes nothing.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from certificates import services as certificates
from courses import services as courses
from courses.models import Enrolment, LessonProgress
from courses.packages import read_directory
from learning.accounts import services as accounts
from learning.accounts.models import User
from learning.campaigns import services as campaigns
from learning.campaigns.models import Campaign
from learning.db import db
from learning.errors import NotFound, RuleViolation
from learning.mentoring import services as mentoring
from learning.mentoring import tasks as mentoring_tasks
from learning.mentoring.models import MentoringGroup
from learning.progress import services as progress
from learning.tasks import services as task_services
from learning.tasks.models import TaskSubmission
from learning.text import fold
from quizzes import services as quizzes
from quizzes.models import QuizAttempt

DEMO_PASSWORD = "hocso-demo"
ROOT = "Bộ Ngoại giao"
IT = f"{ROOT}/Cục Cơ yếu - Công nghệ thông tin"
DEPARTMENTS = (
    f"{ROOT}/Văn phòng Bộ",
    f"{ROOT}/Vụ Tổ chức Cán bộ",
    IT,
    f"{IT}/Phòng An ninh mạng",
    f"{IT}/Phòng Hạ tầng và Dữ liệu",
    f"{ROOT}/Cục Lãnh sự",
    f"{ROOT}/Vụ Hợp tác kinh tế đa phương",
    f"{ROOT}/Vụ Thông tin Báo chí",
    f"{ROOT}/Thanh tra Bộ",
    f"{ROOT}/Cục Quản trị Tài vụ",
)

# username, full name, staff number, job title, department path, roles, HR scope
DEMO_ACCOUNTS = (
    ("admin", "Trần Minh Quân", "BNG-0001", "Trưởng phòng Hạ tầng và Dữ liệu",
     f"{IT}/Phòng Hạ tầng và Dữ liệu", {"admin", "learner"}, None),
    ("hr", "Lê Thị Thu Hà", "BNG-0002", "Phó Vụ trưởng Vụ Tổ chức Cán bộ",
     f"{ROOT}/Vụ Tổ chức Cán bộ", {"hr", "learner"}, ROOT),
    ("mentor", "Phạm Đức Anh", "BNG-0003", "Bí thư Chi đoàn, chuyên viên an ninh mạng",
     f"{IT}/Phòng An ninh mạng", {"mentor", "learner"}, None),
    ("learner", "Nguyễn Thị Hương", "BNG-0004", "Chuyên viên", f"{ROOT}/Cục Lãnh sự",
     {"learner"}, None),
    ("hr.lanhsu", "Võ Thị Mai Phương", "BNG-0005", "Chánh Văn phòng Cục Lãnh sự",
     f"{ROOT}/Cục Lãnh sự", {"hr", "learner"}, f"{ROOT}/Cục Lãnh sự"),
)

OFFICIALS = (
    ("Đặng Quốc Bảo", "Chuyên viên chính", f"{ROOT}/Văn phòng Bộ"),
    ("Trương Ngọc Ánh", "Chuyên viên", f"{ROOT}/Văn phòng Bộ"),
    ("Hoàng Văn Thắng", "Chánh Văn phòng Bộ", f"{ROOT}/Văn phòng Bộ"),
    ("Bùi Thị Lan Anh", "Văn thư", f"{ROOT}/Văn phòng Bộ"),
    ("Ngô Minh Tuấn", "Chuyên viên", f"{ROOT}/Văn phòng Bộ"),
    ("Đỗ Thị Thanh Tâm", "Chuyên viên chính", f"{ROOT}/Vụ Tổ chức Cán bộ"),
    ("Vũ Hoàng Long", "Chuyên viên", f"{ROOT}/Vụ Tổ chức Cán bộ"),
    ("Phan Thị Ngọc Lan", "Chuyên viên", f"{ROOT}/Vụ Tổ chức Cán bộ"),
    ("Nguyễn Văn Hùng", "Cục trưởng", IT),
    ("Lý Thị Kim Oanh", "Kỹ sư", f"{IT}/Phòng Hạ tầng và Dữ liệu"),
    ("Đinh Công Thành", "Kỹ sư hệ thống", f"{IT}/Phòng Hạ tầng và Dữ liệu"),
    ("Mai Xuân Trường", "Chuyên viên an toàn thông tin", f"{IT}/Phòng An ninh mạng"),
    ("Tạ Thị Hồng Nhung", "Kỹ sư bảo mật", f"{IT}/Phòng An ninh mạng"),
    ("Lương Văn Khải", "Trưởng phòng An ninh mạng", f"{IT}/Phòng An ninh mạng"),
    ("Trịnh Thị Thu Trang", "Chuyên viên", f"{ROOT}/Cục Lãnh sự"),
    ("Hồ Quang Huy", "Phó Cục trưởng", f"{ROOT}/Cục Lãnh sự"),
    ("Dương Thị Bích Ngọc", "Chuyên viên", f"{ROOT}/Cục Lãnh sự"),
    ("Cao Minh Đức", "Chuyên viên chính", f"{ROOT}/Cục Lãnh sự"),
    ("Lâm Thị Mỹ Duyên", "Chuyên viên", f"{ROOT}/Cục Lãnh sự"),
    ("Kiều Văn Nam", "Vụ trưởng", f"{ROOT}/Vụ Hợp tác kinh tế đa phương"),
    ("Tô Thị Phương Thảo", "Chuyên viên", f"{ROOT}/Vụ Hợp tác kinh tế đa phương"),
    ("Châu Gia Bảo", "Tùy viên", f"{ROOT}/Vụ Hợp tác kinh tế đa phương"),
    ("Quách Thị Yến", "Chuyên viên chính", f"{ROOT}/Vụ Hợp tác kinh tế đa phương"),
    ("Âu Dương Khánh Linh", "Chuyên viên", f"{ROOT}/Vụ Hợp tác kinh tế đa phương"),
    ("Lê Hoàng Phúc", "Vụ trưởng", f"{ROOT}/Vụ Thông tin Báo chí"),
    ("Nguyễn Ngọc Diệp", "Chuyên viên", f"{ROOT}/Vụ Thông tin Báo chí"),
    ("Triệu Thị Hải Yến", "Biên tập viên", f"{ROOT}/Vụ Thông tin Báo chí"),
    ("Phùng Văn Tiến", "Chuyên viên", f"{ROOT}/Vụ Thông tin Báo chí"),
    ("Hà Thị Minh Nguyệt", "Chánh Thanh tra", f"{ROOT}/Thanh tra Bộ"),
    ("Văn Đình Lộc", "Thanh tra viên", f"{ROOT}/Thanh tra Bộ"),
    ("Thái Thị Quỳnh Như", "Thanh tra viên", f"{ROOT}/Thanh tra Bộ"),
    ("Ông Thế Vinh", "Cục trưởng", f"{ROOT}/Cục Quản trị Tài vụ"),
    ("Giang Thị Ánh Tuyết", "Kế toán viên", f"{ROOT}/Cục Quản trị Tài vụ"),
    ("Lục Văn Quyết", "Chuyên viên", f"{ROOT}/Cục Quản trị Tài vụ"),
    ("Nghiêm Thị Thu Hằng", "Chuyên viên", f"{ROOT}/Cục Quản trị Tài vụ"),
    ("Diệp Minh Châu", "Chuyên viên", f"{ROOT}/Văn phòng Bộ"),
    ("Bạch Văn Sơn", "Kỹ thuật viên", f"{IT}/Phòng Hạ tầng và Dữ liệu"),
    ("Khúc Thị Hạnh", "Chuyên viên", f"{ROOT}/Vụ Tổ chức Cán bộ"),
)


def _username(full_name: str, staff_number: str) -> str:
    parts = fold(full_name).split()
    return f"{parts[-1]}.{''.join(p[0] for p in parts[:-1])}{staff_number[-2:]}"


def load_demo(*, environment: str, now: datetime) -> dict[str, int]:
    """Create the demo ministry unless it is there already; return what was created."""
    if environment == "production":
        raise RuleViolation("The demo ministry is refused in production (HOCSO_ENV=production).")
    paths = accounts.department_paths()
    before = len(paths)
    for path in DEPARTMENTS:
        accounts.ensure_department_path(path, paths)
    existing = set(db.session.scalars(select(func.lower(User.staff_number))))
    password_hash = accounts.hash_password(DEMO_PASSWORD)
    rows = list(DEMO_ACCOUNTS) + [
        (None, name, f"BNG-{index:04d}", title, path, {"learner"}, None)
        for index, (name, title, path) in enumerate(OFFICIALS, start=101)
    ]
    created = 0
    for username, name, staff, title, path, roles, scope in rows:
        if staff.lower() in existing:
            continue
        user = accounts.create_user(
            accounts.SYSTEM,
            accounts.UserData(
                username=username or _username(name, staff),
                full_name=name,
                email=f"{username or _username(name, staff)}@demo.hocso.vn",
                staff_number=staff,
                job_title=title,
                department_id=paths[path.casefold()].id,
                roles=roles,
                hr_scope_department_id=paths[scope.casefold()].id if scope else None,
            ),
            password=None,
            now=now,
            must_change_password=False,
        )
        user.password_hash = password_hash
        user.password_changed_at = now
        created += 1
    db.session.flush()
    imported = load_demo_courses(now)
    enrolled = seed_demo_progress(now)
    attempts = seed_demo_attempts(now)
    groups = seed_demo_groups(now)
    tasks = seed_demo_tasks(now)
    certificates.issue_pending(now=now)  # completions from before certificates existed
    made_campaigns = seed_demo_campaigns(now)
    return {"departments": len(paths) - before, "officials": created, "courses": imported,
            "enrolments": enrolled, "attempts": attempts, "groups": groups,
            "task_hand_ins": tasks, "campaigns": made_campaigns}


DEMO_COURSES_DIR = Path(courses.__file__).resolve().parent / "demo"
MAIN_COURSE = "ky-nang-so"
# Share of the main course each demo official has done (None: not enrolled), by position
# in the staff-number order; the four demo accounts come first.
PROGRESS_PATTERN = (0.4, 1.0, 1.0, 0.4, 1.0, 0.0, 0.25, 1.0, 0.6, None, 0.85, 0.1, 1.0, 0.5,
                    None, 0.3, 1.0, 0.75, 0.0, 0.45)


def load_demo_courses(now: datetime) -> int:
    """Import every demo course package (unchanged packages are skipped)."""
    changed = 0
    if not DEMO_COURSES_DIR.is_dir():
        return 0
    for folder in sorted(p for p in DEMO_COURSES_DIR.iterdir() if (p / "course.toml").exists()):
        result = courses.import_package(accounts.SYSTEM, read_directory(folder), now=now)
        changed += int(result.changed)
    return changed


def seed_demo_progress(now: datetime) -> int:
    """Give demo officials varied progress on the main course, once."""
    try:
        course = courses.get_course(MAIN_COURSE)
    except NotFound:  # the demo course is not there: nothing to seed
        return 0
    if db.session.scalar(select(func.count()).select_from(Enrolment)
                         .where(Enrolment.course_id == course.id)):
        return 0
    lessons = courses.active_lessons(course.id)
    officials = db.session.scalars(
        select(User).where(User.staff_number.like("BNG-%")).order_by(User.staff_number)
    ).all()
    enrolled = 0
    records, figures = [], []
    for index, official in enumerate(officials):
        share = PROGRESS_PATTERN[index % len(PROGRESS_PATTERN)]
        if share is None:
            continue
        start = now - timedelta(days=30 - index % 20, hours=index % 7)
        enrolment = courses.enrol(official, official, course, now=start)
        enrolled += 1
        done = round(share * len(lessons))
        spent = 0
        # Written in bulk (the services would recompute the course after every lesson); the
        # figures are recomputed once per official below, by the same code as always.
        for step, lesson in enumerate(lessons[:done]):
            moment = start + timedelta(hours=step * 5 + 1)
            seconds = 300 + (step * 97 + index * 31) % 900
            spent += seconds
            records.append({"user_id": official.id, "lesson_id": lesson.id,
                            "course_id": course.id, "first_opened_at": moment,
                            "last_opened_at": moment, "visits": 1 + step % 2,
                            "time_spent_seconds": seconds,
                            "completed_at": moment + timedelta(minutes=12)})
        last = lessons[min(done, len(lessons) - 1)] if done else None
        if 0 < done < len(lessons):  # opened the next lesson, not finished yet
            moment = start + timedelta(hours=done * 5)
            records.append({"user_id": official.id, "lesson_id": last.id,
                            "course_id": course.id, "first_opened_at": moment,
                            "last_opened_at": moment, "visits": 1, "time_spent_seconds": 240,
                            "completed_at": None})
            spent += 240
        if done:
            enrolment.started_at = start + timedelta(hours=1)
            enrolment.last_activity_at = start + timedelta(hours=done * 5)
            enrolment.last_lesson_id = last.id
            enrolment.time_spent_seconds = spent
            figures.append((official.id, enrolment.last_activity_at))
    if records:
        db.session.execute(insert(LessonProgress), records)
    for user_id, moment in figures:
        progress.recompute(user_id, course.id, now=moment)
    db.session.flush()
    return enrolled


def _take(official: User, quiz, moment: datetime, *, right: float, submit: bool = True) -> None:
    """Take a demo attempt answering the first `right` share of questions correctly."""
    attempt = quizzes.start_attempt(official, quiz, now=moment, rng=random.Random(
        f"{official.id}-{quiz.id}-{moment.isoformat()}"))
    slots = attempt.layout
    good = round(right * len(slots))
    responses = {i: quizzes.model_answer(slot) for i, slot in enumerate(slots) if i < good}
    if submit:
        quizzes.submit(official, attempt, responses, now=moment + timedelta(minutes=9))
    else:
        quizzes.save_responses(official, attempt, responses, now=moment + timedelta(minutes=4))


def seed_demo_attempts(now: datetime) -> int:
    """Give demo officials passed, failed and unfinished quiz attempts, once."""
    try:
        course = courses.get_course(MAIN_COURSE)
    except NotFound:
        return 0
    course_quizzes = quizzes.course_quizzes(course.id)
    if not course_quizzes or db.session.scalar(
            select(func.count()).select_from(QuizAttempt)
            .where(QuizAttempt.quiz_id.in_([q.id for q in course_quizzes]))):
        return 0
    module_quizzes = [q for q in course_quizzes if q.module_id is not None]
    final = next((q for q in course_quizzes if q.module_id is None), None)
    done_lessons = dict(db.session.execute(
        select(LessonProgress.user_id, func.count()).where(
            LessonProgress.course_id == course.id, LessonProgress.completed_at.is_not(None))
        .group_by(LessonProgress.user_id)).all())
    total = len(courses.active_lessons(course.id))
    enrolments = db.session.scalars(select(Enrolment).where(
        Enrolment.course_id == course.id).order_by(Enrolment.user_id)).all()
    taken = 0
    for index, enrolment in enumerate(enrolments):
        official = db.session.get(User, enrolment.user_id)
        base = (enrolment.started_at or now) + timedelta(days=1)
        done = done_lessons.get(official.id, 0)
        if done >= total:  # finished the lessons: pass every quiz, some after a failed try
            for step, quiz in enumerate(module_quizzes):
                if (index + step) % 4 == 0:
                    _take(official, quiz, base + timedelta(hours=step), right=0.4)
                    taken += 1
                _take(official, quiz, base + timedelta(hours=step, minutes=30), right=1.0)
                taken += 1
            if final is not None:
                _take(official, final, base + timedelta(days=1), right=0.95 if index % 3 else 0.85)
                taken += 1
        elif done and module_quizzes:
            # part-way: the first module's quiz failed once, or an attempt left unfinished
            _take(official, module_quizzes[0], base, right=0.3 if index % 2 else 1.0,
                  submit=index % 3 != 0)
            taken += 1
    db.session.flush()
    return taken


# --- mentoring -------------------------------------------------------------------------------

MENTOR = "mentor"
CONSULAR = f"{ROOT}/Cục Lãnh sự"
# name, description, department, created by the mentor (else by the department's HR, who
# names the mentor)
DEMO_GROUPS = (
    ("Chi đoàn Cục Cơ yếu - CNTT",
     "Đoàn viên thanh niên của Cục Cơ yếu - Công nghệ thông tin: cùng học kỹ năng số và "
     "giữ an toàn thông tin cho cơ quan.", IT, True),
    ("Cán bộ mới Cục Lãnh sự",
     "Cán bộ mới về Cục Lãnh sự làm quen với các hệ thống của Bộ trong những tháng đầu.",
     CONSULAR, False),
)


def _by_username() -> dict[str, User]:
    return {user.username: user for user in db.session.scalars(select(User))}


def _in_department(users: dict[str, User], path: str, *, but: set[str]) -> list[str]:
    department = accounts.department_paths()[path.casefold()]
    return sorted(name for name, user in users.items()
                  if user.department is not None and user.department.is_within(department)
                  and user.is_active and name not in but)


def _finish(user: User, course, module_slug: str, moment: datetime) -> None:
    """Do the rest of a module's lessons and pass its quiz at `moment` (a late finisher)."""
    for step, lesson in enumerate(courses.active_lessons(course.id)):
        if lesson.module.slug == module_slug:
            courses.complete_lesson(user, lesson, now=moment + timedelta(minutes=step))
    quiz = next(q for q in quizzes.course_quizzes(course.id)
                if q.module is not None and q.module.slug == module_slug)
    _take(user, quiz, moment + timedelta(hours=1), right=1.0)


def seed_demo_groups(now: datetime) -> int:
    """Give the demo mentor two groups with assignments of the main course whose due dates,
    relative to the load date, show every state (done, done late, overdue, in progress, not
    started), once: nothing is written when the groups exist."""
    users = _by_username()
    if MENTOR not in users or db.session.scalar(select(func.count()).select_from(
            MentoringGroup).where(MentoringGroup.name.in_([g[0] for g in DEMO_GROUPS]))):
        return 0
    try:
        course = courses.get_course(MAIN_COURSE)
    except NotFound:
        return 0
    mentor = users[MENTOR]
    consular_hr = users.get("hr.lanhsu", accounts.SYSTEM)
    # Assigned a few weeks ago, as a mentor would have.
    it_start, consular_start = now - timedelta(days=21), now - timedelta(days=10)
    today = mentoring.ministry_day(now)
    groups = {}
    for name, description, path, by_mentor in DEMO_GROUPS:
        department = accounts.department_paths()[path.casefold()]
        groups[name] = mentoring.create_group(
            mentor if by_mentor else consular_hr, name, [MENTOR],
            description=description, department_id=department.id,
            now=it_start if by_mentor else consular_start)
    cell, consular = groups[DEMO_GROUPS[0][0]], groups[DEMO_GROUPS[1][0]]
    it_members = _in_department(users, IT, but={MENTOR})
    mentoring.add_members(mentor, cell, it_members, now=it_start)
    consular_members = _in_department(users, CONSULAR, but={"hr.lanhsu"})
    mentoring.add_members(consular_hr, consular, consular_members, now=consular_start)

    def staff(number: str) -> User:
        return next(u for u in users.values() if u.staff_number == number)

    # The youth-union cell: the whole course in two weeks; information security, overdue
    # since a week, for four chosen members (done early, done late, two not done).
    mentoring.assign(mentor, cell, MAIN_COURSE, None, None, today + timedelta(days=14),
                     "Mỗi đoàn viên hoàn thành khóa học và bài kiểm tra cuối khóa.", None,
                     now=it_start)
    chosen = [staff(n).id for n in ("BNG-0112", "BNG-0113", "BNG-0109", "BNG-0114")]
    mentoring.assign(mentor, cell, MAIN_COURSE, "an-toan-thong-tin", None,
                     today - timedelta(days=7),
                     "Trước đợt diễn tập phòng chống lừa đảo qua thư điện tử.", chosen,
                     now=it_start)
    _finish(staff("BNG-0113"), course, "an-toan-thong-tin", now - timedelta(days=4))
    # The consular newcomers: the e-portal module, due two days ago (one finished it late);
    # the whole course in three weeks; the first data-sharing lesson within five days.
    mentoring.assign(consular_hr, consular, MAIN_COURSE, "cong-thong-tin", None,
                     today - timedelta(days=2),
                     "Làm quen với Cổng thông tin trong tuần đầu tiên.", None,
                     now=consular_start)
    _finish(staff("BNG-0115"), course, "cong-thong-tin", now - timedelta(days=1))
    mentoring.assign(mentor, consular, MAIN_COURSE, None, None, today + timedelta(days=21),
                     "", None, now=consular_start)
    first_data_lesson = next(lesson for lesson in courses.active_lessons(course.id)
                             if lesson.module.slug == "chia-se-du-lieu")
    mentoring.assign(mentor, consular, MAIN_COURSE, None, first_data_lesson.slug,
                     today + timedelta(days=5), "Đọc trước buổi trao đổi về LGSP thứ Sáu.",
                     None, now=consular_start)
    db.session.flush()
    return len(groups)


# (staff number, task slug, days ago handed in, decision: "confirmed", "returned" or None)
DEMO_HAND_INS = (
    ("BNG-0113", "cap-nhat-ho-so-tren-cong", 9, "confirmed"),
    ("BNG-0113", "dang-ky-van-ban-den", 3, None),
    ("BNG-0112", "ky-so-van-ban-di", 5, "returned"),
    ("BNG-0115", "cap-nhat-ho-so-tren-cong", 2, None),
    ("BNG-0109", "de-nghi-khai-thac-du-lieu-lgsp", 6, "confirmed"),
)
DEMO_NOTES = {
    "cap-nhat-ho-so-tren-cong": "Đã sửa chức danh và số điện thoại công vụ, đã lưu.",
    "dang-ky-van-ban-den": "Đã đăng ký văn bản đến số 1245, chuyển Trưởng phòng cho ý kiến.",
    "ky-so-van-ban-di": "Đã ký số công văn trả lời, chưa chụp được bảng chữ ký.",
    "de-nghi-khai-thac-du-lieu-lgsp": "Đề nghị số LGSP-2026-0381 đang chờ phê duyệt.",
}


def seed_demo_tasks(now: datetime) -> int:
    """Hand in practical tasks of the main course for members of the demo mentor's groups and
    decide some: confirmed, returned with a comment, and waiting; once (nothing is written when
    any hand-in exists)."""
    users = _by_username()
    if MENTOR not in users or db.session.scalar(select(func.count()).select_from(
            TaskSubmission)):
        return 0
    try:
        course = courses.get_course(MAIN_COURSE)
    except NotFound:
        return 0
    mentor = users[MENTOR]
    by_staff = {u.staff_number: u for u in users.values()}
    count = 0
    for staff, slug, days, decision in DEMO_HAND_INS:
        official = by_staff.get(staff)
        if official is None:
            continue
        try:
            task = task_services.get_task(course, slug)
        except NotFound:
            continue
        moment = now - timedelta(days=days)
        courses.enrol(official, official, course, now=moment)
        submission = task_services.submit(
            official, task, task_services.Evidence(note=DEMO_NOTES[slug]), now=moment,
            max_image_bytes=2 * 1024 * 1024)
        if decision == "confirmed":
            mentoring_tasks.confirm(mentor, submission, moment + timedelta(hours=20))
        elif decision == "returned":
            mentoring_tasks.return_task(
                mentor, submission, "Cần ảnh chụp bảng thông tin chữ ký số hợp lệ.",
                moment + timedelta(hours=20))
        count += 1
    db.session.flush()
    return count


# title, departments, deadline in days from the load, created that many days before the load
DEMO_CAMPAIGNS = (
    ("Kỹ năng số bắt buộc năm 2026", (ROOT,), 21, 2),
    ("Bồi dưỡng kỹ năng số đợt 1", (IT, f"{ROOT}/Cục Lãnh sự"), -5, 35),
)


def seed_demo_campaigns(now: datetime) -> int:
    """Make the main course mandatory: for the whole ministry a few weeks ahead, and for two
    departments by a deadline already passed (so some officials are overdue), once."""
    try:
        course = courses.get_course(MAIN_COURSE)
    except NotFound:
        return 0
    if db.session.scalar(select(func.count()).select_from(Campaign)):
        return 0
    paths = accounts.department_paths()
    today = mentoring.ministry_day(now)
    for title, departments, days, age in DEMO_CAMPAIGNS:
        campaigns.create_campaign(
            accounts.SYSTEM, title=title, course_id=course.id,
            department_ids=[paths[path.casefold()].id for path in departments],
            deadline=today + timedelta(days=days), now=now - timedelta(days=age),
            description="Theo Kế hoạch triển khai Phong trào “Bình dân học vụ số” của Bộ.")
    return len(DEMO_CAMPAIGNS)

"""Course rules: importing packages, enrolment, lesson visits and time, completion marks.

Idempotency lives in the database (unique constraints and ON CONFLICT), so double clicks, two
tabs or several worker processes never double-count. Course completion itself is decided in
`learning.progress`, told through the signals in `courses.signals`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, or_, select, update

from courses import storage
from courses.models import Course, CourseFile, Enrolment, Lesson, LessonProgress, Module
from courses.packages import (
    MEDIA_TYPES,
    SOURCE_SUFFIXES,
    CourseSpec,
    PackageError,
    parse_package,
)
from courses.signals import (
    course_content_changed,
    enrolment_changed,
    enrolment_created,
    lesson_completed,
    package_applied,
    package_checking,
)
from learning import ratelimit
from learning.accounts.models import User
from learning.accounts.services import audit, is_admin, require_admin
from learning.db import db, insert_for
from learning.errors import NotFound, PermissionDenied, RuleViolation
from learning.markdown import RENDERER_VERSION
from learning.text import fold

MAX_SECONDS_PER_REPORT = 30 * 60  # one page view never adds more than half an hour


@dataclass
class ImportResult:
    """What importing a package did."""

    course: Course
    created: bool
    changed: bool
    lessons_added: int = 0
    lessons_removed: int = 0
    lessons_updated: int = 0


# --- import and export -----------------------------------------------------------------------

def _search_text(spec: CourseSpec) -> str:
    parts = [spec.title, spec.summary, *spec.topics]
    for module in spec.modules:
        parts.append(module.title)
        parts.extend(lesson.title for lesson in module.lessons)
    return " ".join(fold(p) for p in parts if p)


def package_digest(files: dict[str, bytes]) -> str:
    """Return one digest for a whole package (paths and contents)."""
    return storage.digest_of(
        "\n".join(f"{path}\0{storage.digest_of(data)}" for path, data in sorted(files.items()))
        .encode()
    )


def import_package(actor: User | None, files: dict[str, bytes], *, now: datetime) -> ImportResult:
    """Create or update a course from package files; raises PackageError on any problem."""
    require_admin(actor)
    spec, problems = None, []
    try:
        spec = parse_package(files)
    except PackageError as error:
        problems = list(error.problems)
    for _receiver, found in package_checking.send(files, spec=spec):
        problems.extend(found or [])
    if problems:
        raise PackageError(problems)
    digest = package_digest(files)
    # One import of a course at a time: the same package sent twice at once (a double click,
    # two admins) must create the course once and apply a version once, the second import
    # reading what the first committed.
    ratelimit.lock("course-import", spec.slug, now=now)
    course = db.session.scalar(select(Course).where(Course.slug == spec.slug))
    created = course is None
    if course is not None and course.package_digest == digest:
        return ImportResult(course=course, created=False, changed=False)
    if course is None:
        course = Course(slug=spec.slug, created_at=now)
        db.session.add(course)
    course.title = spec.title
    course.summary = spec.summary
    course.language = spec.language
    course.version = spec.version
    course.estimated_minutes = spec.estimated_minutes
    course.topics = "\n".join(spec.topics)
    course.family = spec.family
    course.completion_rule = spec.completion_rule
    course.requires_tasks = spec.requires_tasks
    course.certificate_validity_months = spec.certificate_validity_months
    course.certificate_template = (spec.extra.get("certificate", {}).get("template")
                                  or ("certificate.html" if "certificate.html" in files else None))
    course.search_text = _search_text(spec)
    course.package_digest = digest
    course.updated_at = now
    new_content_version(course)
    db.session.flush()

    result = ImportResult(course=course, created=created, changed=True)
    modules = {m.slug: m for m in course.modules}
    lessons = {
        lesson.slug: lesson
        for lesson in db.session.scalars(select(Lesson).where(Lesson.course_id == course.id))
    }
    wanted_modules, wanted_lessons = set(), set()
    position = 0
    for module_position, module_spec in enumerate(spec.modules):
        module = modules.get(module_spec.slug)
        if module is None:
            module = Module(course=course, slug=module_spec.slug)
            db.session.add(module)
        module.title = module_spec.title
        module.summary = module_spec.summary
        module.position = module_position
        module.is_removed = False
        db.session.flush()
        wanted_modules.add(module.slug)
        for lesson_spec in module_spec.lessons:
            position += 1
            lesson = lessons.get(lesson_spec.slug)
            content = storage.digest_of(spec.files[lesson_spec.source_path])
            if lesson is None:
                lesson = Lesson(course_id=course.id, slug=lesson_spec.slug)
                db.session.add(lesson)
                result.lessons_added += 1
            elif lesson.content_digest != content or lesson.is_removed:
                result.lessons_updated += 1
            lesson.module_id = module.id
            lesson.position = position
            lesson.title = lesson_spec.title
            lesson.estimated_minutes = lesson_spec.estimated_minutes
            lesson.source_path = lesson_spec.source_path
            lesson.body_markdown = lesson_spec.markdown
            lesson.body_html = lesson_spec.html
            lesson.html_version = RENDERER_VERSION
            lesson.content_digest = content
            lesson.is_removed = False
            lesson.updated_at = now
            wanted_lessons.add(lesson_spec.slug)
    for module in modules.values():
        if module.slug not in wanted_modules:
            module.is_removed = True
    for lesson in lessons.values():
        if lesson.slug not in wanted_lessons and not lesson.is_removed:
            lesson.is_removed = True
            result.lessons_removed += 1

    existing_files = {f.path: f for f in course.files}
    for path, data in files.items():
        file_digest = storage.store(data)
        record = existing_files.pop(path, None)
        if record is None:
            record = CourseFile(course=course, path=path)
            db.session.add(record)
        record.digest = file_digest
        record.size = len(data)
        record.media_type = MEDIA_TYPES.get("." + path.rsplit(".", 1)[-1].lower(),
                                            "application/octet-stream")
    for record in existing_files.values():
        db.session.delete(record)
    db.session.flush()
    audit(actor, "course.import", course, now=now, slug=course.slug, version=spec.version,
          added=result.lessons_added, removed=result.lessons_removed)
    package_applied.send(course, now=now, spec=spec)
    course_content_changed.send(course, now=now, spec=spec)
    return result


def new_content_version(course: Course) -> None:
    """Mark the course's modules, lessons or quizzes as changed: the outline caches
    (courses.outline) are keyed by this version."""
    course.content_version = uuid.uuid4().hex


def modules_by_folder(course: Course, spec: CourseSpec) -> dict[str, Module]:
    """Map each package module folder to the course's module (what quizzes and tasks found in
    a folder belong to)."""
    modules = {m.slug: m for m in course.modules}
    return {m.folder: modules[m.slug] for m in spec.modules if m.slug in modules}


def export_package(course: Course) -> dict[str, bytes]:
    """Return the course's package files exactly as imported."""
    return {record.path: storage.read(record.digest) for record in course.files}


# --- catalog ---------------------------------------------------------------------------------

def get_course(slug: str, *, include_unpublished: bool = False) -> Course:
    """Return a course by slug or raise NotFound."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or (not course.is_published and not include_unpublished):
        raise NotFound(_l("No such course."))
    return course


# Built once: the lesson and course pages run these on every view (half the cost of building
# a statement anew each time).
_COURSE_FOR = (
    select(Course, Enrolment)
    .outerjoin(Enrolment, and_(Enrolment.course_id == Course.id,
                               Enrolment.user_id == bindparam("user_id")))
    .where(Course.slug == bindparam("slug")))
# On the table's columns, not the entity's: a plain Core statement skips the ORM's handling of
# the result (half of its cost), and ids are all it returns.
_progress = LessonProgress.__table__.c
_DONE_IDS = select(_progress.lesson_id).where(
    _progress.user_id == bindparam("user_id"), _progress.course_id == bindparam("course_id"),
    _progress.completed_at.is_not(None))
_DONE_IDS_IN_CYCLE = _DONE_IDS.where(_progress.completed_at >= bindparam("since"))


def course_for(user: User, slug: str) -> tuple[Course, Enrolment | None]:
    """Return a published course by slug with the official's enrolment in it, in one query;
    raise NotFound for an unknown or unpublished course."""
    found = db.session.execute(_COURSE_FOR, {"user_id": user.id, "slug": slug}).first()
    if found is None or not found[0].is_published:
        raise NotFound(_l("No such course."))
    return found[0], found[1]


def active_lessons(course_id: int) -> list[Lesson]:
    """Return the course's current lessons in order."""
    return list(db.session.scalars(
        select(Lesson).where(Lesson.course_id == course_id, Lesson.is_removed.is_(False))
        .order_by(Lesson.position)
    ))


def active_modules(course: Course) -> list[Module]:
    """Return the course's current modules in order."""
    return [module for module in course.modules if not module.is_removed]


def get_lesson(course: Course, lesson_slug: str) -> Lesson:
    """Return a current lesson of the course or raise NotFound."""
    lesson = db.session.scalar(select(Lesson).where(
        Lesson.course_id == course.id, Lesson.slug == lesson_slug, Lesson.is_removed.is_(False)))
    if lesson is None:
        raise NotFound(_l("No such lesson."))
    return lesson


def can_open_lessons(user: User, course: Course) -> bool:
    """Tell whether the official may open the course's lessons, and so its files: an enrolled
    official in a published course; in an unpublished one, only an admin (to check it)."""
    return may_open_lessons(user, course, get_enrolment(user, course))


def may_open_lessons(user: User, course: Course, enrolment: Enrolment | None) -> bool:
    """`can_open_lessons` for a caller that has read the official's enrolment already."""
    if not course.is_published:
        return is_admin(user)
    return enrolment is not None


def get_course_file(actor: User, course: Course, path: str) -> CourseFile:
    """Return a media file of the course package to someone who may open its lessons; raise
    NotFound for package sources and unknown paths, PermissionDenied for everyone else."""
    record = db.session.scalar(select(CourseFile).where(
        CourseFile.course_id == course.id, CourseFile.path == path))
    if record is None or path.lower().endswith(SOURCE_SUFFIXES):  # sources: never
        raise NotFound(_l("No such file."))
    if not can_open_lessons(actor, course):
        raise PermissionDenied(_l("Enrol in the course to open its lessons."))
    return record


# --- enrolment and lesson progress -----------------------------------------------------------

def get_enrolment(user: User, course: Course) -> Enrolment | None:
    """Return the official's enrolment in the course, if any."""
    return db.session.scalar(select(Enrolment).where(
        Enrolment.user_id == user.id, Enrolment.course_id == course.id))


def enrol(actor: User, official: User, course: Course, *, source: str = "self",
          now: datetime) -> Enrolment:
    """Enrol an official in a course (idempotent: a second call returns the same enrolment)."""
    if source == "self" and actor.id != official.id:
        raise PermissionDenied(_l("You may only enrol yourself."))
    if not course.is_published:
        raise RuleViolation(_l("This course is not open for enrolment."))
    statement = insert_for(db.session, Enrolment).values(
        user_id=official.id, course_id=course.id, source=source, enrolled_at=now,
        percent_complete=0, lessons_done=0, time_spent_seconds=0,
    ).on_conflict_do_nothing(index_elements=["user_id", "course_id"]).returning(Enrolment.id)
    # RETURNING tells a new row apart; psycopg's rowcount for this statement is not reliable.
    created = db.session.execute(statement).scalar() is not None
    enrolment = get_enrolment(official, course)
    if created:
        enrolment_created.send(enrolment, now=now)
    return enrolment


def require_enrolment(user: User, course: Course) -> Enrolment:
    """Return the official's enrolment or raise PermissionDenied."""
    enrolment = get_enrolment(user, course)
    if enrolment is None:
        raise PermissionDenied(_l("Enrol in the course to open its lessons."))
    return enrolment


def _lock_enrolment(enrolment_id: int, now: datetime) -> None:
    """Write to the enrolment first: on PostgreSQL this locks the row, on SQLite it takes the
    write lock, so concurrent updates of one official's course figures run one after another."""
    db.session.execute(update(Enrolment).where(Enrolment.id == enrolment_id)
                       .values(last_activity_at=now))


def complete_lesson(user: User, lesson: Lesson, *, now: datetime) -> bool:
    """Mark the lesson done; return True only the first time (double clicks count once)."""
    enrolment = require_enrolment(user, lesson.course)
    _lock_enrolment(enrolment.id, now)
    db.session.execute(
        insert_for(db.session, LessonProgress).values(
            user_id=user.id, lesson_id=lesson.id, course_id=lesson.course_id,
            first_opened_at=now, last_opened_at=now, visits=1, time_spent_seconds=0,
        ).on_conflict_do_nothing(index_elements=["user_id", "lesson_id"])
    )
    not_done = LessonProgress.completed_at.is_(None)
    if enrolment.cycle_started_at is not None:  # a recertification: earlier marks are stale
        not_done = or_(not_done, LessonProgress.completed_at < enrolment.cycle_started_at)
    newly = db.session.execute(
        update(LessonProgress)
        .where(LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id,
               not_done)
        .values(completed_at=now)
    ).rowcount == 1
    db.session.execute(update(Enrolment).where(Enrolment.id == enrolment.id).values(
        last_lesson_id=lesson.id, started_at=func.coalesce(Enrolment.started_at, now)))
    if newly:
        lesson_completed.send(lesson, user_id=user.id, course_id=lesson.course_id, now=now)
    db.session.expire_all()
    return newly


def report_reading(user: User, lesson: Lesson, seconds: int, *, visit: bool,
                   now: datetime) -> None:
    """Record what the lesson page reports when it is left: the visit (first and last opened,
    visits, the lesson to resume at) and the reading time (bounded per report). The page view
    itself writes nothing; this report is the deferred write of the visit."""
    seconds = max(0, min(int(seconds), MAX_SECONDS_PER_REPORT))
    if not seconds and not visit:
        return
    enrolment = require_enrolment(user, lesson.course)
    # The enrolment row first, as every other progress write does: the same lock order, so a
    # report and a completion of the same official never deadlock.
    figures = {"time_spent_seconds": Enrolment.time_spent_seconds + seconds,
               "last_activity_at": now}
    if visit:
        figures.update(last_lesson_id=lesson.id,
                       started_at=func.coalesce(Enrolment.started_at, now))
    first_visit = visit and enrolment.started_at is None
    db.session.execute(update(Enrolment).where(Enrolment.id == enrolment.id).values(**figures))
    if first_visit:  # opened for the first time: the course is now in progress
        enrolment_changed.send(enrolment, now=now)
    visits = 1 if visit else 0
    changes = {"visits": LessonProgress.visits + visits,
               "time_spent_seconds": LessonProgress.time_spent_seconds + seconds}
    if visit:
        changes["last_opened_at"] = now
    db.session.execute(insert_for(db.session, LessonProgress).values(
        user_id=user.id, lesson_id=lesson.id, course_id=lesson.course_id, first_opened_at=now,
        last_opened_at=now, visits=visits, time_spent_seconds=seconds,
    ).on_conflict_do_update(index_elements=["user_id", "lesson_id"], set_=changes))


def counts_as_done():
    """SQL condition (with Enrolment joined): a lesson is done in the enrolment's current
    cycle; after a recertification restart, earlier completions no longer count."""
    return and_(LessonProgress.completed_at.is_not(None),
                or_(Enrolment.cycle_started_at.is_(None),
                    LessonProgress.completed_at >= Enrolment.cycle_started_at))


def with_enrolment(statement):
    """Join a LessonProgress query to the matching enrolment."""
    return statement.join(Enrolment, and_(Enrolment.user_id == LessonProgress.user_id,
                                          Enrolment.course_id == LessonProgress.course_id))


def lesson_states(user: User, course: Course) -> dict[int, LessonProgress]:
    """Map lesson id to the official's progress record for the lessons done (in the current
    cycle) in the course."""
    return {
        record.lesson_id: record
        for record in db.session.scalars(with_enrolment(select(LessonProgress)).where(
            LessonProgress.user_id == user.id, LessonProgress.course_id == course.id,
            counts_as_done()))
    }


def done_lesson_ids(user: User, course: Course, enrolment: Enrolment | None) -> set[int]:
    """Return the ids of the lessons the official has done in the enrolment's current cycle
    (one light query: ids only, the cycle read from the enrolment the caller holds)."""
    if enrolment is None:
        return set()
    values = {"user_id": user.id, "course_id": course.id}
    if enrolment.cycle_started_at is None:
        return set(db.session.scalars(_DONE_IDS, values))
    return set(db.session.scalars(_DONE_IDS_IN_CYCLE,
                                  {**values, "since": enrolment.cycle_started_at}))


def pick_next_lesson(lessons: list[Lesson], done_ids: set[int],
                     last_lesson_id: int | None) -> Lesson | None:
    """Return the first unfinished lesson at or after the last one opened, else the first
    unfinished one; None when all are done. `lessons` are in course order."""
    unfinished = [lesson for lesson in lessons if lesson.id not in done_ids]
    if not unfinished:
        return None
    last = next((lesson for lesson in lessons if lesson.id == last_lesson_id), None)
    if last is not None:
        after = [lesson for lesson in unfinished if lesson.position >= last.position]
        if after:
            return after[0]
    return unfinished[0]


def next_lesson(user: User, course: Course) -> Lesson | None:
    """Return the lesson the official should take next in the course."""
    states = lesson_states(user, course)
    enrolment = get_enrolment(user, course)
    done = {lesson_id for lesson_id, state in states.items() if state.completed_at}
    return pick_next_lesson(active_lessons(course.id), done,
                            enrolment.last_lesson_id if enrolment else None)


def neighbours(lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    """Return the previous and next current lessons of the course."""
    lessons = active_lessons(lesson.course_id)
    index = next(i for i, l in enumerate(lessons) if l.id == lesson.id)
    return (lessons[index - 1] if index > 0 else None,
            lessons[index + 1] if index + 1 < len(lessons) else None)

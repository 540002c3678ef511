"""Reads for the catalog, course outline, resume and admin pages."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, case, func, or_, select

from courses.models import Course, Enrolment, Lesson, LessonProgress, Module
from courses.services import counts_as_done, pick_next_lesson, with_enrolment
from learning.accounts.models import User
from learning.db import db
from learning.errors import NotFound
from learning.text import fold

LANGUAGE_LABELS = {"vi": _l("Vietnamese"), "en": _l("English"), "ko": _l("Korean")}
# How the catalog names a course's other language versions ("Phiên bản tiếng Anh").
VERSION_LABELS = {"vi": _l("Vietnamese version"), "en": _l("English version"),
                  "ko": _l("Korean version")}


@dataclass
class CatalogEntry:
    """A course in the catalog with the viewer's enrolment, if any, and its other language
    versions (same family), which the catalog shows as links, not as cards of their own."""

    course: Course
    lesson_count: int
    enrolment: Enrolment | None
    versions: list[Course] = field(default_factory=list)


def _preference(course: Course, language: str) -> tuple[int, str]:
    """Order a family's versions: the official's language, then Vietnamese, then the rest."""
    return (0 if course.language == language else 1 if course.language == "vi" else 2,
            course.language)


def _one_card_per_family(entries: list[CatalogEntry], language: str) -> list[CatalogEntry]:
    """Keep the best matching version of each family as the card; link the other versions."""
    families = {e.course.family for e in entries if e.course.family}
    members: dict[str, list[Course]] = {}
    if families:
        for course in db.session.scalars(select(Course).where(
                Course.family.in_(families), Course.is_published.is_(True))):
            members.setdefault(course.family, []).append(course)
    chosen: dict[str, CatalogEntry] = {}
    for entry in entries:
        family = entry.course.family
        if not family:
            continue
        best = chosen.get(family)
        if best is None or _preference(entry.course, language) < _preference(best.course,
                                                                               language):
            chosen[family] = entry
    shown = []
    for entry in entries:
        family = entry.course.family
        if family and chosen[family] is not entry:
            continue
        if family:
            entry.versions = sorted(
                (c for c in members.get(family, []) if c.id != entry.course.id),
                key=lambda c: _preference(c, language))
        shown.append(entry)
    return shown


def _topic_condition(topic: str):
    column = Course.topics
    return or_(column == topic, column.startswith(topic + "\n", autoescape=True),
               column.endswith("\n" + topic, autoescape=True),
               column.contains("\n" + topic + "\n", autoescape=True))


def search(user: User, *, query: str = "", language: str = "", topic: str = "") -> list[
        CatalogEntry]:
    """Return published courses matching every word of `query` (diacritic- and case-blind),
    one card per course family, in the official's language where the family has it."""
    conditions = [Course.is_published.is_(True)]
    for word in fold(query).split():
        conditions.append(Course.search_text.contains(word, autoescape=True))
    if language:
        conditions.append(Course.language == language)
    if topic:
        conditions.append(_topic_condition(topic))
    lesson_count = (
        select(func.count()).where(Lesson.course_id == Course.id, Lesson.is_removed.is_(False))
        .correlate(Course).scalar_subquery()
    )
    rows = db.session.execute(
        select(Course, lesson_count, Enrolment)
        .outerjoin(Enrolment, (Enrolment.course_id == Course.id) & (Enrolment.user_id == user.id))
        .where(*conditions).order_by(Course.title)
    ).all()
    entries = [CatalogEntry(course, count, enrolment) for course, count, enrolment in rows]
    return _one_card_per_family(entries, user.preferred_language)


def all_topics() -> list[str]:
    """Return every topic of the published courses, sorted."""
    topics = set()
    for text in db.session.scalars(select(Course.topics).where(Course.is_published.is_(True))):
        topics.update(t for t in text.splitlines() if t)
    return sorted(topics, key=fold)


_FAMILY_OF_SLUG = (select(Course.family).where(Course.slug == bindparam("slug"))
                   .scalar_subquery())
_COURSE_PAGE = (
    select(Course, Enrolment)
    .outerjoin(Enrolment, and_(Enrolment.course_id == Course.id,
                               Enrolment.user_id == bindparam("user_id")))
    .where(or_(Course.slug == bindparam("slug"),
               and_(Course.family.is_not(None), Course.family == _FAMILY_OF_SLUG,
                    Course.is_published.is_(True))))
    .order_by(Course.language))


def course_page(user: User, slug: str) -> tuple[Course, Enrolment | None, list[Course]]:
    """Return a published course with the official's enrolment and the course's other
    published language versions, in one statement (the course page runs it on every view);
    raise NotFound for an unknown or unpublished course."""
    course, enrolment, versions = None, None, []
    for row_course, row_enrolment in db.session.execute(
            _COURSE_PAGE, {"user_id": user.id, "slug": slug}):
        if row_course.slug == slug:
            course, enrolment = row_course, row_enrolment
        else:
            versions.append(row_course)
    if course is None or not course.is_published:
        raise NotFound(_l("No such course."))
    return course, enrolment, versions


@dataclass
class EnrolledCourse:
    """An enrolment with its course's current lessons, the ones done (in the enrolment's
    cycle) and the official's next lesson."""

    enrolment: Enrolment
    course: Course
    lessons: list[Lesson]
    next_lesson: Lesson | None
    done_ids: set[int] = field(default_factory=set)


def enrolled_courses(user: User) -> list[EnrolledCourse]:
    """Return every enrolment of the official, most recently active first, in three queries
    whatever the number of courses."""
    pairs = db.session.execute(
        select(Enrolment, Course).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id == user.id)
        .order_by(Enrolment.last_activity_at.desc().nulls_last(), Enrolment.enrolled_at.desc())
    ).all()
    course_ids = [course.id for _, course in pairs]
    lessons_by_course: dict[int, list[Lesson]] = {cid: [] for cid in course_ids}
    done: set[int] = set()
    if course_ids:
        for lesson in db.session.scalars(
            select(Lesson).where(Lesson.course_id.in_(course_ids), Lesson.is_removed.is_(False))
            .order_by(Lesson.course_id, Lesson.position)
        ):
            lessons_by_course[lesson.course_id].append(lesson)
        done = set(db.session.scalars(with_enrolment(select(LessonProgress.lesson_id)).where(
            LessonProgress.user_id == user.id, LessonProgress.course_id.in_(course_ids),
            counts_as_done())))
    return [
        EnrolledCourse(enrolment, course, lessons_by_course[course.id],
                       pick_next_lesson(lessons_by_course[course.id], done,
                                        enrolment.last_lesson_id),
                       {lesson.id for lesson in lessons_by_course[course.id]
                        if lesson.id in done})
        for enrolment, course in pairs
    ]


def modules_by_course(course_ids: list[int]) -> dict[int, list[Module]]:
    """Map each course id to its current modules in order, in one query."""
    modules: dict[int, list[Module]] = {course_id: [] for course_id in course_ids}
    if course_ids:
        for module in db.session.scalars(select(Module).where(
                Module.course_id.in_(course_ids), Module.is_removed.is_(False))
                .order_by(Module.course_id, Module.position)):
            modules[module.course_id].append(module)
    return modules


def next_enrolled_course(user: User, *, besides: int) -> Course | None:
    """Return the published course the official is enrolled in and has not completed, other
    than course `besides`, worked on most recently (else enrolled in last)."""
    return db.session.scalar(
        select(Course).join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.user_id == user.id, Enrolment.completed_at.is_(None),
               Course.id != besides, Course.is_published.is_(True))
        .order_by(Enrolment.last_activity_at.desc().nulls_last(), Enrolment.enrolled_at.desc())
        .limit(1))


def suggest_course(user: User) -> Course | None:
    """Return a published course to take next: none of whose language versions the official
    is enrolled in, in the official's language if possible (else Vietnamese), newest first."""
    enrolled = select(Enrolment.course_id).where(Enrolment.user_id == user.id)
    families = (select(Course.family).join(Enrolment, Enrolment.course_id == Course.id)
                .where(Enrolment.user_id == user.id, Course.family.is_not(None)))
    language = user.preferred_language or "vi"
    return db.session.scalar(
        select(Course).where(
            Course.is_published.is_(True), Course.id.not_in(enrolled),
            or_(Course.family.is_(None), Course.family.not_in(families)))
        .order_by(case((Course.language == language, 0), (Course.language == "vi", 1),
                       else_=2), Course.created_at.desc(), Course.title)
        .limit(1))


def admin_rows() -> list[tuple[Course, int, int, int]]:
    """Return every course with its lesson, enrolment and completion counts."""
    lessons = (select(func.count()).where(Lesson.course_id == Course.id,
                                          Lesson.is_removed.is_(False))
               .correlate(Course).scalar_subquery())
    enrolled = (select(func.count()).where(Enrolment.course_id == Course.id)
                .correlate(Course).scalar_subquery())
    completed = (select(func.count()).where(Enrolment.course_id == Course.id,
                                            Enrolment.completed_at.is_not(None))
                 .correlate(Course).scalar_subquery())
    return [tuple(row) for row in db.session.execute(
        select(Course, lessons, enrolled, completed).order_by(Course.title)).all()]

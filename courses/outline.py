"""The course outline (modules and lessons, in order) and the lessons' HTML, cached per process
under the course's content version.

A course's structure changes only when a new package (or a GIFT file) is imported, and every such
change gives the course a new `content_version`. The lesson and course pages read the version
with the course row they load anyway, and take the outline and the lesson HTML from here: no
query for either while the version stands, and a new version is seen by every worker and host
on its next request (the old entries age out of the bounded caches). What is cached is plain,
immutable data, never ORM objects, so nothing is shared between requests or sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from courses.models import Course, CourseFile, Lesson, Module
from courses.packages import render_lesson_html
from learning.db import db
from learning.fragments import BoundedCache
from learning.markdown import RENDERER_VERSION


@dataclass(frozen=True)
class OutlineLesson:
    """A current lesson as the outline shows it."""

    id: int
    slug: str
    title: str
    position: int
    estimated_minutes: int
    module_id: int
    module_title: str


@dataclass(frozen=True)
class OutlineModule:
    """A current module with its current lessons, in order."""

    id: int
    slug: str
    title: str
    summary: str
    position: int
    lessons: tuple[OutlineLesson, ...]


@dataclass(frozen=True)
class Outline:
    """The current modules (those with lessons) and lessons of one version of a course."""

    course_id: int
    modules: tuple[OutlineModule, ...]
    lessons: tuple[OutlineLesson, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lessons",
                           tuple(lesson for module in self.modules for lesson in module.lessons))

    def lesson(self, slug: str) -> OutlineLesson | None:
        """Return the current lesson with this slug, if any."""
        return next((lesson for lesson in self.lessons if lesson.slug == slug), None)

    def neighbours(self, lesson_id: int) -> tuple[OutlineLesson | None, OutlineLesson | None]:
        """Return the lessons before and after the given one in course order."""
        index = next(i for i, lesson in enumerate(self.lessons) if lesson.id == lesson_id)
        return (self.lessons[index - 1] if index > 0 else None,
                self.lessons[index + 1] if index + 1 < len(self.lessons) else None)


_outlines = BoundedCache(max_entries=512)
# Lesson HTML is bounded by size too (characters): a ministry's whole catalog fits many times.
_bodies = BoundedCache(max_entries=20_000, max_size=64 * 1024 * 1024, size_of=len)


def _load_outline(course_id: int) -> Outline:
    modules = db.session.execute(
        select(Module.id, Module.slug, Module.title, Module.summary, Module.position)
        .where(Module.course_id == course_id, Module.is_removed.is_(False))
        .order_by(Module.position)).all()
    lessons: dict[int, list[OutlineLesson]] = {}
    titles = {row.id: row.title for row in modules}
    for row in db.session.execute(
            select(Lesson.id, Lesson.slug, Lesson.title, Lesson.position,
                   Lesson.estimated_minutes, Lesson.module_id)
            .where(Lesson.course_id == course_id, Lesson.is_removed.is_(False))
            .order_by(Lesson.position)):
        if row.module_id in titles:
            lessons.setdefault(row.module_id, []).append(OutlineLesson(
                row.id, row.slug, row.title, row.position, row.estimated_minutes, row.module_id,
                titles[row.module_id]))
    return Outline(course_id, tuple(
        OutlineModule(row.id, row.slug, row.title, row.summary, row.position,
                      tuple(lessons[row.id]))
        for row in modules if lessons.get(row.id)))


def outline_of(course: Course) -> Outline:
    """Return the outline of the course's current version (no query once cached)."""
    return _outlines.get_or_load((course.id, course.content_version),
                                 lambda: _load_outline(course.id))


def _render(lesson: Lesson) -> str:
    """Render a lesson whose stored HTML predates the current renderer (in memory only)."""
    files = set(db.session.scalars(
        select(CourseFile.path).where(CourseFile.course_id == lesson.course_id)))
    slugs = dict(db.session.execute(
        select(Lesson.source_path, Lesson.slug).where(Lesson.course_id == lesson.course_id,
                                                      Lesson.is_removed.is_(False))).all())
    return render_lesson_html(lesson.body_markdown, lesson.source_path, files, slugs,
                              title=lesson.title)


def _load_body(lesson_id: int) -> str:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson.html_version == RENDERER_VERSION:
        return lesson.body_html
    # Stored by an older renderer: render anew for this process. A GET does not write; the
    # next import of the course (or `flask courses rerender`) stores the new HTML.
    return _render(lesson)


def lesson_body(course: Course, lesson: OutlineLesson) -> str:
    """Return the lesson's sanitised HTML for the course's current version."""
    return _bodies.get_or_load((course.id, course.content_version, lesson.id, RENDERER_VERSION),
                               lambda: _load_body(lesson.id))


def rerender_stale(course_id: int | None = None) -> int:
    """Store freshly rendered HTML for every lesson rendered by an older renderer; return how
    many were rebuilt. The caller commits."""
    query = select(Lesson).where(Lesson.html_version != RENDERER_VERSION)
    if course_id is not None:
        query = query.where(Lesson.course_id == course_id)
    count = 0
    for lesson in db.session.scalars(query):
        lesson.body_html = _render(lesson)
        lesson.html_version = RENDERER_VERSION
        count += 1
    db.session.flush()
    return count


def clear_caches() -> None:
    """Forget every cached outline and lesson body (tests; never needed for correctness)."""
    _outlines.clear()
    _bodies.clear()

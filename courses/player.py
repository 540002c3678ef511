"""The lesson player's outline: a stencil (learning.fragments) per course version and page
language, filled on every view with the official's own marks and quiz lines.

Presentation, not data: it renders a template and reads the request, so it lives beside the
views; the outline it draws comes from `courses.outline`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, get_template_attribute, render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from courses.models import Course
from courses.outline import outline_of
from learning.fragments import Hole, Stencil, stencil_cache
from learning.i18n import current_language

TEMPLATE = "courses/_player_outline.html"
DONE_MARK = "courses/_done_mark.html"


@dataclass(frozen=True)
class _LessonHoles:
    lesson_id: int
    css: str  # "is-done" or nothing
    mark: str  # the done mark or nothing
    current: str  # aria-current on the lesson shown


@dataclass(frozen=True)
class _PlayerOutline:
    stencil: Stencil
    done_mark: Markup  # the ✓ and its words for screen readers, in the page's language
    lessons: tuple[_LessonHoles, ...]
    modules: tuple[tuple[int, str], ...]  # (module id, the hole of its quiz lines)

    def __len__(self) -> int:  # the stencil cache is bounded by size
        return len(self.stencil) + len(self.done_mark)


def _render(course: Course, language: str) -> _PlayerOutline:
    contents = outline_of(course)
    lessons = tuple(_LessonHoles(item.id, f"lesson-class-{item.id}", f"lesson-mark-{item.id}",
                                 f"lesson-current-{item.id}") for item in contents.lessons)
    modules = tuple((module.id, f"quizzes-{module.id}") for module in contents.modules)
    html = render_template(
        TEMPLATE, outline=contents, course_slug=course.slug, course_language=course.language,
        lesson_holes={h.lesson_id: (Hole(h.css), Hole(h.mark), Hole(h.current)) for h in lessons},
        module_holes={module_id: Hole(name) for module_id, name in modules},
        course_quizzes=Hole("quizzes-course"))
    done_mark = get_template_attribute(DONE_MARK, "done_mark")
    names = {"quizzes-course", *(name for _id, name in modules),
             *(name for h in lessons for name in (h.css, h.mark, h.current))}
    return _PlayerOutline(Stencil(html, names), Markup(done_mark(language)), lessons, modules)


def player_outline(course: Course, lesson_id: int, done_ids: set[int] | frozenset[int],
                   quizzes_of: Callable[[int | None], str]) -> Markup:
    """Return the lesson player's outline (a template global): the modules and lessons of the
    course's current version, each lesson done marked, `lesson_id` the current one, and under
    each module the quiz lines `quizzes_of(module_id)` returns (HTML; None: the course's own
    quizzes)."""
    language = current_language()
    key = (course.id, course.content_version, course.slug, course.language, language,
           request.script_root)
    cached = stencil_cache(current_app, "player-outline", max_entries=1024).get_or_load(
        key, lambda: _render(course, language))
    values: dict[str, str] = {"quizzes-course": quizzes_of(None)}
    for module_id, hole in cached.modules:
        values[hole] = quizzes_of(module_id)
    for holes in cached.lessons:
        done = holes.lesson_id in done_ids
        values[holes.css] = "is-done" if done else ""
        values[holes.mark] = cached.done_mark if done else ""
        values[holes.current] = ' aria-current="page"' if holes.lesson_id == lesson_id else ""
    return cached.stencil.fill(values)


PAGE = "courses/_lesson_page.html"
_PAGE_HOLES = {name: Hole(name) for name in ("header", "flashes", "progress", "outline", "csrf")}


def lesson_page(course: Course, lesson, *, html: Markup, previous, following, done: bool,
                header: Markup, flashes: Markup, progress: Markup, outline: Markup) -> Markup:
    """Return the lesson page (a template global): `courses/_lesson_page.html` rendered once per
    course version, lesson, page language and whether the lesson is `done` (the footer offers
    "mark as done" or says it is), filled with the parts that are the official's own (HTML the
    caller rendered: the site header, the flashed messages, the progress bar, the outline) and
    the CSRF token. The key holds everything the page template reads; keep the two in step."""
    language = current_language()
    key = (course.id, course.content_version, course.slug, course.title, course.language,
           lesson.id, done, language, request.script_root)
    stencil = stencil_cache(current_app, "lesson-page", max_entries=2048).get_or_load(
        key, lambda: Stencil(render_template(
            PAGE, course=course, lesson=lesson, html=html, previous=previous,
            following=following, done=done, stencil_holes=_PAGE_HOLES),
            names=_PAGE_HOLES))
    return stencil.fill({"header": header, "flashes": flashes, "progress": progress,
                         "outline": outline, "csrf": escape(generate_csrf())})

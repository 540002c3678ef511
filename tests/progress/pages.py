"""What the learner's pages say about progress and the next step, read as a person would: the
counts ("7/18 bài học · 1/6 bài kiểm tra"), the percentage, the next-step card and its button."""

from __future__ import annotations

import html as html_module
import re

from tests.conftest import translated, translated_plural


def text_of(fragment: str) -> str:
    """The visible words of an HTML fragment."""
    return html_module.unescape(" ".join(re.sub(r"<[^>]+>", " ", fragment).split()))


def lessons_count(done: int, total: int, locale: str = "vi") -> str:
    return translated_plural(locale, "%(done)s/%(num)s lesson", "%(done)s/%(num)s lessons",
                             total, done=done)


def quizzes_count(done: int, total: int, locale: str = "vi") -> str:
    return translated_plural(locale, "%(done)s/%(num)s quiz", "%(done)s/%(num)s quizzes",
                             total, done=done)


def counts(html: str) -> str:
    """The first "lessons · quizzes" figure of a page (or fragment), as it reads."""
    start = html.find('<span class="progress-counts">')
    assert start >= 0, "no progress counts here"
    fragment, depth, end = html[start:], 0, 0
    for tag in re.finditer(r"</?span\b[^>]*>", fragment):  # to the span's own end tag
        depth += -1 if tag.group(0).startswith("</") else 1
        if depth == 0:
            end = tag.end()
            break
    return text_of(fragment[:end])


def without_assignments(html: str) -> str:
    """The page without its "Assigned to me" section (the mentoring issue's progress bars)."""
    return re.sub(r'<section class="assigned".*?</section>', "", html, flags=re.S)


def percent_shown(html: str) -> int:
    """The value of the first progress bar of a page (or fragment), assignments aside."""
    html = without_assignments(html)
    match = re.search(r'<progress class="progress-bar" max="100" value="(\d+)"', html)
    assert match, "no progress bar here"
    return int(match.group(1))


def card(html: str) -> str:
    """The next-step card of a page (its HTML)."""
    match = re.search(r'<div class="continue card next-step-card step-(\w+)">(.*?)</div>',
                      html, re.S)
    assert match, "no next-step card on this page"
    return match.group(0)


def card_kind(html: str) -> str:
    return re.search(r'next-step-card step-(\w+)"', card(html)).group(1)


def card_button(html: str) -> tuple[str, str]:
    """The next-step card's button: (its words, where it goes)."""
    match = re.search(r'<a class="button[^"]*" href="([^"]*)">(.*?)</a>', card(html), re.S)
    assert match, "the next-step card has no button"
    return text_of(match.group(2)), html_module.unescape(match.group(1))


def completion_rule(html: str) -> str:
    match = re.search(r'<p class="completion-rule">(.*?)</p>', html, re.S)
    assert match, "no completion rule on this page"
    return text_of(match.group(1))


def rule_sentence(lessons: int, quizzes: int, pass_mark: int | None, locale: str = "vi") -> str:
    """The completion rule as the course page words it (pass_mark None: several marks)."""
    from flask import current_app
    from flask_babel import force_locale, format_percent

    lesson_part = translated_plural(locale, "complete its %(num)s lesson",
                                    "complete all %(num)s lessons", lessons)
    if not quizzes:
        return translated(locale, "To complete the course: %(lessons)s.", lessons=lesson_part)
    quiz_part = translated_plural(locale, "pass its %(num)s quiz", "pass its %(num)s quizzes",
                                  quizzes)
    if pass_mark is None:
        marks = translated(locale, "(each at its own pass mark)")
    else:
        with current_app.test_request_context(), force_locale(locale):
            mark = format_percent(pass_mark / 100)
        marks = translated(locale, "(pass mark %(mark)s)", mark=mark)
    return translated(locale, "To complete the course: %(lessons)s and %(quizzes)s %(marks)s.",
                      lessons=lesson_part, quizzes=quiz_part, marks=marks)

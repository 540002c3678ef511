"""`flask quizzes import-gift`, `export-gift` and `close-overdue`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from courses.models import Module
from courses.packages import PackageError
from courses.services import get_course
from learning import clock
from learning.accounts.services import SYSTEM
from learning.db import db
from learning.errors import NotFound
from quizzes import services as quizzes

quizzes_cli = click.Group("quizzes", help="Quiz banks (Moodle GIFT) and attempts.")


def _target(course_slug: str, module_slug: str | None):
    try:
        course = get_course(course_slug, include_unpublished=True)
    except NotFound:
        raise click.ClickException(f"No course {course_slug!r}.") from None
    module = None
    if module_slug:
        module = db.session.scalar(select(Module).where(
            Module.course_id == course.id, Module.slug == module_slug,
            Module.is_removed.is_(False)))
        if module is None:
            raise click.ClickException(f"No module {module_slug!r} in {course_slug}.")
    return course, module


@quizzes_cli.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "course_slug", required=True, help="Course slug.")
@click.option("--module", "module_slug", default=None,
              help="Module slug (default: the course's final test).")
@with_appcontext
def import_gift(file: Path, course_slug: str, module_slug: str | None):
    """Add a GIFT file's questions to a module quiz or the final test."""
    course, module = _target(course_slug, module_slug)
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}: not UTF-8 text.") from None
    quiz = quizzes.quiz_for_gift(SYSTEM, course, module, now=clock.now())
    try:
        count = quizzes.import_gift(SYSTEM, quiz, text, now=clock.now(), source=file.name)
    except PackageError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(f"{file}:{problem.line or 0}: {problem.message}", err=True)
        raise click.ClickException(
            f"{len(error.problems)} problem(s); nothing was imported.") from None
    db.session.commit()
    click.echo(f"Imported {count} question(s) into “{quiz.title}” ({course.slug}/{quiz.slug}).")


@quizzes_cli.command("export-gift")
@click.option("--course", "course_slug", required=True, help="Course slug.")
@click.option("--module", "module_slug", default=None,
              help="Module slug (default: the course's final test).")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_gift(course_slug: str, module_slug: str | None, out: Path):
    """Write a quiz's bank as a GIFT file; report questions GIFT cannot express."""
    course, module = _target(course_slug, module_slug)
    quiz = next((q for q in quizzes.course_quizzes(course.id)
                 if (q.module_id == (module.id if module else None))), None)
    if quiz is None:
        raise click.ClickException("That module (or course) has no quiz.")
    result = quizzes.export_gift(quiz)
    out.write_text(result.text, encoding="utf-8")
    for problem in result.problems:  # each says whether the question was left out
        click.echo(f"{out.name}: {problem}", err=True)
    click.echo(f"Wrote {out}.")


@quizzes_cli.command("close-overdue")
@with_appcontext
def close_overdue():
    """Grade every unfinished attempt whose time limit has passed."""
    count = quizzes.close_overdue(now=clock.now())
    db.session.commit()
    click.echo(f"Graded {count} overdue attempt(s).")

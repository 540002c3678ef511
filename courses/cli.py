"""`flask courses import PATH` and `flask courses export SLUG PATH`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from courses import outline
from courses import services as courses
from courses.models import Course
from courses.packages import PackageError, read_directory, read_zip, write_zip
from learning import clock
from learning.accounts.services import SYSTEM
from learning.db import db
from learning.errors import DomainError

courses_cli = click.Group("courses", help="Import, export and list course packages.")


def read_package(path: Path) -> dict[str, bytes]:
    """Read a package folder or zip file."""
    if path.is_dir():
        return read_directory(path)
    return read_zip(path.read_bytes(), current_app.config["MAX_PACKAGE_MB"] * 1024 * 1024)


@courses_cli.command("import")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@with_appcontext
def import_command(paths: tuple[Path, ...]):
    """Import (or update) courses from package folders or .zip files."""
    failed = False
    for path in paths:
        try:
            result = courses.import_package(SYSTEM, read_package(path), now=clock.now())
        except PackageError as error:
            db.session.rollback()
            failed = True
            click.echo(f"{path}: refused, {len(error.problems)} problem(s):", err=True)
            for problem in error.problems:
                click.echo(f"  {problem}", err=True)
            continue
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(str(error.message)) from None
        db.session.commit()
        course = result.course
        if not result.changed:
            click.echo(f"{course.slug}: already up to date (version {course.version}).")
        elif result.created:
            click.echo(f"{course.slug}: imported version {course.version} "
                       f"({result.lessons_added} lessons).")
        else:
            click.echo(f"{course.slug}: updated to version {course.version} "
                       f"({result.lessons_added} added, {result.lessons_removed} removed, "
                       f"{result.lessons_updated} changed).")
    if failed:
        raise click.exceptions.Exit(1)


@courses_cli.command("export")
@click.argument("slug")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def export_command(slug: str, path: Path):
    """Write a course's package to a folder (or a .zip) exactly as it was imported."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(f"No course {slug!r}.")
    files = courses.export_package(course)
    if path.suffix.lower() == ".zip":
        path.write_bytes(write_zip(files, course.slug))
    else:
        if path.exists() and any(path.iterdir()):
            raise click.ClickException(f"{path} is not empty.")
        for relative, data in files.items():
            target = path / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    click.echo(f"Exported {course.slug} version {course.version} ({len(files)} files) to {path}.")


@courses_cli.command("list")
@with_appcontext
def list_command():
    """List the courses."""
    for course in db.session.scalars(select(Course).order_by(Course.slug)):
        click.echo(f"{course.slug}\t{course.language}\t{course.version}\t{course.title}")


@courses_cli.command("rerender")
@with_appcontext
def rerender_command():
    """Store lesson HTML anew where an older renderer made it (run after an upgrade)."""
    count = outline.rerender_stale()
    db.session.commit()
    click.echo(f"{count} lesson(s) rendered anew.")

"""`flask groups ...`: mentoring groups from the command line, through the same services as the
pages (acting as the system, which may do everything), one commit per command; and the
`flask notifications` group, whose `send-due` (in learning.campaigns.cli, which sends both the
assignments' and the campaigns' reminders) commits once per round, before its emails go."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from learning import clock
from learning.accounts import importer
from learning.accounts.models import User
from learning.accounts.services import SYSTEM, find_department
from learning.db import db
from learning.errors import DomainError
from learning.mentoring import services as mentoring

groups_cli = click.Group("groups", help="Mentoring groups, their members and assignments.")


def _fail(message) -> None:
    raise click.ClickException(str(message))


def _group(group_id: int):
    try:
        return mentoring.get_group(SYSTEM, group_id)
    except DomainError as error:
        _fail(error.message)


def _department_id(path: str | None) -> int | None:
    if not path:
        return None
    department = find_department(path)
    if department is None:
        _fail(f"No department {path!r}.")
    return department.id


@groups_cli.command("list")
@with_appcontext
def list_groups():
    """List every group with its mentors and counts."""
    for row in mentoring.list_groups(SYSTEM):
        mentors = ", ".join(user.username for user in row.mentors) or "-"
        click.echo(f"{row.group.id:>5}  {row.group.name}  (mentors: {mentors}; "
                   f"{row.members} members, {row.assignments} assignments)")


@groups_cli.command("create")
@click.argument("name")
@click.option("--mentor", "mentors", multiple=True, required=True, help="A mentor's username.")
@click.option("--department", "department_path", default=None, help="Department path.")
@click.option("--description", default="")
@with_appcontext
def create(name, mentors, department_path, description):
    """Create a group with its mentors."""
    try:
        group = mentoring.create_group(SYSTEM, name, list(mentors), description=description,
                                       department_id=_department_id(department_path),
                                       now=clock.now())
    except DomainError as error:
        _fail(error.message)
    db.session.commit()
    click.echo(f"Group {group.id} created: {group.name}")


@groups_cli.command("add-members")
@click.argument("group_id", type=int)
@click.argument("usernames", nargs=-1)
@click.option("--csv", "csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A CSV or Excel file with a staff_number column.")
@click.option("--department", "department_path", default=None,
              help="Add every active official of this department.")
@click.option("--subunits/--no-subunits", default=True, show_default=True,
              help="With --department: also the units below it.")
@with_appcontext
def add_members(group_id, usernames, csv_file, department_path, subunits):
    """Add officials by username, from a CSV of staff numbers or from a department."""
    group = _group(group_id)
    now = clock.now()
    added = already = 0
    try:
        if usernames:
            result = mentoring.add_members(SYSTEM, group, list(usernames), now=now)
            added, already = added + len(result.added), already + len(result.already)
        if department_path:
            result = mentoring.add_department(SYSTEM, group, _department_id(department_path),
                                              include_subunits=subunits, now=now)
            added, already = added + len(result.added), already + len(result.already)
        if csv_file:
            records = importer.read_records(csv_file.name, csv_file.read_bytes())
            report = mentoring.import_members(SYSTEM, group, records, now=now)
            if not report.ok:
                db.session.rollback()
                for error in report.errors:
                    click.echo(f"line {error.line}: {error.message}", err=True)
                _fail(f"{len(report.errors)} problem(s); nobody was added.")
            added, already = added + report.added, already + report.already
    except importer.ImportFileError as error:
        _fail(error.message)
    except DomainError as error:
        _fail(error.message)
    if not (usernames or department_path or csv_file):
        _fail("Give usernames, --csv FILE or --department PATH.")
    db.session.commit()
    click.echo(f"{added} added, {already} already in the group.")


@groups_cli.command("assign")
@click.argument("group_id", type=int)
@click.argument("course_slug")
@click.option("--module", "module_slug", default=None)
@click.option("--lesson", "lesson_slug", default=None)
@click.option("--due", "due_on", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Due date, YYYY-MM-DD (the ministry's calendar day).")
@click.option("--note", default="")
@click.option("--member", "members", multiple=True,
              help="Only these members (usernames); default: the whole group.")
@with_appcontext
def assign(group_id, course_slug, module_slug, lesson_slug, due_on, note, members):
    """Assign a course, module or lesson (again: update it)."""
    group = _group(group_id)
    member_ids = None
    if members:
        names = mentoring.split_usernames(list(members))
        found = dict(db.session.execute(select(User.username, User.id).where(
            User.username.in_(names))).all())
        missing = [name for name in names if name not in found]
        if missing:
            _fail(f"No account: {', '.join(missing)}")
        member_ids = [found[name] for name in names]
    try:
        assignment, created = mentoring.assign(
            SYSTEM, group, course_slug, module_slug, lesson_slug, date.fromisoformat(
                due_on.date().isoformat()), note, member_ids, now=clock.now())
    except DomainError as error:
        _fail(error.message)
    db.session.commit()
    click.echo(f"{'Assigned' if created else 'Updated'}: {mentoring.target_title(assignment)} "
               f"(due {assignment.due_on.isoformat()})")


@groups_cli.command("progress")
@click.argument("group_id", type=int)
@with_appcontext
def progress(group_id):
    """Print each member's state and progress on each assignment."""
    group = _group(group_id)
    result = mentoring.group_progress(SYSTEM, group, now=clock.now())
    for assignment in result.assignments:
        click.echo(f"# {mentoring.target_title(assignment)} (due {assignment.due_on})")
        for row in result.rows:
            cell = row.cells.get(assignment.id)
            if cell is not None:
                click.echo(f"  {row.user.username:<20} {cell.state:<12} {cell.percent:>3}%")


notifications_cli = click.Group("notifications", help="Reminders by notification and email.")


def moment_from(text: str | None) -> datetime:
    """Return the moment a --now option names (now when empty), UTC unless it says."""
    if not text:
        return clock.now()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"--now must be an ISO date and time (2026-03-10T08:00+07:00); got {text!r}.")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


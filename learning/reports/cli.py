"""`flask reports ...`: HR's summaries and exports from the command line."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from tqdm import tqdm

from courses.models import Enrolment
from learning import clock
from learning.accounts.scope import SYSTEM
from learning.accounts.services import find_department
from learning.campaigns import summaries
from learning.campaigns.models import STATES, Campaign
from learning.db import db
from learning.errors import DomainError
from learning.params import DB_INT_MAX
from learning.reports import people
from learning.spreadsheet import iter_csv, write_xlsx

reports_cli = click.Group("reports", help="HR's figures: summaries and exports.")


@reports_cli.command("rebuild-summaries")
@click.option("--check", is_flag=True,
              help="Only compare the summaries with the raw records; exit 1 if they differ.")
@with_appcontext
def rebuild_summaries(check: bool):
    """Recount HR's summaries from the learner records (or check that they agree)."""
    if check:
        found = summaries.differences()
        for difference in found:
            click.echo(f"{difference.table} {difference.key}: stored {difference.stored}, "
                       f"records give {difference.computed}")
        if found:
            raise SystemExit(1)
        click.echo("The summaries agree with the learner records.")
        return
    total = (db.session.scalar(select(func.count(func.distinct(Enrolment.course_id)))) or 0) + (
        db.session.scalar(select(func.count()).select_from(Campaign)) or 0)
    with tqdm(total=total, unit="part", desc="Recounting") as bar:
        result = summaries.rebuild(progress=bar.update)
    db.session.commit()
    click.echo(f"Recounted {result['courses']} courses and {result['campaigns']} campaigns.")


EXPORT_FORMATS = (".csv", ".xlsx")


@reports_cli.command("export")
@click.option("--campaign", "campaign_id", type=click.IntRange(1, DB_INT_MAX), required=True,
              help="The campaign's id (see `flask campaigns list`).")
@click.option("--department", "department_path", default=None, metavar="PATH",
              help="Only this department's subtree, e.g. 'Bộ Ngoại giao/Cục Lãnh sự'.")
@click.option("--status", type=click.Choice(STATES), default=None,
              help="Only the members with this status.")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export(campaign_id: int, department_path: str | None, status: str | None, out: Path):
    """Export a campaign's people list to OUT.csv or OUT.xlsx (format from the extension),
    streamed, with a progress bar; the export is recorded in the audit log."""
    fmt = out.suffix.lower()
    if fmt not in EXPORT_FORMATS:
        raise click.BadParameter("the file name must end with .csv or .xlsx", param_hint="OUT")
    if not out.parent.is_dir():  # before any work (and before the export is recorded)
        raise click.BadParameter(f"no folder {str(out.parent)!r}", param_hint="OUT")
    if db.session.get(Campaign, campaign_id) is None:
        raise click.BadParameter(f"no campaign {campaign_id}", param_hint="--campaign")
    department_id = None
    if department_path:
        department = find_department(department_path)
        if department is None:
            raise click.BadParameter(f"no department {department_path!r}",
                                     param_hint="--department")
        department_id = department.id
    filters = people.PeopleFilter(campaign_id=campaign_id, department_id=department_id,
                                  status=status)
    now = clock.now()
    try:
        total, rows = people.export_people(SYSTEM, filters, today=clock.ministry_day(now), now=now,
                                           fmt=fmt[1:])
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    columns = [replace(column, title=str(column.title)) for column in people.export_columns()]
    partial = out.with_name(out.name + ".part")
    with tqdm(total=total, unit="row", desc="Exporting") as bar:
        counted = _counting(rows, bar)
        try:
            if fmt == ".csv":
                with partial.open("wb") as file:
                    for chunk in iter_csv(columns, counted):
                        file.write(chunk)
            else:
                write_xlsx(partial, columns, counted, sheet_title="people")
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
    db.session.commit()  # the audit record, once the file is written
    click.echo(f"Exported {total} rows to {out}.")


def _counting(rows, bar):
    for row in rows:
        bar.update(1)
        yield row

"""`flask reports ...`: HR's summaries and exports from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from tqdm import tqdm

from courses.models import Enrolment
from learning.campaigns import summaries
from learning.campaigns.models import Campaign
from learning.db import db

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

"""`flask campaigns ...`: mandatory-training campaigns from the command line, through the same
services as the pages, acting as the system. One commit per command."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from courses.models import Course
from learning import clock
from learning.accounts.services import SYSTEM, department_paths, split_path
from learning.campaigns import services as campaigns
from learning.db import db
from learning.errors import DomainError

campaigns_cli = click.Group("campaigns", help="Mandatory-training campaigns.")


def _fail(message) -> None:
    raise click.ClickException(str(message))


def _department_ids(paths: tuple[str, ...]) -> list[int]:
    known = department_paths()
    ids = []
    for path in paths:
        department = known.get("/".join(split_path(path)).casefold())
        if department is None:
            _fail(f"No department {path!r}.")
        ids.append(department.id)
    return ids


@campaigns_cli.command("list")
@with_appcontext
def list_campaigns():
    """List the campaigns (archived ones too)."""
    for campaign in campaigns.list_campaigns(SYSTEM, include_archived=True):
        scopes = ", ".join(scope.department.name for scope in campaign.scopes)
        archived = "  [archived]" if campaign.archived_at else ""
        click.echo(f"{campaign.id:>5}  {campaign.title}  ({campaign.course.slug}, "
                   f"deadline {campaign.deadline.isoformat()}; {scopes}){archived}")


@campaigns_cli.command("create")
@click.option("--title", required=True)
@click.option("--course", "slug", required=True, help="The course's slug.")
@click.option("--department", "paths", multiple=True, required=True,
              help="A department path (repeat for several subtrees).")
@click.option("--deadline", required=True, type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--job-title", "job_titles", multiple=True,
              help="Limit to this job title (repeat for several).")
@with_appcontext
def create(title, slug, paths, deadline, job_titles):
    """Create a campaign and enrol everyone it covers; print its id."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        _fail(f"No course {slug!r}.")
    try:
        campaign = campaigns.create_campaign(
            SYSTEM, title=title, course_id=course.id, department_ids=_department_ids(paths),
            deadline=date.fromisoformat(deadline.date().isoformat()),
            job_titles=list(job_titles), now=clock.now())
    except DomainError as error:
        _fail(error.message)
    db.session.commit()
    click.echo(campaign.id)

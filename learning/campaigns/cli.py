"""`flask campaigns ...`: mandatory-training campaigns from the command line, through the same
services as the pages, acting as the system. One commit per command."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from courses.models import Course
from learning import clock
from learning.accounts.services import SYSTEM, department_paths, find_department
from learning.campaigns import reminders as campaign_reminders
from learning.campaigns import services as campaigns
from learning.db import db
from learning.errors import DomainError
from learning.mail import Report
from learning.mentoring import reminders as assignment_reminders
from learning.mentoring.cli import moment_from, notifications_cli

campaigns_cli = click.Group("campaigns", help="Mandatory-training campaigns.")


def _fail(message) -> None:
    raise click.ClickException(str(message))


def _department_ids(paths: tuple[str, ...]) -> list[int]:
    known = department_paths()
    ids = []
    for path in paths:
        department = find_department(path, known)
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


@notifications_cli.command("send-due")
@click.option("--now", "now_text", default=None, metavar="ISO",
              help="Act as if it were this moment (UTC unless it names its offset).")
@with_appcontext
def send_due(now_text):
    """Send today's reminders of assignments' due dates and campaigns' deadlines
    (HOCSO_REMIND_BEFORE_DAYS, HOCSO_REMIND_AFTER_DAYS): in the app and by email, each once;
    safe to run again and from cron."""
    now = moment_from(now_text)
    config = current_app.config
    before, after = config["REMIND_BEFORE_DAYS"], config["REMIND_AFTER_DAYS"]
    rounds = assignment_reminders.due_reminders(now=now, before_days=before, after_days=after)
    campaign_rounds = campaign_reminders.due_rounds(now=now, before_days=before,
                                                    after_days=after)
    reminded, campaign_reminded, report = 0, 0, Report()
    with click.progressbar(length=len(rounds) + len(campaign_rounds), label="Reminders",
                           file=sys.stderr) as bar:
        for reminder in rounds:
            count, outbox = assignment_reminders.send_round(reminder, now=now)
            db.session.commit()  # recorded and notified before any email goes
            reminded += count
            report.add(outbox.send())
            bar.update(1)
        for reminder in campaign_rounds:
            count, outbox = campaign_reminders.send_round(reminder, now=now)
            db.session.commit()
            campaign_reminded += count
            report.add(outbox.send())
            bar.update(1)
    click.echo(f"{reminded} reminder(s) sent for {len(rounds)} assignment round(s); "
               f"{campaign_reminded} for {len(campaign_rounds)} campaign round(s): "
               f"{report.sent} email(s) sent, {report.skipped} skipped (no SMTP), "
               f"{report.failed} failed.")

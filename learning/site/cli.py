"""`flask demo load`: the demo ministry for development and evaluation."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from learning import clock
from learning.db import db
from learning.errors import RuleViolation
from learning.site import demo

demo_cli = click.Group("demo", help="Demo data for development.")


@demo_cli.command("load")
@with_appcontext
def load():
    """Load the demo ministry once and print the demo accounts."""
    try:
        created = demo.load_demo(environment=current_app.config["HOCSO_ENV"], now=clock.now())
    except RuleViolation as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    if any(created.values()):
        click.echo(f"Demo ministry loaded: {created['departments']} departments, "
                   f"{created['officials']} officials, {created['courses']} courses, "
                   f"{created['enrolments']} enrolments, {created['attempts']} quiz attempts.")
    else:
        click.echo("Demo ministry already loaded; nothing changed.")
    click.echo(f"Demo accounts (password: {demo.DEMO_PASSWORD}):")
    for username, name, _staff, title, *_ in demo.DEMO_ACCOUNTS:
        click.echo(f"  {username:<10} {name} — {title}")

"""`flask users ...` and `flask departments ...`: the same services the admin pages use."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from tqdm import tqdm

from learning import clock
from learning.accounts import importer
from learning.accounts import services as accounts
from learning.accounts.models import ROLES, User
from learning.db import db
from learning.errors import DomainError

users_cli = click.Group("users", help="Manage officials' accounts.")
departments_cli = click.Group("departments", help="Manage the department tree.")


def _fail(message) -> None:
    raise click.ClickException(str(message))


def _user_by_username(username: str) -> User:
    user = accounts.find_user_for_sign_in(accounts.normalize_username(username))
    if user is None:
        _fail(f"No account {username!r}.")
    return user


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--email", default=None)
@click.option("--staff-number", default=None)
@click.option("--job-title", default="")
@click.option("--department", "department_path", default=None,
              help="Department path, e.g. 'Bộ Ngoại giao/Cục Lãnh sự' (created if missing).")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), default=["learner"],
              show_default=True)
@click.option("--hr-scope", default=None, help="Department path an HR role covers "
              "(default: the whole ministry).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--must-change/--no-must-change", default=True, show_default=True,
              help="Require a new password at first sign-in.")
@with_appcontext
def create_user(username, full_name, email, staff_number, job_title, department_path, roles,
                hr_scope, password, must_change):
    """Create an account."""
    try:
        department = accounts.ensure_department_path(department_path) if department_path else None
        scope = accounts.ensure_department_path(hr_scope) if hr_scope else None
        user = accounts.create_user(
            accounts.SYSTEM,
            accounts.UserData(
                username=username, full_name=full_name, email=email,
                staff_number=staff_number, job_title=job_title,
                department_id=department.id if department else None, roles=set(roles),
                hr_scope_department_id=scope.id if scope else None,
            ),
            password=password, now=clock.now(), must_change_password=must_change,
        )
    except DomainError as error:
        db.session.rollback()
        _fail(error.message)
    db.session.commit()
    click.echo(f"Created {user.username} ({', '.join(sorted(user.roles))}).")


@users_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--initial-password", default=None,
              help="Password for new accounts (changed at first sign-in). Without it, new "
                   "accounts cannot sign in until an administrator resets their password.")
@click.option("--create-departments/--no-create-departments", default=True, show_default=True)
@with_appcontext
def import_users(path: Path, initial_password, create_departments):
    """Import officials from a CSV or XLSX file (keyed on staff number)."""
    try:
        records = importer.read_records(path.name, path.read_bytes())
    except importer.ImportFileError as error:
        _fail(f"{path}: {error.message}")
    with tqdm(total=max(len(records) - 1, 0), unit="row", desc="Checking",
              disable=None) as bar:
        try:
            report = importer.import_officials(
                accounts.SYSTEM, records, now=clock.now(), initial_password=initial_password,
                create_departments=create_departments, progress=bar.update,
            )
        except (importer.ImportFileError, DomainError) as error:
            db.session.rollback()
            _fail(f"{path}: {error.message}")
        bar.update(bar.total - bar.n)
    if not report.ok:
        db.session.rollback()
        for error in report.errors:
            click.echo(f"{path}:{error.line}: {error.message}", err=True)
        _fail(f"{len(report.errors)} problem(s) found; nothing was imported.")
    db.session.commit()
    for name in report.departments_created:
        click.echo(f"New department: {name}")
    click.echo(f"Imported {path.name}: {report.created} created, {report.updated} updated, "
               f"{report.unchanged} unchanged.")


@users_cli.command("reset-password")
@click.argument("username")
@with_appcontext
def reset_password(username):
    """Give an account a temporary password (printed once)."""
    user = _user_by_username(username)
    temporary = accounts.reset_password(accounts.SYSTEM, user, now=clock.now())
    db.session.commit()
    click.echo(f"Temporary password for {user.username}: {temporary}")


@users_cli.command("unlock")
@click.argument("username", required=False)
@click.option("--address", default=None, metavar="IP",
              help="Unlock a network address (an office behind one address) instead.")
@with_appcontext
def unlock(username, address):
    """Forget the failed sign-ins that lock an account (or an address) out."""
    if (username is None) == (address is None):
        _fail("Give either a username or --address IP.")
    if address is not None:
        try:
            forgotten = accounts.unlock_address(accounts.SYSTEM, address, now=clock.now())
        except DomainError as error:
            _fail(error.message)
        target = accounts.canonical_address(address)  # as the audit log writes it
    else:
        user = _user_by_username(username)
        forgotten = accounts.unlock_sign_in(accounts.SYSTEM, user, now=clock.now())
        target = user.username
    db.session.commit()
    click.echo(f"Unlocked {target}: {forgotten} failed sign-in(s) forgotten.")


@users_cli.command("deactivate")
@click.argument("username")
@with_appcontext
def deactivate(username):
    """Deactivate an account (its records stay)."""
    user = _user_by_username(username)
    accounts.set_active(accounts.SYSTEM, user, False, now=clock.now())
    db.session.commit()
    click.echo(f"Deactivated {user.username}.")


@users_cli.command("activate")
@click.argument("username")
@with_appcontext
def activate(username):
    """Reactivate an account."""
    user = _user_by_username(username)
    accounts.set_active(accounts.SYSTEM, user, True, now=clock.now())
    db.session.commit()
    click.echo(f"Reactivated {user.username}.")


@users_cli.command("list")
@with_appcontext
def list_users():
    """Print every account."""
    for user in db.session.scalars(select(User).order_by(User.username)):
        state = "" if user.is_active else " [deactivated]"
        click.echo(f"{user.username}\t{user.full_name}\t{','.join(sorted(user.roles))}{state}")


@departments_cli.command("create")
@click.argument("path")
@with_appcontext
def create_department(path):
    """Create a department from its path (missing levels are created too)."""
    try:
        department = accounts.ensure_department_path(path)
    except DomainError as error:
        _fail(error.message)
    db.session.commit()
    click.echo(f"Department: {accounts.department_path(department)}")


@departments_cli.command("list")
@with_appcontext
def list_departments():
    """Print the department tree."""
    for department in accounts.all_departments():
        click.echo("  " * department.depth + department.name)


# --- API tokens ------------------------------------------------------------------------------

tokens_cli = click.Group("tokens", help="Manage officials' personal API tokens.")


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "-"


@tokens_cli.command("create")
@click.argument("username")
@click.option("--name", default="", help="What the token is for, e.g. 'HR system'.")
@click.option("--expires-days", type=click.IntRange(1, accounts.MAX_EXPIRY_DAYS), default=None,
              help="Days until the token stops working (default: it does not expire).")
@with_appcontext
def create_token(username, name, expires_days):
    """Create an API token for USERNAME; the token alone is the last line of the output."""
    user = _user_by_username(username)
    try:
        created = accounts.create_token(accounts.SYSTEM, user, name=name,
                                        expires_days=expires_days, now=clock.now())
    except DomainError as error:
        db.session.rollback()
        _fail(error.message)
    db.session.commit()
    token = created.token
    click.echo(f"Token {token.id} for {user.username}"
               f"{f' ({token.name})' if token.name else ''}, expires {_when(token.expires_at)}. "
               "It is shown only this once; only its hash is kept.")
    click.echo(created.secret)


@tokens_cli.command("list")
@click.argument("username")
@click.option("--all", "show_all", is_flag=True, help="Include revoked tokens.")
@with_appcontext
def list_tokens(username, show_all):
    """Print USERNAME's tokens (id, name, hint, created, last used, expires, state)."""
    user = _user_by_username(username)
    now = clock.now()
    for token in accounts.list_tokens(user, include_revoked=show_all):
        state = ("revoked" if token.revoked_at is not None
                 else "active" if token.is_usable(now) else "expired")
        click.echo("\t".join((str(token.id), token.name or "-", token.hint,
                              _when(token.created_at), _when(token.last_used_at),
                              _when(token.expires_at), state)))


@tokens_cli.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
@with_appcontext
def revoke_token(token_id):
    """Revoke the token TOKEN_ID (see `tokens list`); it stops working at once."""
    try:
        token = accounts.revoke_token(accounts.SYSTEM, token_id, now=clock.now())
    except DomainError as error:
        db.session.rollback()
        _fail(error.message)
    db.session.commit()
    click.echo(f"Revoked token {token.id} of {token.user.username}.")

"""`flask certificates ...`: issue owed certificates, export, verify a PDF, remind, revoke."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from tqdm import tqdm

from certificates import services as certificates
from certificates.models import Certificate
from courses.models import Course
from learning import clock
from learning.accounts.services import SYSTEM, department_paths, split_path
from learning.db import db
from learning.errors import DomainError

certificates_cli = click.Group("certificates", help="Issue, export, verify and revoke "
                                                    "certificates.")


@certificates_cli.command("issue-pending")
@with_appcontext
def issue_pending():
    """Issue the certificates owed for completed courses."""
    with tqdm(unit="cert", desc="Issuing", disable=None) as bar:
        count = certificates.issue_pending(now=clock.now(), progress=bar.update)
    db.session.commit()
    click.echo(f"Issued {count} certificate(s).")


@certificates_cli.command("export")
@click.option("--department", "department_path", default=None,
              help="Department path, e.g. 'Bộ Ngoại giao/Cục Lãnh sự' (its units included).")
@click.option("--course", "course_slug", default=None, help="Course slug.")
@click.option("--workers", default=2, show_default=True, help="Rendering processes.")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export(department_path, course_slug, workers, out: Path):
    """Write a zip with one PDF per certificate holder and a CSV register."""
    department = None
    if department_path:
        department = department_paths().get("/".join(split_path(department_path)).casefold())
        if department is None:
            raise click.ClickException(f"No department {department_path!r}.")
    course = None
    if course_slug:
        course = db.session.scalar(select(Course).where(Course.slug == course_slug))
        if course is None:
            raise click.ClickException(f"No course {course_slug!r}.")
    with tqdm(unit="pdf", desc="Rendering", disable=None) as bar:
        data, count = certificates.export_zip(None, department=department, course=course,
                                              workers=workers, progress=bar.update,
                                              now=clock.now())
    db.session.commit()
    out.write_bytes(data)
    click.echo(f"Wrote {count} certificate(s) and register.csv to {out}.")


@certificates_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--offline", is_flag=True, help="Check only the PDF and its signature; do not "
                                              "look up revocation and expiry.")
@with_appcontext
def verify(file: Path, offline: bool):
    """Check a certificate PDF: valid, tampered (what differs) or signed by an unknown key."""
    now = clock.now()
    check = certificates.check_pdf(file.read_bytes(), certificates.known_keys(), now=now,
                                   lookup=None if offline else certificates.find_by_code)
    claims = check.claims
    if check.state == "valid":
        click.echo(f"valid: {claims.get('serial')} — {claims.get('holder_name')}, "
                   f"{claims.get('course_title')}")
    elif check.state == "tampered":
        click.echo("tampered: " + ("; ".join(check.differences) or check.detail))
    elif check.state == "unknown-key":
        click.echo(f"unknown key: {check.detail}")
    else:
        click.echo(f"not a certificate: {check.detail}")
    if check.status is not None:
        record = check.record or {}
        if check.status == "revoked":
            click.echo(f"revoked on {record.get('revoked_on')}: {record.get('revoked_reason')}")
        elif check.status == "expired":
            click.echo(f"expired on {record.get('expires_on')}")
        elif check.status == "unknown":
            click.echo("unknown to this platform's records")
        else:
            expiry = record.get("expires_on")
            click.echo("status: valid" + (f" until {expiry}" if expiry else ""))
    raise SystemExit(0 if check.ok else 1)


@certificates_cli.command("remind-expiring")
@click.option("--days", default=None, type=int, help="Remind this many days ahead "
                                                      "(default HOCSO_CERT_REMIND_DAYS).")
@with_appcontext
def remind_expiring(days):
    """Notify holders and HR of certificates about to expire (once per certificate)."""
    days = days or current_app.config["CERT_REMIND_DAYS"]
    count = certificates.remind_expiring(now=clock.now(), days=days)
    db.session.commit()
    click.echo(f"Reminded about {count} certificate(s).")


@certificates_cli.command("revoke")
@click.argument("serial")
@click.option("--reason", required=True)
@with_appcontext
def revoke(serial: str, reason: str):
    """Revoke a certificate by serial number."""
    certificate = db.session.scalar(select(Certificate).where(
        Certificate.serial == serial.strip().upper()))
    if certificate is None:
        raise click.ClickException(f"No certificate {serial}.")
    try:
        certificates.revoke(SYSTEM, certificate, reason, now=clock.now())
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"Revoked {certificate.serial}.")

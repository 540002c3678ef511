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


VERIFY_HELP = """Check a certificate PDF: genuine only on proof.

\b
Exit status:
   0  genuine: the PDF signature is intact and covers the whole file, the signer is
      this platform's key, the embedded credential verifies, and (unless --offline)
      the certificate exists, is valid and agrees with the record
   2  usage error (e.g. the file does not exist)
   3  not a HọcSố certificate (unreadable, too large, too many pages)
   4  altered: no signature, a broken one, or changes after signing
   5  signed by someone other than this platform
   6  the embedded credential is missing or does not verify
   7  online: the platform has no record of the certificate
   8  online: the credential differs from the platform's record
   9  online: the certificate has been revoked
  10  online: the certificate has expired
"""


@certificates_cli.command("verify", help=VERIFY_HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--offline", is_flag=True, help="Check only the file (signature, signer, "
                                              "credential); do not look up the record.")
@with_appcontext
def verify(file: Path, offline: bool):
    max_bytes = current_app.config["VERIFY_MAX_BYTES"]
    try:
        with file.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as error:
        raise click.ClickException(f"Cannot read {file}: {error.strerror}") from None
    verdict = certificates.check_pdf(data, max_bytes=max_bytes, now=clock.now(),
                                     lookup=None if offline else certificates.find_by_code)
    facts = verdict.facts
    if verdict.genuine:
        click.echo(f"genuine: {facts.get('serial')} — {facts.get('holder_name')}, "
                   f"{facts.get('course_title')}")
        click.echo("offline: revocation and expiry were not checked" if offline else
                   "record: valid" + (f" until {verdict.record.get('expires_on')}"
                                      if verdict.record.get("expires_on") else ""))
    else:
        click.echo(f"{verdict.outcome}: {verdict.detail}")
        if verdict.outcome == "revoked":
            click.echo(f"revoked on {verdict.record.get('revoked_on')} "
                       f"({verdict.record.get('revocation_category')})")
        elif verdict.outcome == "expired":
            click.echo(f"expired on {verdict.record.get('expires_on')}")
    raise SystemExit(verdict.exit_code)


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
@click.option("--reason", required=True, help="Why (kept for HR and administrators).")
@click.option("--category", type=click.Choice(["withdrawn", "issued-in-error"]),
              default="withdrawn", show_default=True,
              help="What the public verification page says.")
@with_appcontext
def revoke(serial: str, reason: str, category: str):
    """Revoke a certificate by serial number."""
    certificate = db.session.scalar(select(Certificate).where(
        Certificate.serial == serial.strip().upper()))
    if certificate is None:
        raise click.ClickException(f"No certificate {serial}.")
    try:
        certificates.revoke(SYSTEM, certificate, reason, now=clock.now(),
                            category=category.replace("-", "_"))
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"Revoked {certificate.serial}.")

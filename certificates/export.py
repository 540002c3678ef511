"""Batch export: one signed PDF per certificate plus a CSV register, rendered on several cores.

Rendering runs in worker processes; signing stays in this process, where the key is.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from multiprocessing import get_context

from flask import current_app
from sqlalchemy import select

from certificates import render
from certificates.models import Certificate
from certificates.issue import ensure_current_credential
from certificates.pdf import (
    cache_version,
    cached_pdf,
    pdf_context,
    sign_rendered,
    store_pdf,
    template_source,
    zone,
)
from courses import storage
from courses.models import Course
from learning.accounts.models import Department, User
from learning.accounts.services import (
    audit_export,
    department_path,
    officials_in_scope_condition,
)
from learning.db import db
from learning.spreadsheet import csv_text

REGISTER_COLUMNS = ["serial", "holder_name", "staff_number", "department", "course",
                    "course_version", "completed_on", "score", "issued_on", "expires_on",
                    "status", "verify_url", "file"]


def _render_job(job: tuple[dict, str, str]) -> bytes:
    context, source, jws = job
    return render.render_pdf(context, source, jws)


def _render_all(jobs: list, workers: int, progress: Callable[[int], None] | None):
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers,
                                 mp_context=get_context("forkserver")) as pool:
            for data in pool.map(_render_job, jobs, chunksize=4):
                if progress:
                    progress(1)
                yield data
    else:
        for job in jobs:
            data = _render_job(job)
            if progress:
                progress(1)
            yield data


def export_zip(actor: User | None, *, department: Department | None, course: Course | None,
               workers: int = 2, progress: Callable[[int], None] | None = None,
               now: datetime) -> tuple[bytes, int]:
    """Return a zip of one PDF per certificate holder plus a CSV register, and the count.

    PDFs already cached are reused; the others are rendered in `workers` processes. The export
    is audited (its filters and count); the caller commits."""
    statement = select(Certificate).join(User, User.id == Certificate.user_id)
    if actor is not None:
        statement = statement.where(officials_in_scope_condition(actor))
    if department is not None:
        statement = statement.where(User.department_id.in_(
            select(Department.id).where(Department.path.startswith(department.path))))
    if course is not None:
        statement = statement.where(Certificate.course_id == course.id)
    certificates = list(db.session.scalars(statement.order_by(Certificate.serial)))
    sources: dict[int, str] = {}
    jobs, missing = [], []
    for certificate in certificates:
        ensure_current_credential(certificate, now=now)
        source = sources.setdefault(certificate.course_id, template_source(certificate))
        version = cache_version(source)
        if cached_pdf(certificate, version) is None:
            missing.append((certificate, version))
            jobs.append((pdf_context(certificate), source, certificate.credential_jws))
    for (certificate, version), data in zip(missing, _render_all(jobs, workers, progress),
                                            strict=True):
        store_pdf(certificate, sign_rendered(certificate, data, now=now), version)
    if progress and len(certificates) > len(jobs):
        progress(len(certificates) - len(jobs))
    base = current_app.config["BASE_URL"]
    local = zone()  # the ministry's dates, as on the certificate and its verification page
    rows = [REGISTER_COLUMNS]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for certificate in certificates:
            name = f"{certificate.serial}.pdf"
            archive.writestr(name, storage.read(certificate.pdf_digest))
            rows.append([
                certificate.serial, certificate.holder_name, certificate.staff_number,
                certificate.department, certificate.course_title, certificate.course_version,
                certificate.completed_at.astimezone(local).date().isoformat(),
                "" if certificate.score is None else f"{certificate.score:g}",
                certificate.issued_at.astimezone(local).date().isoformat(),
                certificate.expires_at.astimezone(local).date().isoformat()
                if certificate.expires_at else "",
                certificate.status(now), f"{base}/verify/{certificate.code}", name])
        archive.writestr("register.csv", csv_text(rows))
    audit_export(actor, "certificates", now=now, rows=len(certificates),
                 department=department_path(department) if department is not None else None,
                 course=course.slug if course is not None else None)
    db.session.flush()
    return out.getvalue(), len(certificates)

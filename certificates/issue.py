"""Issuing certificates: once per completion, as an immutable snapshot with its signed
Open Badges credential; who may see them.

Who may see a certificate: its holder, HR within scope, admins. Nothing is issued by a GET:
issuing follows a completion (a POST) or the `issue-pending` command.
"""

from __future__ import annotations

import calendar
import secrets
from collections.abc import Callable, Iterator
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from certificates import keys
from certificates.credential import (
    CRITERIA,
    build_credential,
    is_current_format,
    sign_credential,
    subject_id,
)
from certificates.models import Certificate
from courses.models import Course, Enrolment
from learning.accounts.services import (
    audit,
    can_view_official,
    department_path,
    hr_scope,
    is_admin,
    officials_in_scope_condition,
)
from learning.accounts.models import Department, User
from learning.db import db
from learning.errors import NotFound, PermissionDenied
from learning.tasks import services as tasks
from learning.text import fold
from quizzes import services as quizzes

CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o/1/l: read aloud safely
CODE_LENGTH = 20  # 20 symbols of 32 = 100 bits


def new_code() -> str:
    """Return an unguessable verification code (100 bits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def add_months(moment: datetime, months: int) -> datetime:
    """Return `moment` moved by whole months (the 31st becomes the month's last day)."""
    month = moment.month - 1 + months
    year = moment.year + month // 12
    month = month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def final_score(user_id: int, course_id: int, since: datetime | None = None) -> float | None:
    """Return the score a certificate shows: the final test's counted score, else the mean of
    the required quizzes' counted scores, else None (a course without quizzes). `since`: the
    start of the enrolment's cycle; attempts started before it do not count (as for passing,
    quizzes.standing), even if handed in after."""
    course_quizzes = quizzes.course_quizzes(course_id)
    final = [q for q in course_quizzes if q.module_id is None]
    chosen = final or [q for q in course_quizzes if q.is_required]
    scores = []
    for quiz in chosen:
        attempts = [a for a in quizzes.attempts_for_user(user_id, quiz)
                    if since is None or a.started_at >= since]
        counted = quizzes.counted_attempt(quiz, attempts)
        if counted is not None:
            scores.append(counted.percent)
    return round(sum(scores) / len(scores), 1) if scores else None


def snapshot_of(certificate: Certificate) -> dict:
    """Return the certificate's snapshot as plain values."""
    return {name: getattr(certificate, name) for name in (
        "serial", "code", "holder_name", "staff_number", "department", "course_slug",
        "course_title", "course_version", "language", "completed_at", "score", "issued_at",
        "expires_at", "issuer_name", "signer_name", "signer_title")}


def credential_for(certificate: Certificate) -> dict:
    """Return the Open Badges credential a certificate's snapshot gives (unsigned)."""
    course = db.session.get(Course, certificate.course_id)
    snapshot = snapshot_of(certificate)
    if course is not None:
        snapshot["course_summary"] = course.summary
        snapshot["criteria"] = CRITERIA.get(course.completion_rule, "")
    did = keys.issuer_did()
    return build_credential(snapshot, issuer_did=did, base_url=current_app.config["BASE_URL"],
                            subject=subject_id(did, certificate.user_id))


def sign(certificate: Certificate, *, now: datetime) -> None:
    """Sign (or sign again, in today's format) the certificate's credential."""
    signer = keys.signer()
    keys.publish_key(signer, now=now)
    certificate.credential_jws = sign_credential(credential_for(certificate), signer)


def ensure_current_credential(certificate: Certificate, *, now: datetime) -> bool:
    """Re-sign a credential stored in an earlier release's format; True when it changed.
    The facts are the snapshot's: only the envelope changes."""
    if is_current_format(certificate.credential_jws or ""):
        return False
    sign(certificate, now=now)
    certificate.pdf_digest = None  # the PDF embeds the credential: render it again
    db.session.flush()
    return True


def _new_certificate(user: User, course: Course, enrolment: Enrolment, *, now: datetime,
                     reason: str, previous: Certificate | None) -> Certificate:
    config = current_app.config
    completed_at = enrolment.completed_at or now
    months = course.certificate_validity_months
    return Certificate(
        code=new_code(), user_id=user.id, course_id=course.id, cycle=enrolment.cycle,
        previous_id=previous.id if previous else None, reason=reason,
        holder_name=user.full_name, staff_number=user.staff_number or "",
        department=department_path(user.department) if user.department else "",
        course_slug=course.slug, course_title=course.title, course_version=course.version,
        language=course.language, completed_at=completed_at,
        score=final_score(user.id, course.id, enrolment.cycle_started_at),
        issued_at=now, expires_at=add_months(completed_at, months) if months else None,
        issuer_name=config["MINISTRY_NAME"], signer_name=config["CERT_SIGNER_NAME"],
        signer_title=config["CERT_SIGNER_TITLE"],
        practical_tasks="\n".join(tasks.confirmed_titles(user.id, course.id)),
    )


def insert(certificate: Certificate, *, now: datetime) -> None:
    """Store a new certificate, give it its serial and sign its credential."""
    db.session.add(certificate)
    db.session.flush()
    certificate.serial = f"HS-{certificate.issued_at.year}-{certificate.id:06d}"
    sign(certificate, now=now)
    db.session.flush()


def current_certificate(user_id: int, course_id: int, cycle: int) -> Certificate | None:
    """Return the newest certificate for a completion (following re-issues)."""
    return db.session.scalar(select(Certificate).where(
        Certificate.user_id == user_id, Certificate.course_id == course_id,
        Certificate.cycle == cycle).order_by(Certificate.id.desc()).limit(1))


def issue_for_enrolment(enrolment: Enrolment, *, now: datetime) -> Certificate | None:
    """Issue the certificate of a completed enrolment once; return it (or the existing one)."""
    if enrolment.completed_at is None:
        return None
    existing = current_certificate(enrolment.user_id, enrolment.course_id, enrolment.cycle)
    if existing is not None:
        return existing
    user = db.session.get(User, enrolment.user_id)
    course = db.session.get(Course, enrolment.course_id)
    previous = None
    if enrolment.cycle > 1:
        previous = current_certificate(user.id, course.id, enrolment.cycle - 1)
    certificate = _new_certificate(user, course, enrolment, now=now,
                                   reason="recertification" if previous else "completion",
                                   previous=previous)
    try:
        with db.session.begin_nested():
            insert(certificate, now=now)
    except IntegrityError:  # issued concurrently by another request: use that one
        return current_certificate(enrolment.user_id, enrolment.course_id, enrolment.cycle)
    audit(None, "certificate.issue", certificate, now=now, serial=certificate.serial)
    return certificate


def on_course_completed(enrolment: Enrolment, *, now: datetime, **_) -> None:
    """Subscriber of `course_completed`: issue the certificate."""
    issue_for_enrolment(enrolment, now=now)


def issue_pending(*, now: datetime, progress: Callable[[int], None] | None = None) -> int:
    """Issue every certificate owed for a completion that has none; return how many."""
    owed = db.session.scalars(select(Enrolment).where(
        Enrolment.completed_at.is_not(None),
        ~select(Certificate.id).where(
            Certificate.user_id == Enrolment.user_id, Certificate.course_id == Enrolment.course_id,
            Certificate.cycle == Enrolment.cycle).exists(),
    ).order_by(Enrolment.id)).all()
    for enrolment in owed:
        issue_for_enrolment(enrolment, now=now)
        if progress:
            progress(1)
    return len(owed)


# --- access ----------------------------------------------------------------------------------

def can_manage(actor: User | None, certificate: Certificate) -> bool:
    """Tell whether the actor may revoke or re-issue: admins and HR within scope."""
    if is_admin(actor):
        return True
    if hr_scope(actor) is False:
        return False
    holder = db.session.get(User, certificate.user_id)
    return holder is not None and can_view_official(actor, holder)


def can_view(actor: User | None, certificate: Certificate) -> bool:
    """Tell whether the actor may see and download the certificate: holder, HR, admins."""
    if actor is not None and actor.id == certificate.user_id:
        return True
    return can_manage(actor, certificate)


def get_certificate(actor: User | None, certificate_id: int) -> Certificate:
    """Return a certificate the actor may see, else NotFound (others' do not exist)."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not can_view(actor, certificate):
        raise NotFound(_l("No such certificate."))
    return certificate


def list_for_holder(user: User) -> list[Certificate]:
    """Return an official's certificates, newest first."""
    return list(db.session.scalars(select(Certificate).where(
        Certificate.user_id == user.id).order_by(Certificate.issued_at.desc(),
                                                 Certificate.id.desc())))


def list_in_scope(actor: User, *, course_id: int | None = None, query: str = "",
                  limit: int = 200) -> list[Certificate]:
    """Return certificates of the officials within the actor's HR scope."""
    statement = _in_scope(select(Certificate), actor, course_id, query)
    return list(db.session.scalars(statement.order_by(Certificate.issued_at.desc()).limit(limit)))


def _in_scope(statement, actor: User, course_id: int | None, query: str):
    """Narrow `statement` to the certificates the HR list shows for these filters."""
    if hr_scope(actor) is False:
        raise PermissionDenied(_l("Only HR and administrators may see this."))
    statement = statement.join(User, User.id == Certificate.user_id).where(
        officials_in_scope_condition(actor))
    if course_id:
        statement = statement.where(Certificate.course_id == course_id)
    words = fold(query).split()  # the search key is folded: "Hương" -> "huong"
    if words:
        statement = statement.where(
            (Certificate.serial == query.strip().upper()) | and_(*[
                User.search_text.contains(word, autoescape=True) for word in words]))
    return statement


STATUSES = ("valid", "revoked", "expired")


def status_condition(status: str, now: datetime):
    """Return a SQL condition on Certificate: its `status(now)` is `status`."""
    not_revoked = Certificate.revoked_at.is_(None)
    if status == "revoked":
        return Certificate.revoked_at.is_not(None)
    if status == "expired":
        return and_(not_revoked, Certificate.expires_at.is_not(None),
                    Certificate.expires_at <= now)
    return and_(not_revoked, or_(Certificate.expires_at.is_(None), Certificate.expires_at > now))


def in_scope_statement(actor: User, *, course_id: int | None = None,
                       department: Department | None = None, status: str | None = None,
                       query: str = "", now: datetime | None = None):
    """Return a SELECT of the certificates of the officials within the actor's HR scope (joined
    with their holders), filtered as the HR list filters them and also by the holder's
    department subtree and the status at `now`; unordered. A department outside the scope
    selects nothing."""
    statement = _in_scope(select(Certificate), actor, course_id, query)
    if department is not None:
        statement = statement.where(User.department_id.in_(
            select(Department.id).where(Department.path.startswith(department.path))))
    if status:
        statement = statement.where(status_condition(status, now))
    return statement


def export_in_scope(actor: User, *, course_id: int | None = None, query: str = "", fmt: str,
                    now: datetime) -> tuple[int, Iterator]:
    """Record the export in the audit log; return how many certificates the HR list's filters
    select (all of them, not the page's first 200) and a lazy iterator of their rows
    (serial, holder_name, staff_number, department, course_title, course_version,
    completed_at, score, issued_at, expires_at, revoked_at), newest first.

    The iterator reads 1,000 rows at a time while it is consumed: iterate it once, while the
    response streams, and never gather it into a list."""
    counted = _in_scope(select(func.count(Certificate.id)), actor, course_id, query)
    total = db.session.scalar(counted) or 0
    audit(actor, "export", "certificates", now=now, format=fmt, rows=total, q=query,
          course_id=course_id)
    statement = _in_scope(
        select(Certificate.serial, Certificate.holder_name, Certificate.staff_number,
               Certificate.department, Certificate.course_title, Certificate.course_version,
               Certificate.completed_at, Certificate.score, Certificate.issued_at,
               Certificate.expires_at, Certificate.revoked_at),
        actor, course_id, query)
    statement = statement.order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    return total, _stream(statement)


def _stream(statement) -> Iterator:
    # A generator, so the query runs when the file starts, after the view's commit (which
    # would close an open cursor, a server-side one on PostgreSQL).
    yield from db.session.execute(statement.execution_options(yield_per=1000))

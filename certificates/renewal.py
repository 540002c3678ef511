"""Before and after expiry: reminders to holders and HR, and re-taking a course to renew."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from certificates.issue import current_certificate
from certificates.models import Certificate
from certificates.pdf import zone
from courses.models import Enrolment
from courses.signals import enrolment_changed
from learning.accounts.models import RoleGrant, User
from learning.accounts.services import audit, can_view_official
from learning.db import db
from learning.errors import RuleViolation
from learning.notifications import notify


def remind_expiring(*, now: datetime, days: int) -> int:
    """Tell holders (and the HR officials whose scope covers them) about certificates that
    expire within `days`, once per certificate; return how many certificates."""
    due = db.session.scalars(select(Certificate).where(
        Certificate.revoked_at.is_(None), Certificate.expires_at.is_not(None),
        Certificate.expires_at > now, Certificate.expires_at <= now + timedelta(days=days),
        Certificate.reminded_at.is_(None))).all()
    if not due:
        return 0
    hr_officials = list(db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(User.is_active_account.is_(True), RoleGrant.role == "hr")))
    for certificate in due:
        params = {"course": certificate.course_title, "serial": certificate.serial,
                  "expires": certificate.expires_at.astimezone(zone()).date().isoformat(),
                  "holder": certificate.holder_name}
        notify(certificate.user_id, "certificate_expiring", now=now,
               subject_id=certificate.id, **params)
        holder = db.session.get(User, certificate.user_id)
        for hr in hr_officials:
            if hr.id != holder.id and can_view_official(hr, holder):
                notify(hr.id, "certificate_expiring_hr", now=now, subject_id=certificate.id,
                       **params)
        certificate.reminded_at = now
    db.session.flush()
    return len(due)


def can_retake(user: User, enrolment: Enrolment | None, *, now: datetime, days: int) -> bool:
    """Tell whether the official may re-take a completed course: its certificate has expired
    or expires within `days`."""
    if enrolment is None or enrolment.completed_at is None or enrolment.user_id != user.id:
        return False
    certificate = current_certificate(user.id, enrolment.course_id, enrolment.cycle)
    return bool(certificate and certificate.expires_at
                and certificate.expires_at <= now + timedelta(days=days))


def for_course_page(user: User, enrolment: Enrolment | None, *, now: datetime,
                    days: int) -> tuple[Certificate | None, bool]:
    """Return the official's latest certificate for the course (this cycle's, or the previous
    cycle's while re-taking) and whether the course may be re-taken now."""
    if enrolment is None or (enrolment.completed_at is None and enrolment.cycle <= 1):
        return None, False  # nothing earned yet: no query
    cycle = enrolment.cycle if enrolment.completed_at else enrolment.cycle - 1
    certificate = current_certificate(user.id, enrolment.course_id, cycle)
    # can_retake's rule, on the certificate just read (one query for the page, not two)
    may_retake = bool(enrolment.completed_at is not None and enrolment.user_id == user.id
                      and certificate is not None and certificate.expires_at
                      and certificate.expires_at <= now + timedelta(days=days))
    return certificate, may_retake


def retake(user: User, enrolment: Enrolment, *, now: datetime, days: int) -> None:
    """Start a new cycle of the course for recertification: earlier lesson marks and quiz
    attempts stop counting (they are kept); completing again issues a new certificate linked
    to the previous one."""
    if not can_retake(user, enrolment, now=now, days=days):
        raise RuleViolation(_l("This course can be re-taken when its certificate expires "
                               "(or is about to)."))
    # Conditional on the cycle read above: of two retakes sent at once (a double click), one
    # starts the next cycle, and the other finds it started and does nothing more (no second
    # audit event, no second change announced to HR's figures).
    started = db.session.execute(
        update(Enrolment)
        .where(Enrolment.id == enrolment.id, Enrolment.cycle == enrolment.cycle)
        .values(cycle=Enrolment.cycle + 1, cycle_started_at=now, completed_at=None,
                percent_complete=0, lessons_done=0, last_lesson_id=None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(enrolment)
    if not started:
        return
    audit(user, "course.retake", enrolment, now=now, cycle=enrolment.cycle)
    db.session.flush()
    enrolment_changed.send(enrolment, now=now)

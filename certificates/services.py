"""Certificate rules: issue once per completion, sign, render and cache the PDF, verify,
revoke, re-issue, remind before expiry, and batch work.

Who may see a certificate's PDF: its holder, HR within scope, admins. Nothing is issued by a
GET: issuing follows a completion (a POST) or the `issue-pending` command.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import zipfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from multiprocessing import get_context
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError

from certificates import keys, render
from certificates.credential import build_credential, check_credential, sign_credential
from certificates.models import Certificate, PublishedKey
from courses import storage
from courses.models import Course, CourseFile, Enrolment
from learning.accounts.models import Department, RoleGrant, User
from learning.accounts.services import (
    audit,
    can_view_official,
    department_path,
    hr_scope,
    is_admin,
    officials_in_scope_condition,
)
from learning.db import db
from learning.errors import NotFound, PermissionDenied, RuleViolation
from learning.notifications import notify
from learning.text import fold
from quizzes import services as quizzes

CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o/1/l: read aloud safely
CODE_LENGTH = 20  # 20 symbols of 32 = 100 bits


def new_code() -> str:
    """Return an unguessable verification code (100 bits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year = moment.year + month // 12
    month = month % 12 + 1
    day = min(moment.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
                           31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1])
    return moment.replace(year=year, month=month, day=day)


# --- keys ------------------------------------------------------------------------------------

def signing_key() -> keys.SigningKey:
    """Return the platform's signing key (loaded once per process)."""
    cached = current_app.extensions.get("hocso_signing_key")
    if cached is None:
        cached = keys.load_signing_key(current_app.config)
        current_app.extensions["hocso_signing_key"] = cached
    return cached


def issuer_did() -> str:
    """Return the issuer's DID (did:web of the platform's public address)."""
    return keys.did_web(current_app.config["BASE_URL"])


def publish_key(key: keys.SigningKey, *, now: datetime) -> None:
    """Record the key's public half, so credentials stay verifiable after a key rotation."""
    if db.session.get(PublishedKey, key.kid) is None:
        try:
            with db.session.begin_nested():
                db.session.add(PublishedKey(kid=key.kid, public_jwk=key.public_jwk,
                                            created_at=now))
        except IntegrityError:
            pass  # another worker published it at the same moment


def known_keys() -> dict[str, dict]:
    """Return every public key the platform has signed with, by kid."""
    return {k.kid: k.public_jwk for k in db.session.scalars(select(PublishedKey))}


# --- issue -----------------------------------------------------------------------------------

def final_score(user_id: int, course_id: int, since: datetime | None = None) -> float | None:
    """Return the score a certificate shows: the final test's counted score, else the mean of
    the required quizzes' counted scores, else None (a course without quizzes)."""
    course_quizzes = quizzes.course_quizzes(course_id)
    final = [q for q in course_quizzes if q.module_id is None]
    chosen = final or [q for q in course_quizzes if q.is_required]
    scores = []
    for quiz in chosen:
        attempts = [a for a in quizzes.attempts_for_user(user_id, quiz)
                    if since is None or (a.submitted_at and a.submitted_at >= since)]
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


def _sign(certificate: Certificate, course: Course | None, now: datetime) -> None:
    key = signing_key()
    publish_key(key, now=now)
    snapshot = snapshot_of(certificate)
    if course is not None:
        snapshot["course_summary"] = course.summary
        snapshot["criteria"] = {
            "all_lessons": "All lessons of the course completed.",
            "all_lessons_and_quizzes": "All lessons completed and every required quiz passed.",
        }.get(course.completion_rule, "")
    credential = build_credential(snapshot, issuer_did=issuer_did(),
                                  base_url=current_app.config["BASE_URL"])
    certificate.credential_jws = sign_credential(credential, key)


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
        issued_at=now, expires_at=_add_months(completed_at, months) if months else None,
        issuer_name=config["MINISTRY_NAME"], signer_name=config["CERT_SIGNER_NAME"],
        signer_title=config["CERT_SIGNER_TITLE"],
    )


def _insert(certificate: Certificate, course: Course, now: datetime) -> None:
    db.session.add(certificate)
    db.session.flush()
    certificate.serial = f"HS-{certificate.issued_at.year}-{certificate.id:06d}"
    _sign(certificate, course, now)
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
            _insert(certificate, course, now)
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
    if hr_scope(actor) is False:
        raise PermissionDenied(_l("Only HR and administrators may see this."))
    statement = select(Certificate).join(User, User.id == Certificate.user_id).where(
        officials_in_scope_condition(actor))
    if course_id:
        statement = statement.where(Certificate.course_id == course_id)
    words = fold(query).split()  # the search key is folded: "Hương" -> "huong"
    if words:
        statement = statement.where(
            (Certificate.serial == query.strip().upper()) | and_(*[
                User.search_text.contains(word, autoescape=True) for word in words]))
    return list(db.session.scalars(statement.order_by(Certificate.issued_at.desc()).limit(limit)))


# --- PDF -------------------------------------------------------------------------------------

def _labels(language: str) -> dict[str, str]:
    with force_locale(language):
        return {
            "title": gettext("Certificate of completion"),
            "platform": gettext("HọcSố — digital skills for the ministry's officials"),
            "certifies": gettext("This certifies that"),
            "staff_number": gettext("Staff number"),
            "completed": gettext("has completed the course"),
            "completed_on": gettext("Completed on"),
            "score": gettext("Final score"),
            "version": gettext("Version"),
            "valid_until": gettext("Valid until"),
            "serial": gettext("Serial number"),
            "verify_at": gettext("Check this certificate at"),
        }


def pdf_context(certificate: Certificate) -> dict:
    """Return the plain values the certificate template receives."""
    language = certificate.language
    base = current_app.config["BASE_URL"]
    local = certificate.completed_at.astimezone(_zone())
    issued = certificate.issued_at.astimezone(_zone())
    labels = _labels(language)
    with force_locale(language):
        issued_line = gettext("Hà Nội, %(date)s", date=format_date(issued, "long",
                                                                   locale=language))
    return {
        **{k: v for k, v in snapshot_of(certificate).items() if isinstance(v, (str, type(None)))},
        "language": language, "labels": labels, "ministry_name": certificate.issuer_name,
        "completed_on": format_date(local, "long", locale=language),
        "expires_on": format_date(certificate.expires_at.astimezone(_zone()), "long",
                                  locale=language) if certificate.expires_at else None,
        "score_text": (format_decimal(certificate.score, "#,##0.#", locale=language) + "%")
        if certificate.score is not None else None,
        "verify_url": f"{base}/verify/{certificate.code}",
        "issued_on_line": issued_line,
    }


def _zone():
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def template_source(certificate: Certificate) -> str:
    """Return the certificate template for the course (its own, or the default)."""
    course = db.session.get(Course, certificate.course_id)
    if course is not None and course.certificate_template:
        record = db.session.scalar(select(CourseFile).where(
            CourseFile.course_id == course.id, CourseFile.path == course.certificate_template))
        if record is not None:
            return storage.read(record.digest).decode("utf-8")
    return render.default_template()


def pdf_bytes(actor: User | None, certificate: Certificate) -> bytes:
    """Return the certificate's PDF, rendered once per template version and then cached."""
    if not can_view(actor, certificate):
        raise NotFound(_l("No such certificate."))
    source = template_source(certificate)
    version = render.template_version(source)
    if certificate.pdf_digest and certificate.pdf_template_version == version:
        try:
            return storage.read(certificate.pdf_digest)
        except FileNotFoundError:
            pass  # the media store was emptied: render again
    data = render.render_pdf(pdf_context(certificate), source, certificate.credential_jws)
    certificate.pdf_digest = storage.store(data)
    certificate.pdf_template_version = version
    db.session.flush()
    return data


# --- revocation and re-issue -----------------------------------------------------------------

def revoke(actor: User | None, certificate: Certificate, reason: str, *, now: datetime) -> None:
    """Revoke a certificate with a reason (HR within scope, admins); recorded in the audit log."""
    if not can_manage(actor, certificate):
        raise PermissionDenied(_l("You may not revoke this certificate."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise RuleViolation(_l("Give the reason for the revocation."), field="reason")
    if certificate.revoked_at is not None:
        raise RuleViolation(_l("This certificate is already revoked."))
    certificate.revoked_at = now
    certificate.revoked_reason = reason
    certificate.revoked_by_id = actor.id if actor is not None else None
    audit(actor, "certificate.revoke", certificate, now=now, serial=certificate.serial,
          reason=reason)


def reissue(actor: User | None, certificate: Certificate, reason: str, *,
            now: datetime) -> Certificate:
    """Re-issue with the holder's current name and department (e.g. a name correction): a new
    serial linked to the old certificate, which is revoked with the reason."""
    if not can_manage(actor, certificate):
        raise PermissionDenied(_l("You may not re-issue this certificate."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise RuleViolation(_l("Give the reason for the re-issue."), field="reason")
    if certificate.revoked_at is not None:
        raise RuleViolation(_l("A revoked certificate cannot be re-issued."))
    user = db.session.get(User, certificate.user_id)
    course = db.session.get(Course, certificate.course_id)
    replacement = Certificate(**{
        **{k: getattr(certificate, k) for k in (
            "user_id", "course_id", "cycle", "course_slug", "course_title", "course_version",
            "language", "completed_at", "score", "expires_at", "issuer_name", "signer_name",
            "signer_title")},
        "code": new_code(), "previous_id": certificate.id, "reason": "correction",
        "holder_name": user.full_name, "staff_number": user.staff_number or "",
        "department": department_path(user.department) if user.department else "",
        "issued_at": now,
    })
    _insert(replacement, course, now)
    certificate.revoked_at = now
    certificate.revoked_reason = reason  # pages say "replaced by ..." in the reader's language
    certificate.revoked_by_id = actor.id if actor is not None else None
    audit(actor, "certificate.reissue", certificate, now=now, serial=certificate.serial,
          replacement=replacement.serial, reason=reason)
    return replacement


# --- verification ----------------------------------------------------------------------------

def find_by_code(code: str) -> Certificate | None:
    """Return the certificate with a verification code, if any."""
    code = (code or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9]{10,40}", code):
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def find_by_serial(actor: User, serial: str) -> Certificate | None:
    """Return a certificate by serial, for HR within scope and admins (serials are guessable)."""
    if hr_scope(actor) is False:
        raise PermissionDenied(_l("Only HR and administrators may look up serial numbers."))
    found = db.session.scalar(select(Certificate).where(
        Certificate.serial == (serial or "").strip().upper()))
    return found if found is not None and can_manage(actor, found) else None


def code_for_lookup(actor, value: str) -> str:
    """Return the verification code that a typed code or serial number designates. Serial
    numbers are guessable, so only HR (within scope) and admins may look them up; `actor` is
    the signed-in official or Flask-Login's anonymous user."""
    value = (value or "").strip()
    if not value.upper().startswith("HS-"):
        return value.lower()
    if not actor.is_authenticated or hr_scope(actor) is False:
        raise PermissionDenied(_l("Only HR and administrators may look up serial numbers; use "
                                  "the code printed under the QR code."), field="code")
    found = find_by_serial(actor, value)
    if found is None:
        raise RuleViolation(_l("No certificate has this serial number."), field="code")
    return found.code


def public_view(certificate: Certificate | None, *, now: datetime) -> dict:
    """Return what the verification page shows: only what the certificate itself shows."""
    if certificate is None:
        return {"status": "unknown"}
    zone = _zone()
    view = {
        "status": certificate.status(now),
        "serial": certificate.serial,
        "holder": certificate.holder_name,
        "course": certificate.course_title,
        "course_version": certificate.course_version,
        "completed_on": certificate.completed_at.astimezone(zone).date().isoformat(),
        "score": certificate.score,
        "issued_on": certificate.issued_at.astimezone(zone).date().isoformat(),
        "expires_on": certificate.expires_at.astimezone(zone).date().isoformat()
        if certificate.expires_at else None,
        "issuer": certificate.issuer_name,
    }
    if certificate.revoked_at is not None:
        view["revoked_on"] = certificate.revoked_at.astimezone(zone).date().isoformat()
        view["revoked_reason"] = certificate.revoked_reason
    replacement = db.session.scalar(select(Certificate).where(
        Certificate.previous_id == certificate.id, Certificate.reason == "correction"))
    if replacement is not None:
        view["replaced_by"] = replacement.serial
    return view


@dataclass
class PdfCheck:
    """The outcome of checking a certificate PDF."""

    state: str  # valid, tampered, unknown-key, not-a-certificate
    differences: list[str] = field(default_factory=list)  # in English, for the command line
    mismatches: list[tuple[str, str]] = field(default_factory=list)  # (what, expected): pages
    claims: dict = field(default_factory=dict)
    detail: str = ""
    status: str | None = None  # online only: valid, revoked, expired, unknown
    record: dict | None = None

    @property
    def ok(self) -> bool:
        return self.state == "valid" and self.status in (None, "valid")


def _normal(text: str) -> str:
    import unicodedata

    return " ".join(unicodedata.normalize("NFC", text or "").split())


def check_pdf(data: bytes, known: dict[str, dict], *, now: datetime | None = None,
              lookup: Callable[[str], Certificate | None] | None = None) -> PdfCheck:
    """Check a certificate PDF offline (signature and what the page shows), and online too
    when `lookup` is given (revocation, expiry). Never raises on bad input."""
    try:
        reader = PdfReader(io.BytesIO(data))
        attachments = reader.attachments
        raw_text = "\n".join(page.extract_text() or "" for page in reader.pages)
        page_text = _normal(raw_text)
        page_lines = "\n".join(_normal(line) for line in raw_text.splitlines())
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        return PdfCheck("not-a-certificate", detail=f"not a readable PDF ({error})")
    tokens = attachments.get("credential.jwt") or []
    if not tokens:
        return PdfCheck("not-a-certificate", detail="no embedded credential")
    token = tokens[-1].decode("ascii", "replace") if isinstance(tokens[-1], bytes) \
        else str(tokens[-1])
    checked = check_credential(token, known)
    claims = checked.claims
    result = PdfCheck(checked.state if checked.state != "malformed" else "tampered",
                      claims=claims, detail=checked.detail)
    if checked.state == "malformed":
        result.differences.append("the embedded credential is damaged")
        result.mismatches.append(("credential", ""))
    if checked.state in ("valid", "tampered"):
        for key, label, value, whole in (
                ("holder", "holder name", claims.get("holder_name"), True),
                ("course", "course", claims.get("course_title"), False),
                ("serial", "serial number", claims.get("serial"), False)):
            # The name stands alone on its line: "Nguyễn Thị Hương Giang" does not pass for
            # "Nguyễn Thị Hương"; a long course title may wrap, so it is sought in the text.
            if whole:  # at a line start, not continued by another word ("... Hương Giang")
                shown = re.search(rf"(?m)^{re.escape(_normal(value))}(?![ \t]+\w)",
                                  page_lines) is not None
            else:
                shown = _normal(value) in page_text
            if value and not shown:
                result.differences.append(
                    f"{label}: the credential says “{value}”, the page does not show it")
                result.mismatches.append((key, value))
        if claims.get("score"):
            shown = claims["score"].replace(".", ",")
            if claims["score"] not in page_text and shown not in page_text:
                result.differences.append(
                    f"score: the credential says {claims['score']}%, the page does not show it")
                result.mismatches.append(("score", claims["score"]))
        if result.differences and result.state == "valid":
            result.state = "tampered"
    if lookup is not None and claims.get("verify_url"):
        code = claims["verify_url"].rstrip("/").rsplit("/", 1)[-1]
        record = lookup(code)
        result.status = record.status(now) if record is not None else "unknown"
        result.record = public_view(record, now=now) if record is not None else None
    return result


# --- reminders -------------------------------------------------------------------------------

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
                  "expires": certificate.expires_at.astimezone(_zone()).date().isoformat(),
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


# --- export ----------------------------------------------------------------------------------

def _render_job(job: tuple[dict, str, str]) -> bytes:
    context, source, jws = job
    return render.render_pdf(context, source, jws)


def export_zip(actor: User | None, *, department: Department | None, course: Course | None,
               workers: int = 2, progress: Callable[[int], None] | None = None,
               now: datetime) -> tuple[bytes, int]:
    """Return a zip of one PDF per certificate holder plus a CSV register, and the count.

    PDFs already cached are reused; the others are rendered in `workers` processes."""
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
        source = sources.setdefault(certificate.course_id, template_source(certificate))
        version = render.template_version(source)
        cached = None
        if certificate.pdf_digest and certificate.pdf_template_version == version:
            try:
                cached = storage.read(certificate.pdf_digest)
            except FileNotFoundError:
                cached = None
        if cached is None:
            missing.append((certificate, version))
            jobs.append((pdf_context(certificate), source, certificate.credential_jws))
    rendered: list[bytes] = []
    if jobs:
        if workers > 1 and len(jobs) > 1:
            with ProcessPoolExecutor(max_workers=workers,
                                     mp_context=get_context("forkserver")) as pool:
                for data in pool.map(_render_job, jobs, chunksize=4):
                    rendered.append(data)
                    if progress:
                        progress(1)
        else:
            for job in jobs:
                rendered.append(_render_job(job))
                if progress:
                    progress(1)
    for (certificate, version), data in zip(missing, rendered, strict=True):
        certificate.pdf_digest = storage.store(data)
        certificate.pdf_template_version = version
    if progress and len(certificates) > len(jobs):
        progress(len(certificates) - len(jobs))
    out = io.BytesIO()
    register = io.StringIO()
    writer = csv.writer(register)
    writer.writerow(["serial", "holder_name", "staff_number", "department", "course",
                     "course_version", "completed_on", "score", "issued_on", "expires_on",
                     "status", "verify_url", "file"])
    base = current_app.config["BASE_URL"]
    zone = _zone()  # the ministry's dates, as on the certificate and its verification page
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for certificate in certificates:
            name = f"{certificate.serial}.pdf"
            archive.writestr(name, storage.read(certificate.pdf_digest))
            writer.writerow([
                certificate.serial, certificate.holder_name, certificate.staff_number,
                certificate.department, certificate.course_title, certificate.course_version,
                certificate.completed_at.astimezone(zone).date().isoformat(),
                "" if certificate.score is None else f"{certificate.score:g}",
                certificate.issued_at.astimezone(zone).date().isoformat(),
                certificate.expires_at.astimezone(zone).date().isoformat()
                if certificate.expires_at else "",
                certificate.status(now), f"{base}/verify/{certificate.code}", name])
        archive.writestr("register.csv", "\ufeff" + register.getvalue())
    db.session.flush()
    return out.getvalue(), len(certificates)


# --- recertification -------------------------------------------------------------------------

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
    if enrolment is None:
        return None, False
    cycle = enrolment.cycle if enrolment.completed_at else enrolment.cycle - 1
    return (current_certificate(user.id, enrolment.course_id, cycle),
            can_retake(user, enrolment, now=now, days=days))


def retake(user: User, enrolment: Enrolment, *, now: datetime, days: int) -> None:
    """Start a new cycle of the course for recertification: earlier lesson marks and quiz
    attempts stop counting (they are kept); completing again issues a new certificate linked
    to the previous one."""
    if not can_retake(user, enrolment, now=now, days=days):
        raise RuleViolation(_l("This course can be re-taken when its certificate expires "
                               "(or is about to)."))
    enrolment.cycle += 1
    enrolment.cycle_started_at = now
    enrolment.completed_at = None
    enrolment.percent_complete = 0
    enrolment.lessons_done = 0
    enrolment.last_lesson_id = None
    audit(user, "course.retake", enrolment, now=now, cycle=enrolment.cycle)
    db.session.flush()

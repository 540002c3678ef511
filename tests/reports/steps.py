"""An official with a learning record worth a transcript, and ways to read its PDF back."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from courses import services as courses
from courses.models import Enrolment
from learning.accounts.models import User
from learning.db import db
from learning.mentoring import tasks as review
from learning.tasks import services as tasks
from quizzes import services as quizzes
from tests import factories
from tests.certificates import steps as certificate_steps
from tests.conftest import DEMO_PASSWORD
from tests.courses import steps as course_steps

NOW = datetime(2026, 11, 5, 3, 0, tzinfo=timezone.utc)  # 10:00 in Hà Nội, 05/11/2026
CERTIFIED = certificate_steps.SLUG  # "chung-chi-so": lessons a, b; a final test of 8 questions
CERTIFIED_TITLE = certificate_steps.TITLE
PRACTICAL = "thuc-hanh-so"
PRACTICAL_TITLE = "Thực hành văn bản điện tử"
TASK = "Đăng ký một văn bản đến"
OPTIONAL_TASK = "Ký số một văn bản đi"
TASKS_TOML = f'''[[tasks]]
slug = "dang-ky-van-ban"
title = "{TASK}"
instructions = "Mở hệ thống văn bản và đăng ký."
evidence = "Ảnh chụp màn hình có số đến."

[[tasks]]
slug = "ky-so"
title = "{OPTIONAL_TASK}"
instructions = "Ký bằng USB token."
evidence = "Số văn bản đã ký."
required = false
'''
HOURS_4_30 = 4 * 3600 + 30 * 60 + 59  # "4 giờ 30 phút": minutes are floored


@dataclass
class Record:
    """The official (in Bộ Ngoại giao/Cục Lãnh sự/Phòng Hộ chiếu), the departments, and the
    official's certificate."""

    official: User
    ministry: object
    consular: object
    passports: object
    personnel: object  # another department under the ministry
    certificate: object


def practical_course(tmp_path):
    """A one-lesson course whose module declares a required and an optional practical task."""
    package = factories.course_package(PRACTICAL, lessons=("a",), title=PRACTICAL_TITLE,
                                       completion={"rule": "all_lessons", "tasks": "required"})
    root = factories.write_package(tmp_path / PRACTICAL, package,
                                   files={"01-co-ban/tasks.toml": TASKS_TOML})
    return factories.import_course(root).course


def take_final_test(user, right: int, *, now: datetime, slug: str = CERTIFIED):
    """One attempt at the course's final test with `right` answers right."""
    quiz = quizzes.course_quizzes(course_steps.course_by_slug(slug).id)[0]
    attempt = quizzes.start_attempt(user, quiz, now=now)
    answers = {i: slot["data"]["answer"] if i < right else not slot["data"]["answer"]
               for i, slot in enumerate(attempt.layout)}
    quizzes.submit(user, attempt, answers, now=now)
    return attempt


def record(tmp_path) -> Record:
    """Progress in two courses: the first completed (lessons, a failed then a passed final
    test, a certificate, 4 h 30 min of reading), the second started (a lesson, a task
    confirmed, an optional one not handed in). Commits."""
    ministry = factories.DepartmentFactory(name="Bộ Ngoại giao")
    consular = factories.DepartmentFactory(name="Cục Lãnh sự", parent=ministry)
    passports = factories.DepartmentFactory(name="Phòng Hộ chiếu", parent=consular)
    personnel = factories.DepartmentFactory(name="Vụ Tổ chức cán bộ", parent=ministry)
    official = factories.UserFactory(full_name="Nguyễn Thị Hương", username="huong.nt",
                                     staff_number="NG-0042", job_title="Chuyên viên chính",
                                     department=passports, password=DEMO_PASSWORD)
    certificate_steps.course(tmp_path)
    certified = course_steps.course_by_slug(CERTIFIED)
    courses.enrol(official, official, certified, now=NOW - timedelta(days=3))
    for lesson in courses.active_lessons(certified.id):
        courses.complete_lesson(official, lesson, now=NOW - timedelta(days=2))
    take_final_test(official, 3, now=NOW - timedelta(days=1))
    take_final_test(official, 7, now=NOW)
    db.session.execute(update(Enrolment).where(Enrolment.course_id == certified.id)
                       .values(time_spent_seconds=HOURS_4_30))

    practical = practical_course(tmp_path)
    courses.enrol(official, official, practical, now=NOW)
    courses.complete_lesson(official, courses.active_lessons(practical.id)[0], now=NOW)
    hand_in = tasks.submit(official, tasks.get_task(practical, "dang-ky-van-ban"),
                           tasks.Evidence(note="Số đến 12/VP"), now=NOW,
                           max_image_bytes=1024 * 1024)
    db.session.flush()
    review.confirm(None, hand_in, NOW)
    db.session.commit()
    return Record(official=official, ministry=ministry, consular=consular,
                  passports=passports, personnel=personnel,
                  certificate=certificate_steps.certificates_of(official)[0])


def hr(scope=None, **fields):
    """An HR official (whole ministry, or the `scope` subtree) who can sign in."""
    user = factories.UserFactory(roles={"hr", "learner"}, hr_scope=scope,
                                 password=DEMO_PASSWORD, **fields)
    db.session.commit()
    return user


def pdf_text(data: bytes) -> str:
    """The text of every page, spaces collapsed."""
    return " ".join(certificate_steps.pdf_text(data).split())


def signature_status(data: bytes):
    """Validate the PDF's one signature against the platform's published signing
    certificates, as a reader trusting them does; return pyHanko's status."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from certificates import keys, signing

    roots = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
             for key in keys.published() if key.chain_pem
             for c in signing.load_pem_certificates(key.chain_pem.encode())]
    signatures = PdfFileReader(io.BytesIO(data)).embedded_signatures
    assert len(signatures) == 1
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    return signing.run_coroutine(lambda: async_validate_pdf_signature(signatures[0], context))

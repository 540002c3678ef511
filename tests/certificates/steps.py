"""Certificates as officials, HR and outside verifiers meet them: a course package that issues
them, completing it through the pages or the services (with an explicit `now`), and reading the
PDFs back as a PDF reader would (text, fonts, metadata, embedded file, the QR code's picture).

Packages are real folders imported through the service (tests.quizzes.steps.quiz_course); the
final test is a required quiz of true/false questions, so the certificate shows a score.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from certificates.models import Certificate
from courses import services as course_services
from learning.db import db
from quizzes import services as quizzes
from tests import factories
from tests.conftest import DEMO_PASSWORD
from tests.courses import steps as course_steps
from tests.quizzes import steps as quiz_steps

SLUG = "chung-chi-so"
QUIZ = "cuoi-khoa"
QUESTIONS = 8  # 7 right of 8 = 87.5 %: a score with a decimal
TITLE = "Kỹ năng số và an toàn thông tin cho cán bộ"
NAMES = ("Nguyễn Thị Hương", "Đặng Quốc Bảo", "Trương Ngọc Ánh")
NOW = datetime(2025, 3, 3, 8, 0, tzinfo=timezone.utc)  # 15:00 in Hà Nội, the same day
BASE_URL = "http://127.0.0.1:5000"  # the test configuration's HOCSO_BASE_URL
SERIAL = re.compile(r"HS-(\d{4})-(\d{6})")


# --- courses and completions -----------------------------------------------------------------

def course(tmp_path, slug: str = SLUG, *, validity: int | None = None,
           template: str | None = None, questions: int = QUESTIONS, lessons=("a", "b"),
           title: str = TITLE, **fields):
    """Write and import a course whose required final test has true/false questions; with
    `validity` its certificates expire, with `template` they use the package's own
    certificate.html; with no questions it has no quiz. Importing again with other values is
    a new version of the course."""
    certificate: dict = {}
    files: dict = {}
    if validity is not None:
        certificate["validity_months"] = validity
    if template is not None:
        files["certificate.html"] = template
        certificate["template"] = "certificate.html"
    if certificate:
        fields["certificate"] = certificate
    return quiz_steps.quiz_course(tmp_path, slug,
                                  final_quiz=quiz_steps.true_false_quiz(QUIZ, questions)
                                  if questions else None,
                                  lessons=lessons, files=files, title=title, **fields)


def official(name: str = NAMES[0], department=None, **fields):
    """Create an official (who can sign in with the test password) and commit."""
    if department is not None:
        fields["department"] = department
    user = factories.UserFactory(full_name=name, password=DEMO_PASSWORD, **fields)
    db.session.commit()
    return user


def hr_official(scope=None, **fields):
    """Create an HR official, for the whole ministry or for the `scope` department subtree."""
    user = factories.UserFactory(roles={"hr", "learner"}, hr_scope=scope, password=DEMO_PASSWORD,
                                 full_name=fields.pop("full_name", "Phạm Thu Hà"), **fields)
    db.session.commit()
    return user


def complete(user, slug: str = SLUG, *, now: datetime = NOW, right: int = QUESTIONS - 1):
    """Complete the course through the services at `now`: every lesson, then the final test
    with `right` answers right. Commits; returns the official's newest certificate."""
    the_course = course_steps.course_by_slug(slug)
    course_services.enrol(user, user, the_course, now=now)
    for lesson in course_services.active_lessons(the_course.id):
        course_services.complete_lesson(user, lesson, now=now)
    for quiz in quizzes.course_quizzes(the_course.id):
        attempt = quizzes.start_attempt(user, quiz, now=now)
        answers = {i: slot["data"]["answer"] if i < right else not slot["data"]["answer"]
                   for i, slot in enumerate(attempt.layout)}
        quizzes.submit(user, attempt, answers, now=now)
    db.session.commit()
    return newest(user)


def complete_on_pages(client, slug: str = SLUG, *, right: int = QUESTIONS - 1):
    """Complete the course as the official signed in on `client` does: enrol, mark every
    lesson done, take the final test. Returns the response to the test's submission."""
    course_steps.enrol(client, slug)
    the_course = course_steps.course_by_slug(slug)
    for lesson in course_services.active_lessons(the_course.id):
        response = course_steps.mark_done(client, slug, lesson.slug)
        assert response.status_code == 302, response.status_code
    attempt_id = quiz_steps.start(client, slug, QUIZ)
    layout = quiz_steps.get_attempt(attempt_id).layout
    response = quiz_steps.submit(client, attempt_id, quiz_steps.answer_fields(layout, right))
    assert response.status_code == 302, response.status_code
    return response


def certificates_of(user) -> list[Certificate]:
    """The official's certificates as committed, oldest first."""
    db.session.expire_all()
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                                   .order_by(Certificate.id)))


def newest(user) -> Certificate | None:
    found = certificates_of(user)
    return found[-1] if found else None


def count_certificates() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Certificate))


def count_rows(statement) -> int:
    """The count a `select(func.count())...` statement gives, as committed."""
    db.session.expire_all()
    return db.session.scalar(statement)


def reload(certificate: Certificate) -> Certificate:
    """The certificate as committed (read afresh)."""
    db.session.expire_all()
    return db.session.get(Certificate, certificate.id)


def local_date(moment: datetime) -> str:
    """The ISO date of a moment in the ministry's time zone (as pages and JSON give dates)."""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()


def shown_date(moment: datetime, locale: str = "vi") -> str:
    """A moment's date as pages show it: the ministry's day, in the long form of `locale`
    ("ngày 05 tháng 11 năm 2026" in Vietnamese, the CLDR long form otherwise)."""
    from datetime import date

    from babel.dates import format_date

    day = date.fromisoformat(local_date(moment))
    if locale == "vi":
        return "ngày {:02d} tháng {} năm {}".format(  # Decree 30: months 1-2 padded
            day.day, f"{day.month:02d}" if day.month < 3 else day.month, day.year)
    return format_date(day, "long", locale=locale)


def add_months(moment: datetime, months: int) -> datetime:
    """Move a moment by whole calendar months (negative: back), keeping the day if it exists."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def completed_so_it_expires_in(days: float, *, months: int, now: datetime) -> datetime:
    """The completion moment whose certificate (valid `months`) expires `days` after `now`."""
    return add_months(now + timedelta(days=days), -months)


def main_text(response) -> str:
    """The visible text of a page's <main> (without the header naming who is signed in)."""
    import html as html_lib

    page = response.data.decode()
    body = page[page.index("<main"):page.index("</main>")]
    return html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", body).split()))


# --- reading PDFs back -----------------------------------------------------------------------

def fetch_pdf(client, certificate_id: int) -> bytes:
    """Download a certificate's PDF as its reader would; check it is served as a PDF."""
    response = client.get(f"/certificates/{certificate_id}.pdf")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    return response.data


def mark_cached_pdf(certificate) -> bytes:
    """Add a comment line to the certificate's cached PDF in the media store and return the
    marked bytes: a download that returns them was served from the cache, not rendered (two
    renders of one certificate may well give the same bytes)."""
    from courses import storage

    path = storage.blob_path(reload(certificate).pdf_digest)
    marked = path.read_bytes() + b"%served from the cache\n"
    path.write_bytes(marked)
    return marked


def reader(data: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data))


def pdf_text(data: bytes) -> str:
    """The text of every page, exactly as extracted (no normalisation)."""
    return "\n".join(page.extract_text() or "" for page in reader(data).pages)


def text_box(data: bytes, text: str) -> tuple[float, float, float, float]:
    """Where `text` (on one line) is printed on the first page, as a PDF reader finds it:
    (left, bottom, right, top) in points from the page's lower-left corner."""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        page = document[0]
        textpage = page.get_textpage()
        searcher = textpage.search(text, match_case=True)
        try:
            found = searcher.get_next()
            assert found is not None, f"{text!r} is not printed on the page"
            index, count = found
            boxes = [textpage.get_charbox(i) for i in range(index, index + count)]
        finally:
            searcher.close()
            textpage.close()
            page.close()
    finally:
        document.close()
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def page_fonts(data: bytes) -> list[tuple[str, list[str]]]:
    """(font name, embedded font-file keys) of every font the pages' resources use."""
    found = []
    for page in reader(data).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            leaves = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            for leaf in leaves:
                descriptor = leaf["/FontDescriptor"].get_object()
                found.append((str(descriptor["/FontName"]),
                              sorted(k for k in descriptor if k.startswith("/FontFile"))))
    return found


XMP_NS = {"x": "adobe:ns:meta/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
          "pdfaid": "http://www.aiim.org/pdfa/ns/id/", "dc": "http://purl.org/dc/elements/1.1/"}


def xmp(data: bytes) -> ET.Element:
    """The document's XMP metadata packet, parsed."""
    catalog = reader(data).trailer["/Root"]
    return ET.fromstring(catalog["/Metadata"].get_object().get_data())


def xmp_attribute(root: ET.Element, namespace: str, name: str) -> str | None:
    key = "{%s}%s" % (XMP_NS[namespace], name)
    for description in root.iter("{%s}Description" % XMP_NS["rdf"]):
        if key in description.attrib:
            return description.attrib[key]
        child = description.find(f"{namespace}:{name}", XMP_NS)
        if child is not None:
            return child.text
    return None


def xmp_list(root: ET.Element, tag: str) -> list[str]:
    """The items of an XMP list property such as dc:title or dc:creator."""
    return [li.text for element in root.iter("{%s}%s" % (XMP_NS["dc"], tag))
            for li in element.iter("{%s}li" % XMP_NS["rdf"])]


def embedded_file(data: bytes, name: str) -> bytes | None:
    files = reader(data).attachments.get(name) or []
    return files[-1] if files else None


def qr_codes(data: bytes) -> list[str]:
    """Render the first page to a picture and read every QR code on it, as a phone would."""
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(data)
    try:
        page = document[0]
        try:
            bitmap = page.render(scale=2)
            picture = bitmap.to_pil()
            bitmap.close()
        finally:
            page.close()
    finally:
        document.close()
    return [found.text for found in zxingcpp.read_barcodes(picture)
            if found.format == zxingcpp.BarcodeFormat.QRCode]


def pdf_with(certificate, credential_jws: str, **shown) -> bytes:
    """A certificate PDF made with WeasyPrint and the platform's template, showing the
    certificate's values changed by `shown` and carrying `credential_jws` (a forgery)."""
    from flask import current_app

    from certificates import render
    from certificates import services as certificates

    with current_app.test_request_context():
        context = {**certificates.pdf_context(certificate), **shown}
    return render.render_pdf(context, render.default_template(), credential_jws)


def cli(runner, *args):
    """Run `flask certificates ...` as a new process would, seeing only what is committed;
    return the result (exit code and output)."""
    db.session.rollback()
    result = runner.invoke(args=["certificates", *[str(a) for a in args]])
    db.session.expire_all()
    return result

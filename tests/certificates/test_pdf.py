"""The certificate PDF as its holder downloads it, read back with pypdf (text, fonts, PDF/A
metadata, language, embedded credential, page size) and as a phone reads its QR code; and
its cache: rendered once per template, again when the course's own template changes."""

from __future__ import annotations

import pytest

from tests.certificates import steps
from tests.certificates.steps import BASE_URL, NAMES, NOW, TITLE
from tests.conftest import translated
from tests.courses.steps import new_client

MINISTRY = "Bộ Ngoại giao"  # the test configuration's HOCSO_MINISTRY_NAME


@pytest.mark.parametrize("name", NAMES)
def test_the_pdf_reads_back_exactly(app, db, tmp_path, name):
    steps.course(tmp_path, validity=24)
    holder = steps.official(name)
    certificate = steps.complete(holder)

    response = new_client(app, holder).get(f"/certificates/{certificate.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert certificate.serial in response.headers["Content-Disposition"]
    data = response.data

    text = steps.pdf_text(data)
    assert steps.SERIAL.fullmatch(certificate.serial)
    # (the ministry is set in capitals by the template's style)
    for shown in (name, TITLE, certificate.serial, "ngày 03 tháng 03 năm 2025", "87,5%",
                  "ngày 03 tháng 03 năm 2027", MINISTRY.upper(), f"{BASE_URL}/verify/{certificate.code}"):
        assert shown in text, f"{shown!r} not on the page:\n{text}"

    fonts = steps.page_fonts(data)
    assert fonts
    for font_name, files in fonts:
        assert files and set(files) <= {"/FontFile", "/FontFile2", "/FontFile3"}, font_name
        # a subset tag, then the family: ABCDEF+Be-Vietnam-Pro-Bold
        assert font_name.split("+", 1)[-1].startswith("Be-Vietnam-Pro"), font_name

    metadata = steps.xmp(data)
    assert steps.xmp_attribute(metadata, "pdfaid", "part") == "3"
    assert steps.xmp_attribute(metadata, "pdfaid", "conformance") == "B"
    info = steps.reader(data).metadata
    assert name in info.title and certificate.serial in info.title
    assert info.author == MINISTRY
    assert steps.xmp_list(metadata, "title") == [info.title]
    assert steps.xmp_list(metadata, "creator") == [MINISTRY]
    assert steps.reader(data).trailer["/Root"]["/Lang"] == "vi"

    assert steps.embedded_file(data, "credential.jwt").decode() == certificate.credential_jws
    assert steps.qr_codes(data) == [f"{BASE_URL}/verify/{certificate.code}"]

    box = steps.reader(data).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)
    assert len(steps.reader(data).pages) == 1


def test_an_english_course_gives_an_english_certificate(app, db, tmp_path):
    steps.course(tmp_path, "digital-skills", title="Digital skills for officials",
                 language="en")
    holder = steps.official(NAMES[1])
    certificate = steps.complete(holder, "digital-skills")
    data = steps.fetch_pdf(new_client(app, holder), certificate.id)

    text = steps.pdf_text(data)
    for shown in (NAMES[1], "Digital skills for officials", "March 3, 2025", "87.5%",
                  certificate.serial):
        assert shown in text, f"{shown!r} not on the page:\n{text}"
    assert "tháng" not in text
    assert steps.reader(data).trailer["/Root"]["/Lang"] == "en"


def test_a_course_without_quizzes_shows_no_score(app, db, tmp_path):
    steps.course(tmp_path, rule="all_lessons", questions=0)
    holder = steps.official(NAMES[2])
    certificate = steps.complete(holder)
    assert certificate.score is None
    text = steps.pdf_text(steps.fetch_pdf(new_client(app, holder), certificate.id))
    assert NAMES[2] in text and "%" not in text


def test_a_second_download_is_the_cached_file(app, db, tmp_path):
    steps.course(tmp_path)
    holder = steps.official()
    certificate = steps.complete(holder)
    browser = new_client(app, holder)

    first = steps.fetch_pdf(browser, certificate.id)
    digest = steps.reload(certificate).pdf_digest
    assert digest and steps.reload(certificate).pdf_template_version
    marked = steps.mark_cached_pdf(certificate)
    assert steps.fetch_pdf(browser, certificate.id) == marked  # not rendered again
    assert steps.reload(certificate).pdf_digest == digest
    assert steps.pdf_text(marked) == steps.pdf_text(first)


OWN_TEMPLATE = """<!doctype html>
<html lang="{{ language }}"><head><meta charset="utf-8"><title>{{ serial }}</title>
<style>
@font-face { font-family: "Be Vietnam Pro";
             src: url("{{ static }}/fonts/BeVietnamPro_400Regular.ttf"); }
@page { size: A4 landscape; margin: 20mm; }
body { font-family: "Be Vietnam Pro"; }
</style></head>
<body>
<h1>%(heading)s</h1>
<p>{{ holder_name }}</p><p>{{ course_title }}</p><p>{{ score_text }}</p><p>{{ serial }}</p>
<div>{{ qr }}</div>
%(extra)s
</body></html>
"""


def own_template(heading: str, extra: str = "") -> str:
    return OWN_TEMPLATE % {"heading": heading, "extra": extra}


def test_a_course_template_is_used_and_a_new_one_re_renders(app, db, tmp_path):
    steps.course(tmp_path, template=own_template("Giấy chứng nhận mẫu Lãnh sự"))
    holder = steps.official(NAMES[0])
    certificate = steps.complete(holder)
    browser = new_client(app, holder)

    first = steps.fetch_pdf(browser, certificate.id)
    text = steps.pdf_text(first)
    assert "Giấy chứng nhận mẫu Lãnh sự" in text and NAMES[0] in text
    assert steps.qr_codes(first) == [f"{BASE_URL}/verify/{certificate.code}"]
    assert steps.fetch_pdf(browser, certificate.id) == first  # cached
    before = steps.reload(certificate)
    digest, version = before.pdf_digest, before.pdf_template_version

    # a new version of the course that does not touch the template: still the cached file
    marked = steps.mark_cached_pdf(certificate)
    steps.course(tmp_path, template=own_template("Giấy chứng nhận mẫu Lãnh sự"),
                 version="1.0.1")
    assert steps.fetch_pdf(browser, certificate.id) == marked

    steps.course(tmp_path, template=own_template("Mẫu mới năm 2025"), version="1.1.0")
    changed = steps.fetch_pdf(browser, certificate.id)
    text = steps.pdf_text(changed)
    assert "Mẫu mới năm 2025" in text and "mẫu Lãnh sự" not in text
    assert NAMES[0] in text and TITLE in text  # still the snapshot
    after = steps.reload(certificate)
    assert after.pdf_digest != digest and after.pdf_template_version != version
    assert steps.fetch_pdf(browser, certificate.id) == changed


def test_a_course_template_may_not_load_files_outside_the_static_folder(app, db, tmp_path):
    """An author's template renders in the sandbox and WeasyPrint fetches only the platform's
    static files: a picture elsewhere on the server never reaches the PDF."""
    from PIL import Image

    secret = tmp_path / "secret.png"
    Image.new("RGB", (123, 45), "red").save(secret)
    steps.course(tmp_path, template=own_template(
        "Mẫu có ảnh", f'<img src="{secret.as_uri()}"><img src="https://example.com/x.png">'))
    holder = steps.official()
    certificate = steps.complete(holder)
    data = steps.fetch_pdf(new_client(app, holder), certificate.id)

    sizes = []
    for page in steps.reader(data).pages:
        for image in page.images:
            sizes.append(image.image.size)
    assert (123, 45) not in sizes
    assert "Mẫu có ảnh" in steps.pdf_text(data)


@pytest.mark.parametrize("language, reader_language", [("vi", "en"), ("en", "vi")])
def test_the_certificate_speaks_its_course_language_not_the_readers(app, db, tmp_path,
                                                                   language, reader_language):
    steps.course(tmp_path, language=language)
    holder = steps.official(NAMES[0], preferred_language=reader_language)
    certificate = steps.complete(holder)
    data = steps.fetch_pdf(new_client(app, holder), certificate.id)
    # Every language's certificate passes the upload cap of /verify with room to spare.
    assert len(data) < app.config["VERIFY_MAX_BYTES"] / 2, len(data)
    text = steps.pdf_text(data)
    for label in ("This certifies that", "has completed the course", "Serial number"):
        shown = translated(language, label)
        assert shown in text, f"{shown!r} not on the page:\n{text}"
        assert translated(reader_language, label) not in text
    assert translated(language, "Certificate of completion").upper() in text
    assert steps.shown_date(NOW, language) in text

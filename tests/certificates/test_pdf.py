"""The certificate PDF as its holder downloads it, read back with pypdf (text, fonts, PDF/A
metadata, language, embedded credential, page size) and as a phone reads its QR code; and
its cache: rendered once per template, again when the course's own template changes."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from learning.i18n import decree_30_date
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
    for shown in (name, TITLE, certificate.serial, "ngày 03 tháng 3 năm 2025", "87,5%",
                  "ngày 03 tháng 3 năm 2027", MINISTRY.upper(), f"{BASE_URL}/verify/{certificate.code}"):
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
    # no national title, motto or Decree 30 date: the English layout and long date
    for absent in (NATIONAL_TITLE, MOTTO, "CỘNG HÒA", "Độc lập", "SOCIALIST REPUBLIC",
                   "ngày"):
        assert absent not in text, f"{absent!r} on an English certificate:\n{text}"
    assert "Hà Nội, March 3, 2025" in text


NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


def test_a_vietnamese_certificate_has_the_national_title_and_the_decree_30_date(app, db,
                                                                              tmp_path):
    steps.course(tmp_path, validity=24)
    holder = steps.official()
    certificate = steps.complete(holder)  # at NOW: 3 March 2025, 15:00 in Hà Nội
    data = steps.fetch_pdf(new_client(app, holder), certificate.id)

    text = steps.pdf_text(data)
    for shown in (NATIONAL_TITLE, MOTTO, "Hà Nội, ngày 03 tháng 3 năm 2025"):
        assert shown in text, f"{shown!r} not on the page:\n{text}"
    # top down: the national title, the motto under it, then the issuing ministry
    tops = [steps.text_box(data, shown)[3] for shown in (NATIONAL_TITLE, MOTTO,
                                                         MINISTRY.upper())]
    assert tops == sorted(tops, reverse=True), tops
    assert len(steps.reader(data).pages) == 1


@pytest.fixture
def place(app, monkeypatch):
    """Set HOCSO_CERT_PLACE for one test (monkeypatch puts it back)."""
    return lambda value: monkeypatch.setitem(app.config, "CERT_PLACE", value)


def test_the_place_comes_from_the_configuration_and_the_date_is_the_ministrys(app, db,
                                                                             tmp_path, place):
    place("Thành phố Hồ Chí Minh")
    steps.course(tmp_path)
    holder = steps.official()
    # 20:00 UTC on 31 January is 03:00 on 1 February in Việt Nam
    certificate = steps.complete(holder, now=datetime(2025, 1, 31, 20, 0, tzinfo=timezone.utc))
    text = steps.pdf_text(steps.fetch_pdf(new_client(app, holder), certificate.id))
    assert "Thành phố Hồ Chí Minh, ngày 01 tháng 02 năm 2025" in text, text
    assert "Hà Nội" not in text


@pytest.mark.parametrize("day, written", [
    (date(2026, 12, 2), "ngày 02 tháng 12 năm 2026"),
    (date(2025, 1, 5), "ngày 05 tháng 01 năm 2025"),
    (date(2025, 2, 28), "ngày 28 tháng 02 năm 2025"),
    # Decree 30 pads only months 1 and 2 (a digit put before them makes 11 or 12)
    (date(2025, 3, 3), "ngày 03 tháng 3 năm 2025"),
    (date(2024, 9, 10), "ngày 10 tháng 9 năm 2024"),
    (date(2027, 11, 30), "ngày 30 tháng 11 năm 2027"),
])
def test_dates_are_written_as_decree_30_says(day, written):
    assert decree_30_date(day) == written


LONG_NAMES = {"vi": "Tôn Nữ Hoàng Thị Phương Khuê Nguyễn Phước Bảo Ngọc Trâm",
              "en": "Alexandra Catherine Montgomery-Whitfield Featherstonehaugh",
              "ko": "남궁 알렉산드라 캐서린 몽고메리 휘트필드 페더스톤호 민서"}
LONG_TITLES = {
    "vi": "Kỹ năng số, chuyển đổi số và bảo đảm an toàn, an ninh thông tin mạng trong hoạt "
          "động công vụ của cán bộ, công chức, viên chức ngành ngoại giao giai đoạn 2025–2030",
    "en": "Digital skills, digital transformation and the security of networked information "
          "in the daily work of the officials and public employees of the diplomatic service",
    "ko": "외교 분야 공무원 및 공공 직원을 위한 공무 수행 중의 디지털 역량, 디지털 전환 및 네트워크 "
          "정보 보안 확보 과정: 기초부터 실무까지, 2025–2030년 교육 과정",
}


@pytest.mark.parametrize("language", ["vi", "en", "ko"])
def test_a_long_name_and_course_title_stay_on_one_page_clear_of_the_signature(app, db, tmp_path,
                                                                             language):
    steps.course(tmp_path, validity=24, language=language, title=LONG_TITLES[language])
    holder = steps.official(LONG_NAMES[language])
    certificate = steps.complete(holder)
    data = steps.fetch_pdf(new_client(app, holder), certificate.id)

    assert len(steps.reader(data).pages) == 1
    text = " ".join(steps.pdf_text(data).split())
    for word in (*LONG_NAMES[language].split(), *LONG_TITLES[language].split()):
        assert word in text, f"{word!r} not on the page:\n{text}"
    # the body's last line (the expiry) ends above the first line of the signature block
    expiry = steps.text_box(data, translated(language, "Valid until"))
    signature = steps.text_box(data, "Hà Nội, ")
    assert expiry[1] > signature[3], (expiry, signature)


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

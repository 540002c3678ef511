"""The officials import reads UTF-8 and UTF-16 files and refuses any other bytes with a clear
message (web page and `flask users import`), never a server error."""

from __future__ import annotations

import io

import pytest

from learning import clock
from learning.accounts import importer
from tests.accounts.test_import import GOOD_CSV, user
from tests.conftest import translated, visible_text

NOT_TEXT = ("The file is not text in UTF-8, or in UTF-16 with a byte order mark. In Excel, "
            "save it as “CSV UTF-8” or “Unicode Text” and choose it again.")
# As Excel's "Unicode Text" writes it: UTF-16 little-endian with its mark, tab-separated.
READABLE = {
    "utf-8": GOOD_CSV.encode("utf-8"),
    "utf-8 with BOM": GOOD_CSV.encode("utf-8-sig"),
    "utf-16 LE with BOM": GOOD_CSV.encode("utf-16-le").join([b"\xff\xfe", b""]),
    "utf-16 BE with BOM": GOOD_CSV.encode("utf-16-be").join([b"\xfe\xff", b""]),
    "Excel Unicode Text": "\ufeff".encode("utf-16-le")
    + GOOD_CSV.replace(",", "\t").replace("\n", "\r\n").encode("utf-16-le"),
}
UNREADABLE = {
    "utf-16 LE without BOM": GOOD_CSV.encode("utf-16-le"),
    "utf-16 BE without BOM": GOOD_CSV.encode("utf-16-be"),
    "utf-16 cut in the middle of a character": b"\xff\xfe" + GOOD_CSV.encode("utf-16-le")[:-1],
    "a picture renamed .csv": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
    "control characters": b"staff_number,full_name\x01\x02,department\n",
}


@pytest.mark.parametrize("encoding", READABLE)
def test_utf8_and_utf16_files_import(db, encoding):
    records = importer.read_records("can-bo.csv", READABLE[encoding])
    report = importer.import_officials(None, records, now=clock.now())
    assert report.ok, report.errors
    assert report.created == 4
    assert user(db, "BNG-0104").full_name == "Đặng Quốc Bảo"


@pytest.mark.parametrize("encoding", UNREADABLE)
def test_other_bytes_are_refused_with_a_message(encoding):
    with pytest.raises(importer.ImportFileError) as refused:
        importer.read_records("can-bo.csv", UNREADABLE[encoding])
    assert str(refused.value.message) == NOT_TEXT


def test_admin_uploads_a_utf16_file(client, db, login_as):
    login_as("admin")
    response = client.post("/admin/import", data={
        "file": (io.BytesIO(READABLE["Excel Unicode Text"]), "can-bo.txt"),
        "create_departments": "y"}, content_type="multipart/form-data")
    assert response.status_code == 200, visible_text(response)[:1000]
    assert user(db, "BNG-0107").full_name == "Lê Thị Thu Hà"


@pytest.mark.parametrize("language", ["vi", "en", "ko"])
def test_admin_is_told_to_save_utf16_without_bom_again(client, db, login_as, language):
    login_as("admin", preferred_language=language)
    response = client.post("/admin/import", data={
        "file": (io.BytesIO(UNREADABLE["utf-16 LE without BOM"]), "can-bo.csv"),
        "create_departments": "y"}, content_type="multipart/form-data")
    assert response.status_code == 400
    message = translated(language, NOT_TEXT)
    assert language == "en" or message != NOT_TEXT, "the message must be translated"
    assert message in visible_text(response)
    assert user(db, "BNG-0104") is None


def test_cli_imports_utf16_and_refuses_utf16_without_bom(runner, db, tmp_path):
    good = tmp_path / "with-bom.csv"
    good.write_bytes(READABLE["utf-16 LE with BOM"])
    result = runner.invoke(args=["users", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "4 created" in result.output

    bad = tmp_path / "without-bom.csv"
    bad.write_bytes(UNREADABLE["utf-16 BE without BOM"])
    result = runner.invoke(args=["users", "import", str(bad)])
    assert result.exit_code != 0
    assert translated("vi", NOT_TEXT) in result.output
    assert "Traceback" not in result.output


def test_a_cell_with_a_nul_is_a_row_error(db):
    # No reader lets one through today (decode_text refuses them, XML cannot hold them): the
    # check guards the service itself, which takes records from any reader.
    records = [(1, ["staff_number", "full_name", "department"]),
               (2, ["BNG-0301", "Ngô\x00Minh Tuấn", "Bộ Ngoại giao"]),
               (3, ["BNG-0302", "Võ Thị Mai Phương", "Bộ Ngoại giao\x01"])]
    report = importer.import_officials(None, records, now=clock.now())
    assert [(e.line, e.column) for e in report.errors] == [(2, "full_name"), (3, "department")]
    assert str(report.errors[0].message) == translated("vi", "Remove the invalid characters.")
    assert user(db, "BNG-0301") is None

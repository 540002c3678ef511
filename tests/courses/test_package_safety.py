"""A course package can publish nothing but its own files, and a bad one gets a clear refusal:
symbolic links in folders, damaged or hostile zips (built byte by byte here), and text fields
holding control characters or longer than the database keeps."""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from courses import services as course_services
from courses.models import Course
from courses.packages import PackageError, parse_package, read_directory, read_zip, write_zip
from tests import factories
from tests.courses.test_import import NOW, blobs, listed_problems, upload
from tests.conftest import visible_text

SECRET = b"-----BEGIN PRIVATE KEY-----\nsecret signing key\n-----END PRIVATE KEY-----\n"
LINK = "is a symbolic link"


def problems_of(call) -> list[tuple[str, str]]:
    """(file, message) of every problem `call()` is refused with."""
    with pytest.raises(PackageError) as refused:
        call()
    return [(problem.file, problem.message) for problem in refused.value.problems]


def course_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Course))


@pytest.fixture
def server_key(tmp_path) -> Path:
    """A file of the server that no package may publish (instance/signing-key.pem)."""
    key = tmp_path / "instance" / "signing-key.pem"
    key.parent.mkdir()
    key.write_bytes(SECRET)
    return key


@pytest.fixture
def package(tmp_path) -> Path:
    return factories.write_package(tmp_path / "goi", factories.course_package(lessons=("a",)))


# --- folders -----------------------------------------------------------------------------------

def test_a_symlink_to_a_server_file_is_refused_by_name_and_never_stored(
        runner, app, db, package, server_key):
    (package / "01-co-ban" / "images").mkdir()
    (package / "01-co-ban" / "images" / "key.png").symlink_to(server_key)
    stored = blobs(app)
    assert problems_of(lambda: read_directory(package)) == [("01-co-ban/images/key.png", LINK + (
        ": a package must hold its files themselves (a link could publish a file of the "
        "server)"))]

    result = runner.invoke(args=["courses", "import", str(package)])
    assert result.exit_code == 1
    assert "01-co-ban/images/key.png: is a symbolic link" in result.stderr
    assert course_count(db) == 0
    assert blobs(app) == stored
    assert not any(path.read_bytes() == SECRET for path in blobs(app))


@pytest.mark.parametrize("make_link, name", [
    (lambda pkg, key: (pkg / "01-co-ban" / "tai-lieu").symlink_to(key.parent,
                                                                  target_is_directory=True),
     "01-co-ban/tai-lieu"),  # a folder inside the package that is a link
    (lambda pkg, key: (pkg / "02-them").symlink_to(pkg / "01-co-ban", target_is_directory=True),
     "02-them"),  # even to a folder of the package itself
    (lambda pkg, key: (pkg / "01-co-ban" / "anh.png").symlink_to(pkg / "course.toml"),
     "01-co-ban/anh.png"),  # even to a file of the package itself
    (lambda pkg, key: (pkg / "01-co-ban" / "mat.png").symlink_to(pkg / "khong-co.png"),
     "01-co-ban/mat.png"),  # a dangling link
    (lambda pkg, key: (pkg / "README.md").symlink_to("../instance/signing-key.pem"),
     "README.md"),  # relative, to a file that is never served but would be exported
])
def test_every_symlink_is_refused_by_name(package, server_key, make_link, name):
    make_link(package, server_key)
    found = problems_of(lambda: read_directory(package))
    assert [file for file, _ in found] == [name]
    assert found[0][1].startswith(LINK)


def test_a_fifo_is_refused(package):
    os.mkfifo(package / "01-co-ban" / "ong.png")
    assert problems_of(lambda: read_directory(package)) == [
        ("01-co-ban/ong.png", "is not a plain file (a device, pipe or socket)")]


def test_a_package_folder_named_through_a_link_is_read(db, tmp_path, package, server_key):
    """The admin names the package root (a deployment's `current -> releases/...`); only what
    is inside must be real. Ignored names (.git, _drafts) are never read, links or not."""
    current = tmp_path / "current"
    current.symlink_to(package, target_is_directory=True)
    (package / ".cache").symlink_to(server_key)
    files = read_directory(current)
    assert files == read_directory(package)
    assert ".cache" not in files and SECRET not in files.values()
    result = course_services.import_package(None, files, now=NOW)
    assert result.created


# --- zips, built byte by byte ------------------------------------------------------------------

# Offsets of the fields in a local file header (PK\3\4) and a central directory entry (PK\1\2).
LOCAL = {"flags": 6, "method": 8, "crc": 14, "compressed": 18, "size": 22}
CENTRAL = {"flags": 8, "method": 10, "crc": 16, "compressed": 20, "size": 24, "external": 38}
WIDTH = {"flags": 2, "method": 2, "crc": 4, "compressed": 4, "size": 4, "external": 4}


def headers(data: bytes, name: str) -> list[tuple[int, dict]]:
    """(offset, field offsets) of the local header and the central entry naming `name`."""
    found, encoded = [], name.encode()
    for signature, fields, name_at, length_at in ((b"PK\x03\x04", LOCAL, 30, 26),
                                                  (b"PK\x01\x02", CENTRAL, 46, 28)):
        start = data.find(signature)
        while start >= 0:
            length = struct.unpack_from("<H", data, start + length_at)[0]
            if data[start + name_at:start + name_at + length] == encoded:
                found.append((start, fields))
            start = data.find(signature, start + 1)
    assert len(found) == 2, f"{name} not found once in each directory"
    return found


def patch(data: bytes, name: str, **values: int) -> bytes:
    """Set header fields of entry `name` in both the local header and the central directory."""
    out = bytearray(data)
    for start, fields in headers(data, name):
        for field, value in values.items():
            if field in fields:
                fmt = "<H" if WIDTH[field] == 2 else "<I"
                struct.pack_into(fmt, out, start + fields[field], value)
    return bytes(out)


def good_files() -> dict[str, bytes]:
    package = factories.course_package(lessons=("a",))
    files = {"course.toml": factories.toml_text(package["course"]).encode(),
             "01-co-ban/module.toml": b'slug = "co-ban"\ntitle = "C\xc6\xa1 b\xe1\xba\xa3n"\n',
             "01-co-ban/01-a.md": factories.lesson_text("a", "Bài A", "Nội dung.\n").encode()}
    parse_package(files)  # a sound package, so only the change under test is wrong
    return files


def zipped(extra: dict[str, bytes], method=zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for path, data in {**good_files(), **extra}.items():
            archive.writestr(path, data)
    return out.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
BOMB = b"\x00" * (1 << 20)  # 1 MiB of zeros deflates to about 1 KiB


def crc_damaged() -> bytes:
    data = zipped({"01-co-ban/so-do.png": PNG})
    start = headers(data, "01-co-ban/so-do.png")[0][0] + 30 + len("01-co-ban/so-do.png")
    return data[:start + 20] + bytes([data[start + 20] ^ 0xFF]) + data[start + 21:]


def duplicate() -> bytes:
    data = zipped({"01-co-ban/hinh-1.png": PNG, "01-co-ban/hinh-2.png": b"GIF89a"})
    # Rename the second entry to the first's name in both directories (same length).
    return data.replace(b"01-co-ban/hinh-2.png", b"01-co-ban/hinh-1.png")


def symlink_entry() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path, data in good_files().items():
            archive.writestr(path, data)
        info = zipfile.ZipInfo("01-co-ban/key.png")
        info.create_system = 3  # Unix: the mode sits in the high 16 bits
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "../../instance/signing-key.pem")
    return out.getvalue()


BAD_ZIPS = {
    "crc": (crc_damaged, "01-co-ban/so-do.png",
            "is damaged: its content does not match its checksum (or its declared size)"),
    "encrypted": (lambda: patch(zipped({"01-co-ban/so-do.png": PNG}), "01-co-ban/so-do.png",
                                flags=0x1), "01-co-ban/so-do.png",
                  "is encrypted: zip the package without a password"),
    "method": (lambda: patch(zipped({"01-co-ban/so-do.png": PNG}), "01-co-ban/so-do.png",
                             method=99), "01-co-ban/so-do.png",
               "uses compression method 99, which cannot be read here: zip the package with "
               "ordinary (deflate) compression"),
    "deflate64": (lambda: patch(zipped({"01-co-ban/so-do.png": PNG}, zipfile.ZIP_DEFLATED),
                                "01-co-ban/so-do.png", method=9), "01-co-ban/so-do.png",
                  "uses compression method 9"),
    "bomb": (lambda: patch(zipped({"01-co-ban/bom.png": BOMB}, zipfile.ZIP_DEFLATED),
                           "01-co-ban/bom.png", size=100), "01-co-ban/bom.png",
             "is damaged: its content does not match its checksum (or its declared size)"),
    "overstated": (lambda: patch(zipped({"01-co-ban/so-do.png": PNG}, zipfile.ZIP_DEFLATED),
                                 "01-co-ban/so-do.png", size=len(PNG) + 500),
                   "01-co-ban/so-do.png", "is damaged"),
    "duplicate": (duplicate, "01-co-ban/hinh-1.png", "is in the archive twice"),
    "symlink": (symlink_entry, "01-co-ban/key.png", LINK),
}


@pytest.mark.parametrize("case", list(BAD_ZIPS))
def test_a_bad_zip_is_refused_naming_the_entry(case):
    build, name, message = BAD_ZIPS[case]
    found = problems_of(lambda: read_zip(build(), 10**8))
    assert len(found) == 1, found
    assert found[0][0] == name
    assert found[0][1].startswith(message), found


def test_a_zip_bomb_is_stopped_at_its_declared_size_before_unpacking(db):
    honest = zipped({"01-co-ban/bom.png": BOMB}, zipfile.ZIP_DEFLATED)
    assert len(honest) < 20_000
    assert problems_of(lambda: read_zip(honest, 500_000)) == [
        ("(zip)", "the unpacked package is too large")]


def test_the_admin_sees_each_bad_zip_refused_by_name_never_an_error_page(client, login_as, db):
    login_as("admin")
    for case, (build, name, message) in BAD_ZIPS.items():
        response = client.post("/admin/courses", data={
            "package": (io.BytesIO(build()), "goi.zip")}, content_type="multipart/form-data")
        assert response.status_code == 400, case
        assert any(item.startswith(f"{name} {message}") for item in listed_problems(response)), (
            case, listed_problems(response))
    assert course_count(db) == 0


def test_no_damage_to_a_zip_gives_anything_but_a_package_problem():
    """Flip every byte of the headers, and cut the archive anywhere: each result is read, or
    refused with problems; no other exception (a 500 on the admin page) ever escapes."""
    files = good_files()
    files["01-co-ban/so-do.png"] = PNG
    data = write_zip(files, "goi")
    cases = [data[:cut] for cut in range(0, len(data), 3)]
    for start, fields in [found for name in files for found in headers(data, "goi/" + name)]:
        end = start + (46 if fields is CENTRAL else 30)
        cases += [data[:i] + bytes([data[i] ^ mask]) + data[i + 1:]
                  for i in range(start, end) for mask in (0x01, 0x80, 0xFF)]
    outcomes = {"read": 0, "refused": 0}
    for case in cases:
        try:
            parse_package(read_zip(case, 10**6))
        except PackageError as error:
            assert error.problems and all(p.message for p in error.problems)
            outcomes["refused"] += 1
        else:
            outcomes["read"] += 1
    assert outcomes["refused"] > 100 and outcomes["read"] > 0, outcomes


# --- text fields -------------------------------------------------------------------------------

def refused_package(tmp_path, *, files=None, **course) -> list[tuple[str, int | None, str]]:
    root = factories.write_package(tmp_path / "p", factories.course_package(**course),
                                   files=files)
    with pytest.raises(PackageError) as refused:
        parse_package(read_directory(root))
    return [(p.file, p.line, p.message) for p in refused.value.problems]


@pytest.mark.parametrize("field, value, message", [
    ("version", "1.0\r\nSet-Cookie: session=x", "“version” holds a control character (U+000D, "
                                                "at character 4)"),
    ("version", "1.0\n", "“version” holds a control character (U+000A, at character 4)"),
    ("version", "1.0\x00", "“version” holds a control character (U+0000"),
    ("title", "Kỹ năng số\u202e ốs gnăn ỹK", "“title” holds a control character (U+202E"),
    ("title", "Kỹ năng\tsố", "“title” holds a control character (U+0009"),
    ("version", "1." + "0" * 39, "“version” is longer than 40 characters"),
    ("title", "Kỹ năng số " * 28, "“title” is longer than 300 characters"),
    ("family", "ho-" * 27, "“family” is longer than 80 characters"),
    ("summary", "Dòng một.\x07", "“summary” holds a control character (U+0007"),
    ("topics", ["an toàn\nthông tin"], "“topics” holds a control character (U+000A"),
])
def test_course_toml_text_with_control_characters_or_too_long_is_refused(
        tmp_path, field, value, message):
    found = refused_package(tmp_path, **{field: value})
    assert len(found) == 1 and found[0][0] == "course.toml", found
    assert found[0][2].startswith(message), found
    if field in ("version", "title"):
        assert found[0][1] == (4 if field == "version" else 2)  # the field's line


def test_a_summary_may_have_several_lines(db, tmp_path):
    course = factories.make_course(tmp_path, summary="Dòng một.\nDòng hai.\tcó tab.")
    assert course.summary == "Dòng một.\nDòng hai.\tcó tab."


@pytest.mark.parametrize("files, expected", [
    ({"01-co-ban/01-a.md": '---\nslug: a\ntitle: "Bài\\r\\nA"\n---\nChữ.\n'},
     ("01-co-ban/01-a.md", 3, "“title” holds a control character (U+000D")),
    ({"01-co-ban/01-a.md": "---\nslug: " + "a" * 81 + "\ntitle: A\n---\n"},
     ("01-co-ban/01-a.md", 2, "“slug” is longer than 80 characters")),
    ({"01-co-ban/module.toml": 'slug = "co-ban"\ntitle = "Cơ\\u0085bản"\n'},
     ("01-co-ban/module.toml", 2, "“title” holds a control character (U+0085")),
    ({"01-co-ban/module.toml": 'slug = "co-ban\\n"\ntitle = "Cơ bản"\n'},
     ("01-co-ban/module.toml", 1, "“slug” holds a control character (U+000A")),
    ({"01-co-ban/hinh\nanh.png": PNG},
     ("01-co-ban/hinh\\u000aanh.png", None, "the file name holds a control character")),
    ({"01-co-ban/" + ("a" * 99 + "/") * 5 + "x.png": PNG},
     ("01-co-ban/" + ("a" * 99 + "/") * 5 + "x.png", None,
      "the path is longer than 500 characters")),
])
def test_lesson_module_and_file_names_are_checked_too(tmp_path, files, expected):
    found = refused_package(tmp_path, files=files, lessons=("a",))
    assert len(found) == 1 and found[0][:2] == expected[:2], found
    assert found[0][2].startswith(expected[2]), found


def test_the_admin_sees_a_version_with_a_line_break_refused(client, login_as, db, tmp_path):
    login_as("admin")
    root = factories.write_package(tmp_path / "p", factories.course_package(
        version="1.0\r\nX-Injected: yes"))
    response = upload(client, read_directory(root))
    assert response.status_code == 400
    assert listed_problems(response) == [
        "course.toml:4 “version” holds a control character (U+000D, at character 4): write it "
        "on one line, in plain text"]
    assert course_count(db) == 0


def test_export_of_a_version_stored_before_the_check_still_downloads(client, login_as, db,
                                                                     tmp_path):
    course = factories.make_course(tmp_path, "cu")
    course.version = "1.0\r\nX-Injected: yes"
    db.session.commit()
    login_as("admin")
    response = client.get("/admin/courses/cu/export.zip")
    assert response.status_code == 200
    assert "X-Injected" not in response.headers
    assert "\r" not in response.headers["Content-Disposition"]
    assert read_zip(response.data, 10**8)["course.toml"].startswith(b'slug = "cu"')
    assert visible_text(client.get("/admin/courses"))  # the page still lists it


def test_the_cli_refuses_a_damaged_zip_by_entry_without_a_traceback(runner, db, tmp_path):
    path = tmp_path / "goi.zip"
    path.write_bytes(crc_damaged())
    result = runner.invoke(args=["courses", "import", str(path)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{path}: refused, 1 problem(s):\n  01-co-ban/so-do.png: is damaged: its content " \
           "does not match its checksum" in result.stderr
    assert "Traceback" not in result.output
    assert course_count(db) == 0

"""Importing course packages (service, CLI, admin upload), exporting them, refusing bad ones."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from courses import services as course_services
from courses.models import Course, CourseFile, Lesson, Module
from courses.packages import PackageError, read_directory, read_zip, write_zip
from learning.accounts.models import AuditEvent
from tests import factories
from tests.conftest import location_path, translated, visible_text

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # not a real picture: bytes are bytes
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40


def full_package() -> dict:
    """Two modules whose folder order differs from their slugs' alphabetical order."""
    return {
        "course": {
            "slug": "ky-nang-so", "title": "Kỹ năng số cho cán bộ",
            "summary": "Cổng thông tin, văn bản điện tử, chữ ký số.", "language": "vi",
            "version": "1.2.0", "topics": ["văn bản điện tử", "an toàn thông tin"],
            "family": "digital-skills", "completion": {"rule": "all_lessons"},
        },
        "modules": [
            {"slug": "van-ban", "title": "Văn bản điện tử", "summary": "Đến và đi.",
             "folder": "01-van-ban", "lessons": [
                 {"slug": "van-ban-den", "title": "Văn bản đến", "minutes": 12,
                  "file": "01-den.md", "body": "# Văn bản đến\n\n![Sổ](images/so.png)\n"},
                 {"slug": "chu-ky-so", "title": "Chữ ký số", "file": "02-ky.md",
                  "body": '<video src="media/ky-so.mp4"></video>\n'},
             ]},
            {"slug": "an-toan", "title": "An toàn thông tin", "folder": "02-an-toan", "lessons": [
                {"slug": "mat-khau", "title": "Mật khẩu", "minutes": 8},
            ]},
        ],
    }


def write_full(tmp_path) -> Path:
    return factories.write_package(tmp_path / "goi", full_package(), files={
        "01-van-ban/images/so.png": PNG,
        "01-van-ban/media/ky-so.mp4": MP4,
        "README.md": "# Gói khoá học\r\nGhi chú cho tác giả.\r\n",
    })


def counts(db) -> dict[str, int]:
    """Row counts of everything an import writes."""
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Course, Module, Lesson, CourseFile, AuditEvent)}


def blobs(app) -> set[Path]:
    return {p for p in Path(app.config["MEDIA_DIR"]).rglob("*") if p.is_file()}


def tree(root: Path) -> dict[str, bytes]:
    """Every file below `root`, hidden ones included, by relative path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def course_snapshot(db, slug: str) -> dict:
    """Everything about a course that an import may change."""
    db.session.expire_all()
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    lessons = db.session.execute(
        select(Lesson.id, Lesson.slug, Lesson.position, Lesson.title, Lesson.body_markdown,
               Lesson.body_html, Lesson.content_digest, Lesson.is_removed, Lesson.updated_at)
        .where(Lesson.course_id == course.id).order_by(Lesson.id)).all()
    files = db.session.execute(
        select(CourseFile.id, CourseFile.path, CourseFile.digest)
        .where(CourseFile.course_id == course.id).order_by(CourseFile.id)).all()
    return {"course": (course.id, course.title, course.version, course.package_digest,
                       course.updated_at, course.search_text),
            "lessons": lessons, "files": files, "counts": counts(db)}


# --- a good package --------------------------------------------------------------------------

def test_good_package_becomes_a_course_with_modules_and_lessons_in_order(db, tmp_path):
    result = course_services.import_package(None, read_directory(write_full(tmp_path)), now=NOW)
    db.session.commit()

    assert result.created and result.changed and result.lessons_added == 3
    course = db.session.scalar(select(Course).where(Course.slug == "ky-nang-so"))
    assert (course.title, course.language, course.version, course.family) == (
        "Kỹ năng số cho cán bộ", "vi", "1.2.0", "digital-skills")
    assert course.summary == "Cổng thông tin, văn bản điện tử, chữ ký số."
    assert course.topic_list == ["văn bản điện tử", "an toàn thông tin"]
    assert course.completion_rule == "all_lessons"
    assert course.estimated_minutes == 12 + 5 + 8  # no course figure: the lessons' sum
    assert [(m.slug, m.title, m.position) for m in course.modules] == [
        ("van-ban", "Văn bản điện tử", 0), ("an-toan", "An toàn thông tin", 1)]
    assert course.modules[0].summary == "Đến và đi."
    lessons = course_services.active_lessons(course.id)
    assert [(l.slug, l.title, l.estimated_minutes, l.module.slug) for l in lessons] == [
        ("van-ban-den", "Văn bản đến", 12, "van-ban"),
        ("chu-ky-so", "Chữ ký số", 5, "van-ban"),   # 5 minutes when the lesson does not say
        ("mat-khau", "Mật khẩu", 8, "an-toan"),
    ]
    assert [l.position for l in lessons] == [1, 2, 3]
    assert lessons[0].source_path == "01-van-ban/01-den.md"
    assert lessons[0].body_markdown.lstrip().startswith("# Văn bản đến")
    assert {f.path: f.media_type for f in course.files} == {
        "course.toml": "application/toml", "README.md": "text/markdown; charset=utf-8",
        "01-van-ban/module.toml": "application/toml",
        "01-van-ban/01-den.md": "text/markdown; charset=utf-8",
        "01-van-ban/02-ky.md": "text/markdown; charset=utf-8",
        "01-van-ban/images/so.png": "image/png", "01-van-ban/media/ky-so.mp4": "video/mp4",
        "02-an-toan/module.toml": "application/toml",
        "02-an-toan/01-mat-khau.md": "text/markdown; charset=utf-8",
    }
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "course.import"))
    assert audit.target_id == course.id


def test_course_toml_minutes_override_the_lessons_sum(db, tmp_path):
    course = factories.make_course(tmp_path, estimated_minutes=300)
    assert course.estimated_minutes == 300
    other = factories.make_course(tmp_path, "khac", lessons=(
        {"slug": "x", "title": "X", "minutes": 7}, {"slug": "y", "title": "Y", "minutes": 9}))
    assert other.estimated_minutes == 16


def test_cli_import_then_export_gives_the_same_folder_byte_for_byte(runner, db, tmp_path):
    source = write_full(tmp_path)
    result = runner.invoke(args=["courses", "import", str(source)])
    assert result.exit_code == 0, result.output
    assert "ky-nang-so: imported version 1.2.0 (3 lessons)." in result.stdout

    out = tmp_path / "xuat"
    result = runner.invoke(args=["courses", "export", "ky-nang-so", str(out)])
    assert result.exit_code == 0, result.output
    assert tree(out) == tree(source)

    result = runner.invoke(args=["courses", "export", "ky-nang-so", str(tmp_path / "goi.zip")])
    assert result.exit_code == 0, result.output
    data = (tmp_path / "goi.zip").read_bytes()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert all(name.startswith("ky-nang-so/") for name in names)
    assert read_zip(data, 10**8) == tree(source)


def test_export_refuses_a_folder_that_is_not_empty(runner, db, tmp_path):
    factories.make_course(tmp_path, "xuat-thu")
    out = tmp_path / "day"
    out.mkdir()
    (out / "giu-lai.txt").write_text("không được ghi đè")
    result = runner.invoke(args=["courses", "export", "xuat-thu", str(out)])
    assert result.exit_code != 0
    assert "is not empty" in result.output
    assert tree(out) == {"giu-lai.txt": "không được ghi đè".encode()}


def test_exported_zip_reimports_as_already_up_to_date(runner, db, tmp_path):
    source = write_full(tmp_path)
    assert runner.invoke(args=["courses", "import", str(source)]).exit_code == 0
    runner.invoke(args=["courses", "export", "ky-nang-so", str(tmp_path / "goi.zip")])
    before = course_snapshot(db, "ky-nang-so")
    result = runner.invoke(args=["courses", "import", str(tmp_path / "goi.zip")])
    assert result.exit_code == 0, result.output
    assert "ky-nang-so: already up to date (version 1.2.0)." in result.stdout
    assert course_snapshot(db, "ky-nang-so") == before


def test_reimporting_identical_content_changes_nothing(runner, db, tmp_path):
    source = write_full(tmp_path)
    runner.invoke(args=["courses", "import", str(source)])
    before = course_snapshot(db, "ky-nang-so")

    result = runner.invoke(args=["courses", "import", str(source)])
    assert result.exit_code == 0
    assert "already up to date" in result.stdout
    assert course_snapshot(db, "ky-nang-so") == before  # not even updated_at or an audit row

    again = course_services.import_package(None, read_directory(source), now=NOW)
    assert not again.changed and not again.created


def test_new_version_reports_added_removed_and_changed_lessons(runner, db, tmp_path):
    factories.write_package(tmp_path / "p", factories.course_package(lessons=("a", "b", "c")))
    runner.invoke(args=["courses", "import", str(tmp_path / "p")])
    package = factories.course_package(lessons=(
        {"slug": "a", "title": "Bài A", "body": "Nội dung mới.\n"}, "c", "d"), version="2.0.0")
    factories.write_package(tmp_path / "p2", package)

    result = runner.invoke(args=["courses", "import", str(tmp_path / "p2")])
    assert result.exit_code == 0, result.output
    assert "ky-nang-so-thu: updated to version 2.0.0 (1 added, 1 removed, 1 changed)." \
        in result.stdout  # a has new text; c only moved to another file name
    course = db.session.scalar(select(Course).where(Course.slug == "ky-nang-so-thu"))
    assert [l.slug for l in course_services.active_lessons(course.id)] == ["a", "c", "d"]
    assert course.version == "2.0.0"


# --- the admin upload ------------------------------------------------------------------------

def translated_plural(locale: str, singular: str, plural: str, num: int) -> str:
    from flask_babel import force_locale, ngettext

    with force_locale(locale):
        return ngettext(singular, plural, num)


def listed_problems(response) -> list[str]:
    """The problems the admin page lists, as "file:line message"."""
    import html
    import re

    items = re.findall(r'<ul class="problem-list">(.*?)</ul>', response.data.decode(), re.S)
    return [html.unescape(" ".join(re.sub(r"<[^>]+>", "", item).split()))
            for item in re.findall(r"<li>(.*?)</li>", items[0], re.S)] if items else []


def upload(client, files: dict[str, bytes], name="goi.zip"):
    data = write_zip(files, "goi")
    return client.post("/admin/courses", data={"package": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_admin_uploads_a_zip_and_sees_the_course(client, login_as, db, tmp_path):
    login_as("admin")
    files = read_directory(write_full(tmp_path))
    response = upload(client, files)
    assert response.status_code == 302
    assert location_path(response) == "/admin/courses"
    page = client.get("/admin/courses")
    text = visible_text(page)
    assert translated("vi", "Course “%(title)s” imported.", title="Kỹ năng số cho cán bộ") in text
    assert "ky-nang-so" in text and "1.2.0" in text
    course = db.session.scalar(select(Course).where(Course.slug == "ky-nang-so"))
    assert len(course_services.active_lessons(course.id)) == 3

    response = upload(client, files)
    assert response.status_code == 302
    assert translated("vi", "“%(title)s” is already up to date.", title="Kỹ năng số cho cán bộ") \
        in visible_text(client.get("/admin/courses"))

    export = client.get("/admin/courses/ky-nang-so/export.zip")
    assert export.status_code == 200
    assert export.mimetype == "application/zip"
    assert read_zip(export.data, 10**8) == files


def test_admin_upload_of_a_bad_package_lists_every_problem_and_imports_nothing(
        client, login_as, db, tmp_path):
    login_as("admin")
    before = counts(db)
    package = factories.course_package(lessons=(
        "a", {"slug": "a", "title": "Bài trùng"},
        {"slug": "b", "title": "Bài B", "body": "Xem hình.\n\n![Hình](images/khong-co.png)\n"}))
    files = read_directory(factories.write_package(tmp_path / "p", package,
                                                   files={"01-co-ban/chay.exe": b"MZ"}))
    response = upload(client, files)
    assert response.status_code == 400
    text = visible_text(response)
    assert translated_plural("vi", "The package was refused: %(num)s problem.",
                             "The package was refused: %(num)s problems.", 3) in text
    assert listed_problems(response) == [
        "01-co-ban/chay.exe file type “.exe” is not allowed",
        "01-co-ban/02-a.md:2 lesson slug “a” is also used by 01-co-ban/01-a.md",
        "01-co-ban/03-b.md:8 “images/khong-co.png” is not a file or lesson of this package",
    ]
    assert counts(db) == before


def test_upload_that_is_not_a_zip_is_refused(client, login_as, db):
    login_as("admin")
    response = client.post("/admin/courses", data={
        "package": (io.BytesIO(b"this is not a zip"), "goi.zip")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "not a zip archive" in visible_text(response)
    assert counts(db)["Course"] == 0


def test_a_zip_with_unsafe_paths_is_refused(client, login_as, db):
    login_as("admin")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("course.toml", factories.toml_text(
            factories.course_package()["course"]))
        archive.writestr("../../etc/cron.d/evil.md", "x")
    response = client.post("/admin/courses", data={
        "package": (io.BytesIO(out.getvalue()), "goi.zip")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "unsafe path in the archive" in visible_text(response)
    assert counts(db)["Course"] == 0


def test_only_an_admin_may_upload(client, login_as, db, tmp_path):
    login_as("learner")
    files = read_directory(write_full(tmp_path))
    assert upload(client, files).status_code == 403
    assert counts(db)["Course"] == 0


# --- a bad package ---------------------------------------------------------------------------

BAD_IMAGE_LESSON = "Dòng một.\n\nDòng ba.\n\n![Ảnh](images/khong-co.png)\n"


def bad_package(tmp_path) -> Path:
    """A package with one of each problem (and nothing else wrong)."""
    package = factories.course_package(lessons=(
        "a",
        {"slug": "Bài-Một", "title": "Slug có dấu", "file": "02-bai-mot.md"},
        {"slug": "khong-ten", "title": None},
        {"slug": "a", "title": "Trùng slug"},
        {"slug": "anh", "title": "Ảnh thiếu", "body": BAD_IMAGE_LESSON},
    ))
    package["modules"].append({"slug": "hong", "title": "Hỏng", "lessons": [
        {"slug": "x", "title": "X"}]})
    return factories.write_package(tmp_path / "hong", package, files={
        "01-co-ban/06-khong-front-matter.md": "# Không có front matter\n\nChữ.\n",
        "02-hong/module.toml": 'slug = "hong"\ntitle = "Hỏng\n',
        "03-thieu-toml/01-y.md": factories.lesson_text("y", "Y"),
        "01-co-ban/tai-lieu.docx": b"PK\x03\x04",
        "script.js": "alert(1)",
    })


EXPECTED_PROBLEMS = {
    ("01-co-ban/02-bai-mot.md", 2, "slug “Bài-Một” may use only a-z, 0-9 and single hyphens"),
    ("01-co-ban/03-khong-ten.md", 2, "“title” is required"),
    ("01-co-ban/04-a.md", 2, "lesson slug “a” is also used by 01-co-ban/01-a.md"),
    ("01-co-ban/05-anh.md", 10, "“images/khong-co.png” is not a file or lesson of this package"),
    ("01-co-ban/06-khong-front-matter.md", 1, "front matter missing"),
    ("02-hong/module.toml", 2, "invalid TOML"),
    ("03-thieu-toml/module.toml", None, "missing: every module folder needs one"),
    ("01-co-ban/tai-lieu.docx", None, "file type “.docx” is not allowed"),
    ("script.js", None, "file type “.js” is not allowed"),
}


def assert_problems(problems, expected=EXPECTED_PROBLEMS):
    """Every expected (file, line, message start) is among the problems, and nothing else."""
    found = [(p.file, p.line, p.message) for p in problems]
    for file, line, message in expected:
        assert any(f == file and l == line and m.startswith(message) for f, l, m in found), (
            file, line, message, found)
    assert len(found) == len(expected), found


def test_bad_package_is_refused_whole_with_every_problem_and_nothing_written(app, db, tmp_path):
    root = bad_package(tmp_path)
    assert (root / "01-co-ban/02-bai-mot.md").exists()  # file named from the slug
    before, stored = counts(db), blobs(app)
    with pytest.raises(PackageError) as refused:
        course_services.import_package(None, read_directory(root), now=NOW)
    db.session.rollback()
    assert_problems(refused.value.problems)
    assert counts(db) == before == {"Course": 0, "Module": 0, "Lesson": 0, "CourseFile": 0,
                                    "AuditEvent": 0}
    assert blobs(app) == stored


def test_cli_lists_every_problem_with_file_and_line_and_exits_1(runner, db, tmp_path):
    result = runner.invoke(args=["courses", "import", str(bad_package(tmp_path))])
    assert result.exit_code == 1
    assert f"refused, {len(EXPECTED_PROBLEMS)} problem(s):" in result.stderr
    for file, line, message in EXPECTED_PROBLEMS:
        where = f"{file}:{line}" if line else file
        assert f"  {where}: {message}" in result.stderr
    assert counts(db)["Course"] == 0


def test_bad_toml_in_course_toml_is_reported_with_its_line(runner, db, tmp_path):
    root = factories.write_package(tmp_path / "p", factories.course_package(), files={
        "course.toml": 'slug = "toml-hong"\ntitle = "Khoá"\nlanguage = vi\nversion = "1"\n'})
    result = runner.invoke(args=["courses", "import", str(root)])
    assert result.exit_code == 1
    assert "course.toml:3: invalid TOML" in result.stderr
    assert counts(db)["Course"] == 0


@pytest.mark.parametrize("problem_files, expected", [
    ({"course.toml": None}, ("course.toml", None, "missing")),
    ({"01-co-ban/01-a.md": "---\nslug: a\ntitle: Bài: một: hai\n---\n"},
     ("01-co-ban/01-a.md", 3, "invalid front matter")),
    ({"02-them/module.toml": 'slug = "co-ban"\ntitle = "Trùng"\n',
      "02-them/01-z.md": factories.lesson_text("z", "Z")},
     ("02-them/module.toml", 1, "module slug “co-ban” is also used by 01-co-ban/module.toml")),
    ({"01-co-ban/module.toml": 'title = "Không có slug"\n'},
     ("01-co-ban/module.toml", None, "“slug” is required")),
    ({"01-co-ban/01-a.md": b"---\nslug: a\ntitle: \xff\n---\n"},
     ("01-co-ban/01-a.md", None, "not UTF-8 text")),
    ({"01-co-ban/images/bai.md": factories.lesson_text("z", "Z")},
     ("01-co-ban/images/bai.md", None, "lessons must sit directly in a module folder")),
])
def test_more_problems_refuse_the_package(db, tmp_path, problem_files, expected):
    root = factories.write_package(tmp_path / "p", factories.course_package(),
                                   files=problem_files)
    with pytest.raises(PackageError) as refused:
        course_services.import_package(None, read_directory(root), now=NOW)
    assert_problems(refused.value.problems, {expected})


def test_course_toml_problems_are_all_listed_with_their_lines(db, tmp_path):
    root = factories.write_package(tmp_path / "p", {
        "course": {"slug": "Khoá Học", "language": "fr", "topics": "một chủ đề",
                   "completion": {"rule": "khi-nao-thich"}},
        "modules": factories.course_package()["modules"]})
    with pytest.raises(PackageError) as refused:
        course_services.import_package(None, read_directory(root), now=NOW)
    assert_problems(refused.value.problems, {
        ("course.toml", 1, "slug “Khoá Học” may use only a-z, 0-9 and single hyphens"),
        ("course.toml", None, "“title” is required"),
        ("course.toml", 2, "language must be one of vi, en, ko"),
        ("course.toml", None, "“version” is required"),
        ("course.toml", 3, "topics must be a list of texts"),
        ("course.toml", 6, "completion.rule must be one of all_lessons, "
                           "all_lessons_and_quizzes"),
    })


def test_bad_toml_is_one_problem_not_one_per_unread_field(db, tmp_path):
    root = factories.write_package(tmp_path / "p", factories.course_package(), files={
        "course.toml": 'slug = "a"\ntitle = "Khoá\n'})
    with pytest.raises(PackageError) as refused:
        course_services.import_package(None, read_directory(root), now=NOW)
    assert_problems(refused.value.problems, {("course.toml", 2, "invalid TOML")})


def test_bad_reimport_leaves_the_old_version_intact(runner, db, app, tmp_path):
    root = factories.write_package(tmp_path / "p", factories.course_package())
    runner.invoke(args=["courses", "import", str(root)])
    before, stored = course_snapshot(db, "ky-nang-so-thu"), blobs(app)

    package = factories.course_package(lessons=(
        {"slug": "a", "title": "Bài A mới", "body": "Văn bản mới.\n"}, "b",
        {"slug": "d", "title": None}), version="2.0.0")
    factories.write_package(root, package, files={"01-co-ban/03-c.md": None,
                                                  "01-co-ban/images/moi.png": PNG})
    result = runner.invoke(args=["courses", "import", str(root)])
    assert result.exit_code == 1
    assert "01-co-ban/03-d.md:2: “title” is required" in result.stderr
    assert course_snapshot(db, "ky-nang-so-thu") == before
    assert blobs(app) == stored  # not even the new picture's bytes


def test_bad_reupload_leaves_the_old_version_intact(client, login_as, db, tmp_path):
    login_as("admin")
    root = factories.write_package(tmp_path / "p", factories.course_package())
    assert upload(client, read_directory(root)).status_code == 302
    before = course_snapshot(db, "ky-nang-so-thu")
    factories.write_package(root, factories.course_package(version="2.0.0"), files={
        "01-co-ban/01-a.md": "Không có front matter.\n"})
    response = upload(client, read_directory(root))
    assert response.status_code == 400
    assert listed_problems(response) == ["01-co-ban/01-a.md:1 front matter missing: start the "
                                         "file with a '---' block holding slug and title"]
    assert course_snapshot(db, "ky-nang-so-thu") == before


def test_export_of_a_version_with_any_text_has_a_valid_file_name(client, login_as, db,
                                                                   tmp_path):
    from werkzeug.http import parse_options_header

    factories.make_course(tmp_path, "xuat", version="1.0 – bản nháp")
    login_as("admin")
    response = client.get("/admin/courses/xuat/export.zip")
    assert response.status_code == 200
    header = response.headers["Content-Disposition"]
    header.encode("latin-1")  # what a WSGI server must be able to send
    kind, options = parse_options_header(header)
    assert kind == "attachment"
    assert options["filename"] == "xuat-1.0 – bản nháp.zip"

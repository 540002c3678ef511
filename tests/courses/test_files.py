"""Course files: images, audio, video and captions served, with ranges, to those who may open
the course's lessons (the lesson page's rule); the package's sources are never served."""

from __future__ import annotations

import pytest

from courses import services as course_services
from learning import clock
from tests import factories
from tests.conftest import location_path
from tests.courses import steps

MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8
WEBM = b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 4
VTT = "WEBVTT\n\n00:00.000 --> 00:02.000\nChữ ký số là gì?\n".encode()
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def course(db, tmp_path):
    root = factories.write_package(tmp_path / "p", factories.course_package(lessons=("a",)),
                                   files={
        "01-co-ban/media/ky-so.mp4": MP4,
        "01-co-ban/media/ky-so.webm": WEBM,
        "01-co-ban/media/ky-so.vi.vtt": VTT,
        "01-co-ban/media/doc.mp3": b"ID3" + b"\x00" * 50,
        "01-co-ban/images/so-do.svg": SVG,
        "README.md": "# Ghi chú nội bộ\n",
        "01-co-ban/GHI-CHU.MD": "---\nslug: ghi-chu\ntitle: Ghi chú viết hoa\n---\nNội dung\n",
    })
    return factories.import_course(root).course


def url(course, path: str) -> str:
    return f"/courses/{course.slug}/files/{path}"


@pytest.fixture
def reader(client, login_as, course):
    """A signed-in official enrolled in the course (who may open its lessons)."""
    user = login_as("learner")
    steps.enrol(client, course.slug)
    return user


@pytest.mark.parametrize("path, data, content_type", [
    ("01-co-ban/media/ky-so.mp4", MP4, "video/mp4"),
    ("01-co-ban/media/ky-so.webm", WEBM, "video/webm"),
    ("01-co-ban/media/ky-so.vi.vtt", VTT, "text/vtt"),
    ("01-co-ban/media/doc.mp3", b"ID3" + b"\x00" * 50, "audio/mpeg"),
])
def test_media_is_served_with_its_content_type(client, reader, course, path, data,
                                               content_type):
    response = steps.fetch(client, url(course, path))
    assert response.status_code == 200
    assert response.mimetype == content_type
    assert response.headers["Content-Type"].count("charset") == (
        1 if content_type.startswith("text/") else 0)
    assert response.data == data
    assert response.headers["Accept-Ranges"] == "bytes"


def test_a_range_request_gets_206_with_content_range(client, reader, course):
    response = steps.fetch(client, url(course, "01-co-ban/media/ky-so.mp4"),
                           headers={"Range": "bytes=100-199"})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 100-199/{len(MP4)}"
    assert response.data == MP4[100:200]

    tail = steps.fetch(client, url(course, "01-co-ban/media/ky-so.mp4"),
                       headers={"Range": "bytes=-16"})
    assert tail.status_code == 206 and tail.data == MP4[-16:]
    beyond = steps.fetch(client, url(course, "01-co-ban/media/ky-so.mp4"),
                         headers={"Range": f"bytes={len(MP4) + 10}-"})
    assert beyond.status_code == 416


def test_a_package_file_can_never_run_script(client, reader, course):
    response = steps.fetch(client, url(course, "01-co-ban/images/so-do.svg"))
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    policy = response.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", [
    "course.toml", "01-co-ban/module.toml", "01-co-ban/01-a.md", "README.md",
    "01-co-ban/GHI-CHU.MD", "01-co-ban/media/khong-co.mp4", "../../etc/passwd",
    "01-co-ban/media/../01-a.md",
])
def test_package_sources_and_unknown_paths_are_not_served(client, reader, course, path):
    assert steps.fetch(client, url(course, path)).status_code == 404


def test_files_of_an_unknown_course_are_not_found(client, login_as, course):
    login_as("learner")
    assert steps.fetch(client, "/courses/khong-co/files/01-co-ban/media/ky-so.mp4"
                       ).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, course):
    response = steps.fetch(client, url(course, "01-co-ban/media/ky-so.mp4"))
    assert response.status_code == 302
    assert location_path(response).startswith("/login")


# --- who may fetch a file: whoever may open the course's lessons -----------------------------

MEDIA = "01-co-ban/media/ky-so.vi.vtt"


def enrolled_official(db, course, roles=("learner",)):
    user = steps.official(roles=set(roles))
    course_services.enrol(user, user, course, now=clock.now())
    db.session.commit()
    return user


def statuses(app, user, course) -> tuple[int, int]:
    """(lesson page, course file) statuses for `user`: the lesson page redirects to the course
    page (302) whom it turns away; the file answers 403 (or 404 for an unpublished course)."""
    browser = steps.new_client(app, user)
    lesson = browser.get(f"/courses/{course.slug}/lessons/a").status_code
    return lesson, steps.fetch(browser, url(course, MEDIA)).status_code


@pytest.mark.parametrize("who, published, expected", [
    # published course: exactly the lesson page's rule, enrolment, for every role
    ("learner, enrolled", True, (200, 200)),
    ("learner, not enrolled", True, (302, 403)),
    ("learner, enrolled in another course only", True, (302, 403)),
    ("hr, not enrolled", True, (302, 403)),
    ("admin, not enrolled", True, (302, 403)),
    ("admin, enrolled", True, (200, 200)),
    # unpublished course: nobody's lessons open; its files only for admins (to check it)
    ("learner, enrolled", False, (404, 404)),
    ("hr, not enrolled", False, (404, 404)),
    ("admin, not enrolled", False, (404, 200)),
])
def test_course_files_follow_the_lesson_rule(app, db, tmp_path, course, who, published,
                                             expected):
    role = who.split(",")[0]
    roles = {"learner", role}
    if who.endswith(", enrolled"):
        user = enrolled_official(db, course, roles)
    else:
        user = steps.official(roles=roles)
    if "another course" in who:
        other = factories.make_course(tmp_path, "khoa-khac")
        course_services.enrol(user, user, other, now=clock.now())
        db.session.commit()
    if not published:
        course.is_published = False
        db.session.commit()
    assert statuses(app, user, course) == expected


def test_anonymous_visitors_get_no_file_of_an_unpublished_course(client, db, course):
    course.is_published = False
    db.session.commit()
    response = steps.fetch(client, url(course, MEDIA))
    assert response.status_code == 302
    assert location_path(response).startswith("/login")

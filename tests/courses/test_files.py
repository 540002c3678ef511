"""Course files: images, audio, video and captions served to signed-in officials, with ranges;
the package's sources are never served."""

from __future__ import annotations

import pytest

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


@pytest.mark.parametrize("path, data, content_type", [
    ("01-co-ban/media/ky-so.mp4", MP4, "video/mp4"),
    ("01-co-ban/media/ky-so.webm", WEBM, "video/webm"),
    ("01-co-ban/media/ky-so.vi.vtt", VTT, "text/vtt"),
    ("01-co-ban/media/doc.mp3", b"ID3" + b"\x00" * 50, "audio/mpeg"),
])
def test_media_is_served_with_its_content_type(client, login_as, course, path, data,
                                               content_type):
    login_as("learner")
    response = steps.fetch(client, url(course, path))
    assert response.status_code == 200
    assert response.mimetype == content_type
    assert response.data == data
    assert response.headers["Accept-Ranges"] == "bytes"


def test_a_range_request_gets_206_with_content_range(client, login_as, course):
    login_as("learner")
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


def test_a_package_file_can_never_run_script(client, login_as, course):
    login_as("learner")
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
def test_package_sources_and_unknown_paths_are_not_served(client, login_as, course, path):
    login_as("learner")
    assert steps.fetch(client, url(course, path)).status_code == 404


def test_files_of_an_unknown_course_are_not_found(client, login_as, course):
    login_as("learner")
    assert steps.fetch(client, "/courses/khong-co/files/01-co-ban/media/ky-so.mp4"
                       ).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, course):
    response = steps.fetch(client, url(course, "01-co-ban/media/ky-so.mp4"))
    assert response.status_code == 302
    assert location_path(response).startswith("/login")

"""Lesson Markdown: everything unsafe or remote is removed; the lesson features render; the
sanitised HTML is cached per lesson version at import and served as it was cached."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from courses.models import Lesson
from learning.markdown import RENDERER_VERSION, render
from tests import factories
from tests.courses import steps

EVIL = "evil.example"

UNSAFE = {
    "script": ('<script>alert("x")</script>Chữ', ["<script", "alert("]),
    "script in markdown text": ("Chữ <script src=\"https://evil.example/a.js\"></script>",
                                ["<script", EVIL]),
    "event handler on an image": ('<img src="images/a.png" onerror="alert(1)">', ["onerror"]),
    "event handler on a link": ('<a href="#muc" onclick="alert(1)">Mục</a>', ["onclick"]),
    "event handler on a block": ('<div onmouseover="alert(1)">Chữ</div>', ["onmouseover"]),
    "svg onload": ('<svg onload="alert(1)"><circle r="1"/></svg>', ["<svg", "onload"]),
    "javascript: markdown link": ("[bấm vào](javascript:alert(1))", ["javascript:", "alert("]),
    "javascript: in any case": ('<a href="JaVaScRiPt:alert(1)">x</a>', ["javascript:"]),
    "javascript: behind a tab": ('<a href="java&#x09;script:alert(1)">x</a>', ["script:"]),
    "iframe": (f'<iframe src="https://{EVIL}/"></iframe>', ["<iframe", EVIL]),
    "object and embed": (f'<object data="https://{EVIL}/a.swf"></object>'
                         f'<embed src="https://{EVIL}/b.swf">', ["<object", "<embed", EVIL]),
    "style element": ("<style>body { display: none }</style>Chữ", ["<style", "display"]),
    "style attribute": (f'<p style="background: url(https://{EVIL}/x.png)">Chữ</p>',
                        ["style=", EVIL]),
    "form": (f'<form action="https://{EVIL}/"><input name="password"></form>',
             ["<form", "<input", EVIL]),
    "base and meta refresh": (f'<base href="https://{EVIL}/"><meta http-equiv="refresh" '
                              f'content="0;url=https://{EVIL}/">', ["<base", "<meta", EVIL]),
    "remote stylesheet": (f'<link rel="stylesheet" href="https://{EVIL}/a.css">',
                          ["<link", EVIL]),
    "http image": (f"![Ảnh](http://{EVIL}/a.png)", [EVIL]),
    "https image": (f"![Ảnh](https://{EVIL}/a.png)", [EVIL]),
    "protocol-relative image": (f'<img src="//{EVIL}/a.png" alt="Ảnh">', [EVIL]),
    "protocol-relative image with spaces": (f'<img src="  //{EVIL}/a.png">', [EVIL]),
    "backslash host image": (f'<img src="\\\\{EVIL}/a.png">', [EVIL]),
    "slash-backslash host image": (f'<img src="/\\{EVIL}/a.png">', [EVIL]),
    "data: image": ('<img src="data:image/png;base64,iVBORw0KGgo=" alt="Ảnh">', ["data:"]),
    "srcset": (f'<img src="a.png" srcset="https://{EVIL}/a.png 2x">', ["srcset", EVIL]),
    "remote video, poster, source and track": (
        f'<video src="https://{EVIL}/v.mp4" poster="https://{EVIL}/p.png">'
        f'<source src="//{EVIL}/v.webm" type="video/webm">'
        f'<track src="http://{EVIL}/c.vtt" kind="captions"></video>', [EVIL]),
    "remote audio": (f'<audio src="https://{EVIL}/a.mp3"></audio>', [EVIL]),
    "data: audio": ('<audio src="data:audio/mpeg;base64,AAAA"></audio>', ["data:"]),
}


@pytest.mark.parametrize("source, forbidden", UNSAFE.values(), ids=UNSAFE.keys())
def test_render_removes_what_could_run_code_or_load_from_outside(source, forbidden):
    html = str(render(source)).lower()
    for text in forbidden:
        assert text.lower() not in html, html


def test_render_keeps_what_is_harmless_around_what_it_removes():
    html = str(render(f'Chữ **đậm** <img src="//{EVIL}/a.png" alt="Ảnh Bộ">'
                      '<video controls><track src="c.vtt" kind="captions" srclang="vi"></video>'))
    assert "<strong>đậm</strong>" in html
    assert 'alt="Ảnh Bộ"' in html                 # the picture's text stays for readers
    assert '<track src="c.vtt"' in html            # local captions stay


def test_links_to_other_sites_stay_links_that_open_nothing_of_ours():
    html = str(render("[Cổng thông tin](https://mofa.gov.vn/vi) và [thư](mailto:a@b.vn)"))
    assert 'href="https://mofa.gov.vn/vi"' in html
    assert 'href="mailto:a@b.vn"' in html
    assert 'rel="noopener noreferrer"' in html


FEATURES = """[TOC]

## Chữ ký số

| Bước | Việc cần làm |
|------|--------------|
| 1    | Cắm token    |

```python
print("xin chào")
```

!!! tip "Mẹo"
    Nhấn Ctrl+F để tìm nhanh.

!!! warning "Cảnh báo"
    Không bao giờ cung cấp mã OTP.

Theo Nghị định 30[^nd].

[^nd]: Nghị định 30/2020/NĐ-CP về công tác văn thư.
"""


def test_lesson_features_render():
    html = str(render(FEATURES))
    assert '<div class="toc">' in html and 'href="#chu-ky-so"' in html
    assert '<h2 id="chu-ky-so">Chữ ký số</h2>' in html
    assert "<table>" in html and "<th>Bước</th>" in html and "<td>Cắm token</td>" in html
    assert '<pre><code class="language-python">' in html and "xin chào" in html
    assert '<div class="admonition tip">' in html
    assert '<p class="admonition-title">Mẹo</p>' in html
    assert '<div class="admonition warning">' in html
    assert '<p class="admonition-title">Cảnh báo</p>' in html
    assert re.search(r'<sup id="fnref:nd"><a href="#fn:nd"[^>]*>1</a></sup>', html)
    assert '<div class="footnote">' in html and '<li id="fn:nd">' in html
    assert "Nghị định 30/2020/NĐ-CP" in html


# --- through a lesson page -------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LESSON = f"""# Bài có đủ thứ

![Màn hình đăng nhập](images/dang-nhap.png)

<script>alert("x")</script>
<img src="https://{EVIL}/theo-doi.png" onerror="alert(1)" alt="Ảnh ngoài">
<iframe src="https://{EVIL}/"></iframe>
[Đừng bấm](javascript:alert(1))

<video src="media/ky-so.mp4">
  <track kind="captions" src="media/ky-so.vi.vtt" srclang="vi" label="Tiếng Việt" default>
</video>

[Bài sau](02-b.md)

{FEATURES}"""


@pytest.fixture
def course(db, tmp_path):
    package = factories.course_package(lessons=({"slug": "a", "title": "Bài A", "body": LESSON},
                                                "b"))
    root = factories.write_package(tmp_path / "p", package, files={
        "01-co-ban/images/dang-nhap.png": PNG,
        "01-co-ban/media/ky-so.mp4": b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100,
        "01-co-ban/media/ky-so.vi.vtt": "WEBVTT\n\n00:00.000 --> 00:02.000\nXin chào\n",
    })
    return factories.import_course(root).course


def cached(db, slug: str) -> tuple[str, int, object]:
    db.session.expire_all()
    lesson = db.session.scalar(select(Lesson).where(Lesson.slug == slug))
    return lesson.body_html, lesson.html_version, lesson.updated_at


def test_lesson_page_shows_the_html_cached_at_import(client, login_as, db, course):
    body_html, html_version, _ = cached(db, "a")
    assert html_version == RENDERER_VERSION
    assert '<div class="admonition tip">' in body_html and "<table>" in body_html
    login_as("learner")
    steps.enrol(client, course.slug)
    before = cached(db, "a")

    page = steps.open_lesson(client, course.slug, "a")
    assert page.status_code == 200
    html = page.data.decode()
    assert body_html in html
    for forbidden in (EVIL, "alert(", "onerror", "javascript:", "<iframe"):
        assert forbidden not in html
    assert 'alt="Ảnh ngoài"' in html
    assert cached(db, "a") == before  # serving a lesson never rewrites its cache


def test_local_images_media_and_lesson_links_resolve_to_the_platform(client, login_as, course):
    login_as("learner")
    steps.enrol(client, course.slug)
    page_url = f"http://localhost/courses/{course.slug}/lessons/a"
    html = client.get(page_url).data.decode()

    def target(tag_pattern: str, attribute: str = "src") -> str:
        tag = re.search(tag_pattern, html).group(0)
        value = re.search(rf'\b{attribute}="([^"]+)"', tag).group(1)
        return urlsplit(urljoin(page_url, value)).path

    image = target(r'<img [^>]*alt="Màn hình đăng nhập"[^>]*>')
    assert image == f"/courses/{course.slug}/files/01-co-ban/images/dang-nhap.png"
    assert steps.fetch(client, image).data == PNG
    video = target(r"<video[^>]*>")
    assert video == f"/courses/{course.slug}/files/01-co-ban/media/ky-so.mp4"
    assert steps.fetch(client, video).status_code == 200
    captions = target(r"<track[^>]*>")
    assert steps.fetch(client, captions).data.startswith(b"WEBVTT")
    assert target(r'<a [^>]*>Bài sau', "href") == f"/courses/{course.slug}/lessons/b"


def test_a_table_corner_without_text_is_not_a_header_cell():
    html = render("|   | Sáng | Chiều |\n|---|:----:|-------|\n| Thứ Hai | Họp | Học |\n")
    headers = re.findall(r"<th[\s>][^<]*</th>", html)
    assert len(headers) == 2 and all(re.sub(r"<[^>]+>", "", h).strip() for h in headers), html
    assert re.search(r"<thead>\s*<tr>\s*<td></td>", html), html
    assert '<th style="text-align: center">Sáng</th>' in html

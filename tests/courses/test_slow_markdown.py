"""Texts that Python-Markdown would take minutes over (thousands of "[" it cannot close into
links, or of "<" opening tags that nothing closes: the time grows with the square of their
number) are refused by the package checks, by
file and line, and shown as plain text if met anyway; and a lesson cannot link to a package
source that is never served (a quiz's GIFT, a certificate's HTML)."""

from __future__ import annotations

import pytest

from courses import services as course_services
from courses.packages import PackageError, read_directory
from learning import clock
from learning.markdown import MAX_BRACKETS, markdown_to_html, render
from tests import factories
from tests.courses.test_import import MP4, PNG, full_package

def test_a_text_of_too_many_brackets_is_shown_as_plain_text():
    # 20,000 unclosed "[" took Python-Markdown a minute and a half; as plain text, no time
    html = markdown_to_html("Chữ <b>đậm</b>\n" + "[" * 20_000 + "\n\n**hai**")
    assert html == ("<p>Chữ &lt;b&gt;đậm&lt;/b&gt;<br>\n" + "[" * 20_000 + "</p>\n"
                    "<p>**hai**</p>\n")
    assert str(render("[" * 20_000 + "<script>alert(1)</script>")).count("<script") == 0
    html = markdown_to_html('<a href="x"' * 20_000)
    assert html.startswith("<p>&lt;a href=&quot;x&quot;&lt;a href")
    # a closed tag, or a "<" in a comparison, is no trouble
    assert "<b>x</b>" in markdown_to_html("<b>x</b> a < b " * (MAX_BRACKETS + 1))
    # up to the limit, Markdown as ever
    assert markdown_to_html("[" * (MAX_BRACKETS - 1) + "[a](b.png)").endswith(
        '<a href="b.png">a</a></p>')


def problems_of(tmp_path, package, files) -> list[tuple[str, int | None, str]]:
    root = factories.write_package(tmp_path / "goi", package, files={
        "01-van-ban/images/so.png": PNG, "01-van-ban/media/ky-so.mp4": MP4, **files})
    with pytest.raises(PackageError) as refused:
        course_services.import_package(None, read_directory(root), now=clock.now())
    return [(p.file, p.line, p.message) for p in refused.value.problems]


def test_a_lesson_or_question_of_too_many_brackets_is_refused_by_line(app, db, tmp_path):
    package = full_package()
    package["modules"][0]["lessons"].append(
        {"slug": "ngoac", "title": "Ngoặc", "body": "Mảng: " + "[" * (MAX_BRACKETS + 1)})
    gift = ("::Một:: Câu hỏi thường? {T}\n\n"
            "::Hai:: Chọn một " + "[" * (MAX_BRACKETS + 1) + " {=đúng ~sai}\n\n"
            "::Ba:: Chọn " + "<a " * (MAX_BRACKETS + 1) + " {=đúng ~sai}\n")
    found = problems_of(tmp_path, package, {"01-van-ban/quiz.gift": gift})
    bracket = f"{MAX_BRACKETS + 1} “[” in one text, at most {MAX_BRACKETS}"
    tags = (f"{MAX_BRACKETS + 1} “<” opening a tag that no “>” closes in one text, at most "
            f"{MAX_BRACKETS}")
    assert [(file.rsplit("/", 1)[-1], line, message) for file, line, message in found] == [
        ("03-ngoac.md", None, bracket), ("quiz.gift", 3, bracket), ("quiz.gift", 5, tags)]


def test_a_lesson_cannot_link_to_a_package_source(app, db, tmp_path):
    package = full_package()
    package["modules"][0]["lessons"].append(
        {"slug": "nguon", "title": "Nguồn", "body": "[Trang](trang.html) và [đề](quiz.gift)\n"})
    found = problems_of(tmp_path, package, {
        "01-van-ban/trang.html": "<p>x</p>",
        "01-van-ban/quiz.gift": "::Một:: Câu hỏi? {T}\n"})
    assert sorted(message for _file, _line, message in found) == [
        "“quiz.gift” is not a file or lesson of this package",
        "“trang.html” is not a file or lesson of this package"]

"""The catalog: search that ignores diacritics and case, language and topic filters, and the
course page with its outline, estimated times and the official's progress."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.conftest import page_text, translated
from tests.courses import steps
from tests.progress import pages


@pytest.fixture
def courses(db, tmp_path):
    """Three courses: two Vietnamese, one English of the same family as the first."""
    made = {}
    made["ky-nang-so"] = factories.make_course(
        tmp_path, "ky-nang-so", title="Kỹ năng số cho cán bộ", family="digital-skills",
        topics=["văn bản điện tử", "an toàn thông tin"],
        lessons=({"slug": "gioi-thieu", "title": "Giới thiệu", "minutes": 10},
                 {"slug": "tra-cuu", "title": "Tra cứu văn bản", "minutes": 15}))
    made["digital-skills"] = factories.make_course(
        tmp_path, "digital-skills", title="Digital skills for officials", language="en",
        family="digital-skills", topics=["cybersecurity"])
    made["van-ban"] = factories.make_course(
        tmp_path, "van-ban", title="Văn bản điện tử", topics=["văn bản điện tử"],
        lessons=({"slug": "chu-ky", "title": "Chữ ký số trên văn bản đi"}, "b"))
    return made


def listed(response) -> list[str]:
    """The course slugs on a catalog page, in order."""
    assert response.status_code == 200
    return re.findall(r'<article class="card course-card"[^>]*>\s*<h2><a href="/courses/([^"]+)"',
                      response.data.decode())


@pytest.mark.parametrize("query, expected", [
    ("ky nang so", ["ky-nang-so"]),
    ("KỸ NĂNG", ["ky-nang-so"]),
    ("Kỹ Năng Số", ["ky-nang-so"]),
    ("so   NĂNG", ["ky-nang-so"]),                   # every word, in any order and spacing
    ("chu ky so", ["van-ban"]),                      # a lesson title: "Chữ ký số trên văn bản đi"
    ("CHỮ KÝ", ["van-ban"]),
    ("tra cuu", ["ky-nang-so"]),                     # a lesson title of the first course
    ("an toan thong tin", ["ky-nang-so"]),           # a topic
    ("DIGITAL", ["digital-skills"]),                 # only the English version matches
    ("van ban", ["ky-nang-so", "van-ban"]),          # ordered by title
    ("", ["ky-nang-so", "van-ban"]),                 # one card per family, in Vietnamese
    ("100%", []),
    ("khong co gi", []),
])
def test_search_ignores_diacritics_and_case(client, login_as, courses, query, expected):
    login_as("learner")
    assert listed(client.get("/courses", query_string={"q": query})) == expected


def card(html: str, slug: str) -> str:
    """The catalog card whose title links to the course `slug`."""
    return re.search(rf'<article[^>]*>\s*<h2><a href="/courses/{slug}".*?</article>', html,
                     re.S).group(0)


@pytest.mark.parametrize("language, first, other, label", [
    ("vi", "ky-nang-so", "digital-skills", "Phiên bản tiếng Anh"),
    ("en", "digital-skills", "ky-nang-so", "Vietnamese version"),
    ("ko", "ky-nang-so", "digital-skills", "영어판"),  # no Korean version: Vietnamese first
])
def test_a_course_family_is_one_card_in_the_official_s_language(
        client, login_as, courses, language, first, other, label):
    """The other language versions are a secondary link on the card, not cards of their own."""
    login_as("learner", preferred_language=language)
    response = client.get("/courses")
    assert sorted(listed(response)) == sorted([first, "van-ban"])
    shown = card(response.data.decode(), first)
    link = re.search(r'<p class="course-versions"><a href="([^"]+)"[^>]*>([^<]+)</a></p>', shown)
    assert link is not None, shown
    assert link.groups() == (f"/courses/{other}", label)
    assert "course-versions" not in card(response.data.decode(), "van-ban")


def test_no_match_says_so(client, login_as, courses):
    login_as("learner")
    response = client.get("/courses", query_string={"q": "khong co gi"})
    assert translated("vi", "No course matches your search.") in page_text(response)


@pytest.mark.parametrize("filters, expected", [
    ({"language": "en"}, ["digital-skills"]),
    ({"language": "vi"}, ["ky-nang-so", "van-ban"]),
    ({"language": "ko"}, []),
    ({"topic": "văn bản điện tử"}, ["ky-nang-so", "van-ban"]),
    ({"topic": "an toàn thông tin"}, ["ky-nang-so"]),
    ({"topic": "an toàn"}, []),                       # a topic is matched whole
    ({"topic": "cybersecurity", "language": "vi"}, []),
    ({"q": "van ban", "topic": "an toàn thông tin"}, ["ky-nang-so"]),
])
def test_language_and_topic_filters(client, login_as, courses, filters, expected):
    login_as("learner")
    assert listed(client.get("/courses", query_string=filters)) == expected


def test_the_topic_filter_offers_every_topic(client, login_as, courses):
    login_as("learner")
    html = client.get("/courses").data.decode()
    options = re.findall(r'<select id="topic".*?</select>', html, re.S)[0]
    assert re.findall(r'<option value="([^"]+)"', options) == [
        "an toàn thông tin", "cybersecurity", "văn bản điện tử"]


def test_catalog_shows_the_official_s_progress(client, login_as, courses):
    login_as("learner")
    steps.enrol(client, "ky-nang-so")
    steps.mark_done(client, "ky-nang-so", "gioi-thieu")
    html = client.get("/courses").data.decode()
    card = re.search(r'<article[^>]*>\s*<h2><a href="/courses/ky-nang-so".*?</article>', html,
                     re.S).group(0)
    assert 'value="50"' in card
    other = re.search(r'<article[^>]*>\s*<h2><a href="/courses/van-ban".*?</article>', html,
                      re.S).group(0)
    assert "<progress" not in other


def test_course_page_lists_modules_and_lessons_with_their_time(client, login_as, courses):
    login_as("learner")
    response = client.get("/courses/ky-nang-so")
    text = page_text(response)
    assert "Kỹ năng số cho cán bộ" in text and "Những điều cơ bản" in text
    assert f"Giới thiệu · {translated('vi', '%(minutes)s min', minutes=10)}" in text
    assert f"Tra cứu văn bản · {translated('vi', '%(minutes)s min', minutes=15)}" in text
    assert "khoảng 25 phút" in text  # an estimate, rounded to 5 minutes (learning.i18n)
    assert translated("vi", "Enrol and start learning") in text
    assert 'href="/courses/ky-nang-so/lessons/' not in response.data.decode()  # not yet
    # the other language version of the same family
    assert translated("vi", "Also available in") in text
    assert 'href="/courses/digital-skills"' in response.data.decode()


def test_course_page_shows_the_official_s_progress(client, login_as, courses):
    login_as("learner")
    steps.enrol(client, "ky-nang-so")
    steps.mark_done(client, "ky-nang-so", "gioi-thieu")
    response = client.get("/courses/ky-nang-so")
    html, text = response.data.decode(), page_text(response)
    assert pages.counts(html) == pages.lessons_count(1, 2) == "1/2 bài học"
    assert pages.percent_shown(html) == 50
    assert "is-done" in steps.lesson_item_class(html, "ky-nang-so", "gioi-thieu")
    assert "is-done" not in steps.lesson_item_class(html, "ky-nang-so", "tra-cuu")
    assert pages.card_button(html) == (translated("vi", "Continue learning"),
                                       "/courses/ky-nang-so/lessons/tra-cuu")
    assert "Tra cứu văn bản" in pages.text_of(pages.card(html))
    assert translated("vi", "Enrol and start learning") not in text


def test_an_unknown_course_is_not_found(client, login_as, courses):
    login_as("learner")
    assert client.get("/courses/khong-co").status_code == 404

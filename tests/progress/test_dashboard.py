"""The dashboard ("My learning" on /): courses in progress with their figures, completed
courses with their date, time spent, the next lesson, and a query count that does not grow
with the number of courses."""

from __future__ import annotations

import re

from tests import factories
from tests.conftest import page_text, translated
from tests.courses import steps
from tests.progress import pages


def section(html: str, title: str) -> str:
    """The list under a dashboard heading."""
    match = re.search(rf"<h3>{re.escape(title)}</h3>\s*<ul[^>]*>(.*?)</ul>", html, re.S)
    assert match, f"no section {title!r}"
    return match.group(1)


def row_of(section_html: str, slug: str) -> str:
    match = re.search(rf'<li>\s*<a href="/courses/{slug}".*?</li>', section_html, re.S)
    assert match, f"{slug} is not in this section"
    return match.group(0)


def test_dashboard_shows_courses_in_progress_completed_and_the_next_lesson(
        client, login_as, db, tmp_path):
    for slug in ("dang-hoc", "xong", "chua-bat-dau"):
        factories.make_course(tmp_path, slug, title=f"Khoá {slug}", lessons=("a", "b", "c"))
    learner = login_as("learner")
    steps.enrol(client, "chua-bat-dau")
    steps.enrol(client, "xong")
    for lesson in ("a", "b", "c"):
        steps.mark_done(client, "xong", lesson)
    steps.enrol(client, "dang-hoc")
    steps.mark_done(client, "dang-hoc", "a")
    client.post("/courses/dang-hoc/lessons/a/time", data={"seconds": "1500"})
    client.post("/courses/xong/lessons/a/time", data={"seconds": "1200"})

    response = client.get("/")
    assert response.status_code == 200
    html, text = response.data.decode(), page_text(response)

    in_progress = section(html, translated("vi", "Courses in progress"))
    started = row_of(in_progress, "dang-hoc")
    assert 'value="33"' in started
    assert pages.counts(started) == pages.lessons_count(1, 3) == "1/3 bài học"
    assert 'href="/courses/dang-hoc/lessons/b"' in started          # its next lesson
    assert 'value="0"' in row_of(in_progress, "chua-bat-dau")
    assert "/courses/xong" not in in_progress

    completed = section(html, translated("vi", "Completed courses"))
    done_on = steps.enrolment_of(learner, "xong").completed_at
    assert translated("vi", "completed on %(date)s", date=steps.long_date(done_on)) in \
        page_text_of(row_of(completed, "xong"))
    assert "/courses/dang-hoc" not in completed

    # the "continue" card: the course worked on last, at its next lesson
    assert pages.card_button(html) == (translated("vi", "Continue learning"),
                                       "/courses/dang-hoc/lessons/b")

    stats = re.search(r'<dl class="stats">.*?</dl>', html, re.S).group(0)
    figures = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", stats))
    assert figures[translated("vi", "In progress")] == "2"
    assert figures[translated("vi", "Completed")] == "1"
    assert figures[translated("vi", "Lessons done")] == "4"
    assert figures[translated("vi", "Time spent")] == steps.duration(2700)
    assert translated("vi", "You have no course yet.") not in text


def page_text_of(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def test_an_official_without_courses_is_pointed_to_the_catalog(client, login_as):
    login_as("learner")
    response = client.get("/")
    assert translated("vi", "You have no course yet.") in page_text(response)
    assert 'href="/courses"' in response.data.decode()


def dashboard_queries(client, count_queries) -> int:
    assert client.get("/").status_code == 200  # warm: the first request checks the schema
    with count_queries() as statements:
        assert client.get("/").status_code == 200
    return len(statements)


def test_dashboard_query_count_does_not_grow_with_the_number_of_courses(
        app, client, login_as, db, tmp_path, count_queries):
    slugs = [f"khoa-{n}" for n in range(6)]
    for slug in slugs:
        factories.make_course(tmp_path, slug, lessons=("a", "b", "c"))

    login_as("learner")
    steps.enrol(client, slugs[0])
    steps.mark_done(client, slugs[0], "a")
    one = dashboard_queries(client, count_queries)

    many = steps.new_client(app, steps.official())
    for index, slug in enumerate(slugs):
        steps.enrol(many, slug)
        for lesson in ("a", "b", "c")[: index % 4]:  # not started, started, and completed
            steps.mark_done(many, slug, lesson)
    html = many.get("/").data.decode()
    assert all(f'href="/courses/{slug}"' in html for slug in slugs)  # all six are listed
    assert dashboard_queries(many, count_queries) == one

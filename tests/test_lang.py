"""`lang` marks what is not in the page's language (WCAG 3.1.2): an English course seen through
the Vietnamese interface keeps its texts marked English (titles, lessons, questions, answers,
the certificate's course), while the interface's own words around them stay Vietnamese, and
every language is named in its own language, marked so, wherever it is offered."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from courses import services as course_services
from learning import clock
from learning.db import db
from tests import factories
from tests.certificates import steps as certificate_steps
from tests.conftest import translated
from tests.quizzes import steps as quiz_steps

SLUG = "digital-skills"
TITLE = "Digital skills for officials"
LESSON = "Signing an electronic document"
QUIZ = "signatures"
QUIZ_TITLE = "Check: digital signatures"
QUESTION = "Where is the private key of a personal digital signature kept?"
CHOICE = "On the USB token"
ENGLISH_QUIZ = f'''
slug = "{QUIZ}"
title = "{QUIZ_TITLE}"
review = "feedback"
required = false

[[questions]]
id = "key"
type = "single"
text = "{QUESTION}"
choices = [
  {{ text = "{CHOICE}", correct = true, feedback = "It never leaves the token." }},
  {{ text = "In the mailbox" }},
]

[[questions]]
id = "tab"
type = "truefalse"
text = "Closing the browser tab ends the session."
answer = false
'''


def _page(client, path: str, language: str = "vi"):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    document = lxml_html.fromstring(response.data.decode())
    assert document.get("lang") == language
    return document


def _lang(element) -> str | None:
    """The language an element's text is in: its own lang, else its nearest ancestor's."""
    while element is not None:
        if element.get("lang"):
            return element.get("lang")
        element = element.getparent()
    return None


def _langs_of_text(document, text: str) -> set[str | None]:
    """The languages of the elements whose own text contains `text`."""
    found = document.xpath("//body//*[text()[contains(., $text)]]", text=text)
    assert found, f"{text!r} is not on the page"
    return {_lang(element) for element in found}


def _assert_marked(document, where: str, english=(), vietnamese=()) -> None:
    for text in english:
        assert _langs_of_text(document, text) == {"en"}, f"{where}: {text!r} is not marked English"
    for text in vietnamese:
        assert _langs_of_text(document, text) == {"vi"}, \
            f"{where}: the interface's {text!r} is marked as another language"


@pytest.fixture
def english_course(app, tmp_path, db):
    course = quiz_steps.quiz_course(
        tmp_path, SLUG, module_quiz=ENGLISH_QUIZ, language="en", title=TITLE,
        lessons=[{"slug": "signing", "title": LESSON,
                  "body": "Plug in the USB token and choose *Sign*.\n"}, "b"])
    db.session.commit()
    return course


def test_an_english_course_in_the_vietnamese_interface(app, client, login_as, english_course):
    learner = login_as("learner")
    course_services.enrol(learner, learner, english_course, now=clock.now())
    db.session.commit()
    with app.test_request_context():
        vi = {message: translated("vi", message) for message in (
            "Mark as done and continue", "Your answer", "Save answers", "Passed", "done")}
        minutes = translated("vi", "%(minutes)s min", minutes=5)
        question_1 = translated("vi", "Question %(n)s", n=1)
        your_choice = translated("vi", "your choice")

    catalog = _page(client, "/courses")
    _assert_marked(catalog, "catalog", english=[TITLE])
    card = catalog.xpath("//article[contains(@class, 'course-card')]")[0]
    assert _lang(card.xpath(".//p[contains(@class, 'muted')]")[0]) == "vi", \
        "the card's lesson count is marked English"

    course = _page(client, f"/courses/{SLUG}")
    _assert_marked(course, "course page", english=[TITLE, LESSON, QUIZ_TITLE],
                   vietnamese=[minutes])

    lesson = _page(client, f"/courses/{SLUG}/lessons/signing")
    _assert_marked(lesson, "lesson page", english=[LESSON, "Plug in the USB token"],
                   vietnamese=[vi["Mark as done and continue"], minutes])
    assert _lang(lesson.xpath("//nav[contains(@class, 'player-sidebar')]//a[@aria-current]")[0]) \
        == "en"

    attempt_id = quiz_steps.start(client, SLUG, QUIZ)
    attempt = _page(client, f"/attempts/{attempt_id}")
    _assert_marked(attempt, "attempt page", english=[QUIZ_TITLE, QUESTION, CHOICE, "False"],
                   vietnamese=[question_1, vi["Save answers"]])

    layout = quiz_steps.get_attempt(attempt_id).layout
    response = quiz_steps.submit(client, attempt_id, quiz_steps.answer_fields(layout, right=2))
    assert response.status_code == 302
    result = _page(client, f"/attempts/{attempt_id}/result")
    _assert_marked(result, "result page", english=[QUESTION, CHOICE],
                   vietnamese=[question_1, your_choice, vi["Passed"]])


def test_a_certificate_keeps_its_courses_language(app, client, login_as, tmp_path):
    certificate_steps.course(tmp_path, language="en", title=TITLE)
    learner = login_as("learner")
    certificate = certificate_steps.complete(learner, now=clock.now())
    mine = _page(client, "/certificates")
    _assert_marked(mine, "my certificates", english=[TITLE])
    detail = _page(client, f"/certificates/{certificate.id}")
    _assert_marked(detail, "a certificate", english=[TITLE])
    verified = _page(client, f"/verify/{certificate.code}")
    _assert_marked(verified, "the verification page", english=[TITLE])


def test_languages_are_named_in_their_own_language(client, login_as):
    admin = login_as("admin")
    for path in ("/account", f"/admin/users/{admin.id}", "/admin/users/new"):
        document = _page(client, path)
        for code, name in (("en", "English"), ("ko", "한국어")):
            entries = document.xpath("//*[text()[normalize-space(.) = $name]]", name=name)
            assert entries and all(_lang(entry) == code for entry in entries), \
                f"{path}: {name} is not marked lang={code}"
    admin.preferred_language = "ko"
    db.session.commit()
    assert _lang(_page(client, "/account", "ko").xpath(
        "//dd[text()[normalize-space(.) = '한국어']]")[0]) == "ko"
    assert _lang(_page(client, "/account", "ko").xpath(
        "//button[normalize-space(.) = 'Tiếng Việt']")[0]) == "vi"


def test_a_language_version_link_in_the_catalog(client, login_as, tmp_path, db):
    for slug, language, title in (("ky-nang", "vi", "Kỹ năng số"), ("skills", "en", TITLE)):
        factories.make_course(tmp_path, slug, language=language, family="skills", title=title)
    db.session.commit()
    login_as("learner")
    catalog = _page(client, "/courses")
    link = catalog.xpath("//p[contains(@class, 'course-versions')]/a")[0]
    assert link.get("hreflang") == "en" and link.get("href") == "/courses/skills"
    assert _lang(link) == "vi", "the link's label is in the interface's language"

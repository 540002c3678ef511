"""Correct answers never reach the browser before an attempt is submitted; afterwards the
result page shows only what the quiz's review setting allows."""

from __future__ import annotations

import re

import pytest

from tests.conftest import location_path, translated, visible_text
from tests.courses import steps as course_steps
from tests.quizzes import steps
from tests.quizzes.steps import EVERY_TYPE, GIFT_BANK, MODULE_FOLDER, SECRETS

SLUG = "khoa-bi-mat"
QUIZ = "moi-loai-cau-hoi"
ORDER = ["Tạo dự thảo", "Lấy ý kiến", "Trình ký", "Phát hành"]


def secrets_in(html: str) -> list[str]:
    """The feedback and answer texts of the quiz found in a page."""
    return [secret for secret in SECRETS if secret in html]


def leaks(html: str) -> list[str]:
    """Every answer marker found in a page."""
    found = secrets_in(html)
    lowered = html.lower()
    found += [word for word in ("correct", "weight", "feedback", "phản hồi", "đáp án đúng")
              if word in lowered]
    return found


@pytest.fixture
def taker(client, login_as, db, tmp_path):
    """An official enrolled in a course whose module quiz holds every question type."""
    def _taker(review: str = "feedback", language: str = "vi"):
        steps.quiz_course(tmp_path, SLUG, module_quiz=EVERY_TYPE.replace(
            'review = "feedback"', f'review = "{review}"'), module_gift=GIFT_BANK)
        user = login_as("learner", preferred_language=language)
        course_steps.enrol(client, SLUG)
        return user
    return _taker


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_attempt_page_holds_no_correct_answer_marker(client, taker, db, language):
    taker(language=language)
    attempt_id = steps.start(client, SLUG, QUIZ)
    for _ in range(2):  # a fresh page and one with saved answers
        response = client.get(f"/attempts/{attempt_id}")
        html = response.data.decode()
        assert response.status_code == 200
        assert "Gõ tên nền tảng trục liên thông của Bộ." in html  # the questions are there
        assert leaks(html) == []
        form = re.search(r'<form[^>]*class="attempt-form".*?</form>', html, re.S).group(0)
        hidden = re.findall(r'<input[^>]*type="hidden"[^>]*>', form)
        assert {re.search(r'name="([^"]+)"', tag).group(1) for tag in hidden} == {
            "csrf_token", "page"}
        assert "data-" not in form
        # the ordering items are shown out of their right order
        shown = [m for m in re.findall(r'<label for="q\d+-o\d+">([^<]*)</label>', html)]
        assert sorted(shown) == sorted(ORDER) and shown != ORDER
        steps.send(client, attempt_id, {"q4": "đoán thử", "q5": "12"})


def test_quiz_and_course_pages_and_package_files_hold_no_answer(client, taker, db):
    taker()
    attempt_id = steps.start(client, SLUG, QUIZ)
    pages = [steps.quiz_url(SLUG, QUIZ), f"/courses/{SLUG}", f"/courses/{SLUG}/lessons/a",
             f"/attempts/{attempt_id}/review", f"/attempts/{attempt_id}/result"]
    for url in pages:
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        assert leaks(response.data.decode()) == [], url
    for source in (f"{MODULE_FOLDER}/quiz.toml", f"{MODULE_FOLDER}/quiz.gift"):
        response = course_steps.fetch(client, f"/courses/{SLUG}/files/{source}")
        assert response.status_code == 404, source


def test_no_route_under_attempts_or_quizzes_answers_in_json(app, client, taker, db):
    taker()
    attempt_id = steps.start(client, SLUG, QUIZ)
    rules = [rule for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/attempts") or "quiz" in rule.rule
             or "quiz" in rule.endpoint or "attempt" in rule.endpoint]
    assert {(r.rule, r.endpoint) for r in rules} == {
        ("/courses/<slug>/quizzes/<quiz_slug>", "quizzes.detail"),
        ("/courses/<slug>/quizzes/<quiz_slug>/start", "quizzes.start"),
        ("/attempts/<int:attempt_id>", "quizzes.attempt"),
        ("/attempts/<int:attempt_id>/review", "quizzes.review"),
        ("/attempts/<int:attempt_id>/result", "quizzes.result")}
    for rule in rules:
        if "GET" not in rule.methods:
            continue
        url = rule.rule.replace("<slug>", SLUG).replace("<quiz_slug>", QUIZ).replace(
            "<int:attempt_id>", str(attempt_id))
        for accept in ("application/json", "*/*"):
            response = client.get(url, headers={"Accept": accept}, follow_redirects=True)
            assert response.mimetype == "text/html", url
            assert leaks(response.data.decode()) == [], url


# --- after submission: the review setting ------------------------------------------------------

def submit_mixed(client) -> int:
    """Answer some questions right and some wrong (never typing a secret), then submit."""
    attempt_id = steps.start(client, SLUG, QUIZ)
    layout = steps.get_attempt(attempt_id).layout
    fields = {}
    for index, slot in enumerate(layout):
        kind = slot["data"]["type"]
        if kind in ("single", "matching", "ordering", "essay"):
            fields.update(steps.right_fields(index, slot))
        elif kind == "truefalse":
            fields[f"q{index}"] = "true"  # wrong: the statement is false
        elif kind == "short":
            fields[f"q{index}"] = "không biết"
        elif kind == "numeric":
            fields[f"q{index}"] = "12"
    response = steps.submit(client, attempt_id, fields)
    assert location_path(response) == f"/attempts/{attempt_id}/result"
    return attempt_id


def badge(html: str, label: str) -> bool:
    return re.search(rf'<span class="badge badge-(ok|muted|bad)">{re.escape(label)}</span>',
                     html) is not None


def test_review_score_shows_only_the_score_and_pass_or_fail(client, taker, db):
    taker(review="score")
    attempt_id = submit_mixed(client)
    response = client.get(f"/attempts/{attempt_id}/result")
    html, text = response.data.decode(), visible_text(response)
    attempt = steps.get_attempt(attempt_id)
    assert translated("vi", "Score: %(score)s", score=steps.percent(attempt.percent)) in text
    assert steps.verdict(html) in (translated("vi", "Not passed"), translated("vi", "Passed"))
    assert translated("vi", "Your answers") not in text
    assert translated("vi", "Your answer:") not in text
    assert "review-item" not in html
    assert "Khóa bí mật của chữ ký số cá nhân" not in html  # not even the questions
    assert leaks(html) == []


def test_review_answers_adds_right_and_wrong_but_not_the_right_answers(client, taker, db):
    taker(review="answers")
    attempt_id = submit_mixed(client)
    response = client.get(f"/attempts/{attempt_id}/result")
    html, text = response.data.decode(), visible_text(response)
    assert translated("vi", "Your answers") in text
    assert badge(html, translated("vi", "Correct")) and badge(html, translated("vi",
                                                                              "Incorrect"))
    assert "không biết" in text  # the official's own answer
    assert translated("vi", "Right answer:") not in text
    assert secrets_in(html) == []


def test_review_feedback_adds_the_right_answers_and_the_feedback(client, taker, db):
    taker(review="feedback")
    attempt_id = submit_mixed(client)
    response = client.get(f"/attempts/{attempt_id}/result")
    html, text = response.data.decode(), visible_text(response)
    assert badge(html, translated("vi", "Correct")) and badge(html, translated("vi",
                                                                              "Incorrect"))
    right = translated("vi", "Right answer:")
    assert f"{right} Zetaxyl liên thông" in text
    assert f"{right} 98765.4 ± 0.5" in text
    assert f"{right} {translated('vi', 'False')}" in text
    assert "Phanhoi Alpha: khóa không rời thiết bị." in text  # the chosen option's feedback
    assert "Phanhoi Bravo" not in text  # options not chosen keep their feedback
    assert "Phanhoi Delta: khóa bí mật là của riêng người ký." in text  # general feedback
    assert "Phanhoi India: đóng thẻ chưa phải là đăng xuất." in text  # for answering True
    assert "Phanhoi Juliet" not in text  # the feedback for False is not the official's
    assert "Phanhoi Mike" in text  # GIFT feedback of the right answer chosen

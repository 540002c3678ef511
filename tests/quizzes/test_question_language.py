"""True/False follow the question's language (its course's), not the reader's: a Vietnamese
statement is answered Đúng/Sai even on an English page, an English one True/False."""

from __future__ import annotations

import re

import pytest

from tests.conftest import location_path
from tests.courses import steps as course_steps
from tests.quizzes import steps

SLUG = "khoa-kiem-tra"
QUIZ = "kiem-tra-nhanh"
LABELS = {"vi": ("Đúng", "Sai"), "en": ("True", "False"), "ko": ("참", "거짓")}


def option_labels(html: str) -> list[str]:
    return re.findall(r'<label for="q\d+-[tf]">([^<]*)</label>', html)


@pytest.mark.parametrize("course_language, reader_language",
                         [("vi", "en"), ("vi", "ko"), ("en", "vi"), ("en", "en")])
def test_true_false_labels_follow_the_course_language(client, login_as, db, tmp_path,
                                                      course_language, reader_language):
    steps.quiz_course(tmp_path, SLUG, language=course_language,
                      module_quiz=steps.true_false_quiz(QUIZ, 2, review="feedback"))
    login_as("learner", preferred_language=reader_language)
    course_steps.enrol(client, SLUG)
    attempt_id = steps.start(client, SLUG, QUIZ)
    yes, no = LABELS[course_language]
    assert option_labels(client.get(f"/attempts/{attempt_id}").data.decode()) == [yes, no] * 2

    # answer both True: one right, one wrong (its right answer, False, is shown)
    response = steps.submit(client, attempt_id, {"q0": "true", "q1": "true"})
    html = client.get(location_path(response)).data.decode()
    review = re.search(r'<ol class="review".*?</ol>', html, re.S).group(0)
    # one line per option, True then False, for each of the two questions
    assert re.findall(r'<div class="option-text">([^<]+)</div>', review) == [yes, no] * 2
    # and the right answer of the question answered wrongly
    assert re.findall(r"</strong> ([^<]+)</p>", review) == [no]

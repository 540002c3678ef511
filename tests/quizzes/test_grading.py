"""Grading (quizzes.grading.grade): a pure function of a question and a response.

Every question type with the edge cases authors rely on (quizzes/README.md, "Grading").
"""

from __future__ import annotations

import unicodedata

import pytest

from quizzes.grading import (
    CORRECT,
    INCORRECT,
    PARTIAL,
    UNANSWERED,
    UNGRADED,
    grade,
    parse_number,
)
from quizzes.questions import (
    Choice,
    MatchPair,
    NumericAnswer,
    Question,
    ShortAnswer,
)


def single(*weights, feedback=True) -> Question:
    return Question(type="single", text="Chọn một", choices=[
        Choice(text=f"Phương án {i}", weight=w, feedback=f"Phản hồi {i}" if feedback else "")
        for i, w in enumerate(weights)])


def multiple(*weights) -> Question:
    return Question(type="multiple", text="Chọn nhiều", choices=[
        Choice(text=f"Phương án {i}", weight=w, feedback=f"Phản hồi {i}")
        for i, w in enumerate(weights)])


def short(*answers, **options) -> Question:
    return Question(type="short", text="Gõ câu trả lời", short_answers=[
        a if isinstance(a, ShortAnswer) else ShortAnswer(text=a) for a in answers], **options)


def numeric(*answers) -> Question:
    return Question(type="numeric", text="Một con số", numeric_answers=list(answers))


# --- single choice -----------------------------------------------------------------------------

def test_single_choice_earns_the_chosen_options_weight():
    question = single(100, 50, 0, -50)
    right = grade(question, 0)
    assert (right.fraction, right.state, right.feedback) == (1.0, CORRECT, ["Phản hồi 0"])
    half = grade(question, 1)
    assert (half.fraction, half.state) == (0.5, PARTIAL)
    assert grade(question, 2).fraction == 0.0
    assert grade(question, 2).state == INCORRECT
    negative = grade(question, 3)  # a negative weight never takes points below zero
    assert (negative.fraction, negative.state) == (0.0, INCORRECT)
    assert negative.feedback == ["Phản hồi 3"]


def test_single_choice_points_scale_with_the_question():
    question = single(100, 50, 0)
    question.points = 4
    assert grade(question, 1).points(question) == 2.0
    assert grade(question, 0).points(question) == 4.0


def test_single_choice_out_of_range_or_garbage_is_unanswered():
    question = single(100, 0)
    for response in (5, -1, "x", None, ""):
        result = grade(question, response)
        assert (result.fraction, result.state) == (0.0, UNANSWERED), response


# --- multiple choice ---------------------------------------------------------------------------

def test_multiple_choice_partial_credit_and_negative_weights():
    question = multiple(50, 50, -50, -50)
    assert (grade(question, [0, 1]).fraction, grade(question, [0, 1]).state) == (1.0, CORRECT)
    assert (grade(question, [0]).fraction, grade(question, [0]).state) == (0.5, PARTIAL)
    # a wrong tick cancels a right one
    assert grade(question, [0, 2]).fraction == 0.0
    assert grade(question, [0, 1, 2]).fraction == 0.5
    # ticking everything earns nothing when wrong options are negative
    everything = grade(question, [0, 1, 2, 3])
    assert (everything.fraction, everything.state) == (0.0, INCORRECT)
    # and the sum never goes below zero
    assert grade(question, [2, 3]).fraction == 0.0


def test_multiple_choice_is_clamped_to_one_and_counts_each_option_once():
    question = multiple(60, 60, 0)
    assert grade(question, [0, 1]).fraction == 1.0
    assert grade(question, [0, 0, 0]).fraction == 0.6  # a repeated tick counts once
    assert grade(question, [0, 9]).fraction == 0.6  # an unknown option is ignored


def test_multiple_choice_feedback_and_review_marks_of_the_ticked_options():
    question = multiple(50, 50, -100)
    result = grade(question, [2, 0])
    assert result.feedback == ["Phản hồi 0", "Phản hồi 2"]
    assert result.right == [True, None, False]


# --- true/false --------------------------------------------------------------------------------

@pytest.mark.parametrize("answer", [True, False])
def test_true_false_is_all_or_nothing_with_the_feedback_of_the_answer_given(answer):
    question = Question(type="truefalse", text="Đúng hay sai?", answer=answer,
                        feedback_true="Bạn đã chọn Đúng", feedback_false="Bạn đã chọn Sai")
    said_true, said_false = grade(question, True), grade(question, False)
    assert said_true.feedback == ["Bạn đã chọn Đúng"]
    assert said_false.feedback == ["Bạn đã chọn Sai"]
    assert said_true.fraction == (1.0 if answer else 0.0)
    assert said_false.fraction == (0.0 if answer else 1.0)
    assert {said_true.state, said_false.state} == {CORRECT, INCORRECT}


def test_true_false_reads_typed_values():
    question = Question(type="truefalse", text="?", answer=False)
    assert grade(question, "false").state == CORRECT
    assert grade(question, "Sai").state == CORRECT
    assert grade(question, "true").state == INCORRECT
    assert grade(question, "maybe").state == UNANSWERED


# --- short answer ------------------------------------------------------------------------------

def test_short_answer_ignores_case_and_extra_spaces():
    question = short("Chữ ký số")
    for typed in ("chữ ký số", "CHỮ KÝ SỐ", "  chữ   ký  số ", "Chữ\tký\nsố"):
        assert grade(question, typed).state == CORRECT, typed
    assert grade(question, "chữ ký").state == INCORRECT


def test_short_answer_accepts_decomposed_unicode_typing():
    typed = unicodedata.normalize("NFD", "chữ ký số")
    assert typed != "chữ ký số"
    assert grade(short("Chữ ký số"), typed).state == CORRECT


def test_short_answer_unaccented_typing_is_accepted_but_wrong_diacritics_are_not():
    question = short("Chữ ký số")
    assert grade(question, "chu ky so").state == CORRECT
    assert grade(question, "CHU KY SO").state == CORRECT
    assert grade(question, "chũ ký số").state == INCORRECT  # typed with marks: the wrong ones
    assert grade(question, "chữ ky so").state == INCORRECT  # some marks typed: all must be right
    assert grade(question, "chu ky").state == INCORRECT
    assert grade(short("Đà Nẵng"), "da nang").state == CORRECT  # đ counts as d


def test_short_answer_strict_diacritics_require_the_marks():
    question = short("Chữ ký số", diacritics="strict")
    assert grade(question, "chữ ký số").state == CORRECT
    assert grade(question, "chu ky so").state == INCORRECT


def test_short_answer_case_sensitive():
    question = short("LGSP", case_sensitive=True)
    assert grade(question, "LGSP").state == CORRECT
    assert grade(question, "lgsp").state == INCORRECT
    vietnamese = short("Hà Nội", case_sensitive=True)
    assert grade(vietnamese, "Ha Noi").state == CORRECT  # unaccented, same case
    assert grade(vietnamese, "ha noi").state == INCORRECT
    assert grade(vietnamese, "hà nội").state == INCORRECT


def test_short_answer_wildcard():
    question = short("*ký số*")
    assert grade(question, "chữ ký số điện tử").state == CORRECT
    assert grade(question, "ky so").state == CORRECT
    assert grade(question, "chữ viết tay").state == INCORRECT
    # the star is a wildcard, every other character is literal
    dotted = short("v1.0*")
    assert grade(dotted, "v1.0.3").state == CORRECT
    assert grade(dotted, "v100").state == INCORRECT


def test_short_answer_best_weight_wins():
    question = short(ShortAnswer("*", 0, "Chưa đúng"), ShortAnswer("ký số", 50, "Gần đúng"),
                     ShortAnswer("chữ ký số", 100, "Chính xác"))
    best = grade(question, "chữ ký số")
    assert (best.fraction, best.state, best.feedback) == (1.0, CORRECT, ["Chính xác"])
    partial = grade(question, "ký số")
    assert (partial.fraction, partial.state, partial.feedback) == (0.5, PARTIAL, ["Gần đúng"])
    anything = grade(question, "không biết")
    assert (anything.fraction, anything.state, anything.feedback) == (0.0, INCORRECT,
                                                                      ["Chưa đúng"])


# --- numeric -----------------------------------------------------------------------------------

def test_numeric_value_with_tolerance_bounds_included():
    question = numeric(NumericAnswer(value=3.14, tolerance=0.01))
    for typed in ("3.14", "3.15", "3.13", "3,145"):
        assert grade(question, typed).state == CORRECT, typed
    assert grade(question, "3.16").state == INCORRECT
    assert grade(question, "3").state == INCORRECT


def test_numeric_ranges_and_negative_numbers():
    question = numeric(NumericAnswer(low=-10, high=-5))
    assert grade(question, "-7").state == CORRECT
    assert grade(question, "-10").state == CORRECT
    assert grade(question, "\u22125").state == CORRECT  # a typographic minus sign
    assert grade(question, "7").state == INCORRECT
    assert grade(question, "-4.9").state == INCORRECT
    exact = numeric(NumericAnswer(value=-273.15))
    assert grade(exact, "-273,15").state == CORRECT


def test_numeric_comma_decimal_and_thousands_separators():
    question = numeric(NumericAnswer(value=1234.5))
    for typed in ("1234.5", "1234,5", "1.234,5", "1,234.5", "1 234,5", "1\u00a0234,5"):
        assert grade(question, typed).state == CORRECT, typed
    assert parse_number("3,14") == parse_number("3.14") == 3.14


@pytest.mark.parametrize("typed", ["abc", "3.14.15", "1,2,3", "--1", "nan", "inf", "12a"])
def test_numeric_garbage_is_incorrect_not_an_error(typed):
    question = numeric(NumericAnswer(value=3.14, tolerance=0.01))
    result = grade(question, typed)
    assert (result.fraction, result.state) == (0.0, INCORRECT)


def test_numeric_float_noise_never_fails_a_right_answer():
    assert grade(numeric(NumericAnswer(value=0.3)), "0.30000000000000004").state == CORRECT
    assert grade(numeric(NumericAnswer(value=0.1 + 0.2)), "0.3").state == CORRECT
    assert grade(numeric(NumericAnswer(value=0.3)), "0.3001").state == INCORRECT


def test_numeric_best_weight_and_its_feedback():
    question = numeric(NumericAnswer(value=100, weight=100, feedback="Chính xác"),
                       NumericAnswer(low=90, high=110, weight=50, feedback="Gần đúng"))
    exact = grade(question, "100")
    assert (exact.fraction, exact.feedback) == (1.0, ["Chính xác"])
    near = grade(question, "95")
    assert (near.fraction, near.state, near.feedback) == (0.5, PARTIAL, ["Gần đúng"])


# --- matching and ordering ---------------------------------------------------------------------

def matching() -> Question:
    return Question(type="matching", text="Ghép", pairs=[
        MatchPair("LGSP", "nền tảng cấp bộ"), MatchPair("NDXP", "nền tảng quốc gia"),
        MatchPair("VNeID", "định danh điện tử"), MatchPair("", "mạng xã hội")])


def test_matching_earns_the_share_of_prompts_matched():
    question = matching()
    right = {"0": "nền tảng cấp bộ", "1": "nền tảng quốc gia", "2": "định danh điện tử"}
    assert (grade(question, right).fraction, grade(question, right).state) == (1.0, CORRECT)
    two = {**right, "2": "mạng xã hội"}  # a distractor is never right
    result = grade(question, two)
    assert result.fraction == pytest.approx(2 / 3)
    assert result.state == PARTIAL
    assert result.right == [True, True, False]
    one = {"0": "nền tảng cấp bộ"}  # prompts left unanswered count as wrong
    assert grade(question, one).fraction == pytest.approx(1 / 3)
    swapped = {"0": "nền tảng quốc gia", "1": "nền tảng cấp bộ", "2": "mạng xã hội"}
    assert (grade(question, swapped).fraction, grade(question, swapped).state) == (0.0,
                                                                                   INCORRECT)
    assert grade(question, {}).state == UNANSWERED


def test_ordering_earns_the_share_of_items_in_place():
    question = Question(type="ordering", text="Sắp xếp", order=["a", "b", "c", "d"])
    assert grade(question, [0, 1, 2, 3]).state == CORRECT
    half = grade(question, [0, 1, 3, 2])
    assert (half.fraction, half.state, half.right) == (0.5, PARTIAL, [True, True, False, False])
    assert grade(question, [3, 2, 1, 0]).fraction == 0.0
    assert grade(question, [1, 2, 3, 0]).fraction == 0.0  # shifted by one: nothing in place
    assert grade(question, [0]).fraction == 0.25  # a short answer leaves the rest wrong
    assert grade(question, []).state == UNANSWERED


# --- essay, description, unanswered ------------------------------------------------------------

def test_essay_is_never_auto_graded():
    question = Question(type="essay", text="Viết suy nghĩ của bạn")
    written = grade(question, "Một đoạn văn dài.")
    assert (written.fraction, written.state) == (None, UNGRADED)
    assert written.points(question) == 0
    assert grade(question, "   ").state == UNANSWERED
    assert not question.is_graded


def test_description_has_no_grade():
    question = Question(type="description", text="Đọc đoạn sau", points=0)
    assert grade(question, None).state == UNGRADED
    assert grade(question, None).fraction is None
    assert not question.is_graded


@pytest.mark.parametrize("question", [
    single(100, 0), multiple(50, 50, -100),
    Question(type="truefalse", text="?", answer=True), short("x"),
    numeric(NumericAnswer(value=1)), matching(),
    Question(type="ordering", text="?", order=["a", "b"]),
], ids=lambda q: q.type)
@pytest.mark.parametrize("response", [None, "", [], {}], ids=["none", "empty", "list", "dict"])
def test_no_answer_is_unanswered_and_earns_nothing(question, response):
    result = grade(question, response)
    assert (result.fraction, result.state) == (0.0, UNANSWERED)
    assert result.points(question) == 0


def test_question_data_survives_the_json_round_trip_used_by_attempts():
    question = short(ShortAnswer("chữ ký số", 100, "Đúng"), case_sensitive=True,
                     diacritics="strict")
    again = Question.from_dict(question.to_dict())
    assert again == question
    assert grade(again, "chu ky so").state == INCORRECT

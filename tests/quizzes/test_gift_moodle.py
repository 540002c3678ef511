"""Moodle's own GIFT fixture (tests/quizzes/moodle/, GPL-3.0-or-later) imports as Moodle imports
it: 9 questions (Moodle's Behat test expects "Importing 9 questions from file")."""

from __future__ import annotations

from pathlib import Path

from quizzes.gift import ANY_NUMBER, export_gift, parse_gift
from quizzes.questions import BLANK, Choice, MatchPair, NumericAnswer, ShortAnswer
from tests.quizzes import steps
from tests.quizzes.test_cli import bank

FIXTURE = Path(__file__).resolve().parent / "moodle" / "questions.gift.txt"


def test_moodle_fixture_gives_its_nine_questions():
    result = parse_gift(FIXTURE.read_text(encoding="utf-8"), source=FIXTURE.name)
    assert [str(p) for p in result.problems] == []
    questions = result.questions
    assert [(q.type, q.title, q.text_format, q.embedded) for q in questions] == [
        ("essay", "Q8", "moodle", False),
        ("matching", "Moodle activities", "html", False),
        ("single", "Q2", "moodle", False),
        ("multiple", "colours", "moodle", False),
        ("numeric", "Q5", "moodle", True),
        ("short", "Shortanswer", "moodle", False),
        ("truefalse", "Q1", "moodle", True),
        ("truefalse", "2-08 TSL", "moodle", False),
        ("truefalse", "2-08 TSL", "moodle", False),
    ]
    assert [q.text for q in questions] == [
        "How are you?",
        "Match the <b>activity</b> to the description.",
        "What's between orange and green in the spectrum?",
        "What's between orange and green in the spectrum?",
        # Text after "}" becomes a gap where the block stood, spacing as written (as Moodle).
        f"What is a number from 1 to 5? {BLANK}\";",
        "Which is the best animal?",
        f"42 is the Absolute Answer to everything.{BLANK}\";",
        "TSL is blablabla.",
        "TSL is blablabla.",
    ]
    essay, matching, single, multiple, numeric, short, tf, t, true = questions
    assert matching.pairs == [
        MatchPair("An activity supporting asynchronous discussions.", "Forum"),
        MatchPair("A teacher asks a question and specifies a choice of multiple responses.",
                  "Choice"),
        MatchPair("A bank of record entries which participants can add to.", "Database"),
        MatchPair("A collection of web pages that anyone can add to or edit.", "Wiki"),
        MatchPair("", "Chat"),
    ]
    assert single.choices == [Choice("yellow", 100, "right; good!"),
                              Choice("red", 0, "wrong, it's yellow"),
                              Choice("blue", 0, "wrong, it's yellow")]
    assert [(c.text, c.weight) for c in multiple.choices] == [
        ("yellow", 50), ("red", -100), ("off-beige", 50), ("blue", -100)]
    assert numeric.numeric_answers == [
        NumericAnswer(value=3, tolerance=2),
        NumericAnswer(low=-ANY_NUMBER, high=ANY_NUMBER, weight=0, feedback="Completely wrong")]
    assert short.short_answers == [ShortAnswer("Frog", 100, "Good!"),
                                   ShortAnswer("Cat", 50, "What is it with Moodlers and cats?"),
                                   ShortAnswer("*", 0, "Completely wrong")]
    # {FALSE#a#b}: "a" for a wrong answer (True), "b" for a right one (False), as in Moodle.
    assert (tf.answer, tf.feedback_true, tf.feedback_false) == (
        False, "42 is the Ultimate Answer.", "You gave the right answer.")
    assert tf.general_feedback == ("This is, of course, a Hitchiker's Guide to the Galaxy "
                                   "reference.")
    assert (t.answer, true.answer) == (True, True)


def test_moodle_fixture_imports_into_a_quiz(runner, db, tmp_path):
    steps.quiz_course(tmp_path, "khoa-moodle", module_quiz=steps.true_false_quiz("kiem-tra", 1))
    result = runner.invoke(args=["quizzes", "import-gift", str(FIXTURE), "--course",
                                 "khoa-moodle", "--module", "co-ban"])
    assert result.exit_code == 0, result.output
    assert "Imported 9 question(s)" in result.stdout
    assert [q.title for q in bank("khoa-moodle", "kiem-tra")][1:] == [
        "Q8", "Moodle activities", "Q2", "colours", "Q5", "Shortanswer", "Q1", "2-08 TSL",
        "2-08 TSL"]


def test_moodle_fixture_survives_a_round_trip():
    first = parse_gift(FIXTURE.read_text(encoding="utf-8")).questions
    exported = export_gift(first)
    assert exported.problems == []
    assert "to everything.{FALSE#42 is the Ultimate Answer." in exported.text
    second = parse_gift(exported.text)
    assert [str(p) for p in second.problems] == []
    assert [{**q.to_dict(), "line": None} for q in second.questions] == \
        [{**q.to_dict(), "line": None} for q in first]

"""Quizzes inside course packages: quiz.toml and quiz.gift in module folders and at the root,
their settings, refusal of bad quiz files (with file and line, nothing written) and re-import
that keeps every attempt."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from courses import services as course_services
from courses.models import Course, CourseFile, Lesson, Module
from courses.packages import PackageError, read_directory
from learning.errors import NotFound
from quizzes import services as quizzes
from quizzes.models import AttemptAnswer, Quiz, QuizAttempt, QuizQuestion
from tests import factories
from tests.quizzes import steps
from tests.quizzes.steps import EVERY_TYPE, GIFT_BANK, MODULE_FOLDER

NOW = datetime(2025, 3, 3, 8, 0, tzinfo=timezone.utc)


def bank_of(quiz: Quiz) -> list:
    return [question for _, question in quizzes.bank(quiz)]


def test_module_and_final_quizzes_import_with_every_question_type(db, tmp_path):
    course = steps.quiz_course(tmp_path, module_quiz=EVERY_TYPE, module_gift=GIFT_BANK,
                               final_gift=GIFT_BANK)
    module = db.session.scalar(select(Module).where(Module.course_id == course.id))
    found = quizzes.course_quizzes(course.id)
    assert [(q.slug, q.module_id) for q in found] == [("moi-loai-cau-hoi", module.id),
                                                      ("final-test", None)]
    module_quiz, final = found
    assert final.is_final and not module_quiz.is_final

    questions = bank_of(module_quiz)
    assert [q.type for q in questions] == [
        "description", "single", "multiple", "truefalse", "short", "numeric", "matching",
        "ordering", "essay", "single", "numeric"]  # inline questions first, then quiz.gift
    by_type = {q.type: q for q in questions[:9]}
    single = by_type["single"]
    assert [(c.text, c.weight) for c in single.choices] == [
        ("Trong thiết bị USB token", 100), ("Trong hộp thư điện tử", 0),
        ("Trên tờ giấy dán cạnh màn hình", 0)]
    assert single.points == 2 and single.general_feedback.startswith("Phanhoi Delta")
    # right ones share 100 %, each wrong one takes away as much as one right one
    assert [c.weight for c in by_type["multiple"].choices] == [50, 50, -50, -50]
    tf = by_type["truefalse"]
    assert (tf.answer, tf.feedback_true[:14], tf.feedback_false[:15]) == (
        False, "Phanhoi India:", "Phanhoi Juliet:")
    assert [(a.text, a.weight) for a in by_type["short"].short_answers] == [
        ("Zetaxyl liên thông", 100), ("Zetaxyl", 50)]
    numeric = by_type["numeric"].numeric_answers[0]
    assert (numeric.value, numeric.tolerance) == (98765.4321, 0.5)
    assert [(p.left, p.right) for p in by_type["matching"].pairs] == [
        ("LGSP", "nền tảng cấp bộ"), ("NDXP", "nền tảng quốc gia"),
        ("VNeID", "định danh điện tử"), ("", "mạng xã hội")]
    assert by_type["ordering"].order == ["Tạo dự thảo", "Lấy ý kiến", "Trình ký", "Phát hành"]
    assert by_type["description"].points == 0
    assert questions[9].title == "G1" and questions[9].choices[0].feedback == "Phanhoi Mike"

    # a quiz.gift without quiz.toml: a final test with the default settings
    assert final.title == "Kiểm tra cuối khóa"
    assert [q.title for q in bank_of(final)] == ["G1", "G2"]
    assert (final.pass_mark, final.max_attempts, final.time_limit_seconds, final.draw_count,
            final.grading_policy, final.review_policy, final.is_required, final.one_page,
            final.shuffle_questions, final.shuffle_options) == (
        70, None, None, None, "highest", "feedback", True, True, True, True)
    assert final.source_path == "quiz.gift"
    assert module_quiz.source_path == f"{MODULE_FOLDER}/quiz.toml"


def test_quiz_settings_are_stored(db, tmp_path):
    final_quiz = steps.true_false_quiz(
        "cuoi-khoa", 6, pass_mark=85, max_attempts=2, time_limit_minutes=15, draw=4,
        grading="last", review="score", required=False, one_page=False,
        shuffle_questions=False, shuffle_options=False)
    course = steps.quiz_course(tmp_path, module_quiz=EVERY_TYPE, final_quiz=final_quiz)
    module_quiz = steps.get_quiz(course.slug, "moi-loai-cau-hoi")
    assert (module_quiz.title, module_quiz.pass_mark, module_quiz.max_attempts,
            module_quiz.time_limit_seconds, module_quiz.draw_count, module_quiz.grading_policy,
            module_quiz.review_policy, module_quiz.is_required, module_quiz.one_page,
            module_quiz.shuffle_questions, module_quiz.shuffle_options) == (
        "Kiểm tra: mọi loại câu hỏi", 60, 3, 1800, None, "last", "feedback", False, True,
        False, True)
    final = steps.get_quiz(course.slug, "cuoi-khoa")
    assert (final.module_id, final.pass_mark, final.max_attempts, final.time_limit_seconds,
            final.draw_count, final.grading_policy, final.review_policy, final.is_required,
            final.one_page, final.shuffle_questions, final.shuffle_options) == (
        None, 85, 2, 900, 4, "last", "score", False, False, False, False)
    assert len(bank_of(final)) == 6


def test_max_attempts_zero_means_unlimited(db, tmp_path):
    course = steps.quiz_course(tmp_path, module_quiz=steps.true_false_quiz(max_attempts=0))
    assert steps.get_quiz(course.slug, "kiem-tra-nhanh").max_attempts is None


def counts(db) -> dict[str, int]:
    db.session.expire_all()
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Course, Module, Lesson, CourseFile, Quiz, QuizQuestion)}


BAD_QUIZ_FILES = {
    "bad toml": ({f"{MODULE_FOLDER}/quiz.toml": 'slug = "hong"\ntitle = "Hỏng"\npass_mark = \n'},
                 f"{MODULE_FOLDER}/quiz.toml", 3, "invalid TOML"),
    "unknown type": ({f"{MODULE_FOLDER}/quiz.toml": steps.true_false_quiz() + (
        '\n[[questions]]\ntype = "dien-khuyet"\ntext = "Loại lạ"\n')},
        f"{MODULE_FOLDER}/quiz.toml", None, "question 5: type must be one of single, multiple"),
    "no correct choice": ({f"{MODULE_FOLDER}/quiz.toml": (
        'slug = "khong-dung"\ntitle = "Không có đáp án"\n\n[[questions]]\ntype = "single"\n'
        'text = "Chọn"\nchoices = [{ text = "Một" }, { text = "Hai" }]\n')},
        f"{MODULE_FOLDER}/quiz.toml", None, "question 1: no choice is marked correct"),
    "draw larger than the bank": ({f"{MODULE_FOLDER}/quiz.toml": steps.true_false_quiz(
        count=3, draw=5)}, f"{MODULE_FOLDER}/quiz.toml", None,
        "“draw” is larger than the question bank"),
    "gift syntax error": ({f"{MODULE_FOLDER}/quiz.gift": (
        "::A:: Đúng? {T}\n\n// một chú thích\n::B:: Hỏng {=a ~b\n\n::C:: Ba? {=c ~d}\n")},
        f"{MODULE_FOLDER}/quiz.gift", 4, "“{” is not closed"),
    "bad setting": ({"quiz.toml": steps.true_false_quiz(grading="average")},
                    "quiz.toml", None, "“grading” must be highest or last"),
}


@pytest.mark.parametrize("files, file, line, message", BAD_QUIZ_FILES.values(),
                         ids=BAD_QUIZ_FILES.keys())
def test_bad_quiz_files_refuse_the_whole_package_and_nothing_is_written(db, tmp_path, files,
                                                                        file, line, message):
    root = steps.quiz_course(tmp_path, files=files, import_it=False)
    with pytest.raises(PackageError) as refused:
        course_services.import_package(None, read_directory(root), now=NOW)
    db.session.rollback()
    found = [(p.file, p.line, p.message) for p in refused.value.problems]
    assert any(f == file and l == line and m.startswith(message) for f, l, m in found), found
    assert counts(db) == {"Course": 0, "Module": 0, "Lesson": 0, "CourseFile": 0, "Quiz": 0,
                          "QuizQuestion": 0}


def test_every_problem_of_every_quiz_file_is_listed(db, tmp_path):
    root = steps.quiz_course(tmp_path, import_it=False, files={
        f"{MODULE_FOLDER}/quiz.toml": (
            'slug = "Sai Slug"\ntitle = "x"\npass_mark = 120\nreview = "all"\n\n'
            '[[questions]]\ntype = "truefalse"\ntext = "?"\n\n'
            '[[questions]]\ntype = "numeric"\ntext = "Số?"\nanswers = [{ tolerance = 1 }]\n'),
        "quiz.gift": "::A:: Đúng? {T}\n\n::B:: Lỗi {=a ~b\n"})
    with pytest.raises(PackageError) as refused:
        course_services.import_package(None, read_directory(root), now=NOW)
    listed = [str(p) for p in refused.value.problems]
    for expected in ("01-co-ban/quiz.toml: slug “Sai Slug”",
                     "01-co-ban/quiz.toml: “pass_mark” must be a whole number from 0 to 100",
                     "01-co-ban/quiz.toml: “review” must be score, answers or feedback",
                     "01-co-ban/quiz.toml: question 1: answer must be true or false",
                     "01-co-ban/quiz.toml: question 2: a numeric answer needs a value",
                     "quiz.gift:3: "):
        assert any(item.startswith(expected) for item in listed), (expected, listed)


def test_a_bad_quiz_in_a_new_version_leaves_the_old_version_intact(db, tmp_path):
    course = steps.quiz_course(tmp_path, module_quiz=steps.true_false_quiz(pass_mark=50))
    before = counts(db)
    root = steps.quiz_course(tmp_path, import_it=False, version="2.0.0", module_quiz=(
        steps.true_false_quiz(pass_mark=90) + '\n[[questions]]\ntype = "hoi-dap"\ntext = "?"\n'))
    with pytest.raises(PackageError):
        course_services.import_package(None, read_directory(root), now=NOW)
    db.session.rollback()
    assert counts(db) == before
    quiz = steps.get_quiz(course.slug, "kiem-tra-nhanh")
    assert quiz.pass_mark == 50 and len(bank_of(quiz)) == 4
    assert db.session.get(Course, course.id).version == "1.0.0"


def test_reimport_keeps_attempts_and_marks_removed_questions_and_quizzes(db, tmp_path):
    course = steps.quiz_course(tmp_path, module_quiz=steps.true_false_quiz(count=4),
                               final_quiz=steps.true_false_quiz("cuoi-khoa", 3))
    official = factories.UserFactory()
    course_services.enrol(official, official, course, now=NOW)
    quiz = steps.get_quiz(course.slug, "kiem-tra-nhanh")
    final = steps.get_quiz(course.slug, "cuoi-khoa")
    graded = quizzes.start_attempt(official, quiz, now=NOW, rng=random.Random(1))
    quizzes.submit(official, graded, {i: slot["data"]["answer"]
                                      for i, slot in enumerate(graded.layout)},
                   now=NOW + timedelta(minutes=5))
    graded_id, graded_layout = graded.id, graded.layout
    open_attempt = quizzes.start_attempt(official, quiz, now=NOW + timedelta(hours=1),
                                         rng=random.Random(2))
    open_id, open_layout = open_attempt.id, open_attempt.layout
    quizzes.save_responses(official, open_attempt, {i: slot["data"]["answer"] for i, slot
                                                    in enumerate(open_attempt.layout)},
                           now=NOW + timedelta(hours=1, minutes=2))
    final_attempt = quizzes.start_attempt(official, final, now=NOW)
    quizzes.submit(official, final_attempt, {}, now=NOW + timedelta(minutes=1))
    final_attempt_id = final_attempt.id
    db.session.commit()

    # Version 2: question 4 dropped, question 1 reworded and its answer flipped, a new
    # question 5, and no final test any more.
    changed = steps.true_false_quiz(count=3).replace(
        "Câu hỏi số 1: phát biểu này đúng hay sai?", "Câu hỏi số 1 (sửa): đúng hay sai?"
    ).replace("answer = true", "answer = false", 1) + (
        '\n[[questions]]\nid = "cau-5"\ntype = "truefalse"\ntext = "Câu mới"\nanswer = true\n')
    root = steps.quiz_course(tmp_path, module_quiz=changed, version="2.0.0", import_it=False)
    (root / "quiz.toml").unlink()
    factories.import_course(root, now=NOW + timedelta(days=1))

    db.session.expire_all()
    records = {r.key: r for r in db.session.scalars(select(QuizQuestion).where(
        QuizQuestion.quiz_id == quiz.id))}
    assert {k: r.is_removed for k, r in records.items()} == {
        "cau-1": False, "cau-2": False, "cau-3": False, "cau-4": True, "cau-5": False}
    assert records["cau-1"].data["text"] == "Câu hỏi số 1 (sửa): đúng hay sai?"
    assert steps.get_quiz(course.slug, "cuoi-khoa").is_removed
    with pytest.raises(NotFound):
        quizzes.get_quiz(course, "cuoi-khoa")
    assert [q.slug for q in quizzes.course_quizzes(course.id)] == ["kiem-tra-nhanh"]

    # Every attempt is still there, with the questions it was given.
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 3
    graded = steps.get_attempt(graded_id)
    assert graded.layout == graded_layout and graded.percent == 100.0 and graded.is_passed
    assert db.session.get(QuizAttempt, final_attempt_id).state == "submitted"
    still_open = steps.get_attempt(open_id)
    assert still_open.layout == open_layout and len(open_layout) == 4
    assert steps.saved_answers(open_id) == {i: slot["data"]["answer"]
                                            for i, slot in enumerate(open_layout)}
    # The open attempt is graded against the questions as they were when it started.
    quizzes.submit(official, still_open, None, now=NOW + timedelta(days=1, hours=1))
    assert (still_open.percent, still_open.is_passed) == (100.0, True)
    assert db.session.scalar(select(func.count()).select_from(AttemptAnswer).where(
        AttemptAnswer.attempt_id == open_id)) == 4

    # A new attempt draws from the current bank.
    fresh = quizzes.start_attempt(official, quiz, now=NOW + timedelta(days=2))
    assert sorted(slot["data"]["text"][:14] for slot in fresh.layout) == [
        "Câu hỏi số 1 (", "Câu hỏi số 2: ", "Câu hỏi số 3: ", "Câu mới"]

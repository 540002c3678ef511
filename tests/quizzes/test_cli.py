"""`flask quizzes import-gift` and `export-gift`: Moodle question banks in and out."""

from __future__ import annotations

from sqlalchemy import func, select

from quizzes import services as quizzes
from quizzes.models import Quiz, QuizQuestion
from tests.quizzes import steps
from tests.quizzes.steps import EVERY_TYPE, GIFT_BANK

SLUG = "khoa-gift"
MODULE = "co-ban"  # the module slug of tests.factories.course_package

MORE = """$CATEGORY: Bổ sung
::Thêm 1:: Chữ ký số dùng để làm gì? {
  =Xác thực người ký và bảo đảm toàn vẹn văn bản#Đúng vậy
  ~Nén tệp
}

::Thêm 2:: Mạng LGSP là nền tảng cấp bộ. {TRUE}

::Thêm 3:: Số câu hỏi tối thiểu là {#2..5}
"""


def bank(course_slug: str, quiz_slug: str) -> list:
    return [question for _, question in quizzes.bank(steps.get_quiz(course_slug, quiz_slug))]


def question_rows(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(QuizQuestion))


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_gift_adds_questions_to_the_modules_quiz(runner, db, tmp_path):
    steps.quiz_course(tmp_path, SLUG, module_quiz=steps.true_false_quiz("kiem-tra-nhanh", 2))
    result = runner.invoke(args=["quizzes", "import-gift", str(write(tmp_path, "them.gift", MORE)),
                                 "--course", SLUG, "--module", MODULE])
    assert result.exit_code == 0, result.output
    assert "Imported 3 question(s)" in result.stdout
    questions = bank(SLUG, "kiem-tra-nhanh")
    assert [(q.type, q.title) for q in questions] == [
        ("truefalse", ""), ("truefalse", ""), ("single", "Thêm 1"), ("truefalse", "Thêm 2"),
        ("numeric", "Thêm 3")]
    assert questions[2].category == "Bổ sung"
    assert (questions[4].numeric_answers[0].low, questions[4].numeric_answers[0].high) == (2, 5)
    # importing the same file again adds its questions again, under keys of their own
    again = runner.invoke(args=["quizzes", "import-gift", str(tmp_path / "them.gift"),
                                "--course", SLUG, "--module", MODULE])
    assert again.exit_code == 0, again.output
    assert len(bank(SLUG, "kiem-tra-nhanh")) == 8


def test_import_gift_creates_the_quiz_when_there_is_none(runner, db, tmp_path):
    course = steps.quiz_course(tmp_path, SLUG)
    path = write(tmp_path, "them.gift", MORE)
    result = runner.invoke(args=["quizzes", "import-gift", str(path), "--course", SLUG,
                                 "--module", MODULE])
    assert result.exit_code == 0, result.output
    module_quiz = steps.get_quiz(SLUG, f"{MODULE}-quiz")
    assert module_quiz.title == "Kiểm tra: Những điều cơ bản"
    assert module_quiz.module_id is not None and len(bank(SLUG, module_quiz.slug)) == 3
    final = runner.invoke(args=["quizzes", "import-gift", str(path), "--course", SLUG])
    assert final.exit_code == 0, final.output
    assert "(khoa-gift/final-test)" in final.stdout
    assert [q.slug for q in quizzes.course_quizzes(course.id)] == [f"{MODULE}-quiz",
                                                                   "final-test"]
    assert steps.get_quiz(SLUG, "final-test").is_final


def test_a_bad_gift_file_is_refused_with_its_lines_and_nothing_is_written(runner, db,
                                                                          tmp_path):
    steps.quiz_course(tmp_path, SLUG, module_quiz=steps.true_false_quiz("kiem-tra-nhanh", 2))
    before = question_rows(db)
    bad = write(tmp_path, "hong.gift",
                "::A:: Đúng? {T}\n\n::B:: Hỏng {=a ~b\n\n::C:: {#x}\n\n"
                "::D:: Tốt {=c ~d}\n")
    for module in ([], ["--module", MODULE]):  # into the final test (new) or the module's quiz
        result = runner.invoke(args=["quizzes", "import-gift", str(bad), "--course", SLUG,
                                     *module])
        assert result.exit_code != 0
        assert f"{bad}:3: “{{” is not closed" in result.stderr
        assert f"{bad}:5: the question has no text" in result.stderr
        assert "nothing was imported" in result.stderr
        assert "Imported" not in result.stdout
    assert question_rows(db) == before
    assert db.session.scalar(select(func.count()).select_from(Quiz)) == 1  # no final test


def test_import_gift_refuses_unknown_courses_and_modules_and_non_utf8(runner, db, tmp_path):
    steps.quiz_course(tmp_path, SLUG)
    path = write(tmp_path, "them.gift", MORE)
    unknown = runner.invoke(args=["quizzes", "import-gift", str(path), "--course", "khong-co"])
    assert unknown.exit_code != 0 and "No course 'khong-co'" in unknown.output
    no_module = runner.invoke(args=["quizzes", "import-gift", str(path), "--course", SLUG,
                                    "--module", "khong-co"])
    assert no_module.exit_code != 0 and "No module 'khong-co'" in no_module.output
    latin = tmp_path / "latin1.gift"
    latin.write_bytes("::A:: Café? {T}\n".encode("latin-1"))
    result = runner.invoke(args=["quizzes", "import-gift", str(latin), "--course", SLUG])
    assert result.exit_code != 0 and "not UTF-8" in result.output
    assert question_rows(db) == 0


ROUND_TRIP_FIELDS = ("type", "title", "text", "text_format", "general_feedback", "choices",
                     "answer", "feedback_true", "feedback_false", "short_answers",
                     "case_sensitive", "numeric_answers", "pairs", "embedded")


def comparable(question) -> dict:
    data = question.to_dict()
    return {name: data[name] for name in ROUND_TRIP_FIELDS}


def test_export_gift_imports_back_to_the_same_questions(runner, db, tmp_path):
    steps.quiz_course(tmp_path, SLUG, module_quiz=EVERY_TYPE, module_gift=GIFT_BANK)
    steps.quiz_course(tmp_path, "khoa-dich", lessons=("x",))
    out = tmp_path / "xuat.gift"
    result = runner.invoke(args=["quizzes", "export-gift", "--course", SLUG, "--module", MODULE,
                                 str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}." in result.stdout
    # the ordering question has no GIFT form: reported, not silently dropped
    assert ("“Sắp xếp các bước phát hành một văn bản …”: ordering questions have no GIFT "
            "form; not exported") in result.stderr
    assert "Sắp xếp các bước" not in out.read_text(encoding="utf-8")
    # what GIFT loses is said too, without calling an exported question "not exported"
    notes = [line for line in result.stderr.splitlines() if "2 points" in line]
    assert len(notes) == 1 and "not exported" not in notes[0]
    assert notes[0].startswith("xuat.gift: question 2 “Khóa bí mật")

    back = runner.invoke(args=["quizzes", "import-gift", str(out), "--course", "khoa-dich",
                               "--module", MODULE])
    assert back.exit_code == 0, back.output
    original = [q for q in bank(SLUG, "moi-loai-cau-hoi") if q.type != "ordering"]
    imported = bank("khoa-dich", f"{MODULE}-quiz")
    assert [comparable(q) for q in imported] == [comparable(q) for q in original]
    assert len(imported) == 10


def test_export_gift_of_the_final_test_and_of_a_module_without_a_quiz(runner, db, tmp_path):
    steps.quiz_course(tmp_path, SLUG, final_gift=MORE)
    out = tmp_path / "cuoi.gift"
    result = runner.invoke(args=["quizzes", "export-gift", "--course", SLUG, str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert out.read_text(encoding="utf-8").startswith("$CATEGORY: Bổ sung\n")
    none = runner.invoke(args=["quizzes", "export-gift", "--course", SLUG, "--module", MODULE,
                               str(tmp_path / "khong.gift")])
    assert none.exit_code != 0 and "has no quiz" in none.output
    assert not (tmp_path / "khong.gift").exists()

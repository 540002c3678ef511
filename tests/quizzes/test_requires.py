"""Prerequisites: a quiz's `requires` ("lessons", "quiz:<module slug>") locks it until the
official has completed the lessons (the module's for a module quiz, the course's for the final
test) and passed the named module quizzes. The start POST is refused while locked, not only
the button hidden."""

from __future__ import annotations

import pytest

from courses import services as course_services
from courses.packages import PackageError, read_directory
from learning import clock
from quizzes.package import parse_quizzes
from tests import factories
from tests.conftest import location_path, translated, translated_plural, visible_text
from tests.courses import steps as course_steps
from tests.quizzes import steps

SLUG = "khoa-dieu-kien"
MODULE_QUIZ, SECOND_QUIZ, FINAL = "kiem-tra-mot", "kiem-tra-hai", "cuoi-khoa"


def make_course(tmp_path, final_requires=("lessons", "quiz:co-ban", "quiz:them"), **kwargs):
    """Module "co-ban" (lessons a, b) and module "them" (lesson c), each with a quiz; the
    second module's quiz needs its own lessons, the final test whatever `final_requires` says."""
    return steps.quiz_course(
        tmp_path, SLUG,
        module_quiz=steps.true_false_quiz(MODULE_QUIZ, 2, pass_mark=50),
        final_quiz=steps.true_false_quiz(FINAL, 2, pass_mark=50, requires=list(final_requires)),
        files={"02-them/module.toml": 'slug = "them"\ntitle = "Phần thêm"\n',
               "02-them/01-c.md": factories.lesson_text("c", "Bài C"),
               "02-them/quiz.toml": steps.true_false_quiz(SECOND_QUIZ, 2, pass_mark=50,
                                                          requires=["lessons"])},
        **kwargs)


def take(client, quiz: str, right: int) -> int:
    attempt_id = steps.start(client, SLUG, quiz)
    layout = steps.get_attempt(attempt_id).layout
    steps.submit(client, attempt_id, steps.answer_fields(layout, right=right))
    return attempt_id


def refused_start(client, quiz: str):
    response = client.post(steps.quiz_url(SLUG, quiz) + "/start", data={})
    assert response.status_code == 302
    assert location_path(response) == steps.quiz_url(SLUG, quiz)
    return response


# --- the package -------------------------------------------------------------------------------

def test_requires_is_read_in_order_without_duplicates():
    files = {"quiz.toml": steps.true_false_quiz(
        FINAL, 2, requires=["lessons", "quiz:co-ban", "lessons"]).encode()}
    [spec], problems = parse_quizzes(files)
    assert problems == []
    assert spec.requires == ["lessons", "quiz:co-ban"]


def test_no_requires_means_no_requirement(db, tmp_path):
    steps.quiz_course(tmp_path, SLUG, final_quiz=steps.true_false_quiz(FINAL, 2))
    assert steps.get_quiz(SLUG, FINAL).requires == []


@pytest.mark.parametrize("requires, message", [
    ('"lessons"', "“requires” must be a list of texts"),
    ("[1]", "“requires” must be a list of texts"),
    ('["chapters"]', "“requires”: “chapters” is neither"),
    ('["quiz:Co Ban"]', "“requires”: “quiz:Co Ban” is neither"),
    ('["quiz:khong-co"]', "“requires”: no module “khong-co”"),
    ('["quiz:them"]', "“requires”: module “them” has no quiz"),
])
def test_bad_requires_refuse_the_package_naming_the_file(db, tmp_path, requires, message):
    final = f"requires = {requires}\n" + steps.true_false_quiz(FINAL, 2)
    root = steps.quiz_course(
        tmp_path, SLUG, final_quiz=final, import_it=False,
        files={"02-them/module.toml": 'slug = "them"\ntitle = "Phần thêm"\n',
               "02-them/01-c.md": factories.lesson_text("c", "Bài C")})
    with pytest.raises(PackageError) as refused:
        course_services.import_package(None, read_directory(root), now=clock.now())
    db.session.rollback()
    found = [(p.file, p.message) for p in refused.value.problems]
    assert any(f == "quiz.toml" and m.startswith(message) for f, m in found), found


def test_a_module_quiz_cannot_require_itself(db, tmp_path):
    root = steps.quiz_course(
        tmp_path, SLUG, import_it=False,
        module_quiz=steps.true_false_quiz(MODULE_QUIZ, 2, requires=["quiz:co-ban"]))
    with pytest.raises(PackageError) as refused:
        course_services.import_package(None, read_directory(root), now=clock.now())
    db.session.rollback()
    assert any(p.file == f"{steps.MODULE_FOLDER}/quiz.toml" and "itself" in p.message
               for p in refused.value.problems)


# --- the pages ---------------------------------------------------------------------------------

def test_a_locked_final_test_lists_what_is_missing_instead_of_the_start_button(
        client, login_as, db, tmp_path):
    make_course(tmp_path)
    login_as("learner")
    course_steps.enrol(client, SLUG)
    course_steps.mark_done(client, SLUG, "a")
    response = client.get(steps.quiz_url(SLUG, FINAL))
    assert response.status_code == 200
    text = visible_text(response)
    assert translated("vi", "This quiz is locked.") in text
    assert "Bài A" not in text  # done
    assert "Bài B" in text and "Bài C" in text
    assert f"Kiểm tra {MODULE_QUIZ}" in text and f"Kiểm tra {SECOND_QUIZ}" in text
    html = response.get_data(as_text=True)
    assert f'href="/courses/{SLUG}/lessons/b"' in html
    assert f'href="{steps.quiz_url(SLUG, MODULE_QUIZ)}"' in html
    assert f'action="{steps.quiz_url(SLUG, FINAL)}/start"' not in html


def test_starting_a_locked_quiz_is_refused_and_creates_no_attempt(client, login_as, db,
                                                                  tmp_path):
    make_course(tmp_path)
    user = login_as("learner")
    course_steps.enrol(client, SLUG)
    refused_start(client, FINAL)
    assert steps.attempts(user, steps.get_quiz(SLUG, FINAL)) == []
    page = visible_text(client.get(steps.quiz_url(SLUG, FINAL)))
    assert translated("vi", "This quiz is locked: finish what it requires first.") in page


def test_a_module_quiz_requires_only_its_own_module_lessons(client, login_as, db, tmp_path):
    make_course(tmp_path)
    user = login_as("learner")
    course_steps.enrol(client, SLUG)
    course_steps.mark_done(client, SLUG, "a")
    course_steps.mark_done(client, SLUG, "b")
    refused_start(client, SECOND_QUIZ)
    text = visible_text(client.get(steps.quiz_url(SLUG, SECOND_QUIZ)))
    assert "Bài C" in text and "Bài A" not in text and "Bài B" not in text
    assert steps.attempts(user, steps.get_quiz(SLUG, SECOND_QUIZ)) == []
    course_steps.mark_done(client, SLUG, "c")
    assert steps.start(client, SLUG, SECOND_QUIZ)


def test_the_final_test_unlocks_after_the_lessons_and_the_module_quizzes(client, login_as,
                                                                         db, tmp_path):
    make_course(tmp_path)
    user = login_as("learner")
    course_steps.enrol(client, SLUG)
    for lesson in ("a", "b", "c"):
        course_steps.mark_done(client, SLUG, lesson)
    take(client, MODULE_QUIZ, right=2)
    take(client, SECOND_QUIZ, right=0)  # failed: still locked
    refused_start(client, FINAL)
    text = visible_text(client.get(steps.quiz_url(SLUG, FINAL)))
    assert f"Kiểm tra {SECOND_QUIZ}" in text and f"Kiểm tra {MODULE_QUIZ}" not in text
    take(client, SECOND_QUIZ, right=2)
    response = client.get(steps.quiz_url(SLUG, FINAL))
    assert translated("vi", "This quiz is locked.") not in visible_text(response)
    take(client, FINAL, right=2)
    assert len(steps.attempts(user, steps.get_quiz(SLUG, FINAL))) == 1


def test_only_the_lessons_when_only_lessons_are_required(client, login_as, db, tmp_path):
    make_course(tmp_path, final_requires=("lessons",))
    login_as("learner")
    course_steps.enrol(client, SLUG)
    for lesson in ("a", "b", "c"):
        course_steps.mark_done(client, SLUG, lesson)
    assert steps.start(client, SLUG, FINAL)


# --- cycles --------------------------------------------------------------------------------------

def module_files(*modules: tuple[str, str, list[str]]) -> dict:
    """Extra modules: (folder, slug, requires of its quiz)."""
    files = {}
    for folder, slug, requires in modules:
        files[f"{folder}/module.toml"] = f'slug = "{slug}"\ntitle = "Phần {slug}"\n'
        files[f"{folder}/01-{slug}.md"] = factories.lesson_text(f"bai-{slug}", f"Bài {slug}")
        files[f"{folder}/quiz.toml"] = steps.true_false_quiz(f"kiem-tra-{slug}", 2,
                                                             requires=requires)
    return files


def refused(db, root) -> list[tuple[str, str]]:
    with pytest.raises(PackageError) as error:
        course_services.import_package(None, read_directory(root), now=clock.now())
    db.session.rollback()
    return [(p.file, p.message) for p in error.value.problems]


def test_two_quizzes_requiring_each_other_refuse_the_package(db, tmp_path):
    root = steps.quiz_course(
        tmp_path, SLUG, import_it=False,
        module_quiz=steps.true_false_quiz(MODULE_QUIZ, 2, requires=["quiz:them"]),
        files=module_files(("02-them", "them", ["lessons", "quiz:co-ban"])))
    problems = refused(db, root)
    assert problems == [(f"{steps.MODULE_FOLDER}/quiz.toml",
                         "“requires”: these quizzes require each other in a cycle, so none "
                         "could be started: quiz:co-ban → quiz:them → quiz:co-ban")]
    assert course_steps.course_by_slug(SLUG) is None  # nothing was imported


def test_a_longer_cycle_is_named_whole_and_reported_once(db, tmp_path):
    root = steps.quiz_course(
        tmp_path, SLUG, import_it=False,
        module_quiz=steps.true_false_quiz(MODULE_QUIZ, 2, requires=["quiz:hai"]),
        final_quiz=steps.true_false_quiz(FINAL, 2, requires=["quiz:co-ban", "quiz:ba"]),
        files=module_files(("02-hai", "hai", ["quiz:ba"]),
                           ("03-ba", "ba", ["quiz:co-ban"])))
    problems = refused(db, root)
    assert len(problems) == 1, problems
    file, message = problems[0]
    assert file == f"{steps.MODULE_FOLDER}/quiz.toml"
    assert message.endswith("quiz:co-ban → quiz:hai → quiz:ba → quiz:co-ban")


def test_a_chain_without_a_cycle_is_accepted(db, tmp_path):
    steps.quiz_course(
        tmp_path, SLUG,
        module_quiz=steps.true_false_quiz(MODULE_QUIZ, 2),
        final_quiz=steps.true_false_quiz(FINAL, 2, requires=["quiz:co-ban", "quiz:ba"]),
        files=module_files(("02-hai", "hai", ["quiz:co-ban"]),
                           ("03-ba", "ba", ["quiz:hai", "quiz:co-ban"])))
    assert steps.get_quiz(SLUG, "kiem-tra-ba").requires == ["quiz:hai", "quiz:co-ban"]


# --- the course page ----------------------------------------------------------------------------

def lock_of(html: str, title: str) -> str | None:
    """What the course page says a quiz waits for ("To unlock it: ..."), None when unlocked."""
    import re

    match = re.search(rf'<p class="quiz-line"[^>]*>\s*<a href="[^"]*"[^>]*>{re.escape(title)}</a>'
                      rf'(.*?)</p>\s*(<p class="quiz-missing"[^>]*>(.*?)</p>)?', html, re.S)
    assert match, f"no quiz line for {title}"
    if translated("vi", "Locked") not in match.group(1):
        assert match.group(2) is None
        return None
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(3)).split()).replace(" ,", ",") \
        .replace(" .", ".")


def test_the_course_page_shows_each_quizs_lock_and_what_is_missing(client, login_as, db,
                                                                  tmp_path):
    make_course(tmp_path)
    login_as("learner")
    html = client.get(f"/courses/{SLUG}").data.decode()
    assert lock_of(html, f"Kiểm tra {FINAL}") is None  # not enrolled: no personal locks
    course_steps.enrol(client, SLUG)
    course_steps.mark_done(client, SLUG, "a")
    html = client.get(f"/courses/{SLUG}").data.decode()
    assert lock_of(html, f"Kiểm tra {MODULE_QUIZ}") is None  # requires nothing
    assert lock_of(html, f"Kiểm tra {SECOND_QUIZ}") == translated_plural(
        "vi", "To unlock it: complete %(num)s more lesson.",
        "To unlock it: complete %(num)s more lessons.", 1)
    quizzes = f"Kiểm tra {MODULE_QUIZ}, Kiểm tra {SECOND_QUIZ}"
    assert lock_of(html, f"Kiểm tra {FINAL}") == translated_plural(
        "vi", "To unlock it: complete %(num)s more lesson and pass %(quizzes)s.",
        "To unlock it: complete %(num)s more lessons and pass %(quizzes)s.", 2,
        quizzes=quizzes)
    assert f'href="{steps.quiz_url(SLUG, SECOND_QUIZ)}"' in html

    course_steps.mark_done(client, SLUG, "b")
    course_steps.mark_done(client, SLUG, "c")
    take(client, MODULE_QUIZ, right=2)
    html = client.get(f"/courses/{SLUG}").data.decode()
    assert lock_of(html, f"Kiểm tra {SECOND_QUIZ}") is None
    assert lock_of(html, f"Kiểm tra {FINAL}") == translated(
        "vi", "To unlock it: pass %(quizzes)s.", quizzes=f"Kiểm tra {SECOND_QUIZ}")
    take(client, SECOND_QUIZ, right=2)
    assert lock_of(client.get(f"/courses/{SLUG}").data.decode(), f"Kiểm tra {FINAL}") is None

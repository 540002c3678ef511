"""Quiz packages written as an author would, and what an official does on the quiz pages.

Packages are real folders (tests.factories.write_package) with quiz.toml / quiz.gift files,
imported through the service. Attempts are taken through the test client; the helpers that
read an attempt's layout from the database only decide what to type, as a person reading the
page would.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from courses.models import Course
from learning.db import db
from quizzes.models import AttemptAnswer, Quiz, QuizAttempt
from tests import factories
from tests.conftest import location_path

MODULE_FOLDER = "01-co-ban"

# Every question type, with feedback and answers that never appear in question texts or
# options, so a page can be searched for them (see test_secrecy.py).
EVERY_TYPE = '''
slug = "moi-loai-cau-hoi"
title = "Kiểm tra: mọi loại câu hỏi"
pass_mark = 60
max_attempts = 3
time_limit_minutes = 30
shuffle_questions = false
shuffle_options = true
grading = "last"
review = "feedback"
required = false
one_page = true

[[questions]]
type = "description"
text = "Đọc kỹ từng câu trước khi trả lời."

[[questions]]
id = "mot-lua-chon"
type = "single"
text = "Khóa bí mật của chữ ký số cá nhân được lưu ở đâu?"
choices = [
  { text = "Trong thiết bị USB token", correct = true, feedback = "Phanhoi Alpha: khóa không rời thiết bị." },
  { text = "Trong hộp thư điện tử", feedback = "Phanhoi Bravo: hộp thư không giữ khóa." },
  { text = "Trên tờ giấy dán cạnh màn hình", feedback = "Phanhoi Charlie: không bao giờ ghi ra giấy." },
]
feedback = "Phanhoi Delta: khóa bí mật là của riêng người ký."
points = 2

[[questions]]
id = "nhieu-lua-chon"
type = "multiple"
text = "Báo lỗi gửi bộ phận hỗ trợ nên có những gì?"
choices = [
  { text = "Thời điểm xảy ra lỗi", correct = true, feedback = "Phanhoi Echo" },
  { text = "Các bước đã làm", correct = true, feedback = "Phanhoi Foxtrot" },
  { text = "Mật khẩu của bạn", feedback = "Phanhoi Golf" },
  { text = "Mã OTP vừa nhận", feedback = "Phanhoi Hotel" },
]

[[questions]]
id = "dung-sai"
type = "truefalse"
text = "Chỉ cần đóng thẻ trình duyệt là phiên đăng nhập đã kết thúc."
answer = false
feedback_true = "Phanhoi India: đóng thẻ chưa phải là đăng xuất."
feedback_false = "Phanhoi Juliet: đúng vậy, hãy bấm Đăng xuất."

[[questions]]
id = "tra-loi-ngan"
type = "short"
text = "Gõ tên nền tảng trục liên thông của Bộ."
answers = [{ text = "Zetaxyl liên thông", feedback = "Phanhoi Kilo" }, { text = "Zetaxyl", weight = 50 }]

[[questions]]
id = "con-so"
type = "numeric"
text = "Mã định danh thử nghiệm là số nào?"
answers = [{ value = 98765.4321, tolerance = 0.5, feedback = "Phanhoi Lima" }]

[[questions]]
id = "ghep-doi"
type = "matching"
text = "Ghép mỗi nền tảng với phạm vi của nó."
pairs = [
  { left = "LGSP", right = "nền tảng cấp bộ" },
  { left = "NDXP", right = "nền tảng quốc gia" },
  { left = "VNeID", right = "định danh điện tử" },
]
distractors = ["mạng xã hội"]

[[questions]]
id = "sap-xep"
type = "ordering"
text = "Sắp xếp các bước phát hành một văn bản đi."
items = ["Tạo dự thảo", "Lấy ý kiến", "Trình ký", "Phát hành"]

[[questions]]
id = "tu-luan"
type = "essay"
text = "Kể một lần bạn nhận được thư lừa đảo."
'''

# The feedback and answer texts of EVERY_TYPE that must stay on the server until submission.
SECRETS = ["Phanhoi", "Zetaxyl", "98765", "98 765", "98.765"]

GIFT_BANK = """// Câu hỏi bổ sung viết cho Moodle
::G1:: Thủ đô của Việt Nam là? {=Hà Nội#Phanhoi Mike ~Huế ~Đà Nẵng}

::G2:: Hai cộng hai bằng mấy? {#4:0}
"""


def true_false_quiz(slug: str = "kiem-tra-nhanh", count: int = 4, **settings) -> str:
    """A quiz.toml of `count` true/false questions (answers alternate true, false, ...)."""
    settings = {"slug": slug, "title": f"Kiểm tra {slug}", **settings}
    lines = [f"{key} = {factories._toml_value(value)}" for key, value in settings.items()]
    for n in range(count):
        lines += ["", "[[questions]]", f'id = "cau-{n + 1}"', 'type = "truefalse"',
                  f'text = "Câu hỏi số {n + 1}: phát biểu này đúng hay sai?"',
                  f"answer = {'true' if n % 2 == 0 else 'false'}"]
    return "\n".join(lines) + "\n"


def quiz_course(tmp_path, slug: str = "khoa-kiem-tra", *, module_quiz: str | None = None,
                module_gift: str | None = None, final_quiz: str | None = None,
                final_gift: str | None = None, rule: str = "all_lessons_and_quizzes",
                lessons=("a", "b"), files: dict | None = None, import_it: bool = True,
                **course):
    """Write a one-module course package with the given quiz files; import it unless told not
    to. Returns the Course (or the package folder when `import_it` is False)."""
    quiz_files = {f"{MODULE_FOLDER}/quiz.toml": module_quiz,
                  f"{MODULE_FOLDER}/quiz.gift": module_gift,
                  "quiz.toml": final_quiz, "quiz.gift": final_gift}
    root = factories.write_package(
        tmp_path / slug,
        factories.course_package(slug, lessons=lessons, completion={"rule": rule}, **course),
        files={**{k: v for k, v in quiz_files.items() if v is not None}, **(files or {})})
    if not import_it:
        return root
    return factories.import_course(root).course


def get_quiz(course_slug: str, quiz_slug: str) -> Quiz:
    """The quiz as committed (read afresh)."""
    db.session.expire_all()
    return db.session.scalar(select(Quiz).join(Course).where(
        Course.slug == course_slug, Quiz.slug == quiz_slug))


def attempts(user, quiz: Quiz) -> list[QuizAttempt]:
    """The official's attempts at the quiz as committed, oldest first."""
    db.session.expire_all()
    return list(db.session.scalars(select(QuizAttempt).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id)
        .order_by(QuizAttempt.number)))


def get_attempt(attempt_id: int) -> QuizAttempt:
    db.session.expire_all()
    return db.session.get(QuizAttempt, attempt_id)


def saved_answers(attempt_id: int) -> dict[int, object]:
    """Slot -> stored response of an attempt."""
    db.session.expire_all()
    return {a.slot: a.response for a in db.session.scalars(select(AttemptAnswer).where(
        AttemptAnswer.attempt_id == attempt_id))}


# --- the browser ------------------------------------------------------------------------------

def quiz_url(course_slug: str, quiz_slug: str) -> str:
    return f"/courses/{course_slug}/quizzes/{quiz_slug}"


def start(client, course_slug: str, quiz_slug: str) -> int:
    """Press "Start attempt"; return the attempt id the page goes to."""
    response = client.post(quiz_url(course_slug, quiz_slug) + "/start", data={})
    assert response.status_code == 302, response.status_code
    match = re.fullmatch(r"/attempts/(\d+)", location_path(response))
    assert match, location_path(response)
    return int(match.group(1))


def send(client, attempt_id: int, fields: dict, action: str = "save", page: int = 0):
    """Post a page of the attempt form with the given answer fields and button."""
    return client.post(f"/attempts/{attempt_id}?page={page}",
                       data={**fields, "page": str(page), "action": action})


def review_url(attempt_id: int) -> str:
    return f"/attempts/{attempt_id}/review"


def confirm(client, attempt_id: int):
    """Press "Nộp bài" on the review page (the only form that grades)."""
    return client.post(review_url(attempt_id), data={"confirm": "1"})


def submit(client, attempt_id: int, fields: dict | None = None, page: int = 0):
    """Submit as an official does: the attempt form's submit button (which saves and goes to
    the review page), then the confirmation there; wherever the server sends the official
    instead (time up, already submitted), stop there. Returns the last response."""
    response = send(client, attempt_id, fields or {}, "submit", page)
    if response.status_code != 302 or location_path(response) != review_url(attempt_id):
        return response
    review = client.get(review_url(attempt_id))
    if review.status_code != 200:
        return review
    return confirm(client, attempt_id)


def right_fields(slot_index: int, slot: dict) -> dict:
    """The form fields that answer one slot of a layout fully right (as a reader would)."""
    data, name = slot["data"], f"q{slot_index}"
    kind = data["type"]
    if kind == "single":
        best = max(range(len(data["choices"])), key=lambda i: data["choices"][i]["weight"])
        return {name: str(slot["choice_order"].index(best))}
    if kind == "multiple":
        return {name: [str(slot["choice_order"].index(i))
                       for i, c in enumerate(data["choices"]) if c["weight"] > 0]}
    if kind == "truefalse":
        return {name: "true" if data["answer"] else "false"}
    if kind == "short":
        best = max(data["short_answers"], key=lambda a: a["weight"])
        return {name: best["text"].replace("*", "")}
    if kind == "numeric":
        best = max(data["numeric_answers"], key=lambda a: a["weight"])
        value = best["value"] if best["value"] is not None else best["low"]
        return {name: str(value).replace(".", ",")}  # typed the Vietnamese way
    if kind == "matching":
        prompts = [p for p in data["pairs"] if p["left"]]
        return {f"{name}-m{i}": str(slot["rights"].index(p["right"]))
                for i, p in enumerate(prompts)}
    if kind == "ordering":
        return {f"{name}-o{k}": str(item + 1) for k, item in enumerate(slot["item_order"])}
    if kind == "essay":
        return {name: "Tôi đã báo cho bộ phận an toàn thông tin."}
    return {}


def wrong_fields(slot_index: int, slot: dict) -> dict:
    """Form fields that answer a true/false or single-choice slot wrong."""
    data, name = slot["data"], f"q{slot_index}"
    if data["type"] == "truefalse":
        return {name: "false" if data["answer"] else "true"}
    if data["type"] == "single":
        worst = min(range(len(data["choices"])), key=lambda i: data["choices"][i]["weight"])
        return {name: str(slot["choice_order"].index(worst))}
    raise ValueError(data["type"])


def answer_fields(layout: list[dict], right: int | None = None, *, slots=None) -> dict:
    """Fields for the given slots (default all): the first `right` answered right (default
    all), the rest wrong."""
    fields: dict = {}
    chosen = range(len(layout)) if slots is None else slots
    for n, index in enumerate(chosen):
        if right is None or n < right:
            fields.update(right_fields(index, layout[index]))
        else:
            fields.update(wrong_fields(index, layout[index]))
    return fields


def percent(value: float, locale: str = "vi") -> str:
    """A score as the pages show it with `| percentformat` (value in percent)."""
    from flask import current_app
    from flask_babel import force_locale, format_percent

    with current_app.test_request_context(), force_locale(locale):
        return format_percent(value / 100)


def verdict(html: str) -> str:
    """The pass-or-fail heading of a result page as it reads (its ✓/✗ are hidden from
    screen readers, so left out)."""
    match = re.search(r'<h2 id="verdict"[^>]*>(.*?)</h2>', html, re.S)
    assert match, "the result page has no verdict heading"
    words = re.sub(r'<span[^>]*aria-hidden="true"[^>]*>.*?</span>', " ", match.group(1))
    return " ".join(re.sub(r"<[^>]+>", " ", words).split())

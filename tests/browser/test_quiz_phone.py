"""Matching and ordering questions on a 390 px phone: the page does not scroll sideways and
every option's full text can be read (a <select> cannot wrap its text, so the matching answers
are listed in full above the selects, which choose by letter)."""

from __future__ import annotations

import pytest

from courses import services as course_services
from learning import clock
from tests.browser.audit import Audit
from tests.browser.conftest import start_quiz, visit
from tests.quizzes import steps as quiz_steps

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}
COURSE = "khoa-dien-thoai"

RIGHTS = [
    "Nền tảng tích hợp, chia sẻ dữ liệu cấp bộ kết nối các hệ thống thông tin nội bộ của Bộ",
    "Nền tảng tích hợp, chia sẻ dữ liệu quốc gia do Bộ Thông tin và Truyền thông vận hành",
    "Ứng dụng định danh và xác thực điện tử của công dân do Bộ Công an cấp và quản lý",
]
DISTRACTOR = "Mạng xã hội dùng để trao đổi công việc thường ngày giữa các đồng nghiệp trong đơn vị"
LEFTS = [
    "Trục liên thông văn bản và dữ liệu của Bộ (LGSP) dùng cho các đơn vị trực thuộc",
    "Nền tảng NDXP kết nối giữa các bộ, ngành và địa phương trên toàn quốc",
    "Tài khoản VNeID mức độ 2 dùng để đăng nhập dịch vụ công trực tuyến",
]
ITEMS = [
    "Chuyên viên soạn thảo dự thảo văn bản và gửi lãnh đạo phòng xem xét cho ý kiến",
    "Lấy ý kiến góp ý của các đơn vị liên quan trong và ngoài Bộ qua hệ thống quản lý văn bản",
    "Trình lãnh đạo Bộ ký số văn bản bằng chứng thư số chuyên dùng của Ban Cơ yếu Chính phủ",
    "Văn thư phát hành văn bản điện tử qua trục liên thông văn bản quốc gia đến nơi nhận",
]


def _toml_list(values):
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


LONG_OPTIONS = f'''
slug = "cau-hoi-dai"
title = "Kiểm tra: ghép đôi và sắp xếp"
pass_mark = 60
shuffle_questions = false
shuffle_options = true
one_page = true

[[questions]]
id = "ghep-doi"
type = "matching"
text = "Ghép mỗi nền tảng với mô tả đúng của nó."
pairs = [
{"".join(f'  {{ left = "{left}", right = "{right}" }},{chr(10)}' for left, right in zip(LEFTS, RIGHTS))}]
distractors = ["{DISTRACTOR}"]

[[questions]]
id = "sap-xep"
type = "ordering"
text = "Sắp xếp các bước phát hành một văn bản đi."
items = {_toml_list(ITEMS)}
''' + '''
[[questions]]
id = "lenh"
type = "single"
text = """Lệnh nào kiểm tra chữ ký số của một văn bản đã ký?

```
signtool verify /pa /v van-ban-da-ky-so-cua-bo-ngoai-giao-so-1234-bng-vp-phat-hanh.pdf
```
"""
choices = [{ text = "signtool verify", correct = true }, { text = "signtool sign" }]
'''

# Each text element: its full text, whether it is cut (scrolls inside itself, is clipped by an
# ancestor that hides overflow, or sticks out of the window) and whether it is shown at all.
TEXTS = """(selector) => [...document.querySelectorAll(selector)].map(el => {
  const r = el.getBoundingClientRect();
  let clipped = false;
  for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
    const s = getComputedStyle(a);
    if (s.overflowX !== 'visible' || s.overflowY !== 'visible') {
      const b = a.getBoundingClientRect();
      if (r.left < b.left - 0.5 || r.right > b.right + 0.5 ||
          r.top < b.top - 0.5 || r.bottom > b.bottom + 0.5) clipped = true;
    }
  }
  const style = getComputedStyle(el);
  return {text: el.textContent.trim(),
          shown: r.width > 0 && r.height > 0 && style.visibility === 'visible' && style.display !== 'none',
          cut: el.scrollWidth > el.clientWidth + 0.5 || clipped ||
               r.left < -0.5 || r.right > window.innerWidth + 0.5};
})"""


@pytest.fixture
def long_quiz(ministry, db, tmp_path):
    course = quiz_steps.quiz_course(tmp_path, COURSE, module_quiz=LONG_OPTIONS)
    course_services.enrol(ministry, ministry, course, now=clock.now())
    db.session.commit()
    return f"/courses/{COURSE}/quizzes/cau-hoi-dai"


def test_matching_and_ordering_are_readable_at_390_px(web, ministry, long_quiz):
    page = web.signed_in_page(ministry, PHONE_390)
    start_quiz(page, long_quiz)

    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE_390["width"], f"the attempt page scrolls sideways: {width} px"

    matching = page.evaluate(TEXTS, ".question-matching .choice-text")
    assert sorted(t["text"] for t in matching) == sorted(RIGHTS + [DISTRACTOR])
    prompts = page.evaluate(TEXTS, ".question-matching th label")
    assert sorted(t["text"] for t in prompts) == sorted(LEFTS)
    ordering = page.evaluate(TEXTS, ".question-ordering .ordering-item label")
    assert sorted(t["text"] for t in ordering) == sorted(ITEMS)
    for item in matching + prompts + ordering:
        assert item["shown"] and not item["cut"], f"not fully visible at 390 px: {item}"

    # A question's code block scrolls in place, and takes keyboard focus to do so.
    code = page.locator(".question-text pre")
    assert code.evaluate("el => el.scrollWidth > el.clientWidth"), "the code block does not scroll"
    assert code.get_attribute("tabindex") == "0", "the scrolling code block takes no focus"

    # The selects fit the window, each tied to its prompt's label.
    selects = page.evaluate("""() => [...document.querySelectorAll('.attempt-form select')].map(s => {
      const r = s.getBoundingClientRect();
      return {id: s.id, left: r.left, right: r.right, labels: s.labels.length};
    })""")
    assert len(selects) == len(LEFTS) + len(ITEMS)
    for select in selects:
        assert select["left"] >= 0 and select["right"] <= PHONE_390["width"], select
        assert select["labels"] == 1, select

    # Choosing by letter still saves the chosen answer: each option names the text it stands for.
    first = page.locator(".question-matching select").first
    options = first.locator("option").all_inner_texts()
    assert all(any(o.endswith(right) for o in options) for right in RIGHTS + [DISTRACTOR])

    audit = Audit()
    audit.check(page, "attempt page with long matching and ordering options at 390 px")
    audit.assert_clean()

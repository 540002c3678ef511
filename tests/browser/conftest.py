"""Real-browser fixtures: the app served on 127.0.0.1 in a thread, one headless Debian Chromium
per test session driven by Playwright, a fresh browser context (cookies, viewport) per test.

The server uses the same application and database as the `app` fixture, so what a test creates
with the factories (and commits) is what the browser sees; the `app` fixture empties the tables
after each test. Playwright never downloads a browser here: it drives /usr/bin/chromium, and a
missing Chromium fails the tests (CI installs the `chromium` package)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from courses import services as course_services
from learning import clock
from tests import factories

CHROMIUM = os.environ.get("HOCSO_CHROMIUM", "/usr/bin/chromium")
# The machine has no internet: without these flags Chromium keeps trying to reach Google.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VENDOR = Path(__file__).parent / "vendor"
PASSWORD = "correct horse battery"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}

# Long, real-looking Vietnamese names: what makes narrow layouts break.
MINISTRY = "Bộ Ngoại giao"
DEPARTMENTS = [
    "Cục Cơ yếu - Công nghệ thông tin",
    "Cục Lãnh sự",
    "Vụ Tổ chức Cán bộ",
]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # keep the test output readable
        pass


class _InFlight:
    """How many requests the live server is handling, to wait for them before a test's tables
    are emptied: a page that is closed still sends its last report (the lesson page's visit
    and reading time, by navigator.sendBeacon), and a write still running then would meet
    the TRUNCATE (a deadlock on PostgreSQL)."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def __enter__(self):
        with self._idle:
            self._count += 1

    def __exit__(self, *exc):
        with self._idle:
            self._count -= 1
            self._idle.notify_all()

    def wait_idle(self, *, grace: float = 0.3, timeout: float = 15.0) -> None:
        """Give late requests `grace` seconds to arrive, then wait until none is running."""
        time.sleep(grace)
        with self._idle:
            self._idle.wait_for(lambda: self._count == 0, timeout=timeout)


IN_FLIGHT = _InFlight()


def _buffered(app):
    """Read each response whole before sending it: when the browser drops a connection
    mid-send, werkzeug's server never closes the response (an open static file, a
    ResourceWarning at some later test)."""

    def wsgi(environ, start_response):
        with IN_FLIGHT:
            iterable = app(environ, start_response)
            try:
                return [b"".join(iterable)]
            finally:
                if hasattr(iterable, "close"):
                    iterable.close()

    return wsgi


@pytest.fixture(scope="session")
def live_server(_app) -> Iterator[str]:
    """Serve the test application on a free port of 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, _buffered(_app), threaded=True,
                         request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="hocso-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One headless Chromium for the whole session (Debian's, never a downloaded one)."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: the browser tests need Debian's chromium "
            "package (apt-get install chromium), or HOCSO_CHROMIUM=/path/to/chromium. "
            "Do not run `playwright install`: it cannot download here.",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - `make install` installs it
        pytest.fail("The playwright Python package is missing: run `make install`.",
                    pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Traffic:
    """What the pages of one browser context did on the network and in the console."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def foreign(self, base_url: str) -> list[str]:
        """Return the requests that went anywhere but the local server."""
        local = urlsplit(base_url).netloc
        return [url for url in self.requests
                if not url.startswith("data:") and urlsplit(url).netloc != local]


class Browser:
    """A browser context for one test: `new_page()`, sign-in, and the traffic it caused."""

    def __init__(self, chromium, base_url: str):
        self._chromium = chromium
        self.base_url = base_url
        self.traffic = Traffic()
        self._contexts = []

    def new_page(self, viewport: dict | None = None, javascript: bool = True):
        """Open a page in a new context (own cookies) with the given viewport, with or without
        JavaScript."""
        context = self._chromium.new_context(viewport=viewport or DESKTOP, base_url=self.base_url,
                                             java_script_enabled=javascript)
        context.set_default_timeout(30_000)  # CI machines can be slow; failures still say why
        context.on("request", lambda request: self.traffic.requests.append(request.url))
        context.on("console", self._on_console)
        self._contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.traffic.console_errors.append(f"{page.url}: {error}"))
        return page

    def _on_console(self, message) -> None:
        document = message.page.url if message.page else None
        if message.location.get("url") == document and "Failed to load resource" in message.text:
            return  # the page itself answered 400/404 on purpose (error states, missing page)
        if message.type == "error":
            self.traffic.console_errors.append(f"{message.page.url if message.page else '?'}: "
                                               f"{message.text}")

    def signed_in_page(self, user, viewport: dict | None = None):
        """Return a new page signed in as `user` (through the sign-in form)."""
        page = self.new_page(viewport)
        sign_in(page, user.username)
        return page

    def close(self) -> None:
        for context in self._contexts:
            context.close()


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the form and wait for the home page."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")


@pytest.fixture
def web(app, browser, live_server) -> Iterator[Browser]:
    """A fresh browser context per test, against the live server; closed before the tables
    are emptied."""
    session = Browser(browser, live_server)
    try:
        yield session
    finally:
        session.close()
        IN_FLIGHT.wait_idle()


COURSE = "chu-ky-so"
LESSON_BODY = """Chữ ký số giúp cán bộ ký văn bản điện tử có giá trị pháp lý như chữ ký tay.

| Bước | Việc cần làm | Ghi chú |
|------|--------------|---------|
| 1 | Cắm thiết bị ký số (USB token) vào máy tính của cơ quan | Không dùng máy cá nhân |
| 2 | Mở văn bản trên hệ thống quản lý văn bản và điều hành | Kiểm tra đúng phiên bản |
| 3 | Chọn «Ký số», nhập mã PIN của thiết bị | Không chia sẻ mã PIN |

Tra cứu chứng thư số tại https://ca.gov.vn/tra-cuu-chung-thu-so-cua-co-quan-nha-nuoc-va-to-chuc

```
signtool verify /pa /v van-ban-da-ky-so-cua-bo-ngoai-giao-so-1234-bng-vp.pdf
```
"""


@pytest.fixture
def ministry(db, tmp_path):
    """A small ministry: a department tree with long names, an admin enrolled in a course with
    a table and a long link in its first lesson, and some officials."""
    root = factories.DepartmentFactory(name=MINISTRY)
    units = [factories.DepartmentFactory(name=name, parent=root) for name in DEPARTMENTS]
    factories.DepartmentFactory(name="Phòng An ninh mạng và Bảo mật hệ thống", parent=units[0])
    admin = factories.UserFactory(
        username="quan.tm", full_name="Trần Minh Quân", department=units[0],
        roles={"admin", "learner"}, password=PASSWORD,
    )
    for number, unit in enumerate(units * 3):
        factories.UserFactory(
            full_name=f"Nguyễn Thị Phương Thảo Hoàng {number}",
            email=f"nguyen.thi.phuong.thao.hoang.{number}@mofa.gov.vn",
            job_title="Chuyên viên chính phụ trách hợp tác quốc tế",
            department=unit,
        )
    course = factories.make_course(
        tmp_path, COURSE, title="Chữ ký số và văn bản điện tử cho cán bộ, công chức",
        lessons=[{"slug": "a", "title": "Ký số một văn bản điện tử trên hệ thống",
                  "body": LESSON_BODY}, "b", "c"],
    )
    course_services.enrol(admin, admin, course, now=clock.now())
    db.session.commit()
    return admin


# The pages every check visits as a signed-in administrator (plus /login and a missing page).
ADMIN_PAGES = [
    "/",
    "/admin/users",
    "/admin/users/new",
    "/admin/import",
    "/admin/departments",
    "/hr/officials",
    "/courses",
    f"/courses/{COURSE}",
    f"/courses/{COURSE}/lessons/a",
    "/admin/courses",
]
MISSING_PAGE = "/khong-co-trang-nay"


def visit(page, path: str, status: int = 200):
    """Open `path` and check the server answered with `status`."""
    response = page.goto(path)
    assert response is not None and response.status == status, \
        f"{path}: HTTP {response.status if response else None}, expected {status}"
    return response


def show_user_form_errors(page) -> None:
    """Send the new-account form empty, so that it comes back with its validation errors."""
    visit(page, "/admin/users/new")
    with page.expect_navigation():
        page.locator("main form.form-grid button[type=submit]").click()
    assert page.locator(".field-error").count() >= 2, "the empty form shows no field errors"


def show_import_errors(page) -> None:
    """Send rows with mistakes to the import page, so that it lists the problems."""
    visit(page, "/admin/import")
    page.fill("#rows", "staff_number,full_name,department\n,Không có mã,Bộ Ngoại giao\n"
                       "BNG-1,,Bộ Ngoại giao/Không tồn tại\n")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator(".import-errors").is_visible(), "the import shows no problems"


QUIZ_COURSE = "khoa-kiem-tra"
QUIZ = "moi-loai-cau-hoi"


@pytest.fixture
def quiz_taker(ministry, db, tmp_path):
    """The ministry's administrator, enrolled in a course whose module quiz has every question
    type (tests/quizzes/steps.py EVERY_TYPE); returns the quiz page's path."""
    from tests.quizzes import steps as quiz_steps

    course = quiz_steps.quiz_course(tmp_path, QUIZ_COURSE, module_quiz=quiz_steps.EVERY_TYPE)
    course_services.enrol(ministry, ministry, course, now=clock.now())
    db.session.commit()
    return f"/courses/{QUIZ_COURSE}/quizzes/{QUIZ}"


def start_quiz(page, quiz_path: str) -> None:
    """Open the quiz page and start an attempt; wait for the attempt page."""
    visit(page, quiz_path)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert urlsplit(page.url).path.startswith("/attempts/"), page.url


# --- the journeys of issue 9: a new official, HR and an administrator ---------------------------

ENGLISH_COURSE = "digital-skills"
VIETNAMESE_VERSION = "ky-nang-so-co-ban"


@dataclass
class Journeys:
    """Who walks which pages: a learner (Vietnamese interface) enrolled in an English course
    with a quiz of every question type and holding a certificate; an HR official for the
    whole ministry; and the ministry's administrator."""

    learner: object
    hr: object
    admin: object
    quiz_path: str
    certificate_id: int
    certificate_code: str


@pytest.fixture
def journeys(ministry, db, tmp_path) -> Journeys:
    from tests.certificates import steps as certificate_steps
    from tests.quizzes import steps as quiz_steps

    root = ministry.department.parent
    consular = next(unit for unit in root.children if unit.name == "Cục Lãnh sự")
    learner = factories.UserFactory(
        username="huong.nt", full_name="Nguyễn Thị Hương", department=consular,
        job_title="Chuyên viên", password=PASSWORD,
    )
    hr = factories.UserFactory(
        username="ha.ltt", full_name="Lê Thị Thu Hà", roles={"hr", "learner"}, hr_scope=root,
        department=consular, password=PASSWORD,
    )
    english = quiz_steps.quiz_course(
        tmp_path, ENGLISH_COURSE, module_quiz=quiz_steps.EVERY_TYPE, language="en",
        family="digital-skills", title="Digital skills for officials",
        lessons=[{"slug": "signing", "title": "Signing an electronic document",
                  "body": "Plug in the **USB token**, open the document and choose *Sign*.\n"},
                 {"slug": "sharing", "title": "Sharing data through the LGSP"}],
    )
    quiz_steps.quiz_course(tmp_path, VIETNAMESE_VERSION, family="digital-skills",
                           title="Kỹ năng số cơ bản cho cán bộ")
    course_services.enrol(learner, learner, english, now=clock.now())
    certificate_steps.course(tmp_path)
    db.session.commit()
    certificate = certificate_steps.complete(learner, now=clock.now())
    return Journeys(learner=learner, hr=hr, admin=ministry,
                    quiz_path=f"/courses/{ENGLISH_COURSE}/quizzes/moi-loai-cau-hoi",
                    certificate_id=certificate.id, certificate_code=certificate.code)

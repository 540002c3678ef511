"""The application factory: database health, the migrations guard, error pages, languages,
security headers and client addresses behind a proxy."""

from __future__ import annotations

import io
import logging

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from learning.accounts.models import SignInAttempt, User
from learning.schema import UPGRADE_COMMAND, head_revisions
from tests.conftest import sign_in, translated, visible_text

UNREACHABLE = {
    "postgresql": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2",
    "sqlite": "sqlite:////nonexistent-hocso-dir/no/such.db",
}


# --- health and schema -----------------------------------------------------------------------

def test_healthz_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_a_new_app_on_a_fresh_database_serves_once_migrated(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.db'}")
    with app.app_context():
        upgrade()
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/login").status_code == 200


@pytest.mark.parametrize("backend", sorted(UNREACHABLE))
def test_unreachable_database_gives_503_without_details(make_app, backend, caplog):
    app = make_app(DATABASE_URL=UNREACHABLE[backend])
    client = app.test_client()
    for url in ("/healthz", "/login"):
        response = client.get(url)
        assert response.status_code == 503, url
        body = response.data.decode()
        assert "Traceback" not in body
        assert "nonexistent-hocso-dir" not in body and "nobody" not in body
    with app.app_context():
        expected = translated("vi", "The service is temporarily unavailable")
    assert expected in visible_text(client.get("/login"))
    assert any(record.levelno >= logging.ERROR for record in caplog.records)


def test_an_unmigrated_database_is_refused_with_the_command_to_run(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}")
    client = app.test_client()
    for url in ("/login", "/", "/healthz"):
        response = client.get(url)
        assert response.status_code == 503, url
    assert UPGRADE_COMMAND == "flask --app wsgi db upgrade"
    assert UPGRADE_COMMAND in response.data.decode()

    # Once migrated, the same running app serves again.
    with app.app_context():
        upgrade()
    assert client.get("/login").status_code == 200


def test_a_database_behind_the_latest_migration_is_refused(make_app, tmp_path):
    if head_revisions() == {"0001_accounts"}:
        pytest.skip("0001_accounts is the only migration")
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'old.db'}")
    with app.app_context():
        upgrade(revision="0001_accounts")
    response = app.test_client().get("/login")
    assert response.status_code == 503
    assert "0001_accounts" in response.data.decode()
    assert UPGRADE_COMMAND in response.data.decode()


# --- error pages -----------------------------------------------------------------------------

def test_404_is_in_vietnamese_by_default_and_in_english_after_switching(client):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert '<html lang="vi">' in response.data.decode()
    assert "Không tìm thấy trang" in visible_text(response)

    switched = client.post("/language", data={"language": "en",
                                              "next": "/khong-co-trang-nay"})
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/khong-co-trang-nay"
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert '<html lang="en">' in response.data.decode()
    assert "Page not found" in visible_text(response)
    assert "Không tìm thấy trang" not in visible_text(response)


@pytest.mark.parametrize("environment", ["test", "production"])
def test_a_crash_shows_a_plain_500_page_and_logs_the_traceback(make_app, environment, caplog):
    app = make_app(HOCSO_ENV=environment, SECRET_KEY="a-long-random-production-secret-key")

    @app.route("/boom")
    def boom():
        raise RuntimeError("internal detail: password=hunter2")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.data.decode()
    for leak in ("Traceback", "RuntimeError", "hunter2", "internal detail", 'File "'):
        assert leak not in body
    with app.app_context():
        assert translated("vi", "Something went wrong on our side") in visible_text(response)
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert logged, "the traceback must reach the log"


# --- language --------------------------------------------------------------------------------

def test_the_language_choice_is_kept_in_the_profile(app, client, db, login_as):
    user = login_as("learner")
    response = client.post("/language", data={"language": "en", "next": "/account"})
    assert response.headers["Location"] == "/account"
    db.session.expire_all()
    assert db.session.get(User, user.id).preferred_language == "en"
    assert '<html lang="en">' in client.get("/account").data.decode()

    # Another computer: a new session, a new sign-in, still English.
    elsewhere = app.test_client()
    assert '<html lang="vi">' in elsewhere.get("/login").data.decode()
    sign_in(elsewhere, user.username)
    page = elsewhere.get("/account")
    assert '<html lang="en">' in page.data.decode()
    assert "My account" in visible_text(page)

    # And signing out keeps the language for the sign-in page.
    elsewhere.post("/logout", data={})
    assert '<html lang="en">' in elsewhere.get("/login").data.decode()


def test_an_unsupported_language_is_refused(client, db, login_as):
    user = login_as("learner")
    assert client.post("/language", data={"language": "fr"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).preferred_language == "vi"


def test_switching_language_never_redirects_off_site(client):
    response = client.post("/language", data={"language": "en",
                                              "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


# --- headers and addresses -------------------------------------------------------------------

def test_security_headers(client):
    headers = client.get("/login").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_signed_in_pages_are_not_kept_in_the_browsers_cache(client, login_as):
    """A shared office computer must not keep an official's pages after sign-out; the site's
    own files and the pages for everyone keep their caching."""
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    login_as("learner")
    for path in ("/", "/account", "/learn", "/no/such/page"):
        assert "no-store" in client.get(path).headers["Cache-Control"], path
    static = client.get("/static/css/hocso.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control",
                                                                              "")
    static.close()


def test_a_too_large_form_is_refused_before_it_is_read(app, client, login_as, monkeypatch):
    """Forms are small: a body over FORM_MAX_BYTES is refused with 413 (the pages that take
    a package or a list of officials accept the site's upload size)."""
    monkeypatch.setitem(app.config, "FORM_MAX_BYTES", 16 * 1024)  # 4 MB by default
    big = "x" * (app.config["FORM_MAX_BYTES"] + 65 * 1024)
    response = client.post("/login", data={"username": big, "password": "x"})
    assert response.status_code == 413
    assert translated("vi", "What was sent is too large") in visible_text(response)
    assert translated("vi", "The form holds more text than the site accepts. Shorten it and "
                      "send it again.") in visible_text(response)
    login_as("admin")
    imported = client.post("/admin/import", data={"rows": "", "file": (
        io.BytesIO(b"staff_number,full_name\n" + b"#" * len(big)), "officials.csv")},
        content_type="multipart/form-data")
    assert imported.status_code != 413


def test_forwarded_addresses_are_ignored_without_a_proxy(client, db):
    client.post("/login", data={"username": "nobody", "password": "wrong-password"},
                headers={"X-Forwarded-For": "203.0.113.9"})
    # A client cannot choose the address the throttle counts.
    assert db.session.scalars(select(SignInAttempt.ip)).all() == ["127.0.0.1"]


def test_behind_one_proxy_the_forwarded_address_is_counted(make_app, db):
    app = make_app(PROXY_COUNT=1)
    client = app.test_client()
    client.post("/login", data={"username": "nobody", "password": "wrong-password"},
                headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9"})
    assert db.session.scalars(select(SignInAttempt.ip)).all() == ["203.0.113.9"]


def test_a_proxy_nobody_declared_is_logged_once(make_app, caplog):
    """Behind a proxy with HOCSO_PROXY_COUNT at 0 every official seems to come from the
    proxy: the operator is told, once per process (not on every request)."""
    client = make_app().test_client()
    with caplog.at_level("WARNING", logger="learning.app"):
        client.get("/login")
        assert not caplog.records
        for _ in range(3):
            client.get("/login", headers={"X-Forwarded-For": "203.0.113.9"})
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 1 and "HOCSO_PROXY_COUNT is 0" in warnings[0]
    assert "'203.0.113.9'" in warnings[0]
    caplog.clear()
    declared = make_app(PROXY_COUNT=1).test_client()
    with caplog.at_level("WARNING", logger="learning.app"):
        declared.get("/login", headers={"X-Forwarded-For": "203.0.113.9"})
    assert not caplog.records


def test_templates_url_for_remembers_urls_but_keeps_them_right(app):
    """The templates' url_for memo: values, the blueprint of a relative endpoint and the
    application's root path all change the URL."""
    url_for = app.jinja_env.globals["url_for"]
    with app.test_request_context("/courses/a"):
        first = url_for("courses.detail", slug="a")
        assert first == "/courses/a"
        assert url_for("courses.detail", slug="a") is first  # remembered
        assert url_for("courses.detail", slug="b") == "/courses/b"
        assert url_for("courses.detail", slug="a", _anchor="x") == "/courses/a#x"
        assert url_for("courses.detail", slug="a", _external=True).startswith("http")
    with app.test_request_context("/courses/a", base_url="http://localhost/hocso"):
        assert url_for("courses.detail", slug="a") == "/hocso/courses/a"
    with app.test_request_context("/courses/a"):
        assert url_for(".detail", slug="a") == "/courses/a"  # blueprint "courses"
    with app.test_request_context("/certificates"):
        assert url_for(".detail", certificate_id=1).startswith("/certificates/1")


def test_a_page_view_does_not_send_the_session_cookie_again(client, login_as):
    login_as("learner")
    assert client.get("/").status_code == 200  # may store the form token in the session
    response = client.get("/")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers

"""Shared fixtures: a migrated real database (SQLite file or the PostgreSQL in DATABASE_URL),
the app, a CSRF-aware test client, `login_as(role)` and factories."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from flask import session as flask_session
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event, text

from learning.app import create_app
from learning.db import db as _db
from tests import factories

DEMO_PASSWORD = "correct horse battery"


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def _reset_schema(app) -> None:
    """Start each session from an empty database, then migrate it to the head revision."""
    from flask_migrate import upgrade

    with app.app_context():
        engine = _db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """The URL of the test database (one per test session)."""
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def _app(database_url, tmp_path_factory) -> Iterator:
    app = create_app(HOCSO_ENV="test", DATABASE_URL=database_url, SECRET_KEY="test-secret",
                     MEDIA_DIR=str(tmp_path_factory.mktemp("media")),
                     INSTANCE_DIR=str(tmp_path_factory.mktemp("instance")))
    _reset_schema(app)
    app.test_client_class = Client  # every test client posts forms with a CSRF token
    yield app
    # Close pooled connections before exit: psycopg warns (an error here) about open ones.
    with app.app_context():
        _db.session.remove()
        for engine in _db.engines.values():
            engine.dispose()


def _truncate(app) -> None:
    with app.app_context():
        _db.session.remove()
        tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
        if _db.engine.dialect.name == "postgresql":
            with _db.engine.begin() as connection:
                connection.execute(text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                ))
            return
        # RESTRICT is checked row by row in SQLite, so a self-referencing table (the department
        # tree) cannot be emptied in one DELETE with foreign keys on. The pragma takes effect
        # because it is sent before any DML, i.e. outside a transaction.
        with _db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
            try:
                for table in tables:
                    connection.execute(text(f'DELETE FROM "{table}"'))
                connection.commit()
            finally:
                connection.exec_driver_sql("PRAGMA foreign_keys = ON")


@pytest.fixture
def app(_app) -> Iterator:
    """The application, inside an app context, with empty tables after each test."""
    _app.config.update(WTF_CSRF_ENABLED=True, THROTTLE_USER_FAILURES=5, THROTTLE_IP_FAILURES=20)
    _app.extensions.pop("hocso_schema_ok", None)
    with _app.app_context():
        yield _app
        _db.session.remove()
    _truncate(_app)


@pytest.fixture
def db(app):
    """The SQLAlchemy handle bound to the test database."""
    return _db


class Client(FlaskClient):
    """A test client that adds a valid CSRF token to every form it posts."""

    def csrf_token(self) -> str:
        # A fresh app context: generate_csrf caches the token in `g`, which must not leak
        # from another client's session.
        with self.application.app_context(), self.application.test_request_context():
            token = generate_csrf()
            raw = flask_session["csrf_token"]
        with self.session_transaction() as sess:
            sess["csrf_token"] = raw
        return token

    def open(self, *args, **kwargs):
        """Run each request in its own application context, as a server does: a fresh `g`
        (Flask-Login caches the signed-in user there) and a database session of its own,
        so a test sees only what a view committed and nothing leaks between requests."""
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def post(self, *args, csrf: bool = True, **kwargs):
        data = kwargs.get("data")
        if csrf and isinstance(data, dict) and "csrf_token" not in data:
            kwargs["data"] = {**data, "csrf_token": self.csrf_token()}
        return super().post(*args, **kwargs)


@pytest.fixture
def client(app) -> Client:
    """A test client whose form posts carry a CSRF token."""
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def runner(app):
    """A runner for `flask` CLI commands."""
    return app.test_cli_runner()


@pytest.fixture
def login_as(client, db):
    """Sign in through /login as a new official with the given role(s); returns the user."""

    def _login(*roles: str, **fields):
        user = factories.UserFactory(roles=set(roles) or {"learner"}, password=DEMO_PASSWORD,
                                     **fields)
        db.session.commit()
        response = client.post("/login", data={"username": user.username,
                                                "password": DEMO_PASSWORD})
        assert response.status_code == 302, response.data.decode()[:500]
        return user

    return _login


@pytest.fixture
def count_queries(db):
    """Count the SQL statements run inside a `with count_queries() as counter:` block.

    The rate limiter's sweep of day-old rows (one request in a hundred, at random) is left out:
    it is housekeeping shared by every request, and counting it made exact counts flaky.
    """
    from contextlib import contextmanager

    @contextmanager
    def _count():
        statements: list[str] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            if not statement.startswith("DELETE FROM rate_limit_"):
                statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return _count


def page_text(response) -> str:
    """Return the visible text of an HTML response, tags stripped, spaces collapsed."""
    html = response.data.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def make_app(database_url):
    """Create another application (by default on the test database); engines are disposed after."""
    created = []

    def _make(**overrides):
        settings = {"HOCSO_ENV": "test", "DATABASE_URL": database_url,
                    "SECRET_KEY": "test-secret", **overrides}
        other = create_app(**settings)
        other.test_client_class = Client
        created.append(other)
        return other

    yield _make
    for other in created:
        with other.app_context():
            _db.session.remove()
            for engine in _db.engines.values():
                engine.dispose()


def translated(locale: str, message: str, **variables) -> str:
    """Return `message` as a page in `locale` shows it (looked up in that catalog)."""
    from flask import has_app_context
    from flask_babel import force_locale, gettext

    # Outside an app context Flask-Babel silently returns the English source text.
    assert has_app_context(), "translated() needs an application context"
    with force_locale(locale):
        return gettext(message, **variables)


def translated_plural(locale: str, singular: str, plural: str, num: int, **variables) -> str:
    """Return a plural message for `num` as a page in `locale` shows it."""
    from flask import has_app_context
    from flask_babel import force_locale, ngettext

    assert has_app_context(), "translated_plural() needs an application context"
    with force_locale(locale):
        return ngettext(singular, plural, num, **variables)


def sign_in(client, username: str, password: str = DEMO_PASSWORD, **extra):
    """Post the sign-in form (with a CSRF token) and return the response."""
    return client.post("/login", data={"username": username, "password": password, **extra})


def field_error(response, field_id: str) -> str | None:
    """Return the error text shown under the form field `field_id`, or None when there is none."""
    import html

    match = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>',
                      response.data.decode(), re.S)
    return html.unescape(" ".join(match.group(1).split())) if match else None


def location_path(response) -> str:
    """Return the path (and query) a redirect response points to."""
    from urllib.parse import urlsplit

    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def visible_text(response) -> str:
    """Return `page_text` with HTML entities decoded (&#39; -> ', &amp; -> &)."""
    import html

    return html.unescape(page_text(response))

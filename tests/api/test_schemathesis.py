"""Schemathesis against the app's own OpenAPI document: every operation, with generated valid
and invalid input and a real token, answers without a 5xx and as the document says (status
codes, content types, response schemas, 401 without the token, 405 for other methods).

Runs through the app's WSGI interface, each request in an application context of its own as a
server runs it. The document is the one `/api/v1/openapi.json` serves (`test_openapi.py` checks
that), read when the tests are collected, before any database exists: Schemathesis' lazy
fixture loader does not run under pytest 9.2. Derandomized: CI sees the same examples every run; HOCSO_API_EXAMPLES=500 for a
longer hunt.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from courses import services as courses
from learning import clock
from learning.accounts import services as accounts
from learning.api.spec import document
from learning.app import create_app
from learning.db import db as _db
from tests import factories


@pytest.fixture
def api_setup(app, db, tmp_path, monkeypatch):
    """An official with a token, courses, and enrolments with some progress; no rate limit in
    the way of the hundreds of requests."""
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 1_000_000)
    ministry = factories.DepartmentFactory(name="Bộ Ngoại giao")
    official = factories.UserFactory(department=ministry, roles={"learner", "hr"})
    made = [factories.make_course(tmp_path, f"khoa-{n}", title=f"Khoá học {n}",
                                  **({"family": "f"} if n < 2 else {}),
                                  language="en" if n == 1 else "vi") for n in range(4)]
    for course in made[:3]:
        courses.enrol(official, official, course, now=clock.now())
    courses.complete_lesson(official, courses.active_lessons(made[0].id)[0], now=clock.now())
    secret = accounts.create_token(accounts.SYSTEM, official, name="schemathesis",
                                   now=clock.now()).secret
    db.session.commit()

    def wsgi(environ, start_response):
        # A fresh application context per request (its own `g` and database session), as a
        # worker serves it; the test's own context would otherwise be shared by every request.
        with app.app_context():
            return list(app.wsgi_app(environ, start_response))

    SERVED.app = wsgi
    yield secret
    SERVED.app = None


def _document() -> dict:
    app = create_app(HOCSO_ENV="test", SECRET_KEY="collection", DATABASE_URL="sqlite://")
    with app.test_request_context():
        return document()


class _Served:
    """The WSGI application of the running test: the schema is made before any app exists."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


SERVED = _Served()
schema = schemathesis.openapi.from_dict(_document())
schema.app = SERVED  # also the probes Schemathesis sends itself (e.g. without the token)


@schema.parametrize()
@settings(max_examples=int(os.environ.get("HOCSO_API_EXAMPLES", "40")), deadline=None,
          derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_the_api_keeps_to_its_document(case, api_setup):
    # A cursor is opaque and signed: a schema-valid string the API never issued is rightly
    # refused (400), so "valid data is accepted" holds for every parameter but that one.
    excluded = [positive_data_acceptance] if (case.query or {}).get("cursor") else []
    case.call_and_validate(headers={"Authorization": f"Bearer {api_setup}"},
                           excluded_checks=excluded)
    _db.session.rollback()  # nothing of the test's session stays open between examples

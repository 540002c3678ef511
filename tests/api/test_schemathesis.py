"""Schemathesis against the app's own OpenAPI document: every operation, with generated valid
and invalid input and a real token, answers without a 5xx and as the document says (status
codes, content types, response schemas, 401 without the token, 405 for other methods).

Runs through the app's WSGI interface, each request in an application context of its own as a
server runs it. The document is the one `/api/v1/openapi.json` serves (`test_openapi.py` checks
that), read when the tests are collected, before any database exists: Schemathesis' lazy
fixture loader does not run under pytest 9.2. Derandomized: CI sees the same examples every run; HOCSO_API_EXAMPLES=500 for a
longer hunt.

Generated ids rarely name a real object, so half the generated group and campaign ids (and
certificate codes) are replaced by the seeded ones, and half the usernames by a seeded
official's (the rest still probe ids and names that name nothing). A 422 is the platform's rules
refusing a well-formed request (a username or course that does not exist, a due date that has
passed): not a schema-valid request wrongly rejected.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from sqlalchemy import select
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from certificates.models import Certificate
from courses import services as courses
from learning import clock
from learning.accounts import services as accounts
from learning.campaigns import services as campaigns
from learning.api.spec import document
from learning.app import create_app
from learning.db import db as _db
from learning.mentoring import services as mentoring
from learning.params import DB_INT_MAX, DB_INT_MIN
from tests import factories
from tests.mentoring.steps import at, due

# The documented examples (e.g. a due date) stay valid: the API's day is fixed.
NOW = at("2027-01-15 02:00")


@pytest.fixture
def api_setup(app, db, tmp_path, monkeypatch):
    """An official (HR of the whole ministry and a mentor) with a token, courses, enrolments
    with some progress, and a mentoring group with members and assignments; no rate limit in
    the way of the hundreds of requests."""
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 1_000_000)
    monkeypatch.setattr(clock, "now", lambda: NOW)
    ministry = factories.DepartmentFactory(name="Bộ Ngoại giao")
    official = factories.UserFactory(department=ministry, roles={"learner", "hr", "mentor"})
    made = [factories.make_course(tmp_path, f"khoa-{n}", title=f"Khoá học {n}",
                                  **({"family": "f"} if n < 2 else {}),
                                  language="en" if n == 1 else "vi") for n in range(4)]
    made.append(factories.make_course(tmp_path, "ky-nang-so", title="Kỹ năng số cho cán bộ"))
    for course in made[:3]:
        courses.enrol(official, official, course, now=clock.now())
    courses.complete_lesson(official, courses.active_lessons(made[0].id)[0], now=clock.now())
    # The documented examples' officials (those of the demo ministry).
    factories.UserFactory(username="mentor", department=ministry, roles={"learner", "mentor"})
    members = [factories.UserFactory(username=username, department=ministry)
               for username in ("truong.mx12", "nhung.tth13", "oanh.ltk10")]
    group = mentoring.create_group(official, "Chi đoàn Cục Cơ yếu - CNTT", [official.username],
                                   now=clock.now())
    mentoring.add_members(official, group, [member.username for member in members],
                          now=clock.now())
    mentoring.assign(official, group, "ky-nang-so", None, None, due("2027-01-31"), "", None,
                     now=clock.now())
    mentoring.assign(official, group, "khoa-0", None, "a", due("2027-01-20"), "",
                     [members[0].id], now=clock.now())
    courses.complete_lesson(members[0], courses.active_lessons(made[0].id)[0], now=clock.now())
    # HR's objects: a campaign over the ministry and a certificate.
    campaign = campaigns.create_campaign(
        official, title="Kỹ năng số bắt buộc", course_id=made[4].id,
        department_ids=[ministry.id], deadline=due("2027-06-30"), now=clock.now())
    for lesson in courses.active_lessons(made[4].id):  # the campaign enrolled everyone
        courses.complete_lesson(members[1], lesson, now=clock.now())
    certificate = _db.session.scalar(select(Certificate).where(
        Certificate.user_id == members[1].id))
    secret = accounts.create_token(accounts.SYSTEM, official, name="schemathesis",
                                   now=clock.now()).secret
    db.session.commit()
    SEEDED["group_id"] = group.id
    SEEDED["campaign_id"] = campaign.id
    SEEDED["code"] = certificate.code

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
SEEDED: dict[str, int | str] = {}
schema = schemathesis.openapi.from_dict(_document())
schema.app = SERVED  # also the probes Schemathesis sends itself (e.g. without the token)


@schema.parametrize()
@settings(max_examples=int(os.environ.get("HOCSO_API_EXAMPLES", "40")), deadline=None,
          derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_the_api_keeps_to_its_document(case, api_setup):
    for name in ("group_id", "campaign_id"):
        value = (case.path_parameters or {}).get(name)
        if isinstance(value, int) and DB_INT_MIN <= value <= DB_INT_MAX and value % 2 == 0:
            case.path_parameters[name] = SEEDED[name]
    code = (case.path_parameters or {}).get("code")
    if isinstance(code, str) and len(code) % 2 == 0:
        case.path_parameters["code"] = SEEDED["code"]
    username = (case.path_parameters or {}).get("username")
    if isinstance(username, str) and len(username) % 2 == 0:  # a real official's transcript
        case.path_parameters["username"] = "truong.mx12"
    headers = {"Authorization": f"Bearer {api_setup}"}
    response = case.call(headers=headers)
    # A cursor is opaque and signed: a schema-valid string the API never issued is rightly
    # refused (400), so "valid data is accepted" holds for every parameter but that one; and
    # a 422 is a rule's refusal of well-formed data (see the module's docstring).
    excluded = [positive_data_acceptance] if (case.query or {}).get("cursor") \
        or response.status_code == 422 else []
    case.validate_response(response, headers=headers, excluded_checks=excluded,
                           transport_kwargs={"headers": headers})
    _db.session.rollback()  # nothing of the test's session stays open between examples

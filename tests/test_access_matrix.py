"""Who may open what: every registered route × every role → the status a user gets.

ONE table. A new route must get a row here (the coverage test fails until it does), with the
status each role should see. URLs use objects created by `objects()` below.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select

from certificates.models import Certificate
from courses import services as course_services
from learning import clock, notifications
from learning.accounts import services as accounts
from learning.accounts.models import User
from learning.campaigns import services as campaigns
from learning.db import db
from learning.mentoring import services as mentoring
from quizzes import services as quiz_services
from tests import factories
from tests.conftest import DEMO_PASSWORD, location_path, sign_in
from tests.quizzes import steps as quiz_steps

ROLES = ("anonymous", "learner", "mentor", "hr", "admin")
# The roles each column signs in with (hr: whole ministry).
ROLE_GRANTS = {
    "learner": {"learner"},
    "mentor": {"mentor", "learner"},
    "hr": {"hr", "learner"},
    "admin": {"admin", "learner"},
}
LOGIN = "login"  # expected: 302 to /login (anonymous on a protected page)


def expect(anonymous, learner, mentor, hr, admin):
    return dict(zip(ROLES, (anonymous, learner, mentor, hr, admin)))


PAGE = expect(LOGIN, 200, 200, 200, 200)  # any signed-in official
ADMIN_PAGE = expect(LOGIN, 403, 403, 403, 200)
HR_PAGE = expect(LOGIN, 403, 403, 200, 200)
# Mentors (of the group in the URL), HR (whole ministry) and admins; learners never.
MENTORING_PAGE = expect(LOGIN, 403, 200, 200, 200)
MENTORING_BAD_FORM = expect(LOGIN, 403, 400, 400, 400)
MENTORING_DONE = expect(LOGIN, 403, 302, 302, 302)
NOT_GET = expect(405, 405, 405, 405, 405)  # a POST-only route opened with GET
PUBLIC = expect(200, 200, 200, 200, 200)
API = expect(401, 401, 401, 401, 401)  # the session cookie does not open the API

# (method, rule as registered, URL with {object} placeholders, form data, expected statuses)
MATRIX = [
    ("GET", "/", "/", None, PAGE),
    ("GET", "/healthz", "/healthz", None, expect(200, 200, 200, 200, 200)),
    ("GET", "/login", "/login", None, expect(200, 302, 302, 302, 302)),
    ("POST", "/login", "/login", {"username": "nobody", "password": "wrong-password"},
     expect(401, 302, 302, 302, 302)),
    ("GET", "/account", "/account", None, PAGE),
    ("GET", "/account/password", "/account/password", None, PAGE),
    ("POST", "/account/password", "/account/password", {}, expect(LOGIN, 400, 400, 400, 400)),
    ("POST", "/language", "/language", {"language": "vi", "next": "/account"},
     expect(302, 302, 302, 302, 302)),
    ("GET", "/language", "/language", None, NOT_GET),
    # personal API tokens on the account page ({token}: another official's)
    ("POST", "/account/tokens", "/account/tokens", {}, expect(LOGIN, 400, 400, 400, 400)),
    ("GET", "/account/tokens", "/account/tokens", None, NOT_GET),
    ("POST", "/account/tokens/<int:token_id>/revoke", "/account/tokens/{token}/revoke", {},
     expect(LOGIN, 404, 404, 404, 302)),  # administrators may revoke anyone's token
    ("GET", "/account/tokens/<int:token_id>/revoke", "/account/tokens/{token}/revoke", None,
     NOT_GET),
    # the API: a bearer token only, so a signed-in browser gets 401 (tests/api for tokens)
    ("GET", "/api/v1/me", "/api/v1/me", None, API),
    ("GET", "/api/v1/me/enrolments", "/api/v1/me/enrolments", None, API),
    ("GET", "/api/v1/courses", "/api/v1/courses", None, API),
    ("GET", "/api/v1/groups", "/api/v1/groups", None, API),
    ("GET", "/api/v1/tasks", "/api/v1/tasks", None, API),
    ("GET", "/api/v1/officials/<username>/transcript", "/api/v1/officials/{official_username}"
     "/transcript", None, API),
    ("POST", "/api/v1/tasks/<int:submission_id>/confirm", "/api/v1/tasks/1/confirm", {}, API),
    ("POST", "/api/v1/tasks/<int:submission_id>/return", "/api/v1/tasks/1/return",
     {"comment": "x"}, API),
    ("GET", "/api/v1/tasks/<int:submission_id>/confirm", "/api/v1/tasks/1/confirm", None,
     NOT_GET),
    ("GET", "/api/v1/tasks/<int:submission_id>/return", "/api/v1/tasks/1/return", None,
     NOT_GET),
    ("POST", "/api/v1/groups", "/api/v1/groups", {"name": "Nhóm"}, API),
    ("GET", "/api/v1/groups/<int:group_id>", "/api/v1/groups/{group}", None, API),
    ("GET", "/api/v1/groups/<int:group_id>/progress", "/api/v1/groups/{group}/progress", None,
     API),
    ("POST", "/api/v1/groups/<int:group_id>/members", "/api/v1/groups/{group}/members", {},
     API),
    ("GET", "/api/v1/groups/<int:group_id>/members", "/api/v1/groups/{group}/members", None,
     NOT_GET),
    ("POST", "/api/v1/groups/<int:group_id>/assignments",
     "/api/v1/groups/{group}/assignments", {}, API),
    ("GET", "/api/v1/groups/<int:group_id>/assignments",
     "/api/v1/groups/{group}/assignments", None, NOT_GET),
    ("GET", "/api/v1/departments", "/api/v1/departments", None, API),
    ("GET", "/api/v1/campaigns", "/api/v1/campaigns", None, API),
    ("POST", "/api/v1/campaigns", "/api/v1/campaigns", {}, API),
    ("GET", "/api/v1/campaigns/<int:campaign_id>", "/api/v1/campaigns/1", None, API),
    ("PATCH", "/api/v1/campaigns/<int:campaign_id>", "/api/v1/campaigns/1", {}, API),
    ("GET", "/api/v1/campaigns/<int:campaign_id>/departments",
     "/api/v1/campaigns/1/departments", None, API),
    ("GET", "/api/v1/officials", "/api/v1/officials", None, API),
    ("GET", "/api/v1/certificates", "/api/v1/certificates", None, API),
    ("GET", "/api/v1/certificates/<code>", "/api/v1/certificates/abc", None, API),
    ("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", None, PUBLIC),
    ("GET", "/api/v1/docs", "/api/v1/docs", None, PUBLIC),
    # admin: officials
    ("GET", "/admin/users", "/admin/users", None, ADMIN_PAGE),
    ("GET", "/admin/users/new", "/admin/users/new", None, ADMIN_PAGE),
    ("POST", "/admin/users/new", "/admin/users/new", {}, expect(LOGIN, 403, 403, 403, 400)),
    ("GET", "/admin/users/<int:user_id>", "/admin/users/{official}", None, ADMIN_PAGE),
    ("POST", "/admin/users/<int:user_id>", "/admin/users/{official}", {},
     expect(LOGIN, 403, 403, 403, 400)),
    ("POST", "/admin/users/<int:user_id>/reset-password",
     "/admin/users/{reset_target}/reset-password", {}, expect(LOGIN, 403, 403, 403, 200)),
    ("GET", "/admin/users/<int:user_id>/reset-password",
     "/admin/users/{reset_target}/reset-password", None, NOT_GET),
    ("POST", "/admin/users/<int:user_id>/unlock", "/admin/users/{official}/unlock", {},
     expect(LOGIN, 403, 403, 403, 302)),
    ("GET", "/admin/users/<int:user_id>/unlock", "/admin/users/{official}/unlock", None,
     NOT_GET),
    ("POST", "/admin/users/<int:user_id>/active", "/admin/users/{official}/active",
     {"active": "1"}, expect(LOGIN, 403, 403, 403, 302)),
    ("GET", "/admin/users/<int:user_id>/active", "/admin/users/{official}/active", None,
     NOT_GET),
    # admin: departments
    ("GET", "/admin/departments", "/admin/departments", None, ADMIN_PAGE),
    ("GET", "/admin/departments/new", "/admin/departments/new", None, ADMIN_PAGE),
    ("POST", "/admin/departments/new", "/admin/departments/new", {},
     expect(LOGIN, 403, 403, 403, 400)),
    ("GET", "/admin/departments/<int:department_id>", "/admin/departments/{department}", None,
     ADMIN_PAGE),
    ("POST", "/admin/departments/<int:department_id>", "/admin/departments/{department}", {},
     expect(LOGIN, 403, 403, 403, 400)),
    ("POST", "/admin/departments/<int:department_id>/delete",
     "/admin/departments/{empty_department}/delete", {}, expect(LOGIN, 403, 403, 403, 302)),
    ("GET", "/admin/departments/<int:department_id>/delete",
     "/admin/departments/{empty_department}/delete", None, NOT_GET),
    # admin: import
    ("GET", "/admin/import", "/admin/import", None, ADMIN_PAGE),
    ("POST", "/admin/import", "/admin/import", {}, expect(LOGIN, 403, 403, 403, 400)),
    ("GET", "/admin/import/template.csv", "/admin/import/template.csv", None, ADMIN_PAGE),
    # admin: the audit log and its CSV (the download is itself audited)
    ("GET", "/admin/audit", "/admin/audit", None, ADMIN_PAGE),
    ("GET", "/admin/audit.csv", "/admin/audit.csv", None, ADMIN_PAGE),
    ("GET", "/admin/audit", "/admin/audit?action=no.such&date_from=2026-02-30", None,
     expect(LOGIN, 403, 403, 403, 400)),  # bad filters: errors on the form, nothing listed
    # HR
    ("GET", "/hr/officials", "/hr/officials", None, HR_PAGE),
    # the lists' downloads (a query parameter on the page's own route)
    ("GET", "/hr/officials", "/hr/officials?format=csv", None, HR_PAGE),
    ("GET", "/hr/officials", "/hr/officials?format=xlsx&q=thu", None, HR_PAGE),
    ("GET", "/hr/officials/<int:user_id>", "/hr/officials/{official}", None, HR_PAGE),
    # transcripts: one's own, and an official's for HR (whole ministry) and admins
    ("GET", "/me/transcript", "/me/transcript", None, PAGE),
    ("GET", "/me/transcript.pdf", "/me/transcript.pdf", None, PAGE),
    ("GET", "/hr/officials/<int:user_id>/transcript", "/hr/officials/{official}/transcript",
     None, HR_PAGE),
    ("GET", "/hr/officials/<int:user_id>/transcript.pdf",
     "/hr/officials/{official}/transcript.pdf", None, HR_PAGE),
    ("GET", "/hr/officials/<int:user_id>/transcript", "/hr/officials/999999/transcript", None,
     expect(LOGIN, 403, 403, 404, 404)),  # no such official (and no probing for others)
    ("GET", "/hr/officials/<int:user_id>/transcript.pdf", "/hr/officials/999999/transcript.pdf",
     None, expect(LOGIN, 403, 403, 404, 404)),
    # courses (in this order: the official is not enrolled until the enrol row)
    ("GET", "/courses", "/courses", None, PAGE),
    ("GET", "/courses/<slug>", "/courses/{course}", None, PAGE),
    ("GET", "/courses/<slug>/continue", "/courses/{course}/continue", None,
     expect(LOGIN, 302, 302, 302, 302)),  # not enrolled: back to the course page
    ("GET", "/courses/<slug>/lessons/<lesson_slug>", "/courses/{course}/lessons/b", None,
     expect(LOGIN, 302, 302, 302, 302)),  # not enrolled: back to the course page
    ("GET", "/courses/<slug>/files/<path:path>", "/courses/{course}/files/01-co-ban/so-do.png",
     None, expect(LOGIN, 403, 403, 403, 403)),  # not enrolled: no lessons, so no files
    ("GET", "/courses/<slug>", "/courses/khong-co", None, expect(LOGIN, 404, 404, 404, 404)),
    ("POST", "/courses/<slug>/enrol", "/courses/{course}/enrol", {},
     expect(LOGIN, 302, 302, 302, 302)),
    ("GET", "/courses/<slug>/enrol", "/courses/{course}/enrol", None, NOT_GET),
    ("GET", "/courses/<slug>/lessons/<lesson_slug>", "/courses/{course}/lessons/a", None, PAGE),
    ("POST", "/courses/<slug>/lessons/<lesson_slug>/time", "/courses/{course}/lessons/a/time",
     {"seconds": "30"}, expect(LOGIN, 204, 204, 204, 204)),
    ("GET", "/courses/<slug>/lessons/<lesson_slug>/time", "/courses/{course}/lessons/a/time",
     None, NOT_GET),
    ("POST", "/courses/<slug>/lessons/<lesson_slug>/done", "/courses/{course}/lessons/a/done",
     {}, expect(LOGIN, 302, 302, 302, 302)),
    ("GET", "/courses/<slug>/lessons/<lesson_slug>/done", "/courses/{course}/lessons/a/done",
     None, NOT_GET),
    ("GET", "/courses/<slug>/files/<path:path>", "/courses/{course}/files/01-co-ban/phu-de.vtt",
     None, PAGE),  # enrolled (the enrol row above)
    ("GET", "/courses/<slug>/files/<path:path>", "/courses/{course}/files/01-co-ban/01-a.md",
     None, expect(LOGIN, 404, 404, 404, 404)),  # package sources are never served
    ("GET", "/courses/<slug>/files/<path:path>", "/courses/{course}/files/course.toml", None,
     expect(LOGIN, 404, 404, 404, 404)),
    ("GET", "/learn", "/learn", None, expect(LOGIN, 302, 302, 302, 302)),
    ("GET", "/admin/courses", "/admin/courses", None, ADMIN_PAGE),
    ("POST", "/admin/courses", "/admin/courses", {}, expect(LOGIN, 403, 403, 403, 400)),
    ("GET", "/admin/courses/<slug>/export.zip", "/admin/courses/{course}/export.zip", None,
     ADMIN_PAGE),
    ("GET", "/admin/courses/<slug>/export.zip", "/admin/courses/khong-co/export.zip", None,
     expect(LOGIN, 403, 403, 403, 404)),
    # quizzes ({attempt}: the signed-in official's own attempt, in progress)
    ("GET", "/courses/<slug>/quizzes/<quiz_slug>", "/courses/{quiz_course}/quizzes/{quiz}",
     None, PAGE),
    ("GET", "/attempts/<int:attempt_id>", "/attempts/{attempt}", None, PAGE),
    ("POST", "/attempts/<int:attempt_id>", "/attempts/{attempt}", {"action": "save"},
     expect(LOGIN, 302, 302, 302, 302)),
    ("GET", "/attempts/<int:attempt_id>/review", "/attempts/{attempt}/review", None, PAGE),
    ("POST", "/attempts/<int:attempt_id>/review", "/attempts/{attempt}/review", {},
     expect(LOGIN, 400, 400, 400, 400)),  # no confirm=1: nothing is submitted
    ("GET", "/attempts/<int:attempt_id>/review", "/attempts/{others_attempt}/review", None,
     expect(LOGIN, 404, 404, 404, 404)),
    ("POST", "/attempts/<int:attempt_id>/review", "/attempts/{others_attempt}/review",
     {"confirm": "1"}, expect(LOGIN, 404, 404, 404, 404)),  # nor can it be submitted
    ("GET", "/attempts/<int:attempt_id>/result", "/attempts/{attempt}/result", None,
     expect(LOGIN, 302, 302, 302, 302)),  # not submitted yet: back to the attempt
    ("GET", "/attempts/<int:attempt_id>/result", "/attempts/{others_attempt}/result", None,
     expect(LOGIN, 404, 404, 404, 404)),  # someone else's attempt does not exist for you
    ("GET", "/attempts/<int:attempt_id>", "/attempts/{others_attempt}", None,
     expect(LOGIN, 404, 404, 404, 404)),
    ("POST", "/attempts/<int:attempt_id>", "/attempts/{others_attempt}", {"action": "submit"},
     expect(LOGIN, 404, 404, 404, 404)),  # nor can it be answered or submitted
    ("GET", "/courses/<slug>/quizzes/<quiz_slug>", "/courses/{quiz_course}/quizzes/khong-co",
     None, expect(LOGIN, 404, 404, 404, 404)),
    ("POST", "/courses/<slug>/quizzes/<quiz_slug>/start",
     "/courses/{quiz_course}/quizzes/khong-co/start", {}, expect(LOGIN, 404, 404, 404, 404)),
    ("POST", "/courses/<slug>/quizzes/<quiz_slug>/start",
     "/courses/{quiz_course}/quizzes/{quiz}/start", {}, expect(LOGIN, 302, 302, 302, 302)),
    ("GET", "/courses/<slug>/quizzes/<quiz_slug>/start",
     "/courses/{quiz_course}/quizzes/{quiz}/start", None, NOT_GET),
    # certificates ({certificate}: another official's, in Cục Lãnh sự)
    ("GET", "/certificates", "/certificates", None, PAGE),
    ("GET", "/certificates/<int:certificate_id>", "/certificates/{certificate}", None,
     expect(LOGIN, 404, 404, 200, 200)),
    ("GET", "/certificates/<int:certificate_id>.pdf", "/certificates/{certificate}.pdf", None,
     expect(LOGIN, 404, 404, 200, 200)),
    ("GET", "/certificates/<int:certificate_id>/credential.json",
     "/certificates/{certificate}/credential.json", None, expect(LOGIN, 404, 404, 200, 200)),
    ("POST", "/certificates/<int:certificate_id>/revoke", "/certificates/{certificate}/revoke",
     {}, expect(LOGIN, 404, 404, 400, 400)),  # no reason given: nothing revoked
    ("GET", "/certificates/<int:certificate_id>/revoke", "/certificates/{certificate}/revoke",
     None, NOT_GET),
    ("POST", "/certificates/<int:certificate_id>/reissue",
     "/certificates/{certificate}/reissue", {}, expect(LOGIN, 404, 404, 400, 400)),
    ("GET", "/certificates/<int:certificate_id>/reissue", "/certificates/{certificate}/reissue",
     None, NOT_GET),
    ("GET", "/hr/certificates", "/hr/certificates", None, HR_PAGE),
    ("GET", "/hr/certificates", "/hr/certificates?format=csv", None, HR_PAGE),
    ("GET", "/hr/certificates", "/hr/certificates?format=xlsx", None, HR_PAGE),
    # HR's people list and its exports (the export streams a file; a bad filter goes back to
    # the list, 302; a learner is refused before any look-up)
    ("GET", "/hr/people", "/hr/people", None, HR_PAGE),
    ("GET", "/hr/people", "/hr/people?status=overdue&from=2026-01-01", None, HR_PAGE),
    ("GET", "/hr/people.csv", "/hr/people.csv", None, HR_PAGE),
    ("GET", "/hr/people.xlsx", "/hr/people.xlsx?status=completed", None, HR_PAGE),
    ("GET", "/hr/people.csv", "/hr/people.csv?from=never", None,
     expect(LOGIN, 403, 403, 302, 302)),
    # the department summary export needs a campaign or a course (none here: 400, unknown: 404)
    ("GET", "/hr/departments.csv", "/hr/departments.csv", None,
     expect(LOGIN, 403, 403, 400, 400)),
    ("GET", "/hr/departments.xlsx", "/hr/departments.xlsx?course={course_id}", None, HR_PAGE),
    ("GET", "/hr/departments.csv", "/hr/departments.csv?campaign=999999", None,
     expect(LOGIN, 403, 403, 404, 404)),
    # HR's dashboard and campaigns ({campaign}: over the department of {official})
    ("GET", "/hr", "/hr", None, HR_PAGE),
    ("GET", "/hr", "/hr?campaign={campaign}", None, HR_PAGE),
    ("GET", "/hr", "/hr?campaign=999999", None, expect(LOGIN, 403, 403, 404, 404)),
    ("GET", "/hr", "/hr?course={course_id}", None, HR_PAGE),
    ("GET", "/hr/campaigns", "/hr/campaigns", None, HR_PAGE),
    ("GET", "/hr/campaigns/new", "/hr/campaigns/new", None, HR_PAGE),
    ("POST", "/hr/campaigns/new", "/hr/campaigns/new", {}, expect(LOGIN, 403, 403, 400, 400)),
    ("GET", "/hr/campaigns/<int:campaign_id>/edit", "/hr/campaigns/{campaign}/edit", None,
     HR_PAGE),
    ("GET", "/hr/campaigns/<int:campaign_id>/edit", "/hr/campaigns/999999/edit", None,
     expect(LOGIN, 403, 403, 404, 404)),
    ("POST", "/hr/campaigns/<int:campaign_id>/edit", "/hr/campaigns/{campaign}/edit", {},
     expect(LOGIN, 403, 403, 400, 400)),
    ("POST", "/hr/campaigns/<int:campaign_id>/archive", "/hr/campaigns/{campaign}/archive", {},
     expect(LOGIN, 403, 403, 302, 302)),
    ("GET", "/hr/campaigns/<int:campaign_id>/archive", "/hr/campaigns/{campaign}/archive",
     None, NOT_GET),
    ("GET", "/hr/campaigns/<int:campaign_id>/ranking", "/hr/campaigns/{campaign}/ranking",
     None, HR_PAGE),
    ("GET", "/hr/campaigns/<int:campaign_id>/ranking", "/hr/campaigns/999999/ranking", None,
     expect(LOGIN, 403, 403, 404, 404)),
    ("GET", "/hr/campaigns/<int:campaign_id>/ranking.pdf",
     "/hr/campaigns/{campaign}/ranking.pdf", None, HR_PAGE),
    # one's own certificate for a course: none issued yet, so back to the course page
    ("GET", "/courses/<slug>/certificate", "/courses/{course}/certificate", None,
     expect(LOGIN, 302, 302, 302, 302)),
    ("GET", "/courses/<slug>/certificate", "/courses/khong-co/certificate", None,
     expect(LOGIN, 404, 404, 404, 404)),
    ("GET", "/certificates/<int:certificate_id>", "/certificates/999999", None,
     expect(LOGIN, 404, 404, 404, 404)),  # no such certificate
    ("GET", "/certificates/<int:certificate_id>.pdf", "/certificates/999999.pdf", None,
     expect(LOGIN, 404, 404, 404, 404)),
    ("GET", "/certificates/<int:certificate_id>/credential.json",
     "/certificates/999999/credential.json", None, expect(LOGIN, 404, 404, 404, 404)),
    ("POST", "/certificates/<int:certificate_id>/revoke", "/certificates/999999/revoke",
     {"reason": "Thử"}, expect(LOGIN, 404, 404, 404, 404)),
    ("POST", "/certificates/<int:certificate_id>/reissue", "/certificates/999999/reissue",
     {"reason": "Thử"}, expect(LOGIN, 404, 404, 404, 404)),
    ("GET", "/verify", "/verify", None, expect(200, 200, 200, 200, 200)),
    ("POST", "/verify", "/verify", {"lookup-code": "{certificate_code}"},
     expect(302, 302, 302, 302, 302)),
    ("GET", "/verify/<code>", "/verify/{certificate_code}", None,
     expect(200, 200, 200, 200, 200)),
    ("GET", "/verify/<code>.json", "/verify/{certificate_code}.json", None,
     expect(200, 200, 200, 200, 200)),
    ("GET", "/verify/<code>", "/verify/abcdefghijkmnpqrstuv", None,
     expect(404, 404, 404, 404, 404)),  # no certificate has this code
    ("GET", "/verify/<code>.json", "/verify/abcdefghijkmnpqrstuv.json", None,
     expect(404, 404, 404, 404, 404)),
    ("GET", "/.well-known/did.json", "/.well-known/did.json", None,
     expect(200, 200, 200, 200, 200)),
    ("GET", "/verify/signing-certificate.pem", "/verify/signing-certificate.pem", None,
     expect(200, 200, 200, 200, 200)),
    ("GET", "/.well-known/jwks.json", "/.well-known/jwks.json", None,
     expect(200, 200, 200, 200, 200)),
    ("POST", "/courses/<slug>/retake", "/courses/{course}/retake", {},
     expect(LOGIN, 302, 302, 302, 302)),  # nothing to renew: back to the course, with a message
    ("GET", "/courses/<slug>/retake", "/courses/{course}/retake", None, NOT_GET),
    ("POST", "/notifications/<int:notification_id>/read",
     "/notifications/{notification}/read", {}, expect(LOGIN, 302, 302, 302, 302)),
    ("GET", "/notifications/<int:notification_id>/read", "/notifications/{notification}/read",
     None, NOT_GET),
    # practical tasks: the learner's page (no such course) and the review pages (no such hand-in)
    ("GET", "/courses/<slug>/tasks/<task_slug>", "/courses/khong-co/tasks/x", None,
     expect(LOGIN, 404, 404, 404, 404)),
    ("POST", "/courses/<slug>/tasks/<task_slug>", "/courses/khong-co/tasks/x", {},
     expect(LOGIN, 404, 404, 404, 404)),
    ("GET", "/mentoring/tasks", "/mentoring/tasks", None, MENTORING_PAGE),
    ("GET", "/mentoring/tasks/<int:submission_id>", "/mentoring/tasks/999999", None,
     expect(LOGIN, 403, 404, 404, 404)),
    ("POST", "/mentoring/tasks/<int:submission_id>/confirm", "/mentoring/tasks/999999/confirm",
     {}, expect(LOGIN, 403, 404, 404, 404)),
    ("POST", "/mentoring/tasks/<int:submission_id>/return", "/mentoring/tasks/999999/return",
     {}, expect(LOGIN, 403, 404, 404, 404)),
    ("GET", "/mentoring/tasks/<int:submission_id>/confirm", "/mentoring/tasks/999999/confirm",
     None, NOT_GET),
    ("GET", "/mentoring/tasks/<int:submission_id>/return", "/mentoring/tasks/999999/return",
     None, NOT_GET),
    ("GET", "/mentoring/tasks/<int:submission_id>/image", "/mentoring/tasks/999999/image", None,
     expect(LOGIN, 404, 404, 404, 404)),
    # mentoring ({group}: mentored by the signed-in mentor; {official} and {member} in it)
    ("GET", "/mentoring", "/mentoring", None, MENTORING_PAGE),
    ("GET", "/mentoring/groups/new", "/mentoring/groups/new", None, MENTORING_PAGE),
    ("POST", "/mentoring/groups/new", "/mentoring/groups/new", {}, MENTORING_BAD_FORM),
    ("GET", "/mentoring/groups/<int:group_id>", "/mentoring/groups/{group}", None,
     MENTORING_PAGE),
    ("GET", "/mentoring/groups/<int:group_id>", "/mentoring/groups/999999", None,
     expect(LOGIN, 403, 404, 404, 404)),  # no such group (and no probing for learners)
    ("GET", "/mentoring/groups/<int:group_id>", "/mentoring/groups/{others_group}", None,
     expect(LOGIN, 403, 404, 200, 200)),  # another mentor's group does not exist for you
    ("GET", "/mentoring/groups/<int:group_id>/edit", "/mentoring/groups/{group}/edit", None,
     MENTORING_PAGE),
    ("POST", "/mentoring/groups/<int:group_id>/edit", "/mentoring/groups/{group}/edit", {},
     MENTORING_BAD_FORM),
    ("GET", "/mentoring/groups/<int:group_id>/members", "/mentoring/groups/{group}/members",
     None, MENTORING_PAGE),
    ("POST", "/mentoring/groups/<int:group_id>/members/add",
     "/mentoring/groups/{group}/members/add", {}, MENTORING_BAD_FORM),
    ("GET", "/mentoring/groups/<int:group_id>/members/add",
     "/mentoring/groups/{group}/members/add", None, NOT_GET),
    ("POST", "/mentoring/groups/<int:group_id>/members/department",
     "/mentoring/groups/{group}/members/department", {}, MENTORING_BAD_FORM),
    ("GET", "/mentoring/groups/<int:group_id>/members/department",
     "/mentoring/groups/{group}/members/department", None, NOT_GET),
    ("POST", "/mentoring/groups/<int:group_id>/members/import",
     "/mentoring/groups/{group}/members/import", {}, MENTORING_BAD_FORM),
    ("GET", "/mentoring/groups/<int:group_id>/members/import",
     "/mentoring/groups/{group}/members/import", None, NOT_GET),
    ("GET", "/mentoring/groups/<int:group_id>/members/<int:user_id>",
     "/mentoring/groups/{group}/members/{official}", None, MENTORING_PAGE),
    ("GET", "/mentoring/groups/<int:group_id>/members/<int:user_id>",
     "/mentoring/groups/{group}/members/{reset_target}", None,
     expect(LOGIN, 403, 404, 404, 404)),  # not a member of this group
    ("GET", "/mentoring/groups/<int:group_id>/assignments/new",
     "/mentoring/groups/{group}/assignments/new", None, MENTORING_PAGE),
    ("POST", "/mentoring/groups/<int:group_id>/assignments/new",
     "/mentoring/groups/{group}/assignments/new", {}, MENTORING_BAD_FORM),
    ("GET", "/mentoring/groups/<int:group_id>/assignments/<int:assignment_id>",
     "/mentoring/groups/{group}/assignments/{assignment}", None, MENTORING_PAGE),
    ("POST", "/mentoring/groups/<int:group_id>/assignments/<int:assignment_id>",
     "/mentoring/groups/{group}/assignments/{assignment}", {}, MENTORING_BAD_FORM),
    ("POST", "/mentoring/groups/<int:group_id>/assignments/<int:assignment_id>/delete",
     "/mentoring/groups/{group}/assignments/{assignment}/delete", {}, MENTORING_DONE),
    ("GET", "/mentoring/groups/<int:group_id>/assignments/<int:assignment_id>/delete",
     "/mentoring/groups/{group}/assignments/{assignment}/delete", None, NOT_GET),
    ("POST", "/mentoring/groups/<int:group_id>/members/<int:user_id>/remove",
     "/mentoring/groups/{group}/members/{member}/remove", {}, MENTORING_DONE),
    ("GET", "/mentoring/groups/<int:group_id>/members/<int:user_id>/remove",
     "/mentoring/groups/{group}/members/{member}/remove", None, NOT_GET),
    # A nudge needs an assignment or a member: an empty form is refused (400).
    ("POST", "/mentoring/groups/<int:group_id>/nudge", "/mentoring/groups/{group}/nudge", {},
     MENTORING_BAD_FORM),
    ("POST", "/mentoring/groups/<int:group_id>/nudge", "/mentoring/groups/{others_group}/nudge",
     {}, expect(LOGIN, 403, 404, 400, 400)),
    ("GET", "/mentoring/groups/<int:group_id>/nudge", "/mentoring/groups/{group}/nudge", None,
     NOT_GET),
    ("POST", "/mentoring/groups/<int:group_id>/delete", "/mentoring/groups/{others_group}/delete",
     {}, expect(LOGIN, 403, 404, 302, 302)),
    ("POST", "/mentoring/groups/<int:group_id>/delete", "/mentoring/groups/{group}/delete", {},
     MENTORING_DONE),
    ("GET", "/mentoring/groups/<int:group_id>/delete", "/mentoring/groups/{group}/delete", None,
     NOT_GET),
    # Last: signing out ends the session the rows above use.
    ("POST", "/logout", "/logout", {}, expect(302, 302, 302, 302, 302)),
    ("GET", "/logout", "/logout", None, NOT_GET),
]


def objects(tmp_path, me: User | None) -> dict[str, int | str]:
    """Create what the URLs above point to; return their ids (or slugs) by placeholder name.

    `me` is the signed-in official (None for anonymous): their own attempt and notification.
    """
    now = clock.now()
    department = factories.DepartmentFactory(name="Cục Lãnh sự")
    official = factories.UserFactory(full_name="Trịnh Thị Thu Trang", department=department)
    reset_target = factories.UserFactory(department=department)
    empty = factories.DepartmentFactory(name="Phòng sắp giải thể")
    db.session.commit()
    package = factories.write_package(
        tmp_path / "course", factories.course_package("ma-tran", lessons=("a", "b")),
        files={"01-co-ban/phu-de.vtt": "WEBVTT\n\n00:00.000 --> 00:02.000\nChữ ký số\n",
               "01-co-ban/so-do.png": b"\x89PNG\r\n\x1a\n"})
    course = factories.import_course(package).course

    quiz_course = quiz_steps.quiz_course(tmp_path, "khoa-kiem-tra",
                                         module_quiz=quiz_steps.true_false_quiz("kiem-tra"))
    quiz = quiz_steps.get_quiz("khoa-kiem-tra", "kiem-tra")
    attempts = {}
    for holder in {official, me or official}:
        course_services.enrol(holder, holder, quiz.course, now=now)
        attempts[holder.id] = quiz_services.start_attempt(holder, quiz, now=now).id

    # The official completes a one-lesson course and so holds a certificate.
    certified = factories.make_course(tmp_path, "chung-chi", lessons=("a",))
    course_services.enrol(official, official, certified, now=now)
    course_services.complete_lesson(official, course_services.get_lesson(certified, "a"),
                                    now=now)
    db.session.commit()
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == official.id))
    assert certificate is not None, "completing the course must issue a certificate"

    notification = notifications.notify((me or official).id, "certificate_expiring", now=now,
                                        course="Chứng chỉ", serial="HS-0", expires="2030-01-01")
    token = accounts.create_token(accounts.SYSTEM, official, name="Báo cáo", now=now).token

    # A mentoring group: the signed-in mentor created and mentors it (else another mentor
    # does); the official and another member are in it, with a lesson assigned.
    mentor = me if me is not None and me.has_role("mentor") else factories.UserFactory(
        roles={"mentor", "learner"})
    rival = factories.UserFactory(roles={"mentor", "learner"})
    member = factories.UserFactory(department=department)
    group = mentoring.create_group(None, "Nhóm ma trận", [mentor.username],
                                   department_id=department.id, now=now)
    group.created_by_id = mentor.id
    mentoring.add_members(None, group, [official.username, member.username], now=now)
    assignment, _ = mentoring.assign(None, group, course.slug, None, "a",
                                     mentoring.ministry_day(now) + timedelta(days=30), "",
                                     None, now=now)
    others_group = mentoring.create_group(None, "Nhóm khác", [rival.username], now=now)
    campaign = campaigns.create_campaign(
        None, title="Chiến dịch ma trận", course_id=course.id, department_ids=[department.id],
        deadline=mentoring.ministry_day(now) + timedelta(days=30), now=now)
    db.session.commit()
    return {"official": official.id, "official_username": official.username,
            "reset_target": reset_target.id,
            "department": department.id, "empty_department": empty.id, "course": course.slug,
            "course_id": course.id,
            "quiz_course": quiz_course.slug, "quiz": quiz.slug,
            "attempt": attempts[(me or official).id],
            "others_attempt": attempts[official.id],
            "certificate": certificate.id, "certificate_code": certificate.code,
            "notification": notification.id, "token": token.id, "group": group.id,
            "others_group": others_group.id, "member": member.id,
            "assignment": assignment.id, "campaign": campaign.id}


def registered_routes(app) -> set[tuple[str, str]]:
    """Every (method, rule) the app answers, plus GET for each POST-only rule (→ 405)."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        methods = rule.methods - {"HEAD", "OPTIONS"}
        routes |= {(method, rule.rule) for method in methods}
        if "GET" not in methods:
            routes.add(("GET", rule.rule))
    return routes


def test_the_matrix_covers_every_route(app):
    covered = {(method, rule) for method, rule, *_ in MATRIX}
    missing = registered_routes(app) - covered
    assert not missing, f"add these routes to MATRIX in {__name__}: {sorted(missing)}"
    stale = covered - registered_routes(app)
    assert not stale, f"these MATRIX rows match no route: {sorted(stale)}"


def test_the_matrix_has_no_duplicate_rows_and_every_role():
    keys = [(method, url) for method, _rule, url, *_ in MATRIX]
    assert len(keys) == len(set(keys))
    assert all(set(row[-1]) == set(ROLES) for row in MATRIX)


@pytest.mark.parametrize("role", ROLES)
def test_access(app, client, role, tmp_path):
    me = None
    if role != "anonymous":
        me = factories.UserFactory(username=f"matrix.{role}", roles=ROLE_GRANTS[role],
                                   password=DEMO_PASSWORD)
        db.session.commit()
        assert sign_in(client, f"matrix.{role}").status_code == 302
    ids = objects(tmp_path, me)

    wrong = []
    for method, rule, url_template, data, expected in MATRIX:
        url = url_template.format(**ids)
        if method == "GET":
            response = client.get(url)
        else:
            send = client.post if method == "POST" else partial(client.open, method=method)
            response = send(url, data={key: value.format(**ids)
                                       for key, value in (data or {}).items()})
        response.get_data()
        response.close()  # a streamed file must be closed, as a server does
        want = expected[role]
        got = response.status_code
        if want == LOGIN:
            if got != 302 or not location_path(response).startswith("/login"):
                wrong.append(f"{method} {url}: want 302 to /login, got {got} "
                             f"{response.headers.get('Location', '')}")
        elif got != want:
            wrong.append(f"{method} {url}: want {want}, got {got}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)

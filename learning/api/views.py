"""/api/v1: the JSON API, a thin layer over the services the pages use.

Each endpoint reads its input through a model (`learning.api.spec.endpoint`), calls the same
service or query as the page with the token's official as `current_user`, and describes the
result with a model from `learning.api.schemas`. It has no rules of its own: a domain error of a
service becomes a JSON error here, as it becomes an error page on the pages.

To add an endpoint: a model in `schemas.py`, then a view here decorated with `@endpoint(...)`;
lists take a `PageQuery` (or a subclass) and return `paginate(...)`'s page. The OpenAPI
document and the Schemathesis test pick it up by themselves.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from courses import queries as catalog
from learning.accounts import services as accounts
from learning.api import auth
from learning.api.errors import API_PREFIX, MESSAGES, APIError, json_error
from learning.api.pagination import PageQuery, paginate
from learning.api.schemas import Course, CoursePage, CourseQuery, Enrolment, EnrolmentPage, Me
from learning.api.spec import document, endpoint
from learning.errors import DomainError, NotFound, PermissionDenied

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)
# Readable without a token: the description of the API and its reference page.
PUBLIC_ENDPOINTS = {"api.openapi", "api.docs"}


@bp.before_request
def authenticate():
    """Let only requests with a working token through, and count them (see `auth`)."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    auth.require_token(request)


@bp.after_request
def private(response):
    """Keep an official's data out of shared caches (proxies, browsers)."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Authorization")
    return response


@bp.errorhandler(APIError)
def api_error(error: APIError):
    """Answer an API error with its JSON body."""
    return json_error(error.status, error.message, headers=error.headers)


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    """Answer a service's refusal as the pages do, in JSON: 403, 404, or 422 for a rule."""
    if isinstance(error, PermissionDenied):
        return json_error(403, error.message)
    if isinstance(error, NotFound):
        return json_error(404, error.message or MESSAGES[404])
    return json_error(422, error.message)


# --- the official ----------------------------------------------------------------------------

@bp.get("/me")
@endpoint(operation_id="getMe", ok=Me, tags=["me"])
def me():
    """The official the token acts as.

    Their account as their account page shows it: names, department, job title, roles and
    language."""
    user = current_user._get_current_object()
    path = accounts.department_path(user.department) if user.department is not None else None
    return Me.from_user(user, path)


@bp.get("/me/enrolments")
@endpoint(operation_id="listMyEnrolments", query=PageQuery, ok=EnrolmentPage, tags=["me"],
          errors=(400,))
def my_enrolments(query: PageQuery):
    """The official's enrolments, with their progress.

    Oldest enrolment first (the order does not change as the official learns, so paging
    through is stable)."""
    entries = catalog.enrolled_courses(current_user._get_current_object())
    page, next_cursor = paginate(entries, key=lambda entry: (entry.enrolment.id,), query=query)
    return EnrolmentPage(items=[Enrolment.from_entry(entry) for entry in page],
                         next_cursor=next_cursor)


# --- courses ---------------------------------------------------------------------------------

@bp.get("/courses")
@endpoint(operation_id="listCourses", query=CourseQuery, ok=CoursePage, tags=["courses"],
          errors=(400,))
def courses(query: CourseQuery):
    """The published courses, as the catalog page lists them.

    One entry per course family, in the official's language where the family has it (the
    other languages under `other_versions`); the same search and filters as the catalog."""
    entries = catalog.search(current_user._get_current_object(), query=query.q.strip(),
                             language=query.language or "", topic=query.topic)
    page, next_cursor = paginate(entries, key=lambda entry: (entry.course.title,
                                                             entry.course.id), query=query)
    return CoursePage(items=[Course.from_entry(entry) for entry in page],
                      next_cursor=next_cursor)


# --- the description -------------------------------------------------------------------------

@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of this API, generated from the code."""
    return document()


@bp.get("/docs")
def docs():
    """The API reference page (Swagger UI from vendored files, started by a static script)."""
    return render_template("api/docs.html")

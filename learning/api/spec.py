"""The OpenAPI 3.1 document, generated from the endpoints' own models by SpecTree.

`endpoint(...)` decorates a view of the API blueprint: its query and body are validated
against pydantic models (a bad value is a 400 in our error shape), its answer is validated
against the documented model (a mismatch is a logged 500, which the tests catch), and the
document lists it with the errors every endpoint can give. Pydantic writes JSON Schema 2020-12,
the dialect of OpenAPI 3.1, so the document is 3.1 throughout, not a relabelled 3.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import wraps

from flask import request
from flask_babel import lazy_gettext as _l
from spectree import Response, SecurityScheme, SpecTree, Tag
from spectree.models import SecuritySchemeData

from learning.api.errors import APIError, ErrorBody

TITLE = "HọcSố API"
VERSION = "1"
DESCRIPTION = """\
The JSON API of HọcSố, for scripts and for the ministry's systems.

**Authentication.** Every endpoint but this document needs a personal API token, sent as
`Authorization: Bearer TOKEN`. Officials create and revoke their tokens on their account page;
administrators with `flask tokens create USERNAME`. A token acts exactly as its official: it
sees and may do what the official sees and may do on the pages. Cookies do not authenticate API
requests, so no CSRF token is needed.

**Errors** are JSON, `{"error": {"status": 401, "message": "..."}}`, the message in the
language of `Accept-Language` (else the official's). A missing, wrong, expired or revoked token
gets 401; a body or parameter of the wrong shape 400; a request the platform's rules refuse 422,
with the reason (e.g. the unknown usernames). When one parameter or body field is at fault,
`field` names it. What the official may not see does not exist for
them: another mentor's group is a 404, whatever its id.

**Rate limit.** Each token may make a limited number of requests a minute (the platform's
`HOCSO_API_RATE_LIMIT`, 120 by default); beyond it the answer is 429 with `Retry-After`.

**Lists** page with a cursor: pass `limit` (at most 200) and, for the next pages, the
`next_cursor` of the previous answer as `cursor`, until `next_cursor` is null.
"""
SECURITY_SCHEME = "bearerToken"
TAGS = {
    "me": Tag(name="me", description="The official the token acts as, and their learning."),
    "courses": Tag(name="courses", description="The course catalog."),
    "mentoring": Tag(name="mentoring", description=(
        "Mentoring groups, their members and assignments, and who is behind: for mentors "
        "(their own groups), HR (the groups of their scope) and administrators. Bodies are "
        "JSON (`Content-Type: application/json`).")),
    "hr": Tag(name="hr", description=(
        "For HR (within their scope) and administrators: the department tree with its figures, "
        "campaigns of mandatory training and their figures per department, the people list "
        "and certificates. The figures are the HR dashboard's. Departments are named by their "
        "path of names, e.g. `Bộ Ngoại giao/Cục Lãnh sự`.")),
    "officials": Tag(name="officials", description=(
        "Officials' records: their own for every official, those of their scope for HR, "
        "everyone's for administrators.")),
    "tasks": Tag(name="tasks", description=(
        "Practical tasks handed in by officials, to confirm or return: for their groups' "
        "mentors, HR (officials of their scope) and administrators.")),
}
# Answers every authenticated endpoint can give besides its own.
COMMON_ERRORS = (401, 429)


def _invalid_request(req, resp, req_validation_error, instance, model_adapter) -> None:
    """Answer a request that does not match its model with our 400, naming the parameters."""
    if req_validation_error is None:
        return
    names = sorted({str(error["loc"][0]) for error in req_validation_error.errors()
                    if error.get("loc")})
    raise APIError(400, _l("These parameters are not valid: %(names)s.",
                           names=", ".join(names)) if names else None,
                   field=names[0] if len(names) == 1 else None, fields=names or None)


class ResponseMismatch(RuntimeError):
    """An endpoint answered something its documented model does not describe (a bug)."""


def _check_response(req, resp, resp_validation_error, instance, model_adapter) -> None:
    if resp_validation_error is not None:
        raise ResponseMismatch(f"{req.method} {req.path}: {resp_validation_error}")


spectree = SpecTree(
    "flask",
    mode="strict",  # only the API's endpoints, not the site's pages
    title=TITLE,
    version=VERSION,
    description=DESCRIPTION,
    page_templates={},  # the reference page is ours, from vendored files (views.docs)
    validation_error_status=400,
    validation_error_model=ErrorBody,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda parent, child: child,
    security_schemes=[SecurityScheme(name=SECURITY_SCHEME, data=SecuritySchemeData(
        type="http", scheme="bearer", bearer_format="hocso_…",
        description="A personal API token (account page, or `flask tokens create`)."))],
    security={SECURITY_SCHEME: []},
    before=_invalid_request,
    after=_check_response,
)


BAD_JSON = _l("The body is not valid JSON.")
NOT_AN_OBJECT = _l("Send the body as a JSON object: {...}.")


def endpoint(*, operation_id: str, ok, query=None, json=None,
             status: int | Sequence[int] = 200, tags: Sequence[str] = (),
             errors: Sequence[int] = ()):
    """Document and validate an API view: input models, its answer (`status`: its success
    codes, e.g. (201, 200) for "created, or updated"), and its possible errors.

    A view with a `json` body model also answers 415 to a body that is not JSON (a form, say),
    and 400 to JSON it cannot read, before its model is checked."""
    codes = {f"HTTP_{code}": ok for code in ((status,) if isinstance(status, int) else status)}
    for code in (*COMMON_ERRORS, *errors, *((400, 415) if json is not None else ())):
        codes[f"HTTP_{code}"] = ErrorBody
    validate = spectree.validate(
        query=query, json=json, resp=Response(**codes),
        tags=[TAGS[name] for name in tags], operation_id=operation_id)
    if json is None:
        return validate

    def decorator(view):
        validated = validate(view)

        @wraps(validated)  # keeps SpecTree's marks: the document lists the view as it is
        def with_json_body(*args, **kwargs):
            if not request.is_json:
                raise APIError(415)
            try:
                body = request.get_json(silent=True)
            except RecursionError:  # nested deeper than the parser's stack (silent: ValueError)
                body = None
            if body is None:
                raise APIError(400, BAD_JSON)
            if not isinstance(body, dict):  # SpecTree would read a falsy one (0, "") as {}
                raise APIError(400, NOT_AN_OBJECT)
            return validated(*args, **kwargs)

        return with_json_body

    return decorator


def document() -> dict:
    """Return the OpenAPI document (built from the current app's routes on first use)."""
    return spectree.spec

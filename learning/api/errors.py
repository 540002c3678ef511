"""The API's errors: every failure under /api/v1 is JSON, never an HTML page.

`{"error": {"status": 401, "message": "..."}}`, with the message in the caller's language
(Accept-Language, else the token's official's language, else Vietnamese). The app's error
handlers hand API requests to `json_error`; the API blueprint maps domain errors here too.
Holds no rules of its own.
"""

from __future__ import annotations

from flask import current_app, g, has_request_context, jsonify, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, Field
from werkzeug.exceptions import HTTPException

API_PREFIX = "/api/v1"

MESSAGES = {
    400: _l("The request is not valid."),
    401: _l("Send a valid API token: Authorization: Bearer followed by the token."),
    403: _l("Your account may not do this."),
    404: _l("There is nothing at this address."),
    405: _l("This method is not allowed at this address."),
    413: _l("The request is too large."),
    415: _l("Send the body as JSON, with Content-Type: application/json."),
    422: _l("The request breaks a rule of the platform."),
    429: _l("Too many requests. Try again later."),
    500: _l("Something went wrong on our side. The problem has been logged."),
    503: _l("The service is temporarily unavailable. Try again in a few minutes."),
}
# Headers of a werkzeug HTTP error worth keeping on the JSON answer (405's Allow, ...).
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


class ErrorDetail(BaseModel):
    """What went wrong."""

    status: int = Field(description="The HTTP status code, repeated.")
    message: str = Field(description="What went wrong, in the caller's language.")
    field: str | None = Field(
        None, description="The parameter or body field at fault, when the error is about one "
                          "(e.g. `deadline`, `departments`); absent otherwise.")
    fields: list[str] | None = Field(
        None, description="Every parameter or body field at fault, when a request does not "
                          "match its model (one or several, in alphabetical order); absent "
                          "otherwise.")


class ErrorBody(BaseModel):
    """The body of every error answer of the API."""

    error: ErrorDetail


class APIError(Exception):
    """An error the API answers with its JSON body (raised by the API layer only)."""

    def __init__(self, status: int, message=None, headers: dict[str, str] | None = None,
                 field: str | None = None, fields: list[str] | None = None):
        super().__init__(str(status))
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.field = field
        self.fields = fields


def is_api_request() -> bool:
    """Tell whether the current request is addressed to the API."""
    if not has_request_context():
        return False
    path = request.path
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def error_language() -> str:
    """Return the language of error messages: Accept-Language, the official's, the default."""
    supported = tuple(current_app.config["LANGUAGES"])
    chosen = request.accept_languages.best_match(supported)
    if chosen:
        return chosen
    user = g.get("api_user")  # set when a token was recognised; never loads anything here
    if user is not None and user.preferred_language in supported:
        return user.preferred_language
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def json_error(status: int, message=None, error: Exception | None = None,
               headers: dict[str, str] | None = None, field: str | None = None,
               fields: list[str] | None = None):
    """Return the JSON error answer for `status` (the message defaults to the status's), naming
    the `field` at fault when there is one, and all of them (`fields`) when a request did not
    match its model."""
    with force_locale(error_language()):
        text = str(message or MESSAGES.get(status) or MESSAGES[500])
    body = ErrorBody(error=ErrorDetail(status=status, message=text, field=field, fields=fields))
    response = jsonify(body.model_dump(exclude_none=True))
    response.status_code = status
    if isinstance(error, HTTPException):
        for name, value in error.get_headers():
            if name in _KEPT_HEADERS:
                response.headers[name] = value
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response

"""Application factory: binds the extensions, blueprints, error pages and CLI groups."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, render_template, request
from flask.globals import _cv_request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from learning import i18n, params, schema
from learning.api.errors import is_api_request, json_error
from learning.config import PROJECT_ROOT, load_config
from learning.db import db
from learning.errors import NotFound, PermissionDenied
from learning.extensions import babel, csrf, login_manager, migrate

log = logging.getLogger(__name__)

ERROR_TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("This action is not allowed here"),
    413: _l("The file is too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is temporarily unavailable"),
}
ERROR_HINTS = {
    400: _l("Please go back, reload the page and try again."),
    403: _l("If you think you should have access, contact your administrator."),
    404: _l("Check the address, or start again from the home page."),
    405: _l("Please go back and use the buttons on the page."),
    413: _l("Please choose a smaller file."),
    429: _l("Please wait a few minutes and try again."),
    500: _l("The problem has been logged. Please try again in a moment."),
    503: _l("Please try again in a few minutes."),
}


_FORM_TOO_LARGE = (_l("What was sent is too large"),
                   _l("The form holds more text than the site accepts. Shorten it and send it "
                      "again."))


def create_app(**overrides) -> Flask:
    """Create the HọcSố application; `overrides` replace configuration values."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.update(load_config(**overrides))
    # Before any blueprint adds its rules: every <int:...>, <name> and <path:...> then refuses
    # (404) what the database could not look up, and query arguments arrive storable.
    app.url_map.converters.update(params.CONVERTERS)
    app.request_class = params.Request
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        (PROJECT_ROOT / "instance").mkdir(exist_ok=True)

    proxies = int(app.config.get("PROXY_COUNT", 0))
    if proxies:  # trust X-Forwarded-* from this many reverse proxies (client address, scheme)
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    else:
        app.wsgi_app = _ProxyWarning(app.wsgi_app)

    # Before CSRF protection reads the form: a view may accept smaller uploads than the site.
    app.before_request(_bound_upload)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(schema.MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(
        app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone
    )
    i18n.install_template_gettext(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from learning import wiring

    wiring.register(app)
    _install_template_url_cache(app)
    _register_error_pages(app)
    _register_schema_guard(app)
    _register_security_headers(app)
    return app


class _ProxyWarning:
    """Log, once per process, that requests come through a proxy HọcSố was not told about.

    With HOCSO_PROXY_COUNT at 0 every request seems to come from the proxy's address: the
    sign-in throttle then counts the whole ministry's failures as one office's, and twenty of
    them keep every new browser out. A request carrying X-Forwarded-For is the sign."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.warned = False

    def __call__(self, environ, start_response):
        if not self.warned and "HTTP_X_FORWARDED_FOR" in environ:
            self.warned = True
            log.warning(
                "A request carried X-Forwarded-For (%r) from %s while HOCSO_PROXY_COUNT is 0. "
                "If a reverse proxy is in front of HọcSố, every official seems to come from "
                "its address and the sign-in throttle counts them as one: set "
                "HOCSO_PROXY_COUNT to the number of proxies. If none is, a client sent the "
                "header itself: leave HOCSO_PROXY_COUNT at 0, or clients could choose the "
                "address they are counted under.",
                environ["HTTP_X_FORWARDED_FOR"][:100], environ.get("REMOTE_ADDR", "-"))
        return self.wsgi_app(environ, start_response)


def _install_template_url_cache(app: Flask, limit: int = 50_000) -> None:
    """Give templates a `url_for` that remembers the URLs it built.

    A page builds dozens of URLs (menus, outlines, lists), each through Werkzeug's rule
    builder. A relative URL depends only on the endpoint, its values and the application's
    root path (and, for ".endpoint", the current blueprint), so it is remembered under those;
    anything else (`_external`, `_anchor`, ...) or unhashable values go to Flask as usual. No
    URL depends on the user or the database, so the memo is safe in every process."""
    build = app.url_for
    memo: dict = {}

    def url_for(endpoint: str, **values):
        context = _cv_request.get(None)
        if context is None or any(name.startswith("_") for name in values):
            return build(endpoint, **values)
        request_ = context.request
        key = (request_.script_root, request_.blueprint if endpoint.startswith(".") else None,
               endpoint, *sorted(values.items()))
        try:
            return memo[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value
            return build(endpoint, **values)
        url = build(endpoint, **values)
        if len(memo) >= limit:
            memo.clear()
        memo[key] = url
        return url

    app.jinja_env.globals["url_for"] = url_for


def _bound_upload():
    """Cap the request's body before anything reads it: a view's own upload cap
    (`learning.forms.upload_limit`), else FORM_MAX_BYTES (forms and JSON are small; a large
    body must not cost a worker its memory before the view refuses it)."""
    config = current_app.config
    view = current_app.view_functions.get(request.endpoint or "")
    key = getattr(view, "upload_limit", None)
    limit = config[key] + 64 * 1024 if key else config["FORM_MAX_BYTES"]
    request.max_content_length = min(limit, config["MAX_CONTENT_LENGTH"] or limit)


def _render_error(code: int, message=None, error: Exception | None = None):
    if is_api_request():  # never an HTML page under /api/v1
        return json_error(code, message, error)
    # An exception's Retry-After (429, 503) tells the browser when to come back.
    headers = [(name, value) for name, value in error.get_headers()
               if name == "Retry-After"] if isinstance(error, HTTPException) else []
    title = ERROR_TITLES.get(code, ERROR_TITLES[500])
    hint = message or ERROR_HINTS.get(code, ERROR_HINTS[500])
    if code == 413 and request.mimetype != "multipart/form-data":  # a form's text, no file
        title, hint = _FORM_TOO_LARGE
    return (
        render_template("errors/error.html", code=code, title=title, hint=hint),
        code,
        headers,
    )


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render_error(
            400, _l("The form expired or was sent from elsewhere. Reload the page and try again.")
        )

    @app.errorhandler(PermissionDenied)
    def permission_denied(error):
        return _render_error(403, error.message)

    @app.errorhandler(NotFound)
    def not_found(error):
        return _render_error(404)

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code in (301, 302, 303, 307, 308):  # routing redirects are not errors
            return error
        return _render_error(error.code or 500, error=error)

    @app.errorhandler(Exception)
    def unexpected(error):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return _render_error(500)


def _register_schema_guard(app: Flask) -> None:
    """Refuse to serve a database that is behind the migrations (checked once per process)."""

    @app.before_request
    def require_current_schema():
        if app.extensions.get("hocso_schema_ok") or request.endpoint == "static":
            return None
        try:
            problem = schema.schema_problem(db.engine)
        except Exception:  # the database cannot be reached at all
            log.exception("Database unreachable")
            return _render_error(503)
        if problem:
            log.error(problem)
            g.schema_problem = problem
            return _render_error(503, problem)
        app.extensions["hocso_schema_ok"] = True
        return None


def _register_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; media-src 'self'; object-src 'none'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # An official's pages are not kept in the browser's cache (a shared office computer,
        # the Back button after sign-out); the site's files and everyone's pages keep theirs.
        # (Whom the request ran as, if anything asked: Flask-Login keeps it in `g`. Asking here
        # would read the session even for answers that never needed it, a 503 among them.)
        user = g.get("_login_user")
        if user is not None and user.is_authenticated and request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

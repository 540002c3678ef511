"""Who an API request acts as, and how often a token may ask.

Only `Authorization: Bearer TOKEN` authenticates a request to /api/v1; the session cookie does
not (`wiring` makes the cookie's loader skip API requests), so a page elsewhere cannot make a
signed-in browser call the API, and the API needs no CSRF token. Flask-Login's request loader
sets the token's official as `current_user`, so the API runs the very checks the pages run.

Every authenticated request is counted against its token's rate limit in the database
(`learning.ratelimit`, shared by every worker and host). That count is a write, committed before
the view runs; the token's last-used time rides in the same short transaction, at most once a
minute (a hint for its owner, not an audit trail).
"""

from __future__ import annotations

import math

from flask import current_app, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from learning import clock, ratelimit
from learning.accounts import services as accounts
from learning.accounts.models import User
from learning.api.errors import APIError, is_api_request
from learning.db import db

RATE_BUCKET = "api-token"
MISSING_TOKEN = _l("Send an API token: Authorization: Bearer followed by the token.")
BAD_TOKEN = _l("The API token is not valid: it is wrong, expired or revoked, or its account "
               "is deactivated.")


def bearer_token(request) -> str | None:
    """Return the token of an `Authorization: Bearer ...` header, or None."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def load_user_from_request(request) -> User | None:
    """Flask-Login's request loader: the official an API request's token acts as."""
    if not is_api_request():
        return None  # tokens open the API only, never the pages
    found = accounts.find_token_user(bearer_token(request), now=clock.now())
    if found is None:
        return None
    g.api_token, g.api_user = found
    return g.api_user


def require_token(request) -> None:
    """Refuse (401) a request without a working token; count it against the token's limit."""
    if not current_user.is_authenticated or g.get("api_token") is None:
        sent = bearer_token(request) is not None
        raise APIError(401, BAD_TOKEN if sent else MISSING_TOKEN, headers={
            "WWW-Authenticate": 'Bearer realm="api", error="invalid_token"' if sent
            else 'Bearer realm="api"'})
    token = g.api_token
    config = current_app.config
    now = clock.now()
    limit, window = config["API_RATE_LIMIT"], config["API_RATE_WINDOW"]
    allowed = ratelimit.hit(RATE_BUCKET, str(token.id), limit=limit, window=window, now=now)
    if allowed:
        accounts.note_token_use(token, now=now)
    else:
        wait = ratelimit.retry_after(RATE_BUCKET, str(token.id), window=window, now=now)
    db.session.commit()
    if not allowed:
        raise APIError(429, _l(
            "Too many requests with this token: at most %(limit)d every %(seconds)d seconds. "
            "Try again in %(wait)d seconds.", limit=limit,
            seconds=math.ceil(window.total_seconds()), wait=wait),
            headers={"Retry-After": str(wait)})

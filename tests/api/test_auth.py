"""Who an API request acts as: a bearer token only, exactly its official, while it works."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from learning import clock
from learning.accounts import services as accounts
from learning.accounts.models import ApiToken
from learning.errors import NotFound, PermissionDenied, RuleViolation
from tests import factories
from tests.api.conftest import bearer
from tests.conftest import DEMO_PASSWORD, translated


def error_of(response) -> dict:
    """The `error` member of a JSON error answer (which must be JSON, never HTML)."""
    assert response.content_type == "application/json", response.data[:300]
    body = response.get_json()
    assert set(body) == {"error"}
    assert {"status", "message"} <= set(body["error"]) <= {"status", "message", "field",
                                                           "fields"}
    assert body["error"]["status"] == response.status_code
    assert body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer "},
    {"Authorization": "Bearer hocso_not-a-real-token"},
    {"Authorization": "Bearer " + "hocso_" + "x" * 5000},
    {"Authorization": "Basic aHVvbmcubnQ6cGFzc3dvcmQ="},
    {"Authorization": "Token hocso_abc"},
])
def test_a_missing_or_wrong_token_gets_401_in_json(client, official, headers):
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    error_of(response)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_token_is_case_sensitive_and_the_scheme_is_not(client, token):
    assert client.get("/api/v1/me", headers={"Authorization": f"bearer {token}"}
                      ).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(token.upper())).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(token[:-1])).status_code == 401


def test_an_expired_token_stops_working(client, make_token, official):
    secret = make_token(official, expires_days=1, now=clock.now() - timedelta(days=1, seconds=1))
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    fresh = make_token(official, expires_days=1, now=clock.now() - timedelta(hours=23))
    assert client.get("/api/v1/me", headers=bearer(fresh)).status_code == 200


def test_a_revoked_token_stops_working_at_once(client, db, official, token):
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    row = db.session.scalar(select(ApiToken))
    accounts.revoke_token(accounts.SYSTEM, row.id, now=clock.now())
    db.session.commit()
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


def test_a_deactivated_officials_tokens_stop_working_for_good(client, db, official, token):
    """Deactivating answers a departure or a stolen account: like the browser sessions, the
    tokens end, and reactivating brings back neither (the official makes new ones)."""
    accounts.set_active(accounts.SYSTEM, official, False, now=clock.now())
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    accounts.set_active(accounts.SYSTEM, official, True, now=clock.now())
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert db.session.scalar(select(ApiToken)).revoked_at is not None


def test_a_password_reset_revokes_the_tokens(client, db, official, token, make_token):
    other = make_token()  # another official's token is not touched
    accounts.reset_password(accounts.SYSTEM, official, now=clock.now())
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200


def test_changing_ones_own_password_revokes_the_tokens(client, db, login_as, make_token):
    """Whoever had the session or the password for a while may have made a token: a new
    password ends every way in, the tokens as well as the other browsers."""
    user = login_as("learner")
    token = make_token(user)
    response = client.post("/account/password", data={
        "current_password": DEMO_PASSWORD, "new_password": "mot-mat-khau-moi-dai",
        "confirm_password": "mot-mat-khau-moi-dai"})
    assert response.status_code == 302, response.data.decode()[:300]
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_a_signed_in_browser_session_does_not_open_the_api(client, login_as):
    """No cookie authentication under /api/v1: another site cannot use a signed-in browser."""
    login_as("learner")
    assert client.get("/account").status_code == 200  # the cookie works on the pages
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    error_of(response)


def test_a_token_does_not_open_the_pages(client, token):
    response = client.get("/account", headers=bearer(token))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_cookie_and_the_token_of_different_officials_the_token_wins(client, login_as,
                                                                      official, token):
    login_as("admin")
    assert client.get("/api/v1/me", headers=bearer(token)).get_json()["username"] == "huong.nt"


def test_the_api_needs_no_csrf_token(client, token):
    """Forms are CSRF-protected; the API (bearer only) is exempt. A POST to a GET-only
    endpoint gets 405, not the CSRF failure page."""
    response = client.post("/api/v1/me", headers=bearer(token), csrf=False)
    assert response.status_code == 405
    error_of(response)


def test_an_official_who_must_change_their_password_can_still_use_a_token(client, db, official,
                                                                         token):
    """The password change is for the browser; a script cannot follow that redirect."""
    official.must_change_password = True
    db.session.commit()
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200


def test_the_token_acts_as_its_official_through_the_same_rules(client, db, make_token):
    """A learner's token sees only the learner's own enrolments; HR rights are not widened."""
    learner = factories.UserFactory()
    db.session.commit()
    me = client.get("/api/v1/me", headers=bearer(make_token(learner))).get_json()
    assert me["roles"] == ["learner"]
    assert me["id"] == learner.id


# --- last used -------------------------------------------------------------------------------

def _last_used(db):
    db.session.expire_all()
    return db.session.scalar(select(ApiToken.last_used_at))


def test_last_used_is_recorded_at_most_once_a_minute(client, db, token):
    assert _last_used(db) is None
    client.get("/api/v1/me", headers=bearer(token))
    first = _last_used(db)
    assert first is not None
    assert clock.now() - first < timedelta(minutes=1)
    client.get("/api/v1/me", headers=bearer(token))
    assert _last_used(db) == first  # within the minute: not written again

    row = db.session.scalar(select(ApiToken))
    row.last_used_at = clock.now() - timedelta(minutes=2)
    db.session.commit()
    client.get("/api/v1/me", headers=bearer(token))
    assert clock.now() - _last_used(db) < timedelta(minutes=1)


def test_a_refused_token_is_not_marked_used(client, db, make_token, official):
    secret = make_token(official, expires_days=1, now=clock.now() - timedelta(days=2))
    client.get("/api/v1/me", headers=bearer(secret))
    assert _last_used(db) is None


# --- errors are JSON -------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/me/", "/api/v1",
                                  "/api/v1/courses/x/y"])
def test_unknown_addresses_get_a_json_404(client, token, path):
    response = client.get(path, headers=bearer(token))
    assert response.status_code == 404
    error_of(response)


def test_unknown_addresses_get_a_json_404_without_a_token_too(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    error_of(response)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_wrong_method_gets_a_json_405_with_allow(client, token, method):
    response = client.open("/api/v1/me", method=method, headers=bearer(token))
    assert response.status_code == 405
    error_of(response)
    assert "GET" in response.headers["Allow"]


def test_a_bad_parameter_gets_a_json_400_naming_it(client, token):
    response = client.get("/api/v1/me/enrolments", query_string={"limit": "1000"},
                          headers=bearer(token, **{"Accept-Language": "en"}))
    assert response.status_code == 400
    assert "limit" in error_of(response)["message"]


def test_messages_follow_accept_language_then_the_officials_language(client, app, db, official):
    with app.test_request_context():
        english = translated("en", "Send an API token: Authorization: Bearer followed by the "
                             "token.")
        korean = translated("ko", "Send an API token: Authorization: Bearer followed by the "
                            "token.")
        vietnamese = translated("vi", "Send an API token: Authorization: Bearer followed by "
                                "the token.")
    assert len({english, korean, vietnamese}) == 3
    assert error_of(client.get("/api/v1/me", headers={"Accept-Language": "ko-KR,ko;q=0.9"})
                    )["message"] == korean
    assert error_of(client.get("/api/v1/me", headers={"Accept-Language": "en-GB"})
                    )["message"] == english
    assert error_of(client.get("/api/v1/me"))["message"] == vietnamese  # the default


def test_a_404_from_a_service_speaks_the_officials_language(client, db, official, make_token,
                                                            app):
    """Without Accept-Language, an authenticated official gets their own language."""
    official.preferred_language = "en"
    db.session.commit()
    secret = make_token(official)
    response = client.get("/api/v1/nothing", headers=bearer(secret))
    # Unknown addresses are refused before the token is read: the default language.
    assert response.status_code == 404
    forged = client.get("/api/v1/me/enrolments", query_string={"cursor": "garbled"},
                        headers=bearer(secret))
    assert forged.status_code == 400
    with app.test_request_context():
        assert error_of(forged)["message"] == translated(
            "en", "The cursor is not valid: use the next_cursor of the previous page as it is.")


def test_an_unexpected_failure_is_a_logged_json_500(make_app, caplog):
    """A bug in an API view still answers JSON (the site's handler, in the API's shape)."""
    other = make_app()

    def broken():
        raise RuntimeError("a bug")

    other.add_url_rule("/api/v1/broken", "api_broken", broken)
    response = other.test_client().get("/api/v1/broken")
    assert response.status_code == 500
    error_of(response)
    assert any("Unhandled error" in record.getMessage() for record in caplog.records)


def test_a_too_large_body_gets_a_json_413(make_app):
    """Future endpoints with a body: werkzeug's 413 comes out in the API's shape too."""
    from flask import request

    other = make_app(MAX_CONTENT_LENGTH=1024)

    def upload():
        return {"size": len(request.get_data())}

    other.add_url_rule("/api/v1/upload", "api_upload", upload, methods=["POST"])
    response = other.test_client().post("/api/v1/upload", data=b"x" * 4096,
                                        content_type="application/json")
    assert response.status_code == 413
    error_of(response)


@pytest.mark.parametrize("error, status", [
    (PermissionDenied("Chỉ quản trị viên."), 403),
    (NotFound("Không có khóa học này."), 404),
    (RuleViolation("Khóa học chưa mở."), 422),
])
def test_a_services_refusal_becomes_the_json_error_the_page_would_show(make_app, token, error,
                                                                      status):
    """One handler maps domain errors: a view of the API blueprint that calls a service which
    refuses gets its message back, with the matching status."""
    other = make_app()

    def refusing():
        raise error

    other.add_url_rule("/api/v1/refusing", "api.refusing", refusing)  # in the `api` blueprint
    response = other.test_client().get("/api/v1/refusing", headers=bearer(token))
    assert response.status_code == status
    assert error_of(response)["message"] == error.message
    assert other.test_client().get("/api/v1/refusing").status_code == 401  # token first

"""Personal API tokens: stored only as a hash, created and revoked by their owner on the account
page and by administrators on the command line, audited, and isolated between officials."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from learning import clock
from learning.accounts import services as accounts
from learning.accounts.models import ApiToken, AuditEvent
from learning.errors import NotFound, PermissionDenied, RuleViolation
from tests import factories
from tests.conftest import field_error, translated, visible_text

TOKEN = re.compile(r"hocso_[A-Za-z0-9_-]{43}")


def api_status(app, secret: str) -> int:
    """The status /api/v1/me answers with `secret` as bearer token."""
    return app.test_client().get("/api/v1/me",
                                 headers={"Authorization": f"Bearer {secret}"}).status_code


# --- the service -----------------------------------------------------------------------------

def test_the_database_never_holds_the_token(app, db):
    user = factories.UserFactory()
    created = accounts.create_token(user, user, name="Báo cáo", now=clock.now())
    db.session.commit()
    assert TOKEN.fullmatch(created.secret)
    row = db.session.scalar(select(ApiToken))
    assert row.token_hash == hashlib.sha256(created.secret.encode()).hexdigest()
    assert row.hint == f"{created.secret[:10]}…{created.secret[-4:]}"
    # Nowhere in any table: not in the token row, not in the audit log.
    for table in db.metadata.sorted_tables:
        for values in db.session.execute(text(f'SELECT * FROM "{table.name}"')):
            assert not any(isinstance(value, str) and created.secret in value
                           for value in values), table.name
            assert not any(isinstance(value, str) and created.secret[10:-4] in value
                           for value in values), table.name


def test_every_token_is_new(app, db):
    user = factories.UserFactory()
    secrets = {accounts.create_token(user, user, now=clock.now()).secret for _ in range(5)}
    assert len(secrets) == 5


def test_tokens_are_for_oneself_or_by_an_administrator(app, db):
    learner, other = factories.UserFactory(), factories.UserFactory()
    admin = factories.UserFactory(roles={"admin"})
    with pytest.raises(PermissionDenied):
        accounts.create_token(learner, other, now=clock.now())
    assert accounts.create_token(admin, other, now=clock.now()).token.user_id == other.id
    assert accounts.create_token(None, other, now=clock.now()).token.user_id == other.id


def test_a_deactivated_account_gets_no_token(app, db):
    user = factories.UserFactory(is_active_account=False)
    with pytest.raises(RuleViolation):
        accounts.create_token(None, user, now=clock.now())


@pytest.mark.parametrize("days", [0, -1, accounts.MAX_EXPIRY_DAYS + 1])
def test_the_expiry_is_bounded(app, db, days):
    user = factories.UserFactory()
    with pytest.raises(RuleViolation) as raised:
        accounts.create_token(user, user, expires_days=days, now=clock.now())
    assert raised.value.field == "expires_days"


def test_an_official_holds_a_bounded_number_of_working_tokens(app, db):
    user = factories.UserFactory()
    now = clock.now()
    made = [accounts.create_token(user, user, now=now).token
            for _ in range(accounts.MAX_ACTIVE_TOKENS)]
    with pytest.raises(RuleViolation):
        accounts.create_token(user, user, now=now)
    accounts.revoke_token(user, made[0].id, now=now)  # a revoked one no longer counts
    accounts.create_token(user, user, now=now)
    expired = made[1]
    expired.expires_at = now - timedelta(seconds=1)  # nor does an expired one
    accounts.create_token(user, user, now=now)


def test_revoking_is_owner_or_administrator_only_and_idempotent(app, db):
    owner, stranger = factories.UserFactory(), factories.UserFactory()
    admin = factories.UserFactory(roles={"admin"})
    token = accounts.create_token(owner, owner, now=clock.now()).token
    with pytest.raises(NotFound):  # as if it did not exist: no probing for ids
        accounts.revoke_token(stranger, token.id, now=clock.now())
    assert token.revoked_at is None
    first = clock.now()
    accounts.revoke_token(admin, token.id, now=first)
    accounts.revoke_token(owner, token.id, now=first + timedelta(minutes=5))
    assert token.revoked_at == first
    revocations = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "api_token.revoke")).all()
    assert len(revocations) == 1 and revocations[0].actor_id == admin.id


def test_creation_and_revocation_are_audited_without_the_secret(app, db):
    user = factories.UserFactory(username="bao.dq")
    created = accounts.create_token(user, user, name="Hệ thống nhân sự", expires_days=30,
                                    now=clock.now())
    accounts.revoke_token(None, created.token.id, now=clock.now())
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.target_type, e.target_id) for e in events] == [
        ("api_token.create", "apitoken", created.token.id),
        ("api_token.revoke", "apitoken", created.token.id)]
    assert events[0].actor_id == user.id and events[1].actor_id is None
    details = json.loads(events[0].details)
    assert details["user"] == "bao.dq" and details["name"] == "Hệ thống nhân sự"
    assert created.secret not in events[0].details


# --- the account page ------------------------------------------------------------------------

def test_an_official_creates_a_token_on_the_account_page_and_sees_it_once(app, client,
                                                                         login_as, db):
    user = login_as("learner")
    page = client.get("/account")
    assert translated("vi", "API tokens") in visible_text(page)
    assert 'href="/api/v1/docs"' in page.data.decode()

    response = client.post("/account/tokens", data={"name": "Báo cáo tuần",
                                                    "expires_days": "30"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    secret = TOKEN.search(response.data.decode()).group()
    assert translated("vi", "Copy the token now and keep it somewhere safe: it is shown only "
                      "this once. HọcSố keeps only a fingerprint of it and cannot show it "
                      "again.") in visible_text(response)
    assert api_status(app, secret) == 200
    # the example command names the site's published address, not the request's host
    assert f"{app.config['BASE_URL']}/api/v1/me</code>" in response.data.decode()

    token = db.session.scalar(select(ApiToken))
    assert (token.user_id, token.name) == (user.id, "Báo cáo tuần")
    assert timedelta(days=29, hours=23) < token.expires_at - token.created_at <= timedelta(days=30)
    # The account page lists it by its hint, never the whole token again.
    listing = client.get("/account").data.decode()
    assert token.hint in listing and "Báo cáo tuần" in listing
    assert secret not in listing
    assert secret not in response.headers.get("Set-Cookie", "")  # nor in the cookie


def test_no_expiry_is_a_choice(client, login_as, db):
    login_as("learner")
    client.post("/account/tokens", data={"name": "Hệ thống", "expires_days": "0"})
    assert db.session.scalar(select(ApiToken.expires_at)) is None


def test_the_token_form_reports_its_errors_on_the_fields(client, login_as, db):
    login_as("learner")
    response = client.post("/account/tokens", data={"name": "", "expires_days": "30"})
    assert response.status_code == 400
    assert field_error(response, "name") == translated("vi", "This field is required.")
    response = client.post("/account/tokens", data={"name": "x", "expires_days": "7"})
    assert response.status_code == 400
    assert field_error(response, "expires_days") == translated("vi", "Not a valid choice.")
    assert db.session.scalar(select(ApiToken)) is None


def test_creating_a_token_needs_the_csrf_token(client, login_as, db):
    login_as("learner")
    response = client.post("/account/tokens", data={"name": "x", "expires_days": "30"},
                           csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(ApiToken)) is None


def test_an_official_revokes_their_token_on_the_account_page(app, client, login_as, db):
    user = login_as("learner")
    created = accounts.create_token(user, user, name="Cũ", now=clock.now())
    db.session.commit()
    assert api_status(app, created.secret) == 200
    response = client.post(f"/account/tokens/{created.token.id}/revoke", data={})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account#api-tokens")
    assert api_status(app, created.secret) == 401
    assert created.token.hint not in client.get("/account").data.decode()  # no longer listed


def test_revoking_needs_the_csrf_token(app, client, login_as, db):
    user = login_as("learner")
    created = accounts.create_token(user, user, now=clock.now())
    db.session.commit()
    response = client.post(f"/account/tokens/{created.token.id}/revoke", data={}, csrf=False)
    assert response.status_code == 400
    assert api_status(app, created.secret) == 200


def test_one_official_cannot_revoke_anothers_token_by_id(app, client, login_as, db):
    owner = factories.UserFactory()
    created = accounts.create_token(owner, owner, now=clock.now())
    db.session.commit()
    login_as("learner", "mentor", "hr")
    response = client.post(f"/account/tokens/{created.token.id}/revoke", data={})
    assert response.status_code == 404
    assert api_status(app, created.secret) == 200
    assert created.token.hint not in client.get("/account").data.decode()


def test_the_account_page_shows_only_ones_own_tokens(client, login_as, db):
    other = factories.UserFactory()
    theirs = accounts.create_token(other, other, name="Của người khác", now=clock.now()).token
    db.session.commit()
    login_as("learner")
    page = client.get("/account").data.decode()
    assert "Của người khác" not in page and theirs.hint not in page


def test_an_expired_token_is_listed_as_expired(client, login_as, db):
    user = login_as("learner")
    created = accounts.create_token(user, user, name="Báo cáo cũ", expires_days=1,
                                    now=clock.now() - timedelta(days=3))
    db.session.commit()
    page = visible_text(client.get("/account"))
    assert f"Báo cáo cũ {created.token.hint}" in page
    assert translated("vi", "Expired on %(date)s", date="").strip() in page


# --- the command line ------------------------------------------------------------------------

def test_tokens_create_prints_the_token_alone_on_the_last_line(app, runner, db):
    user = factories.UserFactory(username="bao.dq")
    db.session.commit()
    result = runner.invoke(args=["tokens", "create", "bao.dq", "--name", "HR system",
                                 "--expires-days", "90"])
    assert result.exit_code == 0, result.output
    last = result.output.rstrip("\n").splitlines()[-1]
    assert TOKEN.fullmatch(last)
    assert api_status(app, last) == 200
    token = db.session.scalar(select(ApiToken))
    assert (token.user_id, token.name) == (user.id, "HR system")
    assert timedelta(days=89, hours=23) < token.expires_at - token.created_at <= timedelta(days=90)


def test_tokens_create_without_options_never_expires(runner, db):
    factories.UserFactory(username="bao.dq")
    db.session.commit()
    result = runner.invoke(args=["tokens", "create", "bao.dq"])
    assert result.exit_code == 0
    assert TOKEN.fullmatch(result.output.splitlines()[-1])
    assert db.session.scalar(select(ApiToken.expires_at)) is None


@pytest.mark.parametrize("args, message", [
    (["tokens", "create", "nobody"], "No account 'nobody'."),
    (["tokens", "create", "bao.dq", "--expires-days", "0"], "--expires-days"),
    (["tokens", "create", "bao.dq", "--expires-days", "x"], "--expires-days"),
    (["tokens", "revoke", "999"], ""),
    (["tokens", "revoke", "99999999999999999999"], "TOKEN_ID"),
])
def test_tokens_commands_refuse_bad_input_and_print_no_token(runner, db, args, message):
    factories.UserFactory(username="bao.dq")
    db.session.commit()
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert not TOKEN.search(result.output)
    assert db.session.scalar(select(ApiToken)) is None


def test_tokens_create_refuses_a_deactivated_account(runner, db):
    factories.UserFactory(username="bao.dq", is_active_account=False)
    db.session.commit()
    result = runner.invoke(args=["tokens", "create", "bao.dq"])
    assert result.exit_code != 0 and not TOKEN.search(result.output)


def test_tokens_list_and_revoke(app, runner, db):
    factories.UserFactory(username="bao.dq")
    db.session.commit()
    secret = runner.invoke(args=["tokens", "create", "bao.dq", "--name", "Báo cáo"]
                           ).output.splitlines()[-1]
    token = db.session.scalar(select(ApiToken))
    listing = runner.invoke(args=["tokens", "list", "bao.dq"]).output
    assert listing.startswith(f"{token.id}\tBáo cáo\t{token.hint}\t")
    assert listing.rstrip().endswith("active")
    assert secret not in listing

    result = runner.invoke(args=["tokens", "revoke", str(token.id)])
    assert result.exit_code == 0 and f"Revoked token {token.id} of bao.dq." in result.output
    assert api_status(app, secret) == 401
    assert runner.invoke(args=["tokens", "list", "bao.dq"]).output == ""
    assert runner.invoke(args=["tokens", "list", "bao.dq", "--all"]).output.rstrip().endswith(
        "revoked")

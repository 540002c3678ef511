"""Server-side sessions: a session cookie works only while its server session lives.

A copied cookie stops working at sign-out, a password change or reset and deactivation; a
session ends after the idle time and the absolute lifetime; the cookie carries a random token.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login.utils import encode_cookie
from sqlalchemy import select, update

from learning import clock
from learning.accounts import sessions
from learning.accounts.models import UserSession
from learning.config import ConfigError, load_config
from tests import factories
from tests.conftest import DEMO_PASSWORD, location_path, sign_in

NEW_PASSWORD = "mùa thu Hà Nội 2026"


@pytest.fixture
def official(db):
    user = factories.UserFactory(username="huong.nt", full_name="Nguyễn Thị Hương",
                                 password=DEMO_PASSWORD)
    db.session.commit()
    return user


@pytest.fixture
def admin_client(app, db):
    factories.UserFactory(username="it.admin", roles={"admin"}, password=DEMO_PASSWORD)
    db.session.commit()
    admin = app.test_client()
    assert sign_in(admin, "it.admin").status_code == 302
    return admin


def signed_in(client) -> bool:
    response = client.get("/account")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and location_path(response).startswith("/login")
    return False


def copy_of(app, client):
    """Return a second browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def cookie_payload(app, client) -> dict:
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(client.get_cookie("session").value)


def session_rows(db, user) -> list[UserSession]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)))


def age(db, user, **fields) -> None:
    """Move a session's times into the past, as if the clock had run on."""
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id).values(
        **{name: clock.now() - delta for name, delta in fields.items()}))
    db.session.commit()


def change_password(client):
    return client.post("/account/password", data={
        "current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD})


# --- a copied cookie -------------------------------------------------------------------------

def test_a_copied_cookie_works_only_until_sign_out(app, client, official):
    sign_in(client, "huong.nt")
    thief = copy_of(app, client)
    assert signed_in(thief)  # a bearer cookie: the copy is the session while it lives
    assert client.post("/logout", data={}).status_code == 302
    assert not signed_in(thief)
    assert not signed_in(client)


def test_a_password_change_ends_the_copied_cookie_but_not_the_changing_browser(
        app, client, db, official):
    sign_in(client, "huong.nt")
    thief = copy_of(app, client)
    assert change_password(client).status_code == 302
    assert signed_in(client)
    assert not signed_in(thief)
    # The changing browser continues in a fresh session; every earlier one has ended.
    rows = session_rows(db, official)
    assert [row.ended_at is None for row in rows] == [False, True]
    assert rows[0].end_reason == "password"


def test_an_admin_reset_ends_every_session_of_the_official(app, client, db, official,
                                                           admin_client):
    sign_in(client, "huong.nt")
    thief = copy_of(app, client)
    elsewhere = app.test_client()
    sign_in(elsewhere, "huong.nt")
    assert admin_client.post(f"/admin/users/{official.id}/reset-password",
                             data={}).status_code == 200
    assert not any(signed_in(c) for c in (client, thief, elsewhere))
    assert all(row.ended_at is not None for row in session_rows(db, official))


def test_deactivation_ends_every_session_and_reactivation_revives_none(
        app, client, db, official, admin_client):
    sign_in(client, "huong.nt")
    thief = copy_of(app, client)
    admin_client.post(f"/admin/users/{official.id}/active", data={"active": "0"})
    admin_client.post(f"/admin/users/{official.id}/active", data={"active": "1"})
    assert not signed_in(client)
    assert not signed_in(thief)
    assert {row.end_reason for row in session_rows(db, official)} == {"deactivated"}


def test_signing_out_ends_only_that_browser(app, client, official):
    sign_in(client, "huong.nt")
    other_browser = app.test_client()
    sign_in(other_browser, "huong.nt")
    client.post("/logout", data={})
    assert signed_in(other_browser)


# --- what the cookie carries -----------------------------------------------------------------

def test_the_cookie_carries_a_random_token_stored_only_hashed(app, client, db, official):
    sign_in(client, "huong.nt")
    other_browser = app.test_client()
    sign_in(other_browser, "huong.nt")
    tokens = [cookie_payload(app, c)["_user_id"] for c in (client, other_browser)]
    assert tokens[0] != tokens[1]
    assert all(len(token) >= 43 and str(official.id) != token for token in tokens)  # 256 bits
    hashes = {row.token_hash for row in session_rows(db, official)}
    assert len(hashes) == 2 and not hashes & set(tokens)


def test_an_old_style_account_cookie_is_refused(app, official):
    """The cookie of before (`user:password-epoch`), even correctly signed, opens nothing."""
    forged = app.test_client()
    with forged.session_transaction() as session:
        session["_user_id"] = f"{official.id}:0"
        session["_fresh"] = True
    assert not signed_in(forged)


def test_a_remember_me_cookie_is_bound_to_the_server_session(app, client, official):
    response = sign_in(client, "huong.nt")
    assert not any(c.startswith("remember_token=")
                   for c in response.headers.getlist("Set-Cookie"))
    token = cookie_payload(app, client)["_user_id"]
    client.post("/logout", data={})
    for user_id in (token, f"{official.id}:0", str(official.id)):
        browser = app.test_client()
        browser.set_cookie("remember_token", encode_cookie(user_id))  # signed with our key
        assert not signed_in(browser), user_id


# --- idle time and lifetime ------------------------------------------------------------------

def test_a_session_ends_after_the_idle_time(app, client, db, official):
    assert app.config["SESSION_IDLE_TIMEOUT"] == timedelta(hours=2)
    sign_in(client, "huong.nt")
    age(db, official, created_at=timedelta(hours=3), last_seen_at=timedelta(minutes=119))
    assert signed_in(client)  # and this request counts as activity...
    age(db, official, last_seen_at=timedelta(minutes=121))
    assert not signed_in(client)  # ...but two hours of nothing end it


def test_a_session_ends_after_its_lifetime_however_busy(app, client, db, official):
    assert app.config["SESSION_LIFETIME"] == timedelta(hours=12)
    sign_in(client, "huong.nt")
    age(db, official, created_at=timedelta(hours=11, minutes=59), last_seen_at=timedelta(0))
    assert signed_in(client)
    age(db, official, created_at=timedelta(hours=12, minutes=1), last_seen_at=timedelta(0))
    assert not signed_in(client)


def test_idle_time_and_lifetime_are_read_from_the_environment(tmp_path):
    config = load_config(environ={"HOCSO_SESSION_IDLE_MINUTES": "30",
                                  "HOCSO_SESSION_LIFETIME_HOURS": "8"},
                         INSTANCE_DIR=str(tmp_path))
    assert config["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=30)
    assert config["SESSION_LIFETIME"] == config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    with pytest.raises(ConfigError, match="HOCSO_SESSION_IDLE_MINUTES"):
        load_config(environ={"HOCSO_SESSION_IDLE_MINUTES": "0"}, INSTANCE_DIR=str(tmp_path))


def test_load_session_user_at_the_boundaries(db, official):
    start = clock.now()
    token = sessions.start_session(official, now=start)
    db.session.commit()
    limits = {"idle": timedelta(hours=2), "lifetime": timedelta(hours=12),
              "touch_every": timedelta(minutes=1)}
    found = sessions.load_session_user(token, now=start + timedelta(minutes=119), **limits)
    assert found is not None and found.id == official.id and found.get_id() == token
    assert sessions.load_session_user(token, now=start + timedelta(hours=4), **limits) is None
    assert sessions.load_session_user("", now=start, **limits) is None
    assert sessions.load_session_user(token + "x", now=start, **limits) is None


# --- a page view reads: last-seen writes are rare --------------------------------------------

def test_page_views_write_the_last_seen_time_at_most_once_a_minute(app, client, db, official,
                                                                   count_queries):
    sign_in(client, "huong.nt")
    age(db, official, last_seen_at=timedelta(minutes=5))
    with count_queries() as statements:
        assert signed_in(client)
    assert sum("UPDATE user_sessions" in s for s in statements) == 1
    seen = session_rows(db, official)[0].last_seen_at
    assert clock.now() - seen < timedelta(minutes=1)
    with count_queries() as statements:
        for _ in range(3):
            assert signed_in(client)
    assert not any(s.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))
                   for s in statements)
    assert session_rows(db, official)[0].last_seen_at == seen



def test_an_account_equals_itself_loaded_twice_without_a_session(app, db, official):
    """Flask-Login's UserMixin compared session ids; accounts compare by who they are."""
    with app.app_context():  # another database session: another object for the same row
        again = db.session.get(type(official), official.id)
        assert again is not official
        assert again == official and again in [official] and not again != official
    other = factories.UserFactory(username="bao.dq")
    assert other != official and official not in [other]

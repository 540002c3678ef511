"""Sign-in, throttling, deactivation, passwords, sign-out and redirects after sign-in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text

from learning.accounts.models import SignInAttempt, User
from tests import factories
from tests.conftest import (
    DEMO_PASSWORD,
    field_error,
    location_path,
    sign_in,
    translated,
    visible_text,
)

WRONG_PASSWORD_VI = "Tên đăng nhập hoặc mật khẩu không đúng."
NEW_PASSWORD = "mùa thu Hà Nội 2026"


@pytest.fixture
def official(db):
    """An active official with the test password, committed so requests can see it."""
    user = factories.UserFactory(
        username="huong.nt", full_name="Nguyễn Thị Hương", email="huong.nt@mofa.gov.vn",
        staff_number="BNG-0104", password=DEMO_PASSWORD,
    )
    db.session.commit()
    return user


def signed_in_name(client) -> str | None:
    """Return the full name on the signed-in official's profile page, or None if signed out."""
    response = client.get("/account")
    if response.status_code != 200:
        return None
    return re.search(r'class="user-name">([^<]+)<', response.data.decode()).group(1)


def attempts(db, **where) -> int:
    query = select(func.count()).select_from(SignInAttempt)
    for column, value in where.items():
        query = query.where(getattr(SignInAttempt, column) == value)
    return db.session.scalar(query)


# --- signing in ------------------------------------------------------------------------------

def test_right_password_signs_in_and_the_session_works(client, official):
    response = sign_in(client, "huong.nt")
    assert response.status_code == 302
    assert location_path(response) == "/"
    assert signed_in_name(client) == "Nguyễn Thị Hương"
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused_in_vietnamese_and_signs_nobody_in(client, db, official):
    response = sign_in(client, "huong.nt", "not the password")
    assert response.status_code == 401
    assert WRONG_PASSWORD_VI in visible_text(response)
    assert '<html lang="vi">' in response.data.decode()
    assert signed_in_name(client) is None
    assert attempts(db, username="huong.nt", succeeded=False) == 1


@pytest.mark.parametrize("typed", ["\ufb03" * 90, "\u00df" * 200, "A" * 254],
                         ids=["ffi-ligatures", "sharp-s", "254-letters"])
def test_a_name_longer_than_any_account_once_folded_is_a_plain_refusal(client, db, typed):
    """Case folding lengthens some letters (ﬃ → ffi, ß → ss): a name the form accepts may no
    longer fit the database's columns once folded. It is refused like any unknown name, never
    with an error."""
    response = sign_in(client, typed, "whatever-it-is")
    assert response.status_code == 401
    assert WRONG_PASSWORD_VI in visible_text(response)


def test_a_next_address_with_a_backslash_is_not_followed():
    from learning.accounts.views import safe_next

    for target in ("/\\evil.example", "/a\\b", "\\evil.example"):
        assert safe_next(target, "/") == "/"
    assert safe_next("/courses/a?b=c", "/") == "/courses/a?b=c"


def test_unknown_username_gets_the_same_message_as_a_wrong_password(client):
    response = sign_in(client, "nobody.here", "whatever-it-is")
    assert response.status_code == 401
    assert WRONG_PASSWORD_VI in visible_text(response)


@pytest.mark.parametrize("identifier", ["Huong.NT@MOFA.gov.vn", "bng-0104", " HUONG.NT "])
def test_sign_in_by_email_staff_number_or_username_in_any_case(client, official, identifier):
    response = sign_in(client, identifier)
    assert response.status_code == 302
    assert signed_in_name(client) == "Nguyễn Thị Hương"


def test_sign_in_records_the_time_of_the_last_sign_in(client, db, official):
    assert official.last_sign_in_at is None
    sign_in(client, "huong.nt")
    db.session.expire_all()
    assert db.session.get(User, official.id).last_sign_in_at is not None


# --- throttling ------------------------------------------------------------------------------

def test_five_failures_lock_the_account_even_for_the_right_password(client, db, official):
    for _ in range(5):
        assert sign_in(client, "huong.nt", "guess-guess").status_code == 401
    response = sign_in(client, "huong.nt", DEMO_PASSWORD)
    assert response.status_code == 429
    message = translated(
        "vi", "Too many failed sign-ins for this account. Try again in %(minutes)d minutes.",
        minutes=15)
    assert message != "Too many failed sign-ins for this account. Try again in 15 minutes."
    assert message in visible_text(response)
    assert signed_in_name(client) is None
    # Counted in the database, where every worker sees them; the refused try is not counted.
    assert attempts(db, username="huong.nt", succeeded=False) == 5
    assert attempts(db, succeeded=True) == 0


def test_the_lock_counts_every_way_of_naming_the_account(client, db, official):
    for identifier in ("huong.nt", "HUONG.NT@mofa.gov.vn", "bng-0104", "huong.nt@mofa.gov.vn",
                       "BNG-0104"):
        assert sign_in(client, identifier, "guess-guess").status_code == 401
    for identifier in ("huong.nt", "huong.nt@mofa.gov.vn", "BNG-0104"):
        assert sign_in(client, identifier, DEMO_PASSWORD).status_code == 429, identifier
    assert attempts(db, username="huong.nt", succeeded=False) == 5


def test_the_lock_is_per_account(client, db, official):
    other = factories.UserFactory(username="bao.dq", password=DEMO_PASSWORD)
    db.session.commit()
    for _ in range(5):
        sign_in(client, "huong.nt", "guess-guess")
    assert sign_in(client, "bao.dq").status_code == 302
    assert signed_in_name(client) == other.full_name


def test_the_lock_holds_in_a_second_app_sharing_the_database(client, official, make_app):
    for _ in range(5):
        sign_in(client, "huong.nt", "guess-guess")
    other_worker = make_app().test_client()
    response = sign_in(other_worker, "huong.nt", DEMO_PASSWORD)
    assert response.status_code == 429
    assert signed_in_name(other_worker) is None


def test_failures_counted_by_another_app_lock_this_one(client, official, make_app):
    other_worker = make_app().test_client()
    for _ in range(5):
        assert sign_in(other_worker, "huong.nt", "guess-guess").status_code == 401
    assert sign_in(client, "huong.nt", DEMO_PASSWORD).status_code == 429


def test_twenty_failures_from_one_address_lock_that_address(app, client, db, official):
    for n in range(19):
        assert sign_in(client, f"ghost{n}", "guess-guess").status_code == 401
    # Nineteen are tolerated...
    assert sign_in(app.test_client(), "huong.nt").status_code == 302
    assert sign_in(client, "ghost19", "guess-guess").status_code == 401
    assert attempts(db, ip="127.0.0.1", succeeded=False) == 20
    # ...the twentieth locks this computer, although huong.nt never failed.
    response = sign_in(client, "huong.nt", DEMO_PASSWORD)
    assert response.status_code == 429
    assert translated(
        "vi", "Too many failed sign-ins from this computer. Try again in %(minutes)d minutes.",
        minutes=15) in visible_text(response)
    assert signed_in_name(client) is None


def test_a_successful_sign_in_resets_the_account_counter(app, client, official):
    for _ in range(4):
        assert sign_in(client, "huong.nt", "guess-guess").status_code == 401
    assert sign_in(client, "huong.nt").status_code == 302
    fresh = app.test_client()
    for _ in range(4):
        assert sign_in(fresh, "huong.nt", "guess-guess").status_code == 401
    # Eight failures in the window, but only four since the last success.
    assert sign_in(fresh, "huong.nt").status_code == 302


# --- deactivated accounts --------------------------------------------------------------------

def test_a_deactivated_account_cannot_sign_in(client, db):
    factories.UserFactory(username="left.ministry", password=DEMO_PASSWORD,
                          is_active_account=False)
    db.session.commit()
    response = sign_in(client, "left.ministry")
    assert response.status_code == 401
    assert "Tài khoản này đã bị khóa. Vui lòng liên hệ quản trị viên." in visible_text(response)
    assert signed_in_name(client) is None


def test_deactivation_ends_the_open_session(app, client, db, official):
    sign_in(client, "huong.nt")
    assert signed_in_name(client) == "Nguyễn Thị Hương"
    factories.UserFactory(username="it.admin", roles={"admin"}, password=DEMO_PASSWORD)
    db.session.commit()
    admin_client = app.test_client()
    sign_in(admin_client, "it.admin")
    response = admin_client.post(f"/admin/users/{official.id}/active", data={"active": "0"})
    assert response.status_code == 302

    page = client.get("/account")
    assert page.status_code == 302
    assert location_path(page).startswith("/login")
    # Reactivation restores sign-in but not the old session.
    admin_client.post(f"/admin/users/{official.id}/active", data={"active": "1"})
    assert client.get("/account").status_code == 302
    assert sign_in(client, "huong.nt").status_code == 302


# --- must change password --------------------------------------------------------------------

def test_an_official_who_must_change_the_password_is_held_on_the_password_page(client, db):
    factories.UserFactory(username="new.official", password=DEMO_PASSWORD,
                          must_change_password=True, roles={"admin", "learner"})
    db.session.commit()
    response = sign_in(client, "new.official", next="/admin/users")
    assert response.status_code == 302
    assert location_path(response) == "/account/password"
    for url in ("/", "/account", "/admin/users", "/hr/officials"):
        blocked = client.get(url)
        assert blocked.status_code == 302, url
        assert location_path(blocked) == "/account/password", url
    assert client.get("/account/password").status_code == 200

    response = client.post("/account/password", data={
        "current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/users").status_code == 200
    assert db.session.scalar(
        select(User.must_change_password).where(User.username == "new.official")) is False


# --- changing one's own password -------------------------------------------------------------

def change(client, current, new, confirm=None):
    return client.post("/account/password", data={
        "current_password": current, "new_password": new,
        "confirm_password": new if confirm is None else confirm})


def test_wrong_current_password_is_a_field_error(client, official):
    sign_in(client, "huong.nt")
    response = change(client, "not my password", NEW_PASSWORD)
    assert response.status_code == 400
    assert field_error(response, "current_password") == translated(
        "vi", "The current password is not correct.")


def test_too_short_new_password_is_a_field_error(client, official):
    sign_in(client, "huong.nt")
    response = change(client, DEMO_PASSWORD, "ngắn")
    assert response.status_code == 400
    assert field_error(response, "new_password")
    assert field_error(response, "current_password") is None


def test_weak_new_password_is_a_field_error(client, official):
    sign_in(client, "huong.nt")
    response = change(client, DEMO_PASSWORD, "aaaaaaaaaaaa")
    assert response.status_code == 400
    assert field_error(response, "new_password") == translated(
        "vi", "The password is too easy to guess.")


def test_new_passwords_that_differ_are_an_error(client, official):
    sign_in(client, "huong.nt")
    response = change(client, DEMO_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert response.status_code == 400
    assert field_error(response, "confirm_password") == translated(
        "vi", "The two passwords differ.")


def test_failed_changes_keep_the_old_password(app, client, official):
    sign_in(client, "huong.nt")
    change(client, "not my password", NEW_PASSWORD)
    change(client, DEMO_PASSWORD, NEW_PASSWORD, "something else entirely")
    assert sign_in(app.test_client(), "huong.nt", DEMO_PASSWORD).status_code == 302


def test_changed_password_is_the_only_one_that_works(app, client, official):
    sign_in(client, "huong.nt")
    response = change(client, DEMO_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    # The session that changed the password stays signed in.
    assert signed_in_name(client) == "Nguyễn Thị Hương"
    assert sign_in(app.test_client(), "huong.nt", DEMO_PASSWORD).status_code == 401
    assert sign_in(app.test_client(), "huong.nt", NEW_PASSWORD).status_code == 302


def test_changing_the_password_ends_other_sessions(app, client, official):
    sign_in(client, "huong.nt")
    elsewhere = app.test_client()
    sign_in(elsewhere, "huong.nt")
    change(client, DEMO_PASSWORD, NEW_PASSWORD)
    assert signed_in_name(elsewhere) is None
    assert signed_in_name(client) == "Nguyễn Thị Hương"


# --- password reset by an administrator ------------------------------------------------------

def test_admin_reset_shows_a_temporary_password_and_ends_old_sessions(app, client, db,
                                                                     official, login_as):
    session_of_official = app.test_client()
    sign_in(session_of_official, "huong.nt")
    assert signed_in_name(session_of_official) == "Nguyễn Thị Hương"

    login_as("admin")
    response = client.post(f"/admin/users/{official.id}/reset-password", data={})
    assert response.status_code == 200
    temporary = re.search(r'class="temporary-password"><code>([^<]+)</code>',
                          response.data.decode()).group(1)
    assert len(temporary) >= 12
    assert "Nguyễn Thị Hương" in visible_text(response)

    assert signed_in_name(session_of_official) is None
    assert sign_in(app.test_client(), "huong.nt", DEMO_PASSWORD).status_code == 401
    fresh = app.test_client()
    response = sign_in(fresh, "huong.nt", temporary)
    assert response.status_code == 302
    assert location_path(response) == "/account/password"
    assert location_path(fresh.get("/")) == "/account/password"
    assert change(fresh, temporary, NEW_PASSWORD).status_code == 302
    assert fresh.get("/").status_code == 200


def test_cli_reset_password_prints_a_temporary_password(app, runner, official):
    result = runner.invoke(args=["users", "reset-password", "huong.nt"])
    assert result.exit_code == 0, result.output
    temporary = result.output.strip().rsplit(" ", 1)[-1]
    client = app.test_client()
    response = sign_in(client, "huong.nt", temporary)
    assert location_path(response) == "/account/password"


# --- signing out -----------------------------------------------------------------------------

def test_logout_is_post_only(client, official):
    sign_in(client, "huong.nt")
    assert client.get("/logout").status_code == 405
    assert signed_in_name(client) == "Nguyễn Thị Hương"


def test_logout_without_csrf_token_is_refused(client, official):
    sign_in(client, "huong.nt")
    assert client.post("/logout", data={}, csrf=False).status_code == 400
    assert signed_in_name(client) == "Nguyễn Thị Hương"


def test_logout_signs_out(client, official):
    sign_in(client, "huong.nt")
    response = client.post("/logout", data={})
    assert response.status_code == 302
    assert location_path(response) == "/login"
    assert signed_in_name(client) is None


# --- where sign-in leads ---------------------------------------------------------------------

def test_sign_in_returns_to_the_page_that_asked_for_it(client, official):
    response = client.get("/account")
    assert location_path(response) == "/login?next=%2Faccount"
    response = sign_in(client, "huong.nt", next="/account")
    assert location_path(response) == "/account"


@pytest.mark.parametrize("target", [
    "https://evil.example", "//evil.example", "/\\evil.example", "https:/evil.example",
    "/\t/evil.example", "javascript:alert(1)",
])
def test_sign_in_never_redirects_off_site(client, official, target):
    form = client.get("/login", query_string={"next": target})
    assert form.status_code == 200
    response = sign_in(client, "huong.nt", next=target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert not location.startswith(("//", "/\\", "http:", "https:", "javascript:"))
    assert location.startswith("/")
    assert signed_in_name(client) == "Nguyễn Thị Hương"


def test_guesses_at_the_current_password_are_throttled_like_sign_ins(app, client, db, official):
    """Whoever holds a session for a while cannot guess the official's real password faster
    through the change form than through the sign-in form."""
    sign_in(client, "huong.nt")
    for _ in range(5):
        assert change(client, "not my password", NEW_PASSWORD).status_code == 400
    assert attempts(db, username="huong.nt", succeeded=False) == 5
    refused = change(client, DEMO_PASSWORD, NEW_PASSWORD)  # even the right one, for now
    assert refused.status_code == 429
    assert translated("vi", "Too many failed sign-ins for this account. Try again in "
                      "%(minutes)d minutes.", minutes=15) in visible_text(refused)
    assert sign_in(app.test_client(), "huong.nt", NEW_PASSWORD).status_code != 302
    assert sign_in(app.test_client(), "huong.nt", DEMO_PASSWORD).status_code == 429


# --- device cookies: others' guesses never lock the owner out ---------------------------------

def browser(app, address="10.0.0.1"):
    """Another browser (its own cookies) at a client address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def signed_in_before(app, username="huong.nt", address="10.0.0.1"):
    """A browser that signed in as `username` once (and signed out): it has a device cookie."""
    client = browser(app, address)
    response = sign_in(client, username)
    assert response.status_code == 302
    cookie = next(value for value in response.headers.getlist("Set-Cookie")
                  if value.startswith("hocso_device="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.post("/logout", data={}).status_code == 302
    return client


def test_guesses_from_elsewhere_do_not_lock_the_owners_browser_out(app, db, official):
    owner = signed_in_before(app)
    attacker = browser(app, "203.0.113.9")
    for _ in range(5):
        assert sign_in(attacker, "huong.nt", "guess").status_code == 401
    assert sign_in(attacker, "huong.nt").status_code == 429  # even the right password
    assert sign_in(browser(app), "huong.nt").status_code == 429  # any other browser too
    assert sign_in(owner, "huong.nt").status_code == 302
    assert signed_in_name(owner) == "Nguyễn Thị Hương"


def test_the_owners_browser_is_locked_by_its_own_failures(app, db, official):
    owner = signed_in_before(app)
    for _ in range(5):
        assert sign_in(owner, "huong.nt", "wrong").status_code == 401
    assert sign_in(owner, "huong.nt").status_code == 429
    assert attempts(db, username="huong.nt", succeeded=False) == 5


def test_a_device_cookie_helps_only_the_account_it_names_and_only_if_genuine(app, db,
                                                                            official):
    other = factories.UserFactory(username="lan.pt", password=DEMO_PASSWORD)
    db.session.commit()
    theirs = signed_in_before(app, "lan.pt")
    forged = browser(app)
    forged.set_cookie("hocso_device", "eyJ1IjoiaHVvbmcubnQiLCJkIjoieCJ9.forged.sig")
    attacker = browser(app, "203.0.113.9")
    for _ in range(5):
        sign_in(attacker, "huong.nt", "guess")
    assert sign_in(theirs, "huong.nt").status_code == 429  # lan's browser, not Hương's
    assert sign_in(forged, "huong.nt").status_code == 429
    assert other.username == "lan.pt"


def test_an_office_address_locked_by_guesses_still_lets_known_browsers_in(app, db, official):
    """Everyone behind one office address shares it: twenty guesses at made-up names lock the
    address for unknown browsers, not for those its officials signed in from before."""
    owner = signed_in_before(app, address="10.20.0.1")
    sprayer = browser(app, "10.20.0.1")
    for number in range(20):
        sign_in(sprayer, f"khong.co.{number}", "guess")
    assert sign_in(browser(app, "10.20.0.1"), "huong.nt").status_code == 429
    assert sign_in(owner, "huong.nt").status_code == 302


# --- unlocking: an administrator lets a locked-out official in at once -----------------------

def test_an_admin_sees_the_lock_and_unlocks_the_account(app, client, db, official, login_as):
    attacker = browser(app, "203.0.113.9")
    for _ in range(5):
        assert sign_in(attacker, "huong.nt", "guess").status_code == 401
    assert sign_in(browser(app, "10.0.0.7"), "huong.nt").status_code == 429  # a new browser

    login_as("admin")
    response = client.get(f"/admin/users/{official.id}")
    assert f'action="/admin/users/{official.id}/unlock"' in response.data.decode()
    lock = re.search(r"<dt>[^<]*</dt><dd>([^<]*)</dd>\s*</dl>", response.data.decode()).group(1)
    assert " 5 " in lock and lock != translated("vi", "None recently")
    response = client.post(f"/admin/users/{official.id}/unlock", data={})
    assert location_path(response) == f"/admin/users/{official.id}"
    assert translated("vi", "Sign-in is unlocked: %(name)s can sign in again from any browser.",
                      name="Nguyễn Thị Hương") in visible_text(client.get(location_path(response)))
    assert attempts(db, username="huong.nt", succeeded=False) == 0
    assert sign_in(browser(app, "10.0.0.7"), "huong.nt").status_code == 302
    event = db.session.execute(text(
        "SELECT action, target_id, details FROM audit_events WHERE action = 'sign_in.unlock'"
    )).one()
    assert event.target_id == official.id and '"failures": 5' in event.details


def test_the_account_page_says_when_nothing_locks_it(client, db, official, login_as):
    login_as("admin")
    page = visible_text(client.get(f"/admin/users/{official.id}"))
    assert translated("vi", "None recently") in page
    assert f"/admin/users/{official.id}/unlock" not in client.get(
        f"/admin/users/{official.id}").data.decode()


@pytest.mark.parametrize("role", ["hr", "mentor", "learner"])
def test_only_an_admin_may_unlock(app, client, db, official, login_as, role):
    attacker = browser(app, "203.0.113.9")
    for _ in range(5):
        sign_in(attacker, "huong.nt", "guess")
    login_as(role)
    assert client.post(f"/admin/users/{official.id}/unlock", data={}).status_code == 403
    assert attempts(db, username="huong.nt", succeeded=False) == 5


def test_unlocking_without_the_csrf_token_is_refused(app, client, db, official, login_as):
    for _ in range(5):
        sign_in(browser(app, "203.0.113.9"), "huong.nt", "guess")
    login_as("admin")
    response = client.post(f"/admin/users/{official.id}/unlock",
                           data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert attempts(db, username="huong.nt", succeeded=False) == 5


def test_cli_unlocks_an_account_or_an_office_address(app, runner, db, official):
    for _ in range(5):
        sign_in(browser(app, "203.0.113.9"), "huong.nt", "guess")
    sprayer = browser(app, "10.20.0.1")
    for number in range(20):
        sign_in(sprayer, f"khong.co.{number}", "guess")
    assert sign_in(browser(app, "10.99.0.1"), "huong.nt").status_code == 429
    assert sign_in(browser(app, "10.20.0.1"), "someone.else", "x").status_code == 429

    result = runner.invoke(args=["users", "unlock", "HUONG.NT"])
    assert result.exit_code == 0, result.output
    assert "Unlocked huong.nt: 5 failed sign-in(s) forgotten." in result.output
    assert sign_in(browser(app, "10.99.0.1"), "huong.nt").status_code == 302
    assert sign_in(browser(app, "10.20.0.1"), "huong.nt").status_code == 429  # the address

    result = runner.invoke(args=["users", "unlock", "--address", "10.20.0.1"])
    assert result.exit_code == 0, result.output
    assert "Unlocked 10.20.0.1: 20 failed sign-in(s) forgotten." in result.output
    assert sign_in(browser(app, "10.20.0.1"), "huong.nt").status_code == 302

    for args in (["users", "unlock"], ["users", "unlock", "huong.nt", "--address", "10.0.0.1"]):
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and "either a username or --address" in result.output
    assert "No account 'nobody'." in runner.invoke(args=["users", "unlock", "nobody"]).output
    for bad in ("10.20.0", "x" * 300, "10.20.0.1; DROP TABLE"):
        result = runner.invoke(args=["users", "unlock", "--address", bad])
        assert result.exit_code != 0
        assert translated("vi", "Enter an IP address, such as 10.20.0.1.") in result.output
    result = runner.invoke(args=["users", "unlock", "--address", " 2001:DB8:0:0::7 "])
    assert result.exit_code == 0, result.output
    assert "Unlocked 2001:db8::7: 0 failed sign-in(s) forgotten." in result.output

"""Forms posted without a CSRF token are refused with 400 and change nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from learning.accounts.models import SignInAttempt, User
from tests import factories
from tests.conftest import DEMO_PASSWORD, translated, visible_text

EXPIRED_FORM = "The form expired or was sent from elsewhere. Reload the page and try again."


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_sign_in_without_token_is_refused(client, db):
    factories.UserFactory(username="huong.nt", password=DEMO_PASSWORD)
    db.session.commit()
    response = client.post("/login", data={"username": "huong.nt", "password": DEMO_PASSWORD},
                           csrf=False)
    assert response.status_code == 400
    assert translated("vi", EXPIRED_FORM) in visible_text(response)
    assert client.get("/account").status_code == 302  # not signed in
    assert count(db, SignInAttempt) == 0


def test_language_switch_without_token_is_refused(client, db, login_as):
    user = login_as("learner")
    response = client.post("/language", data={"language": "en"}, csrf=False)
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).preferred_language == "vi"
    assert '<html lang="vi">' in client.get("/account").data.decode()


def test_anonymous_language_switch_without_token_is_refused(client):
    client.get("/login")
    response = client.post("/language", data={"language": "en"}, csrf=False)
    assert response.status_code == 400
    assert '<html lang="vi">' in client.get("/login").data.decode()


def test_creating_an_account_without_token_is_refused(client, db, login_as):
    login_as("admin")
    before = count(db, User)
    response = client.post("/admin/users/new", csrf=False, data={
        "username": "bao.dq", "full_name": "Đặng Quốc Bảo", "email": "", "staff_number": "",
        "job_title": "", "department_id": "0", "roles": ["learner"],
        "hr_scope_department_id": "0", "preferred_language": "vi", "password": ""})
    assert response.status_code == 400
    assert count(db, User) == before
    assert db.session.scalar(select(User).where(User.username == "bao.dq")) is None


def test_a_token_from_another_session_is_refused(app, client, db, login_as):
    login_as("admin")
    stranger = app.test_client()
    foreign_token = stranger.csrf_token()
    response = client.post("/admin/users/new", csrf=False, data={
        "csrf_token": foreign_token, "username": "bao.dq", "full_name": "Đặng Quốc Bảo",
        "department_id": "0", "roles": ["learner"], "hr_scope_department_id": "0",
        "preferred_language": "vi"})
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.username == "bao.dq")) is None

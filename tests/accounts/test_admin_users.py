"""Administrators create, edit, deactivate and reactivate accounts through the pages."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from learning.accounts.models import User
from tests import factories
from tests.conftest import (
    DEMO_PASSWORD,
    field_error,
    location_path,
    sign_in,
    translated,
    visible_text,
)


@pytest.fixture
def consular(db):
    department = factories.DepartmentFactory(name="Cục Lãnh sự")
    db.session.commit()
    return department


def form(**fields) -> dict:
    """A complete account form; `fields` replace the defaults."""
    data = {
        "username": "anh.tn", "full_name": "Trương Ngọc Ánh", "email": "anh.tn@mofa.gov.vn",
        "staff_number": "BNG-0107", "job_title": "Chuyên viên", "department_id": "0",
        "roles": ["learner"], "hr_scope_department_id": "0", "preferred_language": "vi",
        "password": "",
    }
    data.update(fields)
    return data


def user_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def input_value(response, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', response.data.decode())
    return html.unescape(match.group(1)) if match else None


def selected_option(response, name: str) -> str | None:
    page = response.data.decode()
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    match = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected',
                      select_html.group(1))
    return (match.group(1) or match.group(2)) if match else None


# --- creating --------------------------------------------------------------------------------

def test_admin_creates_an_account_that_can_sign_in(app, client, db, login_as, consular):
    login_as("admin")
    response = client.post("/admin/users/new", data=form(
        department_id=str(consular.id), roles=["learner", "hr"],
        hr_scope_department_id=str(consular.id), password="Mật khẩu ban đầu 1"))
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "anh.tn"))
    assert location_path(response) == f"/admin/users/{user.id}"
    assert user.full_name == "Trương Ngọc Ánh"
    assert (user.email, user.staff_number, user.job_title) == (
        "anh.tn@mofa.gov.vn", "BNG-0107", "Chuyên viên")
    assert user.department_id == consular.id
    assert user.roles == {"learner", "hr"}
    assert user.grant("hr").scope_department_id == consular.id
    assert user.must_change_password

    page = client.get(location_path(response))
    assert translated("vi", "Account %(username)s created.", username="anh.tn") in \
        visible_text(page)

    newcomer = app.test_client()
    response = sign_in(newcomer, "anh.tn", "Mật khẩu ban đầu 1")
    assert location_path(response) == "/account/password"


def test_account_without_password_cannot_sign_in_until_reset(app, client, db, login_as):
    login_as("admin")
    assert client.post("/admin/users/new", data=form()).status_code == 302
    user = db.session.scalar(select(User).where(User.username == "anh.tn"))
    assert user.password_hash is None
    assert sign_in(app.test_client(), "anh.tn", "").status_code == 400
    assert sign_in(app.test_client(), "anh.tn", "anything-at-all").status_code == 401


def test_bad_input_is_shown_on_the_fields_and_keeps_what_was_typed(client, db, login_as,
                                                                   consular):
    login_as("admin")
    before = user_count(db)
    response = client.post("/admin/users/new", data=form(
        username="", password="ngắn", department_id=str(consular.id), job_title="Tùy viên"))
    assert response.status_code == 400
    assert field_error(response, "username")
    assert field_error(response, "password")
    assert field_error(response, "full_name") is None
    assert "Trương Ngọc Ánh" in response.data.decode()
    assert input_value(response, "full_name") == "Trương Ngọc Ánh"
    assert input_value(response, "job_title") == "Tùy viên"
    assert input_value(response, "staff_number") == "BNG-0107"
    assert selected_option(response, "department_id") == str(consular.id)
    assert user_count(db) == before


def test_a_weak_initial_password_is_a_field_error(client, db, login_as):
    login_as("admin")
    before = user_count(db)
    response = client.post("/admin/users/new", data=form(password="aaaaaaaaaaaa"))
    assert response.status_code == 400
    assert field_error(response, "password") == translated(
        "vi", "The password is too easy to guess.")
    assert input_value(response, "full_name") == "Trương Ngọc Ánh"
    assert user_count(db) == before


def test_invalid_email_is_a_field_error(client, db, login_as):
    login_as("admin")
    before = user_count(db)
    response = client.post("/admin/users/new", data=form(email="anh.tn@@mofa"))
    assert response.status_code == 400
    assert field_error(response, "email") == translated("vi", "Enter a valid email address.")
    assert input_value(response, "full_name") == "Trương Ngọc Ánh"
    assert user_count(db) == before


@pytest.mark.parametrize("field, value, message", [
    ("username", "ANH.TN", "This username is already taken."),
    ("email", "Anh.TN@mofa.gov.vn", "Another account already uses this email."),
    ("staff_number", "bng-0107", "Another account already has this staff number."),
])
def test_duplicates_are_field_errors(client, db, login_as, field, value, message):
    factories.UserFactory(username="anh.tn", email="anh.tn@mofa.gov.vn", staff_number="BNG-0107")
    db.session.commit()
    login_as("admin")
    before = user_count(db)
    fresh = {"username": "someone.else", "email": "someone@mofa.gov.vn",
             "staff_number": "BNG-9999", field: value}
    response = client.post("/admin/users/new", data=form(**fresh))
    assert response.status_code == 400
    assert field_error(response, field) == translated("vi", message)
    assert user_count(db) == before


# --- editing ---------------------------------------------------------------------------------

def test_admin_changes_roles_and_hr_scope(client, db, login_as, consular):
    official = factories.UserFactory(username="bao.dq", full_name="Đặng Quốc Bảo",
                                     email="bao.dq@mofa.gov.vn", staff_number="BNG-0104",
                                     department=consular)
    db.session.commit()
    login_as("admin")
    page = client.get(f"/admin/users/{official.id}")
    assert page.status_code == 200
    assert input_value(page, "full_name") == "Đặng Quốc Bảo"

    edited = form(username="bao.dq", full_name="Đặng Quốc Bảo", email="bao.dq@mofa.gov.vn",
                  staff_number="BNG-0104", job_title="Phó Cục trưởng",
                  department_id=str(consular.id), roles=["learner", "mentor", "hr"],
                  hr_scope_department_id=str(consular.id))
    response = client.post(f"/admin/users/{official.id}", data=edited)
    assert response.status_code == 302
    db.session.expire_all()
    official = db.session.get(User, official.id)
    assert official.roles == {"learner", "mentor", "hr"}
    assert official.grant("hr").scope_department_id == consular.id
    assert official.job_title == "Phó Cục trưởng"

    response = client.post(f"/admin/users/{official.id}", data={**edited, "roles": ["learner"]})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, official.id).roles == {"learner"}


def test_admin_cannot_remove_their_own_admin_role(client, db, login_as):
    admin = login_as("admin", "learner")
    response = client.post(f"/admin/users/{admin.id}", data=form(
        username=admin.username, full_name=admin.full_name, email=admin.email,
        staff_number=admin.staff_number, roles=["learner"]))
    assert response.status_code == 400
    assert field_error(response, "roles") == translated(
        "vi", "You cannot remove your own administrator role.")
    db.session.expire_all()
    assert "admin" in db.session.get(User, admin.id).roles


def test_deactivate_and_reactivate(app, client, db, login_as):
    official = factories.UserFactory(username="bao.dq", password=DEMO_PASSWORD)
    db.session.commit()
    login_as("admin")

    response = client.post(f"/admin/users/{official.id}/active", data={"active": "0"})
    assert response.status_code == 302
    page = client.get(location_path(response))
    assert translated("vi", "The account has been deactivated; its records are kept.") in \
        visible_text(page)
    db.session.expire_all()
    assert db.session.get(User, official.id).is_active is False
    assert sign_in(app.test_client(), "bao.dq").status_code == 401

    client.post(f"/admin/users/{official.id}/active", data={"active": "1"})
    db.session.expire_all()
    assert db.session.get(User, official.id).is_active is True
    assert sign_in(app.test_client(), "bao.dq").status_code == 302


def test_admin_cannot_deactivate_themselves(client, db, login_as):
    admin = login_as("admin")
    response = client.post(f"/admin/users/{admin.id}/active", data={"active": "0"})
    assert response.status_code == 302
    assert translated("vi", "You cannot deactivate your own account.") in \
        visible_text(client.get(location_path(response)))
    db.session.expire_all()
    assert db.session.get(User, admin.id).is_active
    assert client.get("/admin/users").status_code == 200


def test_the_account_list_finds_officials_without_diacritics(client, db, login_as):
    factories.UserFactory(full_name="Đặng Quốc Bảo")
    factories.UserFactory(full_name="Trương Ngọc Ánh")
    db.session.commit()
    login_as("admin")
    text = visible_text(client.get("/admin/users", query_string={"q": "dang quoc bao"}))
    assert "Đặng Quốc Bảo" in text
    assert "Trương Ngọc Ánh" not in text


def test_unknown_account_is_404(client, login_as):
    login_as("admin")
    assert client.get("/admin/users/999999").status_code == 404

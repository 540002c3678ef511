"""`flask users ...` and `flask departments ...` (import and reset-password: their own files)."""

from __future__ import annotations

from sqlalchemy import select

from learning.accounts import services as accounts
from learning.accounts.models import Department, User
from tests.conftest import location_path, sign_in, translated

PASSWORD = "Mật khẩu ban đầu 1"


def test_users_create_makes_an_account_that_must_change_its_password(app, runner, db):
    result = runner.invoke(args=[
        "users", "create", "--username", "Anh.TN", "--full-name", "Trương Ngọc Ánh",
        "--email", "anh.tn@mofa.gov.vn", "--staff-number", "BNG-0105",
        "--department", "Bộ Ngoại giao/Cục Lãnh sự", "--role", "hr", "--role", "learner",
        "--hr-scope", "Bộ Ngoại giao", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Created anh.tn (hr, learner)." in result.output
    user = db.session.scalar(select(User).where(User.username == "anh.tn"))
    assert user.full_name == "Trương Ngọc Ánh"
    assert accounts.department_path(user.department) == "Bộ Ngoại giao/Cục Lãnh sự"
    assert accounts.department_path(user.grant("hr").scope_department) == "Bộ Ngoại giao"
    response = sign_in(app.test_client(), "anh.tn", PASSWORD)
    assert location_path(response) == "/account/password"


def test_users_create_refuses_a_duplicate_and_writes_nothing(runner, db):
    args = ["users", "create", "--username", "anh.tn", "--full-name", "Trương Ngọc Ánh",
            "--password", PASSWORD]
    assert runner.invoke(args=args).exit_code == 0
    duplicate = runner.invoke(args=args)
    assert duplicate.exit_code != 0
    assert translated("vi", "This username is already taken.") in duplicate.output
    assert len(db.session.scalars(select(User)).all()) == 1


def test_users_deactivate_and_activate(app, runner, db):
    runner.invoke(args=["users", "create", "--username", "bao.dq", "--full-name",
                        "Đặng Quốc Bảo", "--password", PASSWORD, "--no-must-change"])
    client = app.test_client()
    assert location_path(sign_in(client, "bao.dq", PASSWORD)) == "/"

    result = runner.invoke(args=["users", "deactivate", "bao.dq"])
    assert result.exit_code == 0 and "Deactivated bao.dq." in result.output
    assert client.get("/account").status_code == 302  # the open session ended
    assert sign_in(app.test_client(), "bao.dq", PASSWORD).status_code == 401
    assert "[deactivated]" in runner.invoke(args=["users", "list"]).output

    assert runner.invoke(args=["users", "activate", "bao.dq"]).exit_code == 0
    assert sign_in(app.test_client(), "bao.dq", PASSWORD).status_code == 302


def test_users_commands_name_an_unknown_account(runner):
    result = runner.invoke(args=["users", "deactivate", "nobody"])  # operator text: English
    assert result.exit_code != 0
    assert "No account 'nobody'." in result.output


def test_users_list(runner, db):
    runner.invoke(args=["users", "create", "--username", "bao.dq", "--full-name",
                        "Đặng Quốc Bảo", "--role", "mentor", "--password", PASSWORD])
    output = runner.invoke(args=["users", "list"]).output
    assert "bao.dq\tĐặng Quốc Bảo\tmentor" in output


def test_departments_create_and_list(runner, db):
    result = runner.invoke(args=[
        "departments", "create",
        "Bộ Ngoại giao / Cục Cơ yếu - Công nghệ thông tin/Phòng An ninh mạng"])
    assert result.exit_code == 0, result.output
    assert ("Department: Bộ Ngoại giao/Cục Cơ yếu - Công nghệ thông tin/Phòng An ninh mạng"
            in result.output)
    # Creating an existing path again changes nothing.
    runner.invoke(args=["departments", "create",
                        "Bộ Ngoại giao/Cục Cơ yếu - Công nghệ thông tin"])
    assert len(db.session.scalars(select(Department)).all()) == 3
    listing = runner.invoke(args=["departments", "list"]).output.splitlines()
    assert listing == ["Bộ Ngoại giao", "  Cục Cơ yếu - Công nghệ thông tin",
                       "    Phòng An ninh mạng"]

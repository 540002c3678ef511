"""`flask demo load`: the demo ministry, loaded once, refused in production.

One test loads the demo (loading it means importing courses and seeding progress, which is
not cheap) and checks everything that needs it.
"""

from __future__ import annotations

from sqlalchemy import func, select

from learning.accounts import services as accounts
from learning.accounts.models import User
from learning.site import demo
from tests.conftest import location_path, sign_in

DEMO_USERS = {"admin": {"admin", "learner"}, "hr": {"hr", "learner"},
              "mentor": {"mentor", "learner"}, "learner": {"learner"},
              "hr.lanhsu": {"hr", "learner"}}


def row_counts(db) -> dict[str, int]:
    """Count the rows of every table."""
    db.session.expire_all()
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def test_demo_loads_once_and_its_accounts_sign_in(app, runner, db):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "Demo ministry loaded" in first.output
    assert "hocso-demo" in first.output
    counts = row_counts(db)
    assert counts["users"] == len(demo.DEMO_ACCOUNTS) + len(demo.OFFICIALS) == 43
    assert counts["departments"] == 11

    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert "already loaded; nothing changed" in second.output
    assert row_counts(db) == counts

    for username, roles in DEMO_USERS.items():
        response = sign_in(app.test_client(), username, "hocso-demo")
        assert response.status_code == 302, username
        assert location_path(response) == "/", username  # no forced password change
        assert db.session.scalar(select(User).where(User.username == username)).roles == roles

    users = {u.username: u for u in db.session.scalars(select(User))}
    assert users["learner"].full_name == "Nguyễn Thị Hương"
    assert users["admin"].full_name == "Trần Minh Quân"
    # hr covers the whole ministry, hr.lanhsu only the consular department.
    everyone = list(users.values())
    assert all(accounts.can_view_official(users["hr"], u) for u in everyone)
    consular = [u for u in everyone
                if accounts.can_view_official(users["hr.lanhsu"], u)]
    assert users["learner"] in consular and users["admin"] not in consular
    assert {accounts.department_path(u.department) for u in consular} == {
        "Bộ Ngoại giao/Cục Lãnh sự"}


def test_demo_is_refused_in_production(make_app, db):
    app = make_app(HOCSO_ENV="production", SECRET_KEY="a-long-random-production-secret-key")
    # The command runs in the innermost application context: the production app's.
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "refused in production" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0

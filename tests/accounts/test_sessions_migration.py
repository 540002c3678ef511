"""Migration 0006_sessions adds tables only: accounts from before it survive and can sign in."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from learning.accounts.passwords import hash_password
from learning.db import db as _db
from tests.conftest import DEMO_PASSWORD, sign_in

NEW_TABLES = {"user_sessions", "rate_limit_locks"}


def test_accounts_survive_the_sessions_migration_both_ways(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'before.db'}")
    with app.app_context():
        engine = _db.engine
        upgrade(revision="0005_certificates")
        assert not NEW_TABLES & set(inspect(engine).get_table_names())
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (username, full_name, job_title, search_text, "
                "preferred_language, is_active, must_change_password, password_hash, "
                "created_at, updated_at) VALUES ('huong.nt', 'Nguyễn Thị Hương', '', '', 'vi', "
                "1, 0, :hash, '2026-11-30 08:00:00', '2026-11-30 08:00:00')"),
                {"hash": hash_password(DEMO_PASSWORD)})
        upgrade()
        assert NEW_TABLES <= set(inspect(engine).get_table_names())
    browser = app.test_client()
    assert sign_in(browser, "huong.nt").status_code == 302
    assert browser.get("/account").status_code == 200
    with app.app_context():
        _db.session.remove()
        downgrade(revision="0005_certificates")
        engine = _db.engine
        assert not NEW_TABLES & set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT full_name FROM users")) == "Nguyễn Thị Hương"

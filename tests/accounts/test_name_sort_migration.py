"""Migration 0008_name_sort_keys fills the sort key of the accounts that exist before it."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from learning.db import db as _db

NAMES = ["Nguyễn Văn Bùi", "Vũ Văn Đạt", "Trần Thị Bạch", "Phạm Thị Ân", "Hoàng Văn An",
         "Đỗ Văn Dũng"]
IN_ORDER = ["Hoàng Văn An", "Phạm Thị Ân", "Trần Thị Bạch", "Nguyễn Văn Bùi", "Đỗ Văn Dũng",
            "Vũ Văn Đạt"]


def test_existing_accounts_get_their_sort_key(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'before.db'}")
    with app.app_context():
        engine = _db.engine
        upgrade(revision="0007_certificate_trust")
        with engine.begin() as connection:
            for number, name in enumerate(NAMES):
                connection.execute(text(
                    "INSERT INTO users (username, full_name, job_title, search_text, "
                    "preferred_language, is_active, must_change_password, created_at, "
                    "updated_at) VALUES (:username, :name, '', '', 'vi', 1, 0, "
                    "'2026-11-30 08:00:00', '2026-11-30 08:00:00')"),
                    {"username": f"official{number}", "name": name})
        upgrade()
        with engine.connect() as connection:
            listed = connection.scalars(text(
                "SELECT full_name FROM users ORDER BY sort_name, id")).all()
        assert listed == IN_ORDER
        downgrade(revision="0007_certificate_trust")
        assert "sort_name" not in {c["name"] for c in inspect(engine).get_columns("users")}

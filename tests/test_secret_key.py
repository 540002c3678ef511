"""No secret in the source: development and test sign cookies with a key made once per instance
folder; production takes its key from the environment; a cookie signed with an old source key
opens nothing."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from learning import config as config_module
from learning.config import ConfigError, load_config
from tests import factories
from tests.conftest import DEMO_PASSWORD, location_path, sign_in

OLD_SOURCE_KEYS = ("dev-only-insecure-key-development", "dev-only-insecure-key-test")


@pytest.fixture(autouse=True)
def no_key_in_the_environment(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY_FILE", raising=False)


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_and_test_keys_are_random_per_instance_folder(environment, tmp_path):
    first = load_config(environ={"HOCSO_ENV": environment}, INSTANCE_DIR=str(tmp_path / "a"))
    second = load_config(environ={"HOCSO_ENV": environment}, INSTANCE_DIR=str(tmp_path / "b"))
    assert first["SECRET_KEY"] != second["SECRET_KEY"]
    assert len(first["SECRET_KEY"]) >= 64
    source = Path(config_module.__file__).read_text(encoding="utf-8")
    assert first["SECRET_KEY"] not in source and "insecure" not in first["SECRET_KEY"]
    key_file = tmp_path / "a" / "secret-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == first["SECRET_KEY"]


def test_the_same_instance_folder_keeps_its_key_across_app_creations(make_app, tmp_path):
    apps = [make_app(SECRET_KEY=None, INSTANCE_DIR=str(tmp_path)) for _ in range(2)]
    assert apps[0].config["SECRET_KEY"] == apps[1].config["SECRET_KEY"]
    assert apps[0].config["SECRET_KEY"] not in OLD_SOURCE_KEYS


def test_workers_starting_together_agree_on_one_key(tmp_path):
    keys: list[str] = []
    start = threading.Barrier(8)

    def worker():
        start.wait()
        keys.append(config_module.instance_secret_key(tmp_path))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert os.listdir(tmp_path) == ["secret-key"]  # no drafts left behind


def test_an_explicit_key_wins_and_creates_no_file(make_app, tmp_path):
    app = make_app(SECRET_KEY="explicit-key-for-this-app", INSTANCE_DIR=str(tmp_path))
    assert app.config["SECRET_KEY"] == "explicit-key-for-this-app"
    assert not (tmp_path / "secret-key").exists()


def test_production_reads_the_key_from_a_file_or_refuses(tmp_path):
    key_file = tmp_path / "hocso-secret"
    key_file.write_text("a-long-random-production-secret-key\n")
    config = load_config(environ={"HOCSO_ENV": "production", "SECRET_KEY_FILE": str(key_file)})
    assert config["SECRET_KEY"] == "a-long-random-production-secret-key"
    with pytest.raises(ConfigError, match="SECRET_KEY_FILE"):
        load_config(environ={"HOCSO_ENV": "production",
                             "SECRET_KEY_FILE": str(tmp_path / "missing")})
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        load_config(environ={"HOCSO_ENV": "production"}, INSTANCE_DIR=str(tmp_path))


def forged(key: str, payload: dict) -> str:
    """Return a session cookie value signed with `key`, as Flask would sign it."""
    forger = Flask("forger")
    forger.secret_key = key
    return SecureCookieSessionInterface().get_signing_serializer(forger).dumps(payload)


def test_a_cookie_forged_with_the_old_source_key_is_refused(make_app, db, tmp_path):
    user = factories.UserFactory(username="huong.nt", password=DEMO_PASSWORD)
    db.session.commit()
    app = make_app(SECRET_KEY=None, INSTANCE_DIR=str(tmp_path))
    browser = app.test_client()
    assert sign_in(browser, "huong.nt").status_code == 302
    payload = app.session_interface.get_signing_serializer(app).loads(
        browser.get_cookie("session").value)
    # Even with the token of a live session (or the old `user:epoch` id) in it.
    for user_id in (payload["_user_id"], f"{user.id}:0"):
        for key in OLD_SOURCE_KEYS:
            attacker = app.test_client()
            attacker.set_cookie("session", forged(key, {"_user_id": user_id, "_fresh": True}))
            response = attacker.get("/account")
            assert response.status_code == 302, (key, user_id)
            assert location_path(response).startswith("/login")
    assert browser.get("/account").status_code == 200

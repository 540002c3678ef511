"""Configuration from the environment: refusals in production, cookie flags, defaults."""

from __future__ import annotations

import pytest

from learning.app import create_app
from learning.config import PROJECT_ROOT, ConfigError, load_config
from tests import factories
from tests.conftest import DEMO_PASSWORD, sign_in

PRODUCTION_SECRET = "0123456789abcdef" * 4


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0]


def test_production_without_secret_key_is_refused():
    with pytest.raises(ConfigError) as refused:
        load_config(environ={"HOCSO_ENV": "production"})
    message = str(refused.value)
    assert "SECRET_KEY is not set" in message
    assert "secrets.token_hex" in message  # tells how to make one


def test_the_app_refuses_to_start_in_production_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("HOCSO_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_an_empty_secret_key_counts_as_missing():
    with pytest.raises(ConfigError):
        load_config(environ={"HOCSO_ENV": "production", "SECRET_KEY": ""})


@pytest.mark.parametrize("value", ["prod", "Production", "staging", " test"])
def test_an_unknown_environment_is_refused(value):
    with pytest.raises(ConfigError) as refused:
        load_config(environ={"HOCSO_ENV": value, "SECRET_KEY": PRODUCTION_SECRET})
    assert "development, test, production" in str(refused.value)
    assert repr(value) in str(refused.value)


def test_production_cookies_are_secure():
    config = load_config(environ={"HOCSO_ENV": "production", "SECRET_KEY": PRODUCTION_SECRET})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SECRET_KEY"] == PRODUCTION_SECRET
    assert config["TESTING"] is False


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_cookies_work_over_plain_http(environment):
    config = load_config(environ={"HOCSO_ENV": environment})
    assert config["SESSION_COOKIE_SECURE"] is False
    assert config["SECRET_KEY"]  # a development key is filled in


def test_defaults():
    config = load_config(environ={})
    assert config["HOCSO_ENV"] == "development"
    assert config["BABEL_DEFAULT_LOCALE"] == "vi"
    assert config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Ho_Chi_Minh"
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{PROJECT_ROOT / 'instance/hocso.db'}"
    assert (config["THROTTLE_USER_FAILURES"], config["THROTTLE_IP_FAILURES"]) == (5, 20)
    assert config["CERT_PLACE"] == "Hà Nội"
    assert load_config(environ={"HOCSO_CERT_PLACE": "Đà Nẵng"})["CERT_PLACE"] == "Đà Nẵng"


def test_a_relative_sqlite_path_is_resolved_against_the_project():
    config = load_config(environ={"DATABASE_URL": "sqlite:///data/x.db"})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{PROJECT_ROOT / 'data/x.db'}"
    postgres = "postgresql+psycopg://hocso:secret@db/hocso"
    assert load_config(environ={"DATABASE_URL": postgres})["SQLALCHEMY_DATABASE_URI"] == postgres


def test_the_session_cookie_of_a_real_sign_in_is_httponly_and_lax(client, db):
    factories.UserFactory(username="huong.nt", password=DEMO_PASSWORD)
    db.session.commit()
    response = sign_in(client, "huong.nt")
    assert response.status_code == 302
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the test environment runs over plain http


def test_the_session_cookie_is_secure_in_production(make_app, db):
    factories.UserFactory(username="huong.nt", password=DEMO_PASSWORD)
    db.session.commit()
    app = make_app(HOCSO_ENV="production", SECRET_KEY=PRODUCTION_SECRET)
    client = app.test_client()
    response = sign_in(client, "huong.nt")
    assert response.status_code == 302
    cookie = session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/account").status_code == 200

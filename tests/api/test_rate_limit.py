"""The per-token rate limit: counted in the database, one bucket per token, 429 with Retry-After."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from learning.ratelimit import RateLimitHit
from tests import factories
from tests.api.conftest import bearer
from tests.api.test_auth import error_of


@pytest.fixture
def limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 3)
    monkeypatch.setitem(app.config, "API_RATE_WINDOW", timedelta(minutes=1))
    return 3


def test_over_the_limit_a_token_gets_429_with_retry_after(client, token, limit):
    for _ in range(limit):
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 429
    error_of(response)
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_each_token_has_its_own_bucket(client, make_token, official, limit):
    first, second = make_token(official), make_token(official)
    other_official = make_token(factories.UserFactory())
    for _ in range(limit):
        client.get("/api/v1/me", headers=bearer(first))
    assert client.get("/api/v1/me", headers=bearer(first)).status_code == 429
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(other_official)).status_code == 200


def test_requests_without_a_working_token_are_not_counted(client, db, token, limit):
    for _ in range(limit + 2):
        assert client.get("/api/v1/me", headers=bearer("hocso_wrong")).status_code == 401
    assert db.session.scalar(select(func.count()).select_from(RateLimitHit)) == 0
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_the_count_lives_in_the_database_shared_by_every_worker(client, make_app, token, limit):
    """A second app (another worker process, or another host) on the same database sees the
    requests the first one counted."""
    other = make_app(API_RATE_LIMIT=limit)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert other.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert other.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 429


def test_the_public_description_is_not_rate_limited(client, limit):
    for _ in range(limit + 2):
        assert client.get("/api/v1/openapi.json").status_code == 200

"""Fixtures for the API tests: officials with real tokens, and requests that carry them."""

from __future__ import annotations

import pytest

from learning import clock
from learning.accounts import services as accounts
from learning.db import db
from tests import factories


def bearer(secret: str, **headers) -> dict[str, str]:
    """Return request headers authenticating with the API token `secret`."""
    return {"Authorization": f"Bearer {secret}", **headers}


@pytest.fixture
def make_token(db):
    """Create (and commit) a token for an official through the service; returns the secret."""

    def _make(user=None, **options) -> str:
        user = user or factories.UserFactory()
        created = accounts.create_token(accounts.SYSTEM, user, now=options.pop("now", None)
                                        or clock.now(), **options)
        db.session.commit()
        return created.secret

    return _make


@pytest.fixture
def official(db):
    """A learner in a department of a small ministry tree."""
    ministry = factories.DepartmentFactory(name="Bộ Ngoại giao")
    department = factories.DepartmentFactory(name="Cục Lãnh sự", parent=ministry)
    user = factories.UserFactory(username="huong.nt", full_name="Nguyễn Thị Hương",
                                 department=department, job_title="Chuyên viên",
                                 roles={"learner", "mentor"}, preferred_language="vi")
    db.session.commit()
    return user


@pytest.fixture
def token(make_token, official) -> str:
    """A working token of `official`."""
    return make_token(official, name="Báo cáo")

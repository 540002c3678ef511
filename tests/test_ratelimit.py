"""Database rate limits hold when many requests arrive at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from learning import clock, ratelimit
from learning.db import db as _db
from learning.ratelimit import RateLimitHit

PARALLEL = 30


def test_parallel_hits_never_pass_the_limit(app, db):
    limit, now = 5, clock.now()
    start = threading.Barrier(PARALLEL)
    allowed: list[bool] = []

    def one_request():
        with app.app_context():  # a database session of its own, as each worker has
            start.wait()
            allowed.append(ratelimit.hit("verify", "198.51.100.7", limit=limit,
                                         window=timedelta(minutes=10), now=now))
            _db.session.commit()
            _db.session.remove()

    threads = [threading.Thread(target=one_request) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(allowed) == [False] * (PARALLEL - limit) + [True] * limit
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(RateLimitHit)) == limit


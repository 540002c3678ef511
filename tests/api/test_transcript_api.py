"""GET /api/v1/officials/{username}/transcript (issue 11, point 7): the transcript service behind
the page, with the same scope: the official's own, HR within scope, administrators; 403 for
someone without HR rights asking for another (before any look-up), 404 for HR out of scope or
an unknown username, 401 without a token."""

from __future__ import annotations

import pytest

from learning import clock
from learning.db import db
from tests import factories
from tests.api.conftest import bearer
from tests.reports import steps
from tests.reports.steps import CERTIFIED_TITLE, NOW, PRACTICAL_TITLE, TASK


@pytest.fixture
def record(app, tmp_path, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return steps.record(tmp_path)


def get(client, username: str, token: str | None):
    headers = bearer(token, **{"Accept-Language": "en"}) if token else {}
    return client.get(f"/api/v1/officials/{username}/transcript", headers=headers)


def test_hr_in_scope_reads_the_transcript(app, client, record, make_token):
    token = make_token(steps.hr(record.consular))
    response = get(client, "huong.nt", token)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    found = response.get_json()
    assert (found["username"], found["full_name"], found["staff_number"],
            found["department"], found["job_title"]) == (
        "huong.nt", "Nguyễn Thị Hương", "NG-0042", "Cục Lãnh sự/Phòng Hộ chiếu",
        "Chuyên viên chính")
    assert found["courses_completed"] == 2 and found["time_spent_seconds"] >= 4 * 3600 + 1800
    certified, practical = found["courses"]
    assert certified["course"]["title"] == CERTIFIED_TITLE
    assert (certified["lessons_done"], certified["lessons_total"]) == (2, 2)
    attempts = certified["quizzes"][0]["attempts"]
    assert [(a["percent"], a["correct"], a["questions"], a["passed"], a["counted"])
            for a in attempts] == [(37.5, 3, 8, False, False), (87.5, 7, 8, True, True)]
    assert certified["certificates"][0]["serial"] == record.certificate.serial
    assert certified["certificates"][0]["status"] == "valid"
    assert practical["course"]["title"] == PRACTICAL_TITLE
    assert [(t["title"], t["state"]) for t in practical["tasks"]][0] == (TASK, "confirmed")
    # the same answer for a username typed in capitals
    assert get(client, "HUONG.NT", token).get_json() == found


def test_the_official_reads_their_own(app, client, record, make_token):
    token = make_token(record.official)
    response = get(client, "huong.nt", token)
    assert response.status_code == 200
    assert response.get_json()["username"] == "huong.nt"


def test_out_of_scope_is_refused(app, client, record, make_token):
    outside = make_token(steps.hr(record.personnel))
    for username in ("huong.nt", "khong-co-ai"):
        response = get(client, username, outside)
        assert response.status_code == 404, username
        assert set(response.get_json()) == {"error"}
    # no HR rights: 403 whoever is named, known or not (no probing for usernames)
    for user in (factories.UserFactory(department=record.passports),
                 factories.UserFactory(roles={"mentor", "learner"},
                                       department=record.passports)):
        db.session.commit()
        token = make_token(user)
        assert get(client, "huong.nt", token).status_code == 403
        assert get(client, "khong-co-ai", token).status_code == 403
    assert get(client, "huong.nt", None).status_code == 401
    admin = make_token(factories.UserFactory(roles={"admin", "learner"}))
    assert get(client, "huong.nt", admin).status_code == 200

"""The practical-task endpoints (issue 10, point 8): GET /api/v1/tasks?state=waiting lists the
hand-ins awaiting the caller's review, POST /api/v1/tasks/{id}/confirm and /return act on one,
through the same review services as the page "Tasks to review"."""

from __future__ import annotations

from sqlalchemy import select

from learning.accounts.models import User
from learning.notifications import Notification
from learning.tasks.models import TaskSubmission
from tests import factories
from tests.api.conftest import bearer


def call(client, method, path, token, body=None, **query):
    return client.open(f"/api/v1{path}", method=method, json=body, query_string=query,
                       headers=bearer(token, **{"Accept-Language": "en"}))


def demo(app, db, make_token):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    mentor = db.session.scalar(select(User).where(User.username == "mentor"))
    return mentor, make_token(mentor)


def test_a_mentor_lists_confirms_and_returns_through_the_api(app, client, db, make_token):
    mentor, token = demo(app, db, make_token)
    response = call(client, "GET", "/tasks", token)
    assert response.status_code == 200, response.get_data(as_text=True)
    waiting = response.get_json()["items"]
    assert {item["state"] for item in waiting} == {"waiting"} and len(waiting) == 2
    assert {"id", "course", "task", "username", "note", "submitted_at"} <= set(waiting[0])

    first, second = waiting
    confirmed = call(client, "POST", f"/tasks/{first['id']}/confirm", token)
    assert confirmed.status_code == 200 and confirmed.get_json()["state"] == "confirmed"
    again = call(client, "POST", f"/tasks/{first['id']}/confirm", token)
    assert again.status_code == 422  # already reviewed: one decision
    returned = call(client, "POST", f"/tasks/{second['id']}/return", token,
                    {"comment": "Thiếu ảnh chụp số đến."})
    assert returned.status_code == 200
    assert returned.get_json()["comment"] == "Thiếu ảnh chụp số đến."
    assert call(client, "GET", "/tasks", token).get_json()["items"] == []
    listed = call(client, "GET", "/tasks", token, state="returned").get_json()["items"]
    assert second["id"] in {item["id"] for item in listed}

    official = db.session.get(TaskSubmission, second["id"]).user_id
    kinds = set(db.session.scalars(select(Notification.kind).where(
        Notification.user_id == official)))
    assert "task_returned" in kinds


def test_others_see_nothing_and_act_on_nothing(app, client, db, make_token):
    _mentor, token = demo(app, db, make_token)
    waiting = call(client, "GET", "/tasks", token).get_json()["items"]
    target = waiting[0]["id"]
    owner = db.session.get(User, db.session.get(TaskSubmission, target).user_id)
    rival = factories.UserFactory(roles={"mentor", "learner"})
    db.session.commit()
    for who in (make_token(rival), make_token(owner)):  # another mentor; the official
        assert call(client, "GET", "/tasks", who).get_json()["items"] == []
        refused = call(client, "POST", f"/tasks/{target}/confirm", who)
        assert refused.status_code == 404, refused.get_data(as_text=True)
        assert call(client, "POST", f"/tasks/{target}/return", who,
                    {"comment": "x"}).status_code == 404
    assert db.session.get(TaskSubmission, target).state == "waiting"


def test_bad_requests(app, client, db, make_token):
    _mentor, token = demo(app, db, make_token)
    target = call(client, "GET", "/tasks", token).get_json()["items"][0]["id"]
    assert call(client, "GET", "/tasks", token, state="lost").status_code == 400
    assert call(client, "POST", f"/tasks/{target}/return", token, {"comment": ""}
                ).status_code == 400
    assert call(client, "POST", f"/tasks/{target}/return", token, {}).status_code == 400
    assert call(client, "POST", "/tasks/999999/confirm", token).status_code == 404
    assert client.post(f"/api/v1/tasks/{target}/confirm").status_code == 401

"""GET /api/v1/me: the official a token acts as, as their account page shows them."""

from __future__ import annotations

from tests.api.conftest import bearer


def test_me_describes_the_tokens_official(client, official, token):
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.get_json() == {
        "id": official.id, "username": "huong.nt", "full_name": "Nguyễn Thị Hương",
        "email": official.email, "staff_number": official.staff_number,
        "job_title": "Chuyên viên", "department_id": official.department_id,
        "department": "Bộ Ngoại giao/Cục Lãnh sự", "roles": ["learner", "mentor"],
        "preferred_language": "vi",
    }


def test_answers_are_private_and_set_no_cookie(client, token):
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.headers["Cache-Control"] == "no-store"
    assert "Authorization" in response.headers["Vary"]
    assert "Set-Cookie" not in response.headers

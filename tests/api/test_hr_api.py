"""The API's HR endpoints: the department tree, campaigns and their figures per department, the
people list and certificates. The same read models as the HR pages (the figures agree), HR of
a unit gets nothing beyond its subtree, learners and mentors get 403, and bad input is a JSON
4xx naming the field, never a 5xx."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from certificates import services as certificates
from certificates.models import Certificate
from learning import clock
from learning.campaigns.models import Campaign
from learning.db import db as _db
from learning.reports.rollup import department_rollup, totals
from tests.api.conftest import bearer
from tests.api.test_auth import error_of
from tests.campaigns import steps
from tests.campaigns.steps import at
from tests.mentoring import steps as mentoring_steps
from tests.reports.scene import Scene

NOW = at("2026-07-02 02:00")  # the ministry's 2 July: the scene's campaign (30 June) is overdue
TODAY = date(2026, 7, 2)
ROOT = "Bộ Thử nghiệm"
CDS = "Bộ Thử nghiệm/Cục Chuyển đổi số"
DATA = "Bộ Thử nghiệm/Cục Chuyển đổi số/Phòng Dữ liệu"
INFRA = "Bộ Thử nghiệm/Cục Chuyển đổi số/Phòng Hạ tầng"
TCCB = "Bộ Thử nghiệm/Vụ Tổ chức cán bộ"
FIGURES = ("people", "completed", "completed_late", "in_progress", "not_started", "overdue",
           "completion_rate", "on_time_rate", "average_score")


class HR:
    """The scene with tokens: ministry-wide HR, HR of Cục Chuyển đổi số, a learner, a mentor."""

    def __init__(self, scene, make_token):
        self.scene = scene
        m, people = scene.ministry, scene.people
        mentoring_steps.open_lesson(people["binh"], "a", now=at("2026-03-05 02:00"))
        steps.finish(people["hoa"], now=at("2026-04-01 02:00"))
        steps.finish(people["lan"], now=at("2026-04-02 02:00"))
        steps.finish(people["an"], now=at("2026-07-01 02:00"))  # late
        self.hr = steps.official("Nhân sự Bộ", department=m.root, roles=("learner", "hr"))
        self.unit_hr = steps.official("Nhân sự Cục", department=m.cds,
                                      roles=("learner", "hr"), hr_scope=m.cds)
        self.learner = steps.official("Học viên", department=m.data)
        self.mentor = steps.official("Cố vấn", department=m.data, roles=("learner", "mentor"))
        _db.session.commit()
        self.tokens = {name: make_token(getattr(self, name)) for name in
                       ("hr", "unit_hr", "learner", "mentor")}

    def get(self, client, who, path, **params):
        return client.get(path, query_string=params, headers=bearer(self.tokens[who]))

    def send(self, client, who, method, path, body):
        return client.open(path, method=method, json=body, headers=bearer(self.tokens[who]))


@pytest.fixture
def hr(app, db, tmp_path, make_token, monkeypatch):
    monkeypatch.setitem(app.config, "MINISTRY_NAME", ROOT)
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 100_000)
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return HR(Scene(tmp_path), make_token)


def traverse(client, path, token, limit, **params) -> list[dict]:
    """Follow next_cursor from the first page to the last; return every item in order."""
    items, cursor, pages = [], "", 0
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, query_string=query, headers=bearer(token))
        assert response.status_code == 200, response.data
        body = response.get_json()
        assert {"items", "next_cursor"} <= set(body) <= {"items", "next_cursor", "total"}
        assert len(body["items"]) <= limit
        items += body["items"]
        pages += 1
        assert pages < 50
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def rows_by_path(items) -> dict[str, dict]:
    return {item["department"]: item for item in items}


def figures_of(row) -> dict:
    return {name: getattr(row, name) for name in FIGURES}


def certificate_of(user) -> Certificate:
    return _db.session.scalar(select(Certificate).where(Certificate.user_id == user.id))


# --- who may call them -------------------------------------------------------------------------

HR_CALLS = [
    ("GET", "/api/v1/departments", None),
    ("GET", "/api/v1/campaigns", None),
    ("POST", "/api/v1/campaigns", {"title": "T", "course": "x", "departments": [ROOT],
                                   "deadline": "2027-06-30"}),
    ("GET", "/api/v1/campaigns/{campaign}", None),
    ("PATCH", "/api/v1/campaigns/{campaign}", {"title": "Đổi tên"}),
    ("GET", "/api/v1/campaigns/{campaign}/departments", None),
    ("GET", "/api/v1/officials", None),
    ("GET", "/api/v1/certificates", None),
    ("GET", "/api/v1/certificates/{code}", None),
]


@pytest.mark.parametrize("who", ["learner", "mentor"])
def test_learner_and_mentor_tokens_get_403_before_any_look_up(client, hr, who):
    code = certificate_of(hr.scene.people["hoa"]).code
    for method, path, body in HR_CALLS:
        url = path.format(campaign=hr.scene.campaign.id, code=code)
        response = hr.send(client, who, method, url, body)
        assert response.status_code == 403, (method, path)
        error_of(response)
        # A campaign that does not exist is 403 too: nothing can be probed.
        response = hr.send(client, who, method, path.format(campaign=99999, code="nothing"),
                           body)
        assert response.status_code == 403, (method, path)


# --- the department tree -----------------------------------------------------------------------

def test_the_tree_counts_officials_with_their_units(client, hr):
    response = hr.get(client, "hr", "/api/v1/departments")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [(item["department"], item["depth"]) for item in items] == [
        (ROOT, 0), (CDS, 1), (DATA, 2), (INFRA, 2), (TCCB, 1)]
    people = {item["department"]: item["people"] for item in items}
    # hoa, thu, the learner and the mentor in Dữ liệu; binh; an and the unit's HR in the Cục.
    assert people == {DATA: 4, INFRA: 1, CDS: 7, TCCB: 1, ROOT: 9}
    root = items[0]
    assert root["parent_id"] is None and root["name"] == ROOT
    assert items[1]["parent_id"] == root["id"]


def test_the_tree_with_a_campaign_has_the_dashboards_figures(client, hr):
    response = hr.get(client, "hr", "/api/v1/departments", campaign=hr.scene.campaign.id)
    assert response.status_code == 200
    got = rows_by_path(response.get_json()["items"])
    rows = department_rollup(hr.hr, campaign=hr.scene.campaign, today=TODAY)
    assert len(got) == len(rows)
    for row in rows:
        item = got[ROOT if row.path == ROOT else f"{ROOT}/{row.path}"]
        assert {name: item[name] for name in FIGURES} == figures_of(row)
    assert got[CDS]["overdue"] == 2 and got[CDS]["completed_late"] == 1  # thu, binh; an


def test_the_tree_with_a_course_has_the_course_figures(client, hr):
    response = hr.get(client, "hr", "/api/v1/departments", course=steps.SLUG)
    assert response.status_code == 200
    got = rows_by_path(response.get_json()["items"])
    assert got[ROOT]["completed"] == 3 and got[ROOT]["overdue"] == 0
    response = hr.get(client, "hr", "/api/v1/departments", course=steps.SLUG,
                      campaign=hr.scene.campaign.id)
    assert response.status_code == 422


def test_a_units_hr_sees_only_its_subtree_of_the_tree(client, hr):
    for params in ({}, {"campaign": hr.scene.campaign.id}, {"course": steps.SLUG}):
        response = hr.get(client, "unit_hr", "/api/v1/departments", **params)
        assert response.status_code == 200
        items = response.get_json()["items"]
        assert [(item["department"], item["depth"]) for item in items] == [
            (CDS, 0), (DATA, 1), (INFRA, 1)]


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_the_tree_pages_without_duplicates_or_gaps(client, hr, limit):
    token = hr.tokens["hr"]
    whole = traverse(client, "/api/v1/departments", token, limit=200)
    paged = traverse(client, "/api/v1/departments", token, limit=limit)
    assert paged == whole and len(whole) == 5


# --- campaigns ---------------------------------------------------------------------------------

def create(client, hr, who="hr", **body):
    body = {"title": "Chuyển đổi số 2027", "course": steps.SLUG, "departments": [CDS],
            "deadline": "2027-06-30", **body}
    return hr.send(client, who, "POST", "/api/v1/campaigns", body)


def test_creating_a_campaign_then_reading_its_departments_agrees_with_the_rollup(client, hr):
    response = create(client, hr, departments=["Cục Chuyển đổi số/Phòng Dữ liệu",  # short
                                               INFRA],
                      job_titles=["chuyên viên"], description="Theo kế hoạch")
    assert response.status_code == 201, response.data
    body = response.get_json()
    campaign_id = body["id"]
    assert response.headers["Location"].endswith(f"/api/v1/campaigns/{campaign_id}")
    assert body["departments"] == [DATA, INFRA]
    assert body["course"]["slug"] == steps.SLUG
    assert body["deadline"] == "2027-06-30" and body["job_titles"] == ["chuyen vien"]
    assert body["can_manage"] is True and body["archived"] is False
    assert body["figures"]["people"] == 5  # hoa, thu, learner, mentor, binh
    campaign = _db.session.get(Campaign, campaign_id)
    assert campaign.created_by_id == hr.hr.id

    for who, actor in (("hr", hr.hr), ("unit_hr", hr.unit_hr)):
        items = traverse(client, f"/api/v1/campaigns/{campaign_id}/departments",
                         hr.tokens[who], limit=2)
        rows = department_rollup(actor, campaign=campaign, today=TODAY)
        assert [item["department"] for item in items] == [
            ROOT if row.path == ROOT else f"{ROOT}/{row.path}" for row in rows]
        for item, row in zip(items, rows, strict=True):
            assert {name: item[name] for name in FIGURES} == figures_of(row)
        detail = hr.get(client, who, f"/api/v1/campaigns/{campaign_id}").get_json()
        assert {name: detail["figures"][name] for name in FIGURES} == figures_of(
            totals(rows))
    counted = hr.get(client, "hr", f"/api/v1/campaigns/{campaign_id}/departments",
                     only_counted="true").get_json()["items"]
    assert [item["department"] for item in counted] == [ROOT, CDS, DATA, INFRA]


def test_campaigns_list_and_detail(client, hr):
    first = create(client, hr, title="Sau", deadline="2027-12-31").get_json()
    items = traverse(client, "/api/v1/campaigns", hr.tokens["hr"], limit=1)
    assert [item["id"] for item in items] == [hr.scene.campaign.id, first["id"]]
    response = hr.get(client, "hr", f"/api/v1/campaigns/{hr.scene.campaign.id}")
    assert response.status_code == 200
    detail = response.get_json()
    assert detail["departments"] == [ROOT]
    assert detail["figures"]["people"] == 5 and detail["figures"]["overdue"] == 2
    assert hr.get(client, "hr", "/api/v1/campaigns/99999").status_code == 404


def test_patch_changes_only_what_is_sent_and_archives(client, hr):
    made = create(client, hr).get_json()
    url = f"/api/v1/campaigns/{made['id']}"
    response = hr.send(client, "hr", "PATCH", url, {"deadline": "2027-07-31"})
    assert response.status_code == 200, response.data
    body = response.get_json()
    assert body["deadline"] == "2027-07-31" and body["title"] == made["title"]
    assert body["departments"] == [CDS]
    response = hr.send(client, "hr", "PATCH", url, {"departments": [DATA], "title": "Mới"})
    body = response.get_json()
    assert (body["title"], body["departments"]) == ("Mới", [DATA])
    assert body["figures"]["people"] == 4
    # A semicolon separates job titles in the API's items as in the form's text.
    response = hr.send(client, "hr", "PATCH", url, {"job_titles": ["Chuyên viên; Kế toán"]})
    assert response.get_json()["job_titles"] == ["chuyen vien", "ke toan"]
    assert response.get_json()["title"] == "Mới"
    response = hr.send(client, "hr", "PATCH", url, {"archived": True})
    assert response.get_json()["archived"] is True
    ids = [item["id"] for item in hr.get(client, "hr", "/api/v1/campaigns").get_json()["items"]]
    assert made["id"] not in ids
    ids = [item["id"] for item in hr.get(client, "hr", "/api/v1/campaigns",
                                         archived="true").get_json()["items"]]
    assert made["id"] in ids
    assert hr.send(client, "hr", "PATCH", url, {"archived": False}).get_json()["archived"] \
        is False


def test_a_units_hr_sees_and_changes_only_its_part(client, hr):
    scene_campaign = hr.scene.campaign.id
    tccb_only = create(client, hr, departments=[TCCB]).get_json()["id"]
    # The ministry-wide campaign overlaps the unit: it is listed, with the unit's figures.
    items = hr.get(client, "unit_hr", "/api/v1/campaigns").get_json()["items"]
    assert [item["id"] for item in items] == [scene_campaign]
    assert items[0]["can_manage"] is False
    detail = hr.get(client, "unit_hr", f"/api/v1/campaigns/{scene_campaign}").get_json()
    assert detail["figures"]["people"] == 4  # hoa, thu, binh, an: not lan (Vụ TCCB)
    # ... but not changed by it; the other campaign does not exist for it.
    assert hr.send(client, "unit_hr", "PATCH", f"/api/v1/campaigns/{scene_campaign}",
                   {"title": "Của tôi"}).status_code == 403
    for path in (f"/api/v1/campaigns/{tccb_only}",
                 f"/api/v1/campaigns/{tccb_only}/departments"):
        assert hr.get(client, "unit_hr", path).status_code == 404
    assert hr.send(client, "unit_hr", "PATCH", f"/api/v1/campaigns/{tccb_only}",
                   {"title": "Của tôi"}).status_code == 404
    assert hr.get(client, "unit_hr", "/api/v1/departments",
                  campaign=tccb_only).status_code == 422
    # It creates campaigns within its subtree only.
    response = create(client, hr, "unit_hr", departments=[TCCB])
    assert response.status_code == 422
    assert error_of(response)["field"] == "departments"
    response = create(client, hr, "unit_hr", departments=[INFRA])
    assert response.status_code == 201
    assert response.get_json()["can_manage"] is True
    # ... and cannot move its own campaign out of the subtree.
    own = response.get_json()["id"]
    for departments in ([TCCB], [INFRA, TCCB], [ROOT]):
        response = hr.send(client, "unit_hr", "PATCH", f"/api/v1/campaigns/{own}",
                           {"departments": departments})
        assert response.status_code == 422, departments
        assert error_of(response)["field"] == "departments"
    assert hr.get(client, "unit_hr", f"/api/v1/campaigns/{own}").get_json()["departments"] == [
        INFRA]


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"course": "khong-co"}, 422, "course"),
    ({"departments": ["Bộ Thử nghiệm/Không có"]}, 422, "departments"),
    ({"departments": []}, 400, "departments"),
    ({"deadline": "2027-13-01"}, 400, "deadline"),
    ({"deadline": "30/06/2027"}, 400, "deadline"),
    ({"deadline": 1782777600}, 400, "deadline"),
    ({"deadline": "1999-12-31"}, 422, "deadline"),
    ({"deadline": "2026-07-01"}, 422, "deadline"),  # yesterday: everyone overdue at once
    ({"title": ""}, 400, "title"),
    ({"title": "   "}, 422, "title"),
    ({"title": "a\x00b"}, 400, "title"),
    ({"job_titles": ["x"] * 51}, 400, "job_titles"),
    ({"colour": "red"}, 400, "colour"),
])
def test_bad_campaign_input_is_a_json_4xx_naming_the_field(client, hr, body, status, field):
    response = create(client, hr, **body)
    assert response.status_code == status, response.data
    assert error_of(response)["field"] == field
    assert _db.session.scalar(select(Campaign.id).where(
        Campaign.title == "Chuyển đổi số 2027")) is None


def test_several_bad_fields_are_all_named(client, hr):
    response = create(client, hr, title=["x"], deadline="30/06/2027", colour="red")
    assert response.status_code == 400, response.data
    error = error_of(response)
    assert error["fields"] == ["colour", "deadline", "title"] and "field" not in error
    response = create(client, hr, deadline="30/06/2027")  # one: both ways
    assert (error_of(response)["field"], error_of(response)["fields"]) == ("deadline",
                                                                           ["deadline"])
    response = create(client, hr, course="khong-co")  # a rule of the service: one field
    assert error_of(response)["field"] == "course" and "fields" not in error_of(response)


def test_a_campaign_body_must_be_json(client, hr):
    response = client.post("/api/v1/campaigns", data={"title": "x"},
                           headers=bearer(hr.tokens["hr"]))
    assert response.status_code == 415
    for text in ("{", "[" * 100_000 + "]" * 100_000):  # broken; nested past the parser's stack
        response = client.post("/api/v1/campaigns", data=text, content_type="application/json",
                               headers=bearer(hr.tokens["hr"]))
        assert response.status_code == 400
        assert error_of(response)
    made = create(client, hr).get_json()
    response = hr.send(client, "hr", "PATCH", f"/api/v1/campaigns/{made['id']}",
                       {"title": None})
    assert response.status_code == 400
    for body in (0, 0.0, "", [], ["title"], True):
        response = hr.send(client, "hr", "PATCH", f"/api/v1/campaigns/{made['id']}", body)
        assert response.status_code == 400, body
        error_of(response)
    response = hr.send(client, "hr", "PATCH", f"/api/v1/campaigns/{made['id']}",
                       {"deadline": "2100-12-32"})
    assert error_of(response)["field"] == "deadline"


# --- officials ---------------------------------------------------------------------------------

def test_officials_lists_the_campaigns_members_with_their_status(client, hr):
    items = traverse(client, "/api/v1/officials", hr.tokens["hr"], limit=2,
                     campaign=hr.scene.campaign.id)
    statuses = {item["full_name"]: item["status"] for item in items}
    assert statuses == {"Trần Thị Hoa": "completed", "Vũ Thị Lan": "completed",
                        "Đỗ An": "completed_late", "Lê Văn Bình": "overdue",
                        "Phạm Thu": "overdue"}
    hoa = next(item for item in items if item["full_name"] == "Trần Thị Hoa")
    assert hoa["department"] == DATA and hoa["certificate_serial"]
    assert hoa["campaign"] == hr.scene.campaign.title and hoa["score"] is not None
    response = hr.get(client, "hr", "/api/v1/officials", campaign=hr.scene.campaign.id,
                      status="overdue", department="Cục Chuyển đổi số", limit=1)
    body = response.get_json()
    assert body["total"] == 2 and len(body["items"]) == 1 and body["next_cursor"]
    response = hr.get(client, "hr", "/api/v1/officials", campaign=hr.scene.campaign.id,
                      q="hoa")
    assert [item["full_name"] for item in response.get_json()["items"]] == ["Trần Thị Hoa"]


def test_a_units_hr_lists_only_its_officials(client, hr):
    items = traverse(client, "/api/v1/officials", hr.tokens["unit_hr"], limit=50,
                     campaign=hr.scene.campaign.id)
    assert {item["full_name"] for item in items} == {"Trần Thị Hoa", "Phạm Thu",
                                                     "Lê Văn Bình", "Đỗ An"}
    items = traverse(client, "/api/v1/officials", hr.tokens["unit_hr"], limit=50)
    assert "Vũ Thị Lan" not in {item["full_name"] for item in items}
    for department in (TCCB, ROOT, "Không có"):
        response = hr.get(client, "unit_hr", "/api/v1/officials", department=department)
        assert response.status_code == 422
        assert error_of(response)["field"] == "department"


@pytest.mark.parametrize(("params", "status", "field"), [
    ({"status": "late"}, 400, "status"),
    ({"date_from": "2026-07-02", "date_to": "2026-07-01"}, 422, "date_to"),
    # The day before or after these is no date at all: a 422, not a 500.
    ({"date_from": "0001-01-01"}, 422, "date_from"),
    ({"date_to": "9999-12-31"}, 422, "date_to"),
    ({"course": "khong-co"}, 422, "course"),
    ({"campaign": 99999}, 422, "campaign"),
    ({"campaign": 0}, 400, "campaign"),
    ({"cursor": "not-a-cursor"}, 400, "cursor"),
    ({"sort": "age"}, 400, "sort"),
])
def test_bad_officials_filters_are_json_4xx(client, hr, params, status, field):
    response = hr.get(client, "hr", "/api/v1/officials", **params)
    assert response.status_code == status, response.data
    assert error_of(response)["field"] == field


# --- certificates ------------------------------------------------------------------------------

def test_certificates_list_filters_and_pages(client, hr):
    items = traverse(client, "/api/v1/certificates", hr.tokens["hr"], limit=1)
    assert [item["holder_name"] for item in items] == ["Đỗ An", "Vũ Thị Lan", "Trần Thị Hoa"]
    assert {item["status"] for item in items} == {"valid"}
    lan = certificate_of(hr.scene.people["lan"])
    certificates.revoke(None, lan, "Cấp nhầm", now=NOW, category="issued_in_error")
    _db.session.commit()

    def names(**params):
        return [item["holder_name"] for item in traverse(
            client, "/api/v1/certificates", hr.tokens["hr"], limit=50, **params)]

    assert names(status="revoked") == ["Vũ Thị Lan"]
    assert names(status="valid") == ["Đỗ An", "Trần Thị Hoa"]
    assert names(status="expired") == []
    assert names(department="Cục Chuyển đổi số/Phòng Dữ liệu") == ["Trần Thị Hoa"]
    assert names(course=steps.SLUG, q="do an") == ["Đỗ An"]
    response = hr.get(client, "hr", "/api/v1/certificates", course="khong-co")
    assert error_of(response)["field"] == "course"
    response = hr.get(client, "hr", "/api/v1/certificates", cursor="abc")
    assert response.status_code == 400
    # A cursor belongs to its list: not to the same list with other filters (it would start
    # after an item of that other list), nor to another official's.
    cursor = hr.get(client, "hr", "/api/v1/certificates", limit=1).get_json()["next_cursor"]
    assert hr.get(client, "hr", "/api/v1/certificates", limit=5,  # another page size is fine
                  cursor=cursor).status_code == 200
    for who, params in (("hr", {"status": "valid"}), ("hr", {"q": "an"}),
                        ("unit_hr", {})):
        response = hr.get(client, who, "/api/v1/certificates", cursor=cursor, **params)
        assert response.status_code == 400, (who, params)
        assert error_of(response)["field"] == "cursor"


def test_certificate_details_by_code_or_serial(client, hr):
    hoa = certificate_of(hr.scene.people["hoa"])
    response = hr.get(client, "hr", f"/api/v1/certificates/{hoa.code}")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["serial"], body["username"], body["status"]) == (
        hoa.serial, hr.scene.people["hoa"].username, "valid")
    assert body["verify_url"] == f"{client.application.config['BASE_URL']}/verify/{hoa.code}"
    # the link is the site's published address, never the host a request names
    forged = client.get(f"/api/v1/certificates/{hoa.code}",
                        headers={**bearer(hr.tokens["hr"]), "Host": "evil.example"})
    assert forged.get_json()["verify_url"] == body["verify_url"]
    assert hr.get(client, "hr", f"/api/v1/certificates/{hoa.serial}").get_json()["code"] \
        == hoa.code
    assert hr.get(client, "hr", "/api/v1/certificates/HS-0000-000000").status_code == 404
    assert hr.get(client, "hr", "/api/v1/certificates/nothing").status_code == 404


def test_a_units_hr_sees_only_its_certificates(client, hr):
    items = traverse(client, "/api/v1/certificates", hr.tokens["unit_hr"], limit=50)
    assert [item["holder_name"] for item in items] == ["Đỗ An", "Trần Thị Hoa"]
    lan = certificate_of(hr.scene.people["lan"])
    for value in (lan.code, lan.serial):
        response = hr.get(client, "unit_hr", f"/api/v1/certificates/{value}")
        assert response.status_code == 404
        error_of(response)
    response = hr.get(client, "unit_hr", "/api/v1/certificates", department=TCCB)
    assert response.status_code == 422


def test_an_id_beyond_the_database_is_404_for_every_method(client, hr):
    for method in ("GET", "PATCH"):
        response = hr.send(client, "hr", method, "/api/v1/campaigns/2147483648",
                           {"title": "x"} if method == "PATCH" else None)
        assert response.status_code == 404, method
        error_of(response)


def test_lists_cost_a_fixed_number_of_statements(client, hr, count_queries):
    """No per-row look-ups: a page of 2 and a page of 6 run as many statements."""
    for n in range(5):
        create(client, hr, title=f"Chiến dịch {n}", departments=[DATA if n % 2 else INFRA])
    calls = [("/api/v1/campaigns", {}), ("/api/v1/officials", {}),
             ("/api/v1/certificates", {}), ("/api/v1/departments", {}),
             (f"/api/v1/campaigns/{hr.scene.campaign.id}/departments", {})]
    for path, params in calls:
        counts = []
        for limit in (2, 6):
            _db.session.expire_all()
            with count_queries() as statements:
                response = hr.get(client, "hr", path, limit=limit, **params)
            assert response.status_code == 200
            assert len(response.get_json()["items"]) == limit or limit == 6
            # The token's rate-limit bookkeeping is not the view's.
            counts.append([s for s in statements
                           if "rate_limit_" not in s and "api_tokens" not in s])
        assert len(counts[0]) == len(counts[1]), (path, "\n".join(
            s[:150] for s in counts[1] if s not in counts[0]), counts)

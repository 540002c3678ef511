"""The mentoring endpoints of the API: a script builds a group, adds members, assigns the
course with a due date and sees who is behind, with a real token, through the same services as
the pages; and the mentor's visibility limits hold in the API as on the pages (another mentor's
group is 404 whatever its id, a learner gets 403, HR sees its scope only)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from courses import services as courses
from learning import clock
from learning.api.pagination import MAX_CURSOR_LENGTH
from learning.api.schemas import STORABLE, State
from learning.db import db as _db
from learning.mentoring import services as mentoring
from learning.mentoring.models import Assignment, GroupMember, MentoringGroup
from learning.params import has_unstorable
from tests.api.conftest import bearer
from tests.api.test_auth import error_of
from tests.api.test_lists import traverse
from tests.mentoring import steps
from tests.mentoring.steps import at, due

NOW = at("2026-03-01 02:00")


@pytest.fixture
def world(app, db, tmp_path, monkeypatch, make_token):
    """The course of tests/mentoring (two modules, lessons a-d), a private course, two
    mentors of the IT department, its officials, a consular official and the consular HR; a
    token each for the mentor, the rival mentor, a learner and the HR official."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 10_000)
    steps.course(tmp_path)
    steps.course(tmp_path, "khoa-rieng", title="Khóa học riêng tư của Hương")
    ministry = steps.department("Bộ Ngoại giao")
    it = steps.department("Cục Cơ yếu - CNTT", parent=ministry)
    consular = steps.department("Cục Lãnh sự", parent=ministry)
    people = {
        "mentor": steps.official("Phạm Đức Anh", department=it, roles=("mentor", "learner"),
                                 username="anh.pd"),
        "rival": steps.official("Lương Văn Khải", department=it, roles=("mentor", "learner"),
                                username="khai.lv"),
        "huong": steps.official("Nguyễn Thị Hương", department=it, username="huong.nt"),
        "bao": steps.official("Đặng Quốc Bảo", department=it, username="bao.dq"),
        "trang": steps.official("Trịnh Thị Thu Trang", department=consular,
                                username="trang.ttt"),
        "hr": steps.official("Võ Thị Mai Phương", department=consular, roles=("hr", "learner"),
                             hr_scope=consular, username="phuong.vtm"),
    }
    _db.session.commit()
    tokens = {name: make_token(people[name], now=NOW)
              for name in ("mentor", "rival", "huong", "hr")}
    return {**people, "tokens": tokens, "it": it, "consular": consular}


def call(client, method, path, token, body=None, **query):
    """Send an API request with the token (and a JSON body); return the response, whose
    messages are in English."""
    return client.open(f"/api/v1{path}", method=method, json=body, query_string=query,
                       headers=bearer(token, **{"Accept-Language": "en"}))


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    return response.get_json()


def progress_of(client, group_id, token, **query) -> dict[str, dict[int, str]]:
    """username -> {assignment id: state}, over every page."""
    members = []
    cursor = ""
    while True:
        body = ok(call(client, "GET", f"/groups/{group_id}/progress", token, limit=1,
                       **({"cursor": cursor} if cursor else {}), **query))
        members += body["members"]
        cursor = body["next_cursor"]
        if cursor is None:
            return {member["username"]: {item["id"]: item["state"]
                                         for item in member["assignments"]}
                    for member in members}


# --- the script ------------------------------------------------------------------------------

def test_a_script_builds_a_group_assigns_the_course_and_sees_who_is_behind(
        app, client, db, world, monkeypatch):
    token = world["tokens"]["mentor"]

    # Build a group: the mentors default to the caller; 201 with its id and its address.
    created = call(client, "POST", "/groups", token, {"name": "Chi đoàn thử nghiệm"})
    group = ok(created, 201)
    group_id = group["id"]
    assert created.headers["Location"] == f"/api/v1/groups/{group_id}"
    assert group["mentors"] == [{"username": "anh.pd", "full_name": "Phạm Đức Anh"}]
    assert (group["member_count"], group["assignment_count"], group["assignments"]) == (0, 0, [])

    # Add members, twice: the second time adds nobody and changes nothing.
    first = ok(call(client, "POST", f"/groups/{group_id}/members", token,
                    {"usernames": ["huong.nt", "bao.dq"]}))
    assert first == {"added": ["huong.nt", "bao.dq"], "already": []}
    again = ok(call(client, "POST", f"/groups/{group_id}/members", token,
                    {"usernames": ["HUONG.NT ", "bao.dq"]}))
    assert again == {"added": [], "already": ["huong.nt", "bao.dq"]}
    assert db.session.scalar(select(func.count()).where(GroupMember.group_id == group_id)) == 2

    # Assign the course with a due date: 201 with the assignment's id; it enrols the members.
    body = {"course": steps.SLUG, "module": None, "lesson": None, "due_on": "2026-03-20",
            "note": "Hoàn thành trước ngày 20/3."}
    assigned = ok(call(client, "POST", f"/groups/{group_id}/assignments", token, body), 201)
    course_id = assigned["id"]
    assert assigned["course"] == steps.SLUG and assigned["members"] is None
    assert assigned["due_on"] == "2026-03-20" and assigned["title"] == "Kèm cặp số"
    assert courses.get_enrolment(world["bao"], courses.get_course(steps.SLUG)) is not None

    # The same target again: 200, the same assignment updated, never a second one.
    body.update(due_on="2026-03-27", note="Lùi hạn một tuần.")
    updated = ok(call(client, "POST", f"/groups/{group_id}/assignments", token, body))
    assert updated["id"] == course_id
    assert (updated["due_on"], updated["note"]) == ("2026-03-27", "Lùi hạn một tuần.")
    assert db.session.scalar(select(func.count()).where(Assignment.group_id == group_id)) == 1

    # A lesson for one chosen member (matching the page's "chosen members").
    lesson = ok(call(client, "POST", f"/groups/{group_id}/assignments", token,
                     {"course": steps.SLUG, "lesson": "a", "due_on": "2026-03-10",
                      "members": ["huong.nt"]}), 201)
    assert (lesson["lesson"], lesson["module"], lesson["members"]) == ("a", None, ["huong.nt"])
    assert lesson["title"] == "Kèm cặp số › Bài A"

    detail = ok(call(client, "GET", f"/groups/{group_id}", token))
    assert (detail["member_count"], detail["assignment_count"]) == (2, 2)
    assert [item["id"] for item in detail["assignments"]] == [lesson["id"], course_id]
    listed = traverse(client, "/api/v1/groups", token, limit=10)
    assert [(item["id"], item["member_count"], item["assignment_count"])
            for item in listed] == [(group_id, 2, 2)]

    # Who is where: nothing started yet.
    assert progress_of(client, group_id, token) == {
        "bao.dq": {course_id: "not_started"},
        "huong.nt": {lesson["id"]: "not_started", course_id: "not_started"}}

    # Hương learns: the lesson on time, then the course goes on; Bảo does nothing.
    steps.complete(world["huong"], "a", now=at("2026-03-05 03:00"))
    states = progress_of(client, group_id, token)
    assert states["huong.nt"] == {lesson["id"]: "done", course_id: "in_progress"}
    assert states["bao.dq"] == {course_id: "not_started"}
    member = next(item for item in ok(call(client, "GET", f"/groups/{group_id}/progress",
                                           token))["members"]
                  if item["username"] == "huong.nt")
    done = next(item for item in member["assignments"] if item["id"] == lesson["id"])
    assert done["percent"] == 100 and done["done_at"].startswith("2026-03-05T03:00")
    assert member["full_name"] == "Nguyễn Thị Hương"

    # After the due date: who is behind.
    monkeypatch.setattr(clock, "now", lambda: at("2026-03-28 03:00"))
    behind = progress_of(client, group_id, token, state="overdue")
    assert behind == {"bao.dq": {course_id: "overdue"},
                      "huong.nt": {lesson["id"]: "done", course_id: "overdue"}}
    assert progress_of(client, group_id, token, state="done") == {
        "huong.nt": {lesson["id"]: "done", course_id: "overdue"}}


def test_the_group_and_progress_lists_page_with_a_cursor(app, client, db, world):
    mentor, token = world["mentor"], world["tokens"]["mentor"]
    names = ["Nhóm B", "nhóm a", "Nhóm Ă", "Cán bộ mới", "Chi đoàn", "Nhóm " + "😀" * 190]
    for name in names:
        steps.group_with(mentor, [], name=name)
    whole = traverse(client, "/api/v1/groups", token, limit=200)
    assert [item["name"] for item in whole] == [row.group.name
                                               for row in mentoring.list_groups(mentor)]
    for limit in (1, 2, 5):
        assert traverse(client, "/api/v1/groups", token, limit=limit) == whole

    # Members of one group, in Vietnamese name order, page by page; a long name's cursor
    # stays short enough for a URL.
    people = [steps.official(name, department=world["it"]) for name in (
        "Trần Văn An", "Lê Thị Bình", "Nguyễn Văn An", "Ngô Bảo Châu", "Ông " + "Ư" * 190)]
    group = steps.group_with(mentor, people + [world["huong"]])
    mentoring.assign(mentor, group, steps.SLUG, None, None, due("2026-03-20"), "", None,
                     now=NOW)
    _db.session.commit()
    expected = [row.user.username for row in mentoring.group_progress(mentor, group,
                                                                      now=NOW).rows]
    cursors = []
    for limit in (1, 2, 4, 200):
        usernames, cursor = [], ""
        while True:
            body = ok(call(client, "GET", f"/groups/{group.id}/progress", token, limit=limit,
                           **({"cursor": cursor} if cursor else {})))
            usernames += [member["username"] for member in body["members"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
            cursors.append(cursor)
        assert usernames == expected
    assert max(len(cursor) for cursor in cursors) < MAX_CURSOR_LENGTH
    # A cursor of another list, or a changed one: 400, never a 500.
    groups_cursor = ok(call(client, "GET", "/groups", token, limit=1))["next_cursor"]
    for cursor in (groups_cursor, cursors[0][:-2]):
        refused = call(client, "GET", f"/groups/{group.id}/progress", token, cursor=cursor)
        assert error_of(refused)["status"] == 400


# --- visibility -------------------------------------------------------------------------------

@pytest.fixture
def groups(world):
    """The mentor's group (Hương, Trang) with the course assigned; the rival's (Bảo)."""
    mine = steps.group_with(world["mentor"], [world["huong"], world["trang"]],
                            name="Nhóm của Anh")
    theirs = steps.group_with(world["rival"], [world["bao"]], name="Nhóm của Khải")
    assignment, _ = mentoring.assign(world["mentor"], mine, steps.SLUG, None, None,
                                     due("2026-03-20"), "", None, now=NOW)
    _db.session.commit()
    return {"mine": mine, "theirs": theirs, "assignment": assignment}


def group_calls(group_id: int) -> list[tuple[str, str, dict | None]]:
    """Every mentoring call on one group, with bodies that would work on one's own."""
    return [("GET", f"/groups/{group_id}", None),
            ("GET", f"/groups/{group_id}/progress", None),
            ("POST", f"/groups/{group_id}/members", {"usernames": ["bao.dq"]}),
            ("POST", f"/groups/{group_id}/assignments",
             {"course": steps.SLUG, "lesson": "b", "due_on": "2026-04-01"})]


def test_another_mentors_group_does_not_exist_for_the_api(app, client, db, world, groups):
    token = world["tokens"]["rival"]
    missing = 2**31 - 1
    for (method, path, body), (_, missing_path, _) in zip(
            group_calls(groups["mine"].id), group_calls(missing), strict=True):
        refused = call(client, method, path, token, body)
        # Exactly the answer for a group that does not exist: nothing to learn from it.
        assert error_of(refused)["status"] == 404, path
        assert refused.get_json() == call(client, method, missing_path, token, body).get_json()
    assert db.session.scalar(select(func.count()).select_from(GroupMember)) == 3
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 1
    listed = traverse(client, "/api/v1/groups", token, limit=50)
    assert [item["name"] for item in listed] == ["Nhóm của Khải"]
    # Its own group is there, with only its own learning.
    assert progress_of(client, groups["theirs"].id, token) == {"bao.dq": {}}


def test_a_learner_token_gets_403_before_any_look_up(app, client, db, world, groups):
    token = world["tokens"]["huong"]  # a member of the mentor's group, not a mentor
    calls = [("GET", "/groups", None), ("POST", "/groups", {"name": "Nhóm của tôi"}),
             *group_calls(groups["mine"].id), *group_calls(2**31 - 1)]
    for method, path, body in calls:
        refused = call(client, method, path, token, body)
        assert error_of(refused)["status"] == 403, path
        assert refused.get_json()["error"]["message"] == "Your account may not do this."
    assert db.session.scalar(select(func.count()).select_from(MentoringGroup)) == 2


def test_a_mentor_sees_only_the_assigned_learning_of_their_members(app, client, db, world,
                                                                   groups):
    huong = world["huong"]
    # Hương's own learning elsewhere: enrolled, a lesson done, a quiz taken.
    courses.enrol(huong, huong, courses.get_course("khoa-rieng"), now=NOW)
    steps.complete(huong, "a", now=NOW, course_slug="khoa-rieng")
    steps.take_quiz(huong, "kiem-tra-co-ban", now=NOW, right=0.5, course_slug="khoa-rieng")
    token = world["tokens"]["mentor"]
    body = ok(call(client, "GET", f"/groups/{groups['mine'].id}/progress", token))
    member = next(item for item in body["members"] if item["username"] == "huong.nt")
    assert member == {"username": "huong.nt", "full_name": "Nguyễn Thị Hương", "assignments": [
        {"id": groups["assignment"].id, "state": "not_started", "percent": 0,
         "quiz_percent": None, "done_at": None}]}
    detail = ok(call(client, "GET", f"/groups/{groups['mine'].id}", token))
    assert [item["course"] for item in detail["assignments"]] == [steps.SLUG]
    # The rival's member cannot be named through one's own group either.
    refused = call(client, "POST", f"/groups/{groups['mine'].id}/assignments", token,
                   {"course": steps.SLUG, "lesson": "b", "due_on": "2026-04-01",
                    "members": ["bao.dq"]})
    assert error_of(refused)["status"] == 422
    assert "bao.dq" in refused.get_json()["error"]["message"]


def test_hr_sees_the_groups_and_members_of_their_scope_only(app, client, db, world, groups):
    token = world["tokens"]["hr"]
    # The mentor's group has no department: outside a consular HR's scope, so 404.
    for method, path, body in group_calls(groups["mine"].id):
        assert error_of(call(client, method, path, token, body))["status"] == 404, path
    # HR is no mentor: the default mentor (HR itself) is refused with the reason.
    refused = call(client, "POST", "/groups", token, {"name": "Cán bộ mới"})
    assert error_of(refused)["status"] == 422
    assert "phuong.vtm" in refused.get_json()["error"]["message"]
    # Nor may HR give a group a department outside its scope.
    refused = call(client, "POST", "/groups", token, {
        "name": "Nhóm lạ", "mentors": ["anh.pd"], "department_id": world["it"].id})
    assert error_of(refused)["status"] == 422
    group = ok(call(client, "POST", "/groups", token, {
        "name": "Cán bộ mới Cục Lãnh sự", "mentors": ["anh.pd"],
        "department_id": world["consular"].id, "description": "Những tháng đầu."}), 201)
    assert group["department"] == "Bộ Ngoại giao/Cục Lãnh sự"
    assert group["description"] == "Những tháng đầu."
    group_id = group["id"]
    # Outside the scope: refused, naming her, and nobody added.
    refused = call(client, "POST", f"/groups/{group_id}/members", token,
                   {"usernames": ["trang.ttt", "huong.nt"]})
    assert error_of(refused)["status"] == 422
    assert "huong.nt" in refused.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count()).where(GroupMember.group_id == group_id)) == 0
    ok(call(client, "POST", f"/groups/{group_id}/members", token, {"usernames": ["trang.ttt"]}))
    # A member outside HR's scope, added by an administrator, stays invisible to HR...
    hr_group = _db.session.get(MentoringGroup, group_id)
    mentoring.add_members(None, hr_group, ["huong.nt"], now=NOW)
    mentoring.assign(None, hr_group, steps.SLUG, None, "a", due("2026-03-20"), "",
                     [world["trang"].id, world["huong"].id], now=NOW)
    _db.session.commit()
    assert progress_of(client, group_id, token) == {"trang.ttt": {
        ok(call(client, "GET", f"/groups/{group_id}", token))["assignments"][0]["id"]:
            "not_started"}}
    detail = ok(call(client, "GET", f"/groups/{group_id}", token))
    assert detail["assignments"][0]["members"] == ["trang.ttt"]
    # ... and cannot be named by HR.
    refused = call(client, "POST", f"/groups/{group_id}/assignments", token,
                   {"course": steps.SLUG, "lesson": "a", "due_on": "2026-03-27",
                    "members": ["huong.nt"]})
    assert error_of(refused)["status"] == 422
    # The mentor named by HR sees the group and all its members.
    assert set(progress_of(client, group_id, world["tokens"]["mentor"])) == {"huong.nt",
                                                                            "trang.ttt"}
    listed = [item["name"] for item in traverse(client, "/api/v1/groups", token, limit=50)]
    assert listed == ["Cán bộ mới Cục Lãnh sự"]


# --- validation --------------------------------------------------------------------------------

@pytest.fixture
def own_group(world):
    group = steps.group_with(world["mentor"], [world["huong"]], name="Nhóm của Anh")
    return group.id


@pytest.mark.parametrize("due_on", ["2026-02-30", "20260320", "2026-3-20", "20/03/2026",
                                    1773964800, None, "2026-03-20T00:00:00"])
def test_a_bad_date_is_a_400_naming_it(app, client, db, world, own_group, due_on):
    refused = call(client, "POST", f"/groups/{own_group}/assignments",
                   world["tokens"]["mentor"], {"course": steps.SLUG, "due_on": due_on})
    assert error_of(refused)["status"] == 400
    assert "due_on" in refused.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0


@pytest.mark.parametrize(("body", "wanted"), [
    ({"course": "khong-co"}, "Choose a published course."),
    ({"course": steps.SLUG, "module": "khong-co"}, "This course has no such module."),
    ({"course": steps.SLUG, "lesson": "khong-co"}, "This course has no such lesson."),
    ({"course": steps.SLUG, "due_on": "2026-02-28"}, "The due date has passed"),
    ({"course": steps.SLUG, "members": []}, "Choose at least one member"),
    ({"course": steps.SLUG, "members": ["huong.nt", "ai.do", "bao.dq"]},
     "Not members of this group: ai.do, bao.dq"),
])
def test_what_the_rules_refuse_is_a_422_with_the_reason(app, client, db, world, own_group,
                                                       body, wanted):
    refused = call(client, "POST", f"/groups/{own_group}/assignments",
                   world["tokens"]["mentor"], {"due_on": "2026-03-20", **body})
    assert error_of(refused)["status"] == 422
    assert wanted in refused.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0


def test_a_module_and_a_lesson_together_are_refused(app, client, db, world, own_group):
    refused = call(client, "POST", f"/groups/{own_group}/assignments",
                   world["tokens"]["mentor"],
                   {"course": steps.SLUG, "module": "co-ban", "lesson": "a",
                    "due_on": "2026-03-20"})
    assert error_of(refused)["status"] == 400
    assert refused.get_json()["error"]["message"] == "Name a module or a lesson, not both."
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0
    # Either one alone is fine.
    for target in ({"module": "co-ban"}, {"lesson": "a"}):
        ok(call(client, "POST", f"/groups/{own_group}/assignments", world["tokens"]["mentor"],
                {"course": steps.SLUG, "due_on": "2026-03-20", **target}), 201)


def test_unknown_usernames_are_a_422_naming_them_and_nobody_is_added(app, client, db, world,
                                                                     own_group):
    token = world["tokens"]["mentor"]
    refused = call(client, "POST", f"/groups/{own_group}/members", token,
                   {"usernames": ["bao.dq", "khong.co", "ai.do"]})
    assert error_of(refused)["status"] == 422
    message = refused.get_json()["error"]["message"]
    assert "khong.co" in message and "ai.do" in message and "bao.dq" not in message
    assert db.session.scalar(select(func.count()).where(GroupMember.group_id == own_group)) == 1
    refused = call(client, "POST", "/groups", token, {"name": "Nhóm", "mentors": ["khong.co"]})
    assert error_of(refused)["status"] == 422
    assert "khong.co" in refused.get_json()["error"]["message"]
    # A department that does not exist is the body's fault (422), not a missing address.
    refused = call(client, "POST", "/groups", token, {"name": "Nhóm", "department_id": 2**31 - 1})
    assert error_of(refused)["status"] == 422
    assert db.session.scalar(select(func.count()).select_from(MentoringGroup)) == 1


@pytest.mark.parametrize(("body", "status", "named"), [
    ({"name": "Nhóm", "mentor": ["anh.pd"]}, 400, "mentor"),  # a typo is not ignored
    ({"name": "Nhóm\x00"}, 400, "name"),
    ({"name": ""}, 400, "name"),
    ({"name": "x" * 201}, 400, "name"),
    ({"name": "Nhóm", "mentors": "anh.pd"}, 400, "mentors"),
    ({"name": "Nhóm", "department_id": 2**31}, 400, "department_id"),
    ({"name": "   "}, 422, None),
    ([{"name": "Nhóm"}], 400, None),
])
def test_a_body_of_the_wrong_shape_is_refused(app, client, db, world, body, status, named):
    refused = call(client, "POST", "/groups", world["tokens"]["mentor"], body)
    assert error_of(refused)["status"] == status
    if named:
        assert named in refused.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(MentoringGroup)) == 0


def test_a_body_must_be_json(app, client, db, world, own_group):
    token = world["tokens"]["mentor"]
    form = client.post("/api/v1/groups", data={"name": "Nhóm"}, headers=bearer(token),
                       csrf=False)
    assert error_of(form)["status"] == 415
    broken = client.post("/api/v1/groups", data='{"name": "Nhóm"', headers=bearer(token),
                         content_type="application/json")
    assert error_of(broken)["status"] == 400
    assert db.session.scalar(select(func.count()).select_from(MentoringGroup)) == 1


def test_the_documented_states_and_text_are_the_services():
    assert set(State.__args__) == set(mentoring.STATES)
    # The pattern of text fields refuses exactly what the forms refuse.
    for code in [*range(0x20), 0x7F, 0xFFFD, 0xFFFE, 0xFFFF, 0x1F600]:
        text = f"a{chr(code)}b"
        assert (re.fullmatch(STORABLE, text) is None) == has_unstorable(text), hex(code)

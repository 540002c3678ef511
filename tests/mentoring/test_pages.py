"""The mentoring pages as a mentor uses them: create a group, add members, assign learning,
read the grid and a member's page; every form with its CSRF token, every change redirected."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from courses.models import Enrolment
from learning import clock
from learning.mentoring.models import Assignment, GroupMember, GroupMentor, MentoringGroup
from tests.conftest import field_error, location_path, translated, visible_text
from tests.courses.steps import new_client
from tests.mentoring import steps
from tests.mentoring.steps import at


@pytest.fixture
def frozen(monkeypatch):
    """Pages read learning.clock.now: fix it at 1 March 2026, 09:00 in Hà Nội."""
    moment = {"now": at("2026-03-01 02:00")}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    return moment


@pytest.fixture
def scene(app, db, tmp_path, frozen):
    steps.course(tmp_path)
    ministry = steps.department("Bộ Ngoại giao")
    it = steps.department("Cục Cơ yếu - CNTT", parent=ministry)
    security = steps.department("Phòng An ninh mạng", parent=it)
    mentor = steps.official("Phạm Đức Anh", department=security, roles=("mentor", "learner"),
                            username="mentor")
    members = [steps.official(name, department=security)
               for name in ("Trần Văn An", "Lê Thị Bình", "Mai Xuân Trường")]
    db.session.commit()
    return mentor, members, it


def test_a_mentor_creates_a_group_adds_members_and_assigns_a_module(app, db, scene):
    mentor, members, it = scene
    browser = new_client(app, mentor)
    home = browser.get("/mentoring")
    assert home.status_code == 200
    assert translated("vi", "You have no group yet.") in visible_text(home)

    page = browser.get("/mentoring/groups/new")
    assert page.status_code == 200 and 'name="csrf_token"' in page.data.decode()
    created = browser.post("/mentoring/groups/new", data={
        "name": "Chi đoàn thử nghiệm", "description": "", "department_id": str(it.id),
        "mentors": ""})
    assert created.status_code == 302, visible_text(created)
    group = db.session.scalar(select(MentoringGroup))
    assert location_path(created) == f"/mentoring/groups/{group.id}/members"
    # The mentor who creates a group mentors it.
    assert db.session.scalar(select(GroupMentor.user_id)) == mentor.id

    found = browser.get(f"/mentoring/groups/{group.id}/members?q=tran van an")
    assert "Trần Văn An" in visible_text(found)
    added = browser.post(f"/mentoring/groups/{group.id}/members/add",
                         data={"user_ids": [str(members[0].id)]})
    assert added.status_code == 302
    added = browser.post(f"/mentoring/groups/{group.id}/members/add",
                         data={"usernames": f"{members[1].username}, {members[2].username}"})
    assert added.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(GroupMember)) == 3

    step_one = browser.get(f"/mentoring/groups/{group.id}/assignments/new")
    assert step_one.status_code == 200
    step_two = browser.get(f"/mentoring/groups/{group.id}/assignments/new?course={steps.SLUG}")
    html = step_two.data.decode()
    assert 'value="module:co-ban"' in html and 'value="lesson:c"' in html
    assigned = browser.post(f"/mentoring/groups/{group.id}/assignments/new", data={
        "course": steps.SLUG, "target": "module:co-ban", "due_on": "2026-03-10",
        "note": "Học trước buổi sinh hoạt chi đoàn.", "audience": "all"})
    assert assigned.status_code == 302, visible_text(assigned)
    assert location_path(assigned) == f"/mentoring/groups/{group.id}"
    # Assigning enrols the members.
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 3
    assert set(db.session.scalars(select(Enrolment.source))) == {"mentor"}

    grid = browser.get(f"/mentoring/groups/{group.id}")
    assert grid.status_code == 200
    assert "Kèm cặp số › Phần co-ban" in visible_text(grid)
    assert grid.data.decode().count('class="state state-not_started"') == 3

    member = browser.get(f"/mentoring/groups/{group.id}/members/{members[0].id}")
    assert member.status_code == 200
    assert "Bài A" in visible_text(member) and "Bài C" not in visible_text(member)


def test_a_wrong_form_says_what_is_wrong_and_writes_nothing(app, db, scene):
    mentor, members, it = scene
    group = steps.group_with(mentor, members)
    browser = new_client(app, mentor)
    past = browser.post(f"/mentoring/groups/{group.id}/assignments/new", data={
        "course": steps.SLUG, "target": "", "due_on": "2026-02-28", "audience": "all"})
    assert past.status_code == 400
    assert field_error(past, "due_on") == translated(
        "vi", "The due date has passed; choose today or a later day.")
    no_one = browser.post(f"/mentoring/groups/{group.id}/assignments/new", data={
        "course": steps.SLUG, "target": "", "due_on": "2026-03-20", "audience": "chosen"})
    assert no_one.status_code == 400
    unknown = browser.post(f"/mentoring/groups/{group.id}/assignments/new", data={
        "course": steps.SLUG, "target": "lesson:khong-co", "due_on": "2026-03-20",
        "audience": "all"})
    assert unknown.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0
    nameless = browser.post("/mentoring/groups/new", data={"name": " ", "mentors": "mentor",
                                                           "department_id": "0"})
    assert nameless.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(MentoringGroup)) == 1


def test_a_group_sent_again_is_a_field_error_but_others_may_use_the_name(app, db, scene):
    mentor, members, it = scene
    other = steps.official("Vũ Thị Lan", department=it, roles=("mentor", "learner"),
                           username="lan.vt")
    db.session.commit()
    form = {"name": "Chi đoàn thử nghiệm", "description": "", "department_id": str(it.id),
            "mentors": ""}
    browser = new_client(app, mentor)
    assert browser.post("/mentoring/groups/new", data=form).status_code == 302
    again = browser.post("/mentoring/groups/new",
                         data={**form, "name": "  CHI ĐOÀN   thử nghiệm "})
    assert again.status_code == 400
    assert field_error(again, "name") == translated(
        "vi", "You already have a group with this name in this department: open it from the "
        "list of groups, or choose another name.")
    # elsewhere, or another mentor's, the name is free
    assert browser.post("/mentoring/groups/new",
                        data={**form, "department_id": "0"}).status_code == 302
    assert new_client(app, other).post("/mentoring/groups/new",
                                       data=form).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(MentoringGroup)) == 3


def test_editing_and_withdrawing_an_assignment(app, db, scene):
    mentor, members, it = scene
    group = steps.group_with(mentor, members)
    browser = new_client(app, mentor)
    browser.post(f"/mentoring/groups/{group.id}/assignments/new", data={
        "course": steps.SLUG, "target": "lesson:a", "due_on": "2026-03-10", "audience": "all"})
    assignment = db.session.scalar(select(Assignment))
    page = browser.get(f"/mentoring/groups/{group.id}/assignments/{assignment.id}")
    assert page.status_code == 200 and 'value="2026-03-10"' in page.data.decode()
    saved = browser.post(f"/mentoring/groups/{group.id}/assignments/{assignment.id}", data={
        "due_on": "2026-03-15", "note": "Lùi hạn", "audience": "chosen",
        "members": [str(members[0].id)]})
    assert saved.status_code == 302, visible_text(saved)
    db.session.expire_all()
    assignment = db.session.get(Assignment, assignment.id)
    assert (assignment.due_on.isoformat(), assignment.note, assignment.is_whole_group) == (
        "2026-03-15", "Lùi hạn", False)
    grid = visible_text(browser.get(f"/mentoring/groups/{group.id}"))
    assert grid.count(translated("vi", "Not assigned")) == 2
    withdrawn = browser.post(
        f"/mentoring/groups/{group.id}/assignments/{assignment.id}/delete", data={})
    assert withdrawn.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 3  # they stay


def test_editing_the_group_and_its_mentors(app, db, scene):
    mentor, members, it = scene
    other = steps.official("Lương Văn Khải", roles=("mentor", "learner"), username="khai")
    db.session.commit()
    browser = new_client(app, mentor)
    created = browser.post("/mentoring/groups/new", data={
        "name": "Chi đoàn thử nghiệm", "department_id": "0", "mentors": ""})
    assert created.status_code == 302  # the mentor's own group: theirs to delete
    group = db.session.scalar(select(MentoringGroup))
    page = browser.get(f"/mentoring/groups/{group.id}/edit")
    assert re.search(r'name="mentors"[^>]*value="mentor"', page.data.decode())
    not_a_mentor = browser.post(f"/mentoring/groups/{group.id}/edit", data={
        "name": "Chi đoàn", "department_id": "0", "mentors": f"mentor, {members[0].username}"})
    assert not_a_mentor.status_code == 400
    assert members[0].username in field_error(not_a_mentor, "mentors")
    saved = browser.post(f"/mentoring/groups/{group.id}/edit", data={
        "name": "Chi đoàn Cục", "department_id": "0", "mentors": "mentor, khai"})
    assert saved.status_code == 302
    assert set(db.session.scalars(select(GroupMentor.user_id))) == {mentor.id, other.id}
    # The co-mentor now sees the group.
    assert new_client(app, other).get(f"/mentoring/groups/{group.id}").status_code == 200
    deleted = browser.post(f"/mentoring/groups/{group.id}/delete", data={})
    assert deleted.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(MentoringGroup)) == 0


def test_finding_a_mentors_username(app, db, scene):
    mentor, members, it = scene
    steps.official("Lương Văn Khải", roles=("mentor", "learner"), username="khai.lv")
    db.session.commit()
    browser = new_client(app, mentor)
    found = visible_text(browser.get("/mentoring/groups/new?mentor_q=khai"))
    assert "Lương Văn Khải — khai.lv" in found
    # Officials without the mentor role are not offered.
    none = visible_text(browser.get(f"/mentoring/groups/new?mentor_q={members[0].username}"))
    assert translated("vi", "No mentor matches “%(query)s”.", query=members[0].username) in none
    assert f"— {members[0].username}" not in none

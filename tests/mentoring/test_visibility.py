"""The mentor's visibility limits, in pages and in the services the JSON API will call: a
mentor sees only their own groups' members, and of them only the assigned learning; HR only
the groups and members of their scope; a learner nothing. Changing an id reveals nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from courses import services as courses
from learning.errors import DomainError, NotFound, PermissionDenied
from learning.mentoring import services as mentoring
from learning.mentoring.models import Assignment, GroupMember, MentoringGroup
from tests.conftest import field_error, visible_text
from tests.courses.steps import new_client
from tests.mentoring import steps
from tests.mentoring.steps import DEMO_PASSWORD, at, due

NOW = at("2026-03-01 02:00")


@pytest.fixture
def world(app, db, tmp_path, monkeypatch):
    from learning import clock

    monkeypatch.setattr(clock, "now", lambda: NOW)
    steps.course(tmp_path)
    steps.course(tmp_path, "khoa-rieng", title="Khóa học riêng tư của Hương")
    ministry = steps.department("Bộ Ngoại giao")
    it = steps.department("Cục Cơ yếu - CNTT", parent=ministry)
    consular = steps.department("Cục Lãnh sự", parent=ministry)
    mentor = steps.official("Phạm Đức Anh", department=it, roles=("mentor", "learner"))
    rival = steps.official("Lương Văn Khải", department=it, roles=("mentor", "learner"))
    huong = steps.official("Nguyễn Thị Hương", department=it)
    trang = steps.official("Trịnh Thị Thu Trang", department=consular)
    hr_consular = steps.official("Võ Thị Mai Phương", department=consular,
                                 roles=("hr", "learner"), hr_scope=consular)
    learner = steps.official("Đặng Quốc Bảo", department=it)
    mine = steps.group_with(mentor, [huong, trang], name="Nhóm của Anh")
    theirs = steps.group_with(rival, [learner], name="Nhóm của Khải")
    mentoring.assign(mentor, mine, steps.SLUG, None, None, due("2026-03-20"), "", None, now=NOW)
    # Hương's own learning elsewhere: enrolled, a lesson done, a quiz taken.
    private = courses.get_course("khoa-rieng")
    courses.enrol(huong, huong, private, now=NOW)
    steps.complete(huong, "a", now=NOW, course_slug="khoa-rieng")
    steps.take_quiz(huong, "kiem-tra-co-ban", now=NOW, right=0.5, course_slug="khoa-rieng")
    return {"mentor": mentor, "rival": rival, "huong": huong, "trang": trang,
            "hr": hr_consular, "learner": learner, "mine": mine, "theirs": theirs,
            "consular": consular, "it": it}


def group_urls(group, user_id):
    base = f"/mentoring/groups/{group.id}"
    return [base, f"{base}/edit", f"{base}/members", f"{base}/members/{user_id}",
            f"{base}/assignments/new"]


def test_another_mentors_group_and_members_do_not_exist(app, db, world):
    browser = new_client(app, world["rival"])
    for url in group_urls(world["mine"], world["huong"].id):
        assert browser.get(url).status_code == 404, url
    assignment = db.session.scalar(select(Assignment))
    base = f"/mentoring/groups/{world['mine'].id}"
    for url, data in ((f"{base}/members/add", {"usernames": world["learner"].username}),
                      (f"{base}/members/{world['huong'].id}/remove", {}),
                      (f"{base}/assignments/new", {"course": steps.SLUG, "due_on": "2026-04-01",
                                                   "audience": "all"}),
                      (f"{base}/assignments/{assignment.id}", {"due_on": "2026-04-01"}),
                      (f"{base}/assignments/{assignment.id}/delete", {}),
                      (f"{base}/delete", {}), (f"{base}/edit", {"name": "x", "mentors": "x"})):
        assert browser.post(url, data=data).status_code == 404, url
    assert db.session.scalar(select(func.count()).select_from(GroupMember)) == 3
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 1
    home = visible_text(browser.get("/mentoring"))
    assert "Nhóm của Khải" in home and "Nhóm của Anh" not in home


def test_a_member_of_another_group_is_not_reachable_through_ones_own(app, db, world):
    browser = new_client(app, world["mentor"])
    mine = world["mine"]
    # The rival's member, through my group's URL: not my member, so no page.
    assert browser.get(
        f"/mentoring/groups/{mine.id}/members/{world['learner'].id}").status_code == 404
    # An assignment id of another group under my group's URL: nothing either.
    other, _ = mentoring.assign(world["rival"], world["theirs"], steps.SLUG, None, "a",
                                due("2026-03-20"), "", None, now=NOW)
    db.session.commit()
    assert browser.get(
        f"/mentoring/groups/{mine.id}/assignments/{other.id}").status_code == 404
    assert browser.post(f"/mentoring/groups/{mine.id}/assignments/{other.id}/delete",
                        data={}).status_code == 404
    assert db.session.get(Assignment, other.id) is not None


def test_a_member_page_shows_only_the_assigned_learning(app, db, world):
    browser = new_client(app, world["mentor"])
    page = browser.get(f"/mentoring/groups/{world['mine'].id}/members/{world['huong'].id}")
    assert page.status_code == 200
    text = visible_text(page)
    assert "Kèm cặp số" in text
    assert "Khóa học riêng tư" not in text
    detail = mentoring.member_detail(world["mentor"], world["mine"], world["huong"].id, now=NOW)
    assert [item.assignment.course.slug for item in detail.items] == [steps.SLUG]
    # Her quiz attempt in the other course is not among the assigned course's attempts.
    assert [line for item in detail.items for line in item.attempts] == []


def test_the_services_refuse_what_the_pages_refuse(app, db, world):
    rival, mine = world["rival"], world["mine"]
    with pytest.raises(NotFound):
        mentoring.get_group(rival, mine.id)
    with pytest.raises(PermissionDenied):
        mentoring.group_progress(rival, mine, now=NOW)
    with pytest.raises(DomainError):
        mentoring.add_members(rival, mine, [world["learner"].username], now=NOW)
    with pytest.raises(DomainError):
        mentoring.assign(rival, mine, steps.SLUG, None, "b", due("2026-03-20"), "", None,
                         now=NOW)
    with pytest.raises(NotFound):
        mentoring.member_detail(world["mentor"], mine, world["learner"].id, now=NOW)
    assert [row.group.name for row in mentoring.list_groups(rival)] == ["Nhóm của Khải"]


def test_a_learner_gets_no_mentoring_page(app, db, world):
    browser = new_client(app, world["learner"])
    assert browser.get("/mentoring").status_code == 403
    for url in group_urls(world["theirs"], world["learner"].id):
        assert browser.get(url).status_code == 403, url
    # The same 403 for a group that does not exist: nothing to learn from the answer.
    assert browser.get("/mentoring/groups/999999").status_code == 403
    home = visible_text(browser.get("/"))
    assert "Mentoring" not in home


def test_hr_sees_the_groups_and_members_of_their_scope_only(app, db, world):
    hr, consular = world["hr"], world["consular"]
    browser = new_client(app, hr)
    # A group of the ministry's mentor, without a department: not in a consular HR's scope.
    assert browser.get(f"/mentoring/groups/{world['mine'].id}").status_code == 404
    created = browser.post("/mentoring/groups/new", data={
        "name": "Cán bộ mới Cục Lãnh sự", "department_id": str(consular.id),
        "mentors": world["mentor"].username})
    assert created.status_code == 302, visible_text(created)
    group = db.session.scalar(select(MentoringGroup).where(
        MentoringGroup.name == "Cán bộ mới Cục Lãnh sự"))
    # Outside the scope: refused, nothing written.
    refused = browser.post(f"/mentoring/groups/{group.id}/members/add",
                           data={"usernames": f"{world['trang'].username} "
                                              f"{world['huong'].username}"})
    assert refused.status_code == 400
    assert world["huong"].username in visible_text(refused)
    assert db.session.scalar(select(func.count()).where(GroupMember.group_id == group.id)) == 0
    assert browser.post(f"/mentoring/groups/{group.id}/members/add",
                        data={"usernames": world["trang"].username}).status_code == 302
    # Nor may the group's mentor: he adds officials of the group's department only.
    with pytest.raises(DomainError):
        mentoring.add_members(world["mentor"], group, [world["huong"].username], now=NOW)
    # A member outside HR's scope added by an administrator stays invisible to HR.
    mentoring.add_members(None, group, [world["huong"].username], now=NOW)
    db.session.commit()
    grid = visible_text(browser.get(f"/mentoring/groups/{group.id}"))
    assert "Trịnh Thị Thu Trang" in grid and "Nguyễn Thị Hương" not in grid
    assert browser.get(
        f"/mentoring/groups/{group.id}/members/{world['huong'].id}").status_code == 404
    assert browser.get(
        f"/mentoring/groups/{group.id}/members/{world['trang'].id}").status_code == 200
    # The mentor named by HR sees the group and all its members.
    mentor_grid = visible_text(new_client(app, world["mentor"]).get(
        f"/mentoring/groups/{group.id}/members"))
    assert "Nguyễn Thị Hương" in mentor_grid and "Trịnh Thị Thu Trang" in mentor_grid


def test_hr_cannot_give_a_group_a_department_outside_their_scope(app, db, world):
    browser = new_client(app, world["hr"])
    page = browser.get("/mentoring/groups/new").data.decode()
    assert f'<option value="{world["consular"].id}"' in page
    assert f'<option value="{world["it"].id}"' not in page
    refused = browser.post("/mentoring/groups/new", data={
        "name": "Nhóm lạ", "department_id": str(world["it"].id),
        "mentors": world["mentor"].username})
    assert refused.status_code == 400
    assert db.session.scalar(select(func.count()).where(MentoringGroup.name == "Nhóm lạ")) == 0


def test_deleting_a_groups_empty_department_leaves_a_ministry_wide_group(app, db, world):
    from learning.accounts.models import User

    admin = steps.official("Trần Minh Quân", roles=("admin", "learner"))
    empty = steps.department("Tổ công tác tạm thời", parent=world["consular"])
    group = mentoring.create_group(None, "Tổ công tác", [world["mentor"].username],
                                   department_id=empty.id, now=NOW)
    db.session.commit()
    browser = new_client(app, admin)
    deleted = browser.post(f"/admin/departments/{empty.id}/delete", data={})
    assert deleted.status_code == 302
    db.session.expire_all()
    assert db.session.get(MentoringGroup, group.id).department_id is None
    assert db.session.get(User, world["mentor"].id) is not None


def test_a_mentor_whose_role_is_withdrawn_no_longer_sees_the_group(app, db, world):
    from learning.accounts.services import set_roles

    mentor, mine = world["mentor"], world["mine"]
    set_roles(mentor, {"learner"}, None)
    db.session.commit()
    with pytest.raises(NotFound):
        mentoring.get_group(mentor, mine.id)
    assert mentoring.list_groups(mentor) == []
    assert new_client(app, mentor).get(f"/mentoring/groups/{mine.id}").status_code == 403


def test_hr_editing_an_assignment_keeps_the_members_they_cannot_see(app, db, world):
    hr, consular = world["hr"], world["consular"]
    group = mentoring.create_group(hr, "Cán bộ mới", [world["mentor"].username],
                                   department_id=consular.id, now=NOW)
    mentoring.add_members(None, group, [world["trang"].username, world["huong"].username],
                          now=NOW)
    mentoring.assign(None, group, steps.SLUG, None, "a", due("2026-03-20"), "",
                     [world["trang"].id, world["huong"].id], now=NOW)
    db.session.commit()
    # HR sees Trang only; moving the due date keeps Hương (outside HR's scope) assigned.
    mentoring.assign(hr, group, steps.SLUG, None, "a", due("2026-03-27"), "Lùi hạn",
                     [world["trang"].id], now=NOW)
    db.session.commit()
    assert [(item.group_name, item.due_on) for user in (world["trang"], world["huong"])
            for item in mentoring.assigned_to(user, now=NOW)
            if item.group_name == "Cán bộ mới"] == [("Cán bộ mới", due("2026-03-27"))] * 2
    with pytest.raises(DomainError):  # nor can HR name her
        mentoring.assign(hr, group, steps.SLUG, None, "a", due("2026-03-27"), "",
                         [world["huong"].id], now=NOW)


def test_a_co_mentor_cannot_take_a_group_out_of_its_creators_hands(app, db, world):
    """A group HR created and gave mentors stays in HR's scope: a mentor named on it may
    change its name and add co-mentors, step down, but not move it to another department,
    remove the other mentors or delete it. HR (its creator) can."""
    hr, mentor, rival = world["hr"], world["mentor"], world["rival"]
    group = mentoring.create_group(hr, "Cán bộ mới Cục Lãnh sự", [mentor.username, rival.username],
                                   department_id=world["consular"].id, now=NOW)
    db.session.commit()
    browser = new_client(app, mentor)
    edit = f"/mentoring/groups/{group.id}/edit"

    def post(department, mentors, name="Cán bộ mới Cục Lãnh sự"):
        return browser.post(edit, data={"name": name, "department_id": str(department.id),
                                         "mentors": mentors})

    moved = post(world["it"], f"{mentor.username}, {rival.username}")
    assert moved.status_code == 400
    assert field_error(moved, "department_id")
    dropped = post(world["consular"], mentor.username)
    assert dropped.status_code == 400
    assert rival.username in field_error(dropped, "mentors")
    assert browser.post(f"/mentoring/groups/{group.id}/delete", data={}).status_code == 403
    db.session.expire_all()
    kept = db.session.get(MentoringGroup, group.id)
    assert kept.department_id == world["consular"].id
    assert new_client(app, hr).get(f"/mentoring/groups/{group.id}").status_code == 200
    # what a co-mentor may do: rename, and step down
    assert post(world["consular"], f"{mentor.username}, {rival.username}",
                name="Cán bộ mới").status_code == 302
    assert post(world["consular"], rival.username).status_code == 302
    assert browser.get(f"/mentoring/groups/{group.id}").status_code == 404
    assert new_client(app, hr).post(f"/mentoring/groups/{group.id}/delete",
                                    data={}).status_code == 302

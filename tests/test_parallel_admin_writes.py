"""The same admin write sent several times at once (a double click, two administrators, a
retried request) writes once and answers every request as the form would, never with a server
error: accounts, departments, officials imports, course packages and group members. Each check
reads what exists, then writes, so each writer holds a lock in the database (SQLite and
PostgreSQL) that parallel requests wait on."""

from __future__ import annotations

import io
import json
from collections import Counter

import pytest
from sqlalchemy import func, select

from courses.models import Course
from courses.packages import read_directory, write_zip
from learning import clock
from learning.accounts.models import AuditEvent, Department, User
from learning.mentoring import services as mentoring
from learning.mentoring.models import GroupMember, MentoringGroup
from tests import factories
from tests.conftest import DEMO_PASSWORD
from tests.courses.test_import import write_full
from tests.parallel import all_at_once

PARALLEL = 6


@pytest.fixture
def admins(app, db):
    """PARALLEL test clients, each signed in as the same administrator in its own session."""
    admin = factories.UserFactory(username="quan.tm", roles={"admin", "learner"},
                                  password=DEMO_PASSWORD)
    db.session.commit()
    clients = []
    for _ in range(PARALLEL):
        client = app.test_client()
        response = client.post("/login", data={"username": admin.username,
                                               "password": DEMO_PASSWORD})
        assert response.status_code == 302
        clients.append(client)
    return clients


def count(db, model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audited(db, action: str) -> int:
    return count(db, AuditEvent, AuditEvent.action == action)


def test_one_account_from_the_same_form_sent_at_once(db, admins):
    statuses = all_at_once(admins, "/admin/users/new", lambda: {
        "username": "anh.tn", "full_name": "Trương Ngọc Ánh", "email": "anh.tn@mofa.gov.vn",
        "staff_number": "BNG-0107", "job_title": "", "department_id": "0",
        "roles": ["learner"], "hr_scope_department_id": "0", "preferred_language": "vi",
        "password": ""})
    # one created (302); the others see the form again with "already taken" (400)
    assert statuses == Counter({302: 1, 400: PARALLEL - 1})
    assert count(db, User, User.username == "anh.tn") == 1
    assert audited(db, "user.create") == 1


def test_one_department_from_the_same_form_sent_at_once(db, admins):
    # a root department: no unique index can tell two roots apart (their parent is NULL)
    statuses = all_at_once(admins, "/admin/departments/new",
                           lambda: {"name": "Bộ Ngoại giao", "parent_id": "0"})
    assert statuses == Counter({302: 1, 400: PARALLEL - 1})
    assert count(db, Department, Department.name == "Bộ Ngoại giao") == 1
    assert audited(db, "department.create") == 1


def test_one_import_of_the_same_officials_file_sent_at_once(db, admins):
    rows = "\n".join([
        "staff_number,full_name,email,department,job_title,roles",
        "BNG-0104,Đặng Quốc Bảo,bao.dq@mofa.gov.vn,Bộ Ngoại giao/Văn phòng Bộ,Chuyên viên,",
        "BNG-0105,Trương Ngọc Ánh,anh.tn@mofa.gov.vn,Bộ Ngoại giao/Cục Lãnh sự,,mentor",
    ]) + "\n"
    statuses = all_at_once(admins, "/admin/import", lambda: {
        "file": (io.BytesIO(rows.encode()), "can-bo.csv"), "create_departments": "y"},
        content_type="multipart/form-data")
    # each import finishes; the first creates, the others find the officials there
    assert statuses == Counter({200: PARALLEL})
    assert count(db, User, User.staff_number.in_(["BNG-0104", "BNG-0105"])) == 2
    assert count(db, Department, Department.name == "Bộ Ngoại giao") == 1
    assert count(db, Department, Department.name == "Văn phòng Bộ") == 1
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "users.import")).all()
    assert sorted(json.loads(event.details)["created"] for event in events) == (
        [0] * (PARALLEL - 1) + [2])


def test_one_course_from_the_same_package_sent_at_once(db, admins, tmp_path):
    package = write_zip(read_directory(write_full(tmp_path)), "goi")
    statuses = all_at_once(admins, "/admin/courses", lambda: {
        "package": (io.BytesIO(package), "goi.zip")}, content_type="multipart/form-data")
    assert statuses == Counter({302: PARALLEL})
    assert count(db, Course) == 1
    assert audited(db, "course.import") == 1  # applied once; the others found it up to date


def test_one_group_from_the_same_form_sent_at_once(db, admins):
    factories.UserFactory(username="anh.pd", roles={"mentor", "learner"})
    db.session.commit()
    statuses = all_at_once(admins, "/mentoring/groups/new", lambda: {
        "name": "Chi đoàn Cục Lãnh sự", "description": "", "department_id": "0",
        "mentors": "anh.pd"})
    # one created (302); the others see the form again: "you already have a group..." (400)
    assert statuses == Counter({302: 1, 400: PARALLEL - 1})
    assert count(db, MentoringGroup) == 1
    assert audited(db, "group.create") == 1


def test_an_official_added_to_a_group_at_once_is_added_once(app, db, admins):
    member = factories.UserFactory(username="binh.lt")
    factories.UserFactory(username="anh.pd", roles={"mentor", "learner"})
    db.session.commit()
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "quan.tm"))
        group = mentoring.create_group(admin, "Chi đoàn Cục Lãnh sự", ["anh.pd"],
                                       now=clock.now())
        db.session.commit()
        group_id = group.id
    statuses = all_at_once(admins, f"/mentoring/groups/{group_id}/members/add",
                           lambda: {"usernames": member.username})
    assert statuses == Counter({302: PARALLEL})
    assert count(db, GroupMember, GroupMember.group_id == group_id) == 1
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "group.add_members")).all()
    # every request is recorded, and only one says it added her
    assert sorted(json.loads(event.details)["added"] for event in events) == [0] * (PARALLEL - 1) + [1]

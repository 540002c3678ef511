"""The audit log (issue 11, point 8): sensitive actions leave an event with useful details, and
administrators read it on /admin/audit (filters, pages, links) and download it as CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text

from learning.accounts import audit as auditing
from learning.accounts import importer
from learning.accounts import services as accounts
from learning.accounts.models import AuditEvent
from learning.db import db as _db
from tests import factories
from tests.conftest import DEMO_PASSWORD, field_error, page_text, translated, visible_text
from tests.served import served

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


def events(action: str | None = None) -> list[AuditEvent]:
    statement = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        statement = statement.where(AuditEvent.action == action)
    return list(_db.session.scalars(statement))


def details(event: AuditEvent) -> dict:
    return json.loads(event.details) if event.details else {}


def record(action="user.update", *, at=NOW, actor=None, target="user", target_id=None,
           **values):
    """Add one event directly (the page's tests need many, at chosen moments)."""
    _db.session.add(AuditEvent(at=at, actor_id=actor.id if actor else None, action=action,
                               target_type=target, target_id=target_id,
                               details=json.dumps(values, ensure_ascii=False) if values else ""))


def bulk(count: int, *, start=NOW, action="password.reset", actor=None) -> None:
    """Add `count` events one minute apart, the newest at `start`."""
    _db.session.execute(insert(AuditEvent), [
        {"at": start - timedelta(minutes=n), "actor_id": actor.id if actor else None,
         "action": action, "target_type": "user", "target_id": None,
         "details": json.dumps({"n": n})} for n in range(count)])


def shown_numbers(response) -> list[int]:
    return [int(n) for n in re.findall(r"<span class=\"detail-key\">n</span>: (\d+)",
                                       response.data.decode())]


# --- every action recorded has a label ---------------------------------------------------------

def _sources():
    for package in ("learning", "certificates", "courses", "quizzes"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts and path.name != "audit.py":  # not the labels
                yield path, path.read_text(encoding="utf-8")


def test_every_action_and_export_kind_recorded_in_the_code_has_a_label():
    actions, kinds = set(), set()
    for _path, source in _sources():
        for call in re.finditer(r"\baudit\(([^;]{0,300}?)now=", source):
            actions |= set(re.findall(r'"([a-z_]+\.[a-z_]+|export)"', call.group(1)))
        for call in re.finditer(r"\baudit(?:_export\(\s*[^,]+|\(\s*[^,]+,\s*\"export\"),"
                                r"\s*\"([a-z_]+)\"", source):
            kinds.add(call.group(1))
        actions |= set(re.findall(r'"action": "([a-z_]+\.[a-z_]+)"', source))
    assert {"user.roles", "task.confirm", "task.return", "certificate.revoke"} <= actions
    assert actions - set(auditing.ACTIONS) == set(), "add labels to ACTIONS in accounts/audit.py"
    assert {"certificates", "audit_log", "officials"} <= kinds
    assert kinds - set(auditing.TARGET_TYPES) == set(), "add the export kind to TARGET_TYPES"


# --- recording -----------------------------------------------------------------------------

def account_form(user, **fields) -> dict:
    data = {"username": user.username, "full_name": user.full_name, "email": user.email,
            "staff_number": user.staff_number, "job_title": user.job_title,
            "department_id": str(user.department_id or 0), "roles": ["learner"],
            "hr_scope_department_id": "0", "preferred_language": "vi", "password": ""}
    data.update(fields)
    return data


def test_a_role_change_records_the_roles_and_hr_scope_old_and_new(client, db, login_as):
    ministry = factories.DepartmentFactory(name="Bộ Ngoại giao")
    consular = factories.DepartmentFactory(name="Cục Lãnh sự", parent=ministry)
    official = factories.UserFactory(username="bao.dq", department=consular)
    db.session.commit()
    admin = login_as("admin")

    response = client.post(f"/admin/users/{official.id}", data=account_form(
        official, roles=["learner", "mentor", "hr"], hr_scope_department_id=str(consular.id)))
    assert response.status_code == 302
    [event] = events("user.roles")
    assert (event.actor_id, event.target_type, event.target_id) == (admin.id, "user", official.id)
    assert details(event) == {
        "username": "bao.dq", "roles": "learner → hr, learner, mentor",
        "roles_added": ["hr", "mentor"], "hr_scope": "— → Bộ Ngoại giao/Cục Lãnh sự"}
    assert events("user.update") == []  # nothing else changed

    # The HR scope widens to the whole ministry, mentor goes, the job title changes.
    client.post(f"/admin/users/{official.id}", data=account_form(
        official, roles=["learner", "hr"], job_title="Phó Vụ trưởng"))
    latest = events("user.roles")[-1]
    assert details(latest) == {
        "username": "bao.dq", "roles": "hr, learner, mentor → hr, learner",
        "roles_removed": ["mentor"], "hr_scope": "Bộ Ngoại giao/Cục Lãnh sự → Bộ Ngoại giao"}
    assert details(events("user.update")[-1]) == {
        "username": "bao.dq", "job_title": "Chuyên viên → Phó Vụ trưởng"}

    # Saving again without a change records nothing.
    count = len(events())
    client.post(f"/admin/users/{official.id}", data=account_form(
        official, roles=["learner", "hr"], job_title="Phó Vụ trưởng"))
    assert len(events()) == count


def test_an_import_that_grants_or_changes_roles_records_each_official(db):
    factories.UserFactory(username="an.nv", staff_number="BNG-1", full_name="Nguyễn Văn An")
    factories.UserFactory(username="binh.tt", staff_number="BNG-2", full_name="Trần Thị Bình")
    db.session.commit()
    report = importer.import_officials(None, importer.read_csv_text(
        "staff_number,full_name,email,department,roles\n"
        "BNG-1,Nguyễn Văn An,,Bộ Ngoại giao/Vụ Tổ chức cán bộ,learner;hr\n"
        "BNG-2,Trần Thị Bình,,Bộ Ngoại giao,learner\n"  # unchanged: no event
        "BNG-3,Lê Văn Cường,cuong.lv@mofa.gov.vn,Bộ Ngoại giao,learner;admin\n"  # new, admin
        "BNG-4,Phạm Thị Dung,,Bộ Ngoại giao,\n"), now=NOW)  # new, the default role
    assert report.ok, report.errors
    db.session.commit()
    by_user = {details(event)["username"]: details(event) for event in events("user.roles")}
    assert set(by_user) == {"an.nv", "bng-3"}, by_user
    assert by_user["an.nv"] == {"username": "an.nv", "import": True,
                                "roles": "learner → hr, learner", "roles_added": ["hr"],
                                "hr_scope": "— → Bộ Ngoại giao/Vụ Tổ chức cán bộ"}
    assert by_user["bng-3"] == {  # the username is the staff number
        "username": "bng-3", "import": True, "roles": "— → admin, learner",
        "roles_added": ["admin", "learner"]}
    assert events("users.import")


def test_password_resets_and_changes_are_recorded(db):
    admin = factories.UserFactory(roles={"admin"})
    official = factories.UserFactory(username="chi.lt", password="mật khẩu cũ rất dài")
    accounts.reset_password(admin, official, now=NOW)
    # flask users reset-password
    temporary = accounts.reset_password(accounts.SYSTEM, official, now=NOW)
    accounts.change_own_password(official, temporary, "một mật khẩu mới đủ dài", ip="-",
                                 now=NOW)
    resets = events("password.reset")
    assert [(e.actor_id, e.target_id) for e in resets] == [(admin.id, official.id),
                                                          (None, official.id)]
    assert details(resets[0]) == {"username": "chi.lt"}
    [change] = events("password.change")
    assert (change.actor_id, change.target_id) == (official.id, official.id)


def test_task_confirmations_and_returns_are_recorded(db, tmp_path):
    from courses import services as courses
    from learning.mentoring import tasks as review
    from learning.tasks import services as tasks
    from tests.mentoring.steps import group_with, official
    from tests.tasks.test_tasks import MAX, make

    course = make(tmp_path)
    learner = official("Lê Thị Học")
    mentor = official("Trần Văn Kèm", roles=("learner", "mentor"))
    group_with(mentor, [learner])
    courses.enrol(learner, learner, course, now=NOW)
    task = tasks.get_task(course, "dang-ky-van-ban")
    first = tasks.submit(learner, task, tasks.Evidence(note="Đã làm"), now=NOW,
                         max_image_bytes=MAX)
    review.return_task(mentor, first, "Thiếu số đến", NOW)
    second = tasks.submit(learner, task, tasks.Evidence(note="Đã bổ sung"), now=NOW,
                          max_image_bytes=MAX)
    review.confirm(mentor, second, NOW)
    [returned] = events("task.return")
    [confirmed] = events("task.confirm")
    assert (returned.actor_id, returned.target_type, returned.target_id) == (
        mentor.id, "tasksubmission", first.id)
    assert details(returned) == {"official": learner.username, "course": course.slug,
                                 "task": "Đăng ký một văn bản đến", "comment": "Thiếu số đến"}
    assert confirmed.target_id == second.id and "comment" not in details(confirmed)


def test_the_certificates_export_records_its_filters_and_count(db, runner, tmp_path):
    from tests.certificates import steps

    steps.course(tmp_path)
    department = factories.DepartmentFactory(name="Cục Lãnh sự")
    for name in ("Nguyễn Văn An", "Lê Thị Bình"):
        steps.complete(steps.official(name, department=department))
    db.session.commit()
    out = tmp_path / "certificates.zip"
    result = runner.invoke(args=["certificates", "export", "--department", "Cục Lãnh sự",
                                 "--workers", "1", str(out)])
    assert result.exit_code == 0, result.output
    [event] = events("export")
    assert (event.actor_id, event.target_type) == (None, "certificates")
    assert details(event) == {"rows": 2, "department": "Cục Lãnh sự"}


def test_audit_export_leaves_out_empty_filters(db):
    admin = factories.UserFactory(roles={"admin"})
    accounts.audit_export(admin, "officials", now=NOW, rows=12, department="Bộ/Cục",
                          status=None, q="")
    [event] = events("export")
    assert (event.actor_id, event.target_type, event.target_id) == (admin.id, "officials", None)
    assert details(event) == {"rows": 12, "department": "Bộ/Cục"}


# --- the page --------------------------------------------------------------------------------

def test_the_page_lists_events_newest_first_with_names_links_and_details(client, db, login_as):
    admin = login_as("admin", full_name="Hoàng Quản Trị")
    official = factories.UserFactory(username="dung.pt", full_name="Phạm Tiến Dũng")
    db.session.commit()
    record("user.roles", at=NOW, actor=admin, target_id=official.id, username="dung.pt",
           roles="learner → admin, learner", roles_added=["admin"])
    record("certificate.revoke", at=NOW - timedelta(hours=1), actor=admin,
           target="certificate", target_id=7, serial="HS-2026-000007", reason="Nhầm người")
    record("export", at=NOW - timedelta(hours=2), target="certificates", rows=3)
    db.session.commit()

    response = client.get("/admin/audit")
    assert response.status_code == 200
    shown = visible_text(response)
    # Newest first, times in the ministry's zone, Vietnamese style (UTC+7).
    rows = translated("vi", "Rows")
    assert shown.index("Phạm Tiến Dũng") < shown.index("HS-2026-000007") < shown.index(
        f"{rows} : 3")
    assert "10:00 20/11/2026" in shown and "09:00 20/11/2026" in shown
    assert "Hoàng Quản Trị" in shown
    assert translated("vi", "Roles changed") in shown
    assert translated("vi", "System (command line)") in shown
    assert f"{translated('vi', 'Roles added')} : admin" in shown
    assert f"{translated('vi', 'Reason')} : Nhầm người" in shown
    page = response.data.decode()
    assert f'href="/admin/users/{official.id}">Phạm Tiến Dũng</a>' in page
    assert 'href="/certificates/7">HS-2026-000007</a>' in page
    # The header's administration menu leads here, marked as the current page.
    assert re.search(r'<a class="nav-link" href="/admin/audit" aria-current="page">', page)


@pytest.mark.parametrize("query, expected", [
    ("action=certificate.revoke", {"revoke"}),
    ("actor=ngoc", {"by-ngoc"}),  # the actor's name without diacritics
    ("actor=nguyen.ngoc", {"by-ngoc"}),  # or the username
    ("target=certificates", {"export"}),
    ("q=nham+nguoi", set()),  # the details' own text, not folded
    ("q=Nhầm", {"revoke"}),
    ("action=export&target=certificates", {"export"}),
])
def test_each_filter(client, db, login_as, query, expected):
    login_as("admin")
    ngoc = factories.UserFactory(username="nguyen.ngoc", full_name="Nguyễn Bảo Ngọc")
    db.session.commit()
    record("certificate.revoke", target="certificate", target_id=1, reason="Nhầm người",
           tag="revoke")
    record("group.create", actor=ngoc, target="mentoringgroup", target_id=2, tag="by-ngoc")
    record("export", target="certificates", rows=1, tag="export")
    db.session.commit()
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 200
    assert set(re.findall(r"tag</span>: ([a-z-]+)", response.data.decode())) == expected


def test_dates_are_the_ministry_calendar_days(client, db, login_as):
    login_as("admin")
    # 19 Nov 23:30 and 20 Nov 00:30 in Hà Nội (UTC+7).
    record(at=datetime(2026, 11, 19, 16, 30, tzinfo=timezone.utc), tag="late-19")
    record(at=datetime(2026, 11, 19, 17, 30, tzinfo=timezone.utc), tag="early-20")
    record(at=datetime(2026, 11, 21, 16, 59, tzinfo=timezone.utc), tag="end-21")
    db.session.commit()

    def tags(query):
        response = client.get(f"/admin/audit?{query}")
        assert response.status_code == 200
        return set(re.findall(r"tag</span>: ([a-z0-9-]+)", response.data.decode()))

    assert tags("date_from=2026-11-19&date_to=2026-11-19") == {"late-19"}
    assert tags("date_from=2026-11-20") == {"early-20", "end-21"}
    assert tags("date_to=2026-11-20") == {"late-19", "early-20"}
    assert tags("date_from=2026-11-21&date_to=2026-11-21") == {"end-21"}


def test_pages_of_fifty_older_and_newer_keep_the_filters(client, db, login_as):
    login_as("admin")
    bulk(120)
    bulk(5, action="user.update", start=NOW - timedelta(minutes=30, seconds=30))
    db.session.commit()
    first = client.get("/admin/audit?action=password.reset")
    assert shown_numbers(first) == list(range(50))
    older = re.search(r'href="([^"]*before=[^"]*)" rel="next"', first.data.decode())
    assert 'rel="prev"' not in first.data.decode() and older
    second = client.get(older.group(1).replace("&amp;", "&"))
    assert "action=password.reset" in older.group(1)
    assert shown_numbers(second) == list(range(50, 100))
    third_link = re.search(r'href="([^"]*)" rel="next"', second.data.decode()).group(1)
    third = client.get(third_link.replace("&amp;", "&"))
    assert shown_numbers(third) == list(range(100, 120))
    assert 'rel="next"' not in third.data.decode()
    back = re.search(r'href="([^"]*after=[^"]*)" rel="prev"', third.data.decode()).group(1)
    assert shown_numbers(client.get(back.replace("&amp;", "&"))) == list(range(50, 100))


def test_the_page_takes_the_same_number_of_queries_for_few_and_many_events(
        client, db, login_as, count_queries):
    admin = login_as("admin")
    users = [factories.UserFactory() for _ in range(60)]
    db.session.commit()

    def measure(count):
        for user in users[:count]:
            record("user.roles", actor=user, target_id=user.id, username=user.username)
            record("certificate.issue", target="certificate", target_id=user.id, serial="HS")
        db.session.commit()
        with count_queries() as statements:
            assert client.get(f"/admin/audit?actor={admin.username}").status_code == 200
            assert client.get("/admin/audit").status_code == 200
        return len(statements)

    assert measure(2) == measure(60)


HOSTILE = [
    ("date_from=2026-13-45", "date_from", "Not a valid date value."),
    ("date_to=20261120", "date_to", "Not a valid date value."),
    ("date_from=0001-01-01", "date_from",
     "Date must be between %(min)s and %(max)s."),
    ("date_to=9999-12-31", "date_to", None),
    ("date_from=2026-11-20&date_to=2026-11-19", "date_to",
     "The end date is before the start date."),
    ("action=user.explode", "action", "Unknown action: choose one from the list."),
    ("target=spaceship", "target", "Unknown kind of record: choose one from the list."),
    ("actor=" + "x" * 500, "actor", None),
]


@pytest.mark.parametrize("query, field, message", HOSTILE)
def test_bad_filters_are_field_errors_in_the_users_language(client, db, login_as, query, field,
                                                            message):
    login_as("admin")
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 400
    error = field_error(response, field)
    assert error, page_text(response)[:500]
    if message:
        assert error == translated("vi", message, min="01/01/1900", max="31/12/9998")
    assert client.get(f"/admin/audit.csv?{query}").status_code == 400


@pytest.mark.parametrize("cursor", ["before=99999999999999999999", "before=abc",
                                    "after=-5", "before=2147483647", "after=x%00"])
def test_bad_page_links_say_so(client, db, login_as, cursor):
    login_as("admin")
    bulk(3)
    db.session.commit()
    response = client.get(f"/admin/audit?{cursor}&page=99999999999999")
    assert response.status_code == 400
    assert translated("vi", "This page link is not valid. Start again from the newest "
                            "events.") in visible_text(response)


def test_access(client, db, login_as):
    assert client.get("/admin/audit").status_code == 302
    assert client.get("/admin/audit.csv").headers["Location"].startswith("/login")
    login_as("hr")
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit.csv").status_code == 403
    assert events("export") == []


# --- the CSV ---------------------------------------------------------------------------------

def test_the_csv_has_a_bom_neutralised_cells_the_filters_and_is_audited(client, db, login_as):
    admin = login_as("admin", username="quan.tri")
    hostile = factories.UserFactory(username="hostile", full_name="=cmd|' /C calc'!A0")
    db.session.commit()
    record("certificate.revoke", at=NOW, actor=hostile, target="certificate", target_id=5,
           serial="HS-1", reason="@SUM(A1)")
    record("certificate.revoke", at=NOW - timedelta(days=3), actor=hostile,
           target="certificate", target_id=6, serial="HS-2")
    record("user.update", at=NOW, actor=admin, target_id=hostile.id)
    db.session.commit()

    response = client.get("/admin/audit.csv?action=certificate.revoke&date_from=2026-11-19")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0] == ["at", "action", "action_label", "actor_username", "actor_name",
                       "target_type", "target_id", "details"]
    assert len(rows) == 2
    at, action, label, username, name, target_type, target_id, raw = rows[1]
    assert (at, action, username, target_type, target_id) == (
        "2026-11-20T10:00:00+07:00", "certificate.revoke", "hostile", "certificate", "5")
    assert label == translated("vi", "Certificate revoked")
    assert name == "'=cmd|' /C calc'!A0"  # text to a spreadsheet, not a formula
    assert json.loads(raw) == {"serial": "HS-1", "reason": "@SUM(A1)"}

    [export] = events("export")
    assert (export.actor_id, export.target_type) == (admin.id, "audit_log")
    assert details(export) == {"rows": 1, "action": "certificate.revoke", "from": "2026-11-19"}
    # The export is on the page, with its filters.
    shown = visible_text(client.get("/admin/audit?action=export"))
    assert translated("vi", "Audit log (export)") in shown
    assert f"{translated('vi', 'From')} : 2026-11-19" in shown


def test_the_csv_is_streamed_in_batches(client, db, login_as, monkeypatch):
    login_as("admin")
    bulk(1234)
    db.session.commit()
    batches = []
    original = auditing.iter_events

    def spy(*args, **kwargs):
        batches.append(kwargs.get("batch", auditing.EXPORT_BATCH))
        return original(*args, **{**kwargs, "batch": 100})

    monkeypatch.setattr(auditing, "iter_events", spy)
    response = client.get("/admin/audit.csv", buffered=False)
    assert response.is_streamed
    chunks = [chunk.decode() for chunk in response.response]
    response.close()
    assert len(chunks) > 2  # header, then chunks of rows as they are read
    rows = list(csv.reader(io.StringIO("".join(chunks)[1:])))
    assert len(rows) == 1 + 1234
    assert [json.loads(row[-1])["n"] for row in rows[1:4]] == [0, 1, 2]
    assert details(events("export")[-1]) == {"rows": 1234}


# --- speed -----------------------------------------------------------------------------------

@pytest.mark.parametrize("where", [
    "action = 'user.roles'", "actor_id = 3", "target_type = 'certificate'", "1 = 1"])
def test_filtered_pages_read_an_index_in_order(db, where):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan is SQLite's")
    plan = " ".join(row[-1] for row in db.session.execute(text(
        f"EXPLAIN QUERY PLAN SELECT * FROM audit_events WHERE {where} "
        "ORDER BY at DESC, id DESC LIMIT 51")))
    assert "USING INDEX" in plan and "TEMP B-TREE" not in plan, plan


def test_the_newest_event_bounds_an_export(db):
    assert auditing.latest_event_id() == 0
    bulk(3)
    assert auditing.latest_event_id() == db.session.scalar(select(func.max(AuditEvent.id)))
    assert auditing.count_events(None, auditing.AuditFilters(), up_to=1) == 1


def test_the_csv_streams_whole_from_a_server(app, db):
    # as a server runs it (tests/served.py): the rows are read after the view has returned
    factories.UserFactory(username="quan.tri", roles={"admin", "learner"},
                          password=DEMO_PASSWORD)
    bulk(250)
    db.session.commit()
    [response] = served(app, "quan.tri", ["/admin/audit.csv"])
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True)[1:])))
    assert len(rows) == 1 + 250  # the header and every event


def test_an_exports_filters_are_named_in_the_page_language(client, db, login_as):
    login_as("admin")
    record("export", target="people", rows=3, campaign=7, status="overdue")
    db.session.commit()
    shown = visible_text(client.get("/admin/audit?action=export"))
    for label, value in (("Campaign", "7"), ("Status", "overdue"), ("Rows", "3")):
        assert f"{translated('vi', label)} : {value}" in shown

"""Practical tasks: the package format, handing in (note, screenshot checked by its bytes),
review by mentors / HR in scope, notifications, resubmission, one decision when two reviewers
act at once, and a course whose completion requires its confirmed tasks (certificate lists them)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from certificates.models import Certificate
from courses import services as courses
from courses.models import Enrolment
from courses.packages import PackageError, read_directory
from learning.db import db
from learning.errors import NotFound, RuleViolation
from learning.mentoring import tasks as review
from learning.notifications import Notification
from learning.tasks import services as tasks
from learning.tasks.models import PracticalTask, TaskSubmission
from learning.tasks.package import parse_tasks
from tests import factories
from tests.conftest import sign_in
from tests.mentoring.steps import at, complete, group_with, official

SLUG = "thuc-hanh-so"
TASKS = '''[[tasks]]
slug = "dang-ky-van-ban"
title = "Đăng ký một văn bản đến"
instructions = "Mở hệ thống **văn bản** và đăng ký."
evidence = "Ảnh chụp màn hình có số đến."

[[tasks]]
slug = "ky-so"
title = "Ký số một văn bản đi"
instructions = "Ký bằng USB token."
evidence = "Số văn bản đã ký."
required = false
'''
NOW = at("2026-03-10 02:00")
MAX = 2048 * 1024


def png(width=8, height=8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(out, "PNG")
    return out.getvalue()


def make(tmp_path, *, required_tasks=True, tasks_toml=TASKS):
    completion = {"rule": "all_lessons"}
    if required_tasks:
        completion["tasks"] = "required"
    package = factories.course_package(SLUG, lessons=("a",), completion=completion)
    root = factories.write_package(tmp_path / SLUG, package,
                                   files={"01-co-ban/tasks.toml": tasks_toml})
    return factories.import_course(root).course


def test_package_parsing_good_and_bad():
    specs, problems = parse_tasks({"01-m/tasks.toml": TASKS.encode()})
    assert not problems
    assert [(s.slug, s.is_required, s.line) for s in specs] == [
        ("dang-ky-van-ban", True, 1), ("ky-so", False, 7)]
    bad = TASKS.replace('slug = "ky-so"', 'slug = "Ký Số"').replace(
        'evidence = "Ảnh chụp màn hình có số đến."', "")
    _specs, problems = parse_tasks({"01-m/tasks.toml": bad.encode()})
    text = [str(p) for p in problems]
    assert any(t.startswith("01-m/tasks.toml:1: “evidence” is required") for t in text), text
    assert any(t.startswith("01-m/tasks.toml:7: slug “Ký Số”") for t in text), text
    _specs, problems = parse_tasks({"tasks.toml": TASKS.encode()})
    assert "directly in a module folder" in str(problems[0])


def test_import_refuses_bad_tasks_and_keeps_removed_ones(db, tmp_path):
    with pytest.raises(PackageError) as error:
        make(tmp_path, tasks_toml='[[tasks]]\nslug = "x"\n')
    assert "01-co-ban/tasks.toml:1" in str(error.value)
    course = make(tmp_path / "2")
    assert [t.slug for t in tasks.course_tasks(course.id)] == ["dang-ky-van-ban", "ky-so"]
    package = factories.course_package(SLUG, lessons=("a",),
                                       completion={"rule": "all_lessons", "tasks": "required"})
    root = factories.write_package(tmp_path / "3", package, files={
        "01-co-ban/tasks.toml": TASKS.split("\n[[tasks]]\nslug = \"ky-so\"")[0]})
    factories.import_course(root)
    removed = db.session.scalar(select(PracticalTask).where(PracticalTask.slug == "ky-so"))
    assert removed.is_removed


def test_hand_in_checks_evidence_and_bytes(db, tmp_path):
    course = make(tmp_path)
    learner = official("Lê Thị Học")
    courses.enrol(learner, learner, course, now=NOW)
    task = tasks.get_task(course, "dang-ky-van-ban")
    for evidence, message in [
            (tasks.Evidence(), "ghi chú hoặc đính kèm"),
            (tasks.Evidence(image=b"\x89PNG\r\n\x1a\nnot really a png"), "PNG, JPEG hoặc WebP"),
            (tasks.Evidence(image=b"GIF89a" + b"\0" * 50), "PNG, JPEG hoặc WebP"),
            (tasks.Evidence(image=png(), note="x"), "quá lớn")]:
        with pytest.raises(RuleViolation, match=message):
            tasks.submit(learner, task, evidence, now=NOW,
                         max_image_bytes=10 if message == "quá lớn" else MAX)
    submission = tasks.submit(learner, task, tasks.Evidence(note="Số đến 12", image=png()),
                              now=NOW, max_image_bytes=MAX)
    assert submission.image_type == "image/png" and submission.state == "waiting"
    with pytest.raises(RuleViolation, match="đang chờ duyệt"):
        tasks.submit(learner, task, tasks.Evidence(note="again"), now=NOW, max_image_bytes=MAX)
    stranger = official("Người Ngoài")
    with pytest.raises(Exception, match="ghi danh"):
        tasks.submit(stranger, task, tasks.Evidence(note="x"), now=NOW, max_image_bytes=MAX)


def test_review_workflow_permissions_notifications_and_completion(db, tmp_path):
    course = make(tmp_path)
    learner = official("Lê Thị Học")
    mentor = official("Trần Văn Kèm", roles=("learner", "mentor"))
    other_mentor = official("Phạm Văn Khác", roles=("learner", "mentor"))
    other_member = official("Ngô Thị Khác")
    group_with(mentor, [learner])
    group_with(other_mentor, [other_member], name="Nhóm khác")
    hr_out = official("HR Ngoài", roles=("learner", "hr"),
                      hr_scope=factories.DepartmentFactory(name="Vụ khác"))
    courses.enrol(learner, learner, course, now=NOW)
    complete(learner, "a", now=NOW, course_slug=SLUG)
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == learner.id))
    assert enrolment.completed_at is None and enrolment.percent_complete == 50

    task = tasks.get_task(course, "dang-ky-van-ban")
    first = tasks.submit(learner, task, tasks.Evidence(note="Đã làm"), now=NOW,
                         max_image_bytes=MAX)
    db.session.commit()
    assert review.tasks_to_review(mentor, "waiting") == [first]
    for outsider in (other_mentor, hr_out, learner):
        assert review.tasks_to_review(outsider, "waiting") == []
        with pytest.raises(NotFound):
            review.confirm(outsider, first, NOW)
    with pytest.raises(RuleViolation):
        review.return_task(mentor, first, "  ", NOW)
    review.return_task(mentor, first, "Thiếu ảnh chụp số đến", NOW)
    db.session.commit()
    note = db.session.scalar(select(Notification).where(Notification.user_id == learner.id))
    assert note.kind == "task_returned" and note.params["comment"] == "Thiếu ảnh chụp số đến"
    with pytest.raises(RuleViolation, match="đã được duyệt"):
        review.confirm(mentor, first, NOW)

    second = tasks.submit(learner, task, tasks.Evidence(image=png()), now=NOW,
                          max_image_bytes=MAX)
    db.session.commit()
    review.confirm(mentor, second, NOW + timedelta(hours=1))
    db.session.commit()
    db.session.refresh(enrolment)
    assert enrolment.completed_at is not None  # the one required task, confirmed
    kinds = db.session.scalars(select(Notification.kind).where(
        Notification.user_id == learner.id)).all()
    assert sorted(kinds) == ["task_confirmed", "task_returned"]
    assert [s.state for s in tasks.history(learner.id, task.id)] == ["confirmed", "returned"]
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id))
    assert certificate.practical_tasks == "Đăng ký một văn bản đến"
    from certificates.pdf import pdf_context
    assert pdf_context(certificate)["practical_tasks"] == ["Đăng ký một văn bản đến"]


def test_course_without_required_tasks_completes_on_lessons(db, tmp_path):
    course = make(tmp_path, required_tasks=False)
    learner = official("Lê Thị Học")
    courses.enrol(learner, learner, course, now=NOW)
    complete(learner, "a", now=NOW, course_slug=SLUG)
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == learner.id))
    assert enrolment.completed_at is not None


def test_two_reviewers_at_once_give_one_decision(db, tmp_path):
    course = make(tmp_path)
    learner = official("Lê Thị Học")
    mentor = official("Trần Văn Kèm", roles=("learner", "mentor"))
    admin = official("Quản Trị", roles=("admin",))
    group_with(mentor, [learner])
    courses.enrol(learner, learner, course, now=NOW)
    submission = tasks.submit(learner, tasks.get_task(course, "dang-ky-van-ban"),
                              tasks.Evidence(note="x"), now=NOW, max_image_bytes=MAX)
    db.session.commit()
    stale = db.session.get(TaskSubmission, submission.id)
    review.return_task(admin, submission, "Thiếu", NOW)  # the other reviewer, first
    db.session.commit()
    with pytest.raises(RuleViolation):
        review.confirm(mentor, stale, NOW)  # the loaded row still says waiting
    db.session.rollback()
    assert db.session.get(TaskSubmission, submission.id).state == "returned"


def test_pages_hand_in_review_and_image_access(app, client, db, tmp_path):
    course = make(tmp_path)
    learner = official("Lê Thị Học")
    mentor = official("Trần Văn Kèm", roles=("learner", "mentor"))
    other = official("Phạm Văn Khác", roles=("learner", "mentor"))
    group_with(mentor, [learner])
    courses.enrol(learner, learner, course, now=NOW)
    db.session.commit()
    sign_in(client, learner.username)
    url = f"/courses/{SLUG}/tasks/dang-ky-van-ban"
    assert client.get(url).status_code == 200
    bad = client.post(url, data={"note": "", "image": (io.BytesIO(b"<svg/>"), "x.png")},
                      content_type="multipart/form-data")
    assert bad.status_code == 200 and "PNG, JPEG" in bad.get_data(as_text=True)
    assert client.post(url, data={"note": "ok"}, csrf=False).status_code == 400
    good = client.post(url, data={"note": "Số 12", "image": (io.BytesIO(png()), "a.png")},
                       content_type="multipart/form-data")
    assert good.status_code == 302
    submission = db.session.scalar(select(TaskSubmission))
    image = client.get(f"/mentoring/tasks/{submission.id}/image")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/mentoring/tasks").status_code == 403
    assert client.post(f"/mentoring/tasks/{submission.id}/confirm", data={}).status_code == 403
    client.post("/logout", data={})
    sign_in(client, other.username)
    assert client.get(f"/mentoring/tasks/{submission.id}").status_code == 404
    assert client.get(f"/mentoring/tasks/{submission.id}/image").status_code == 404
    assert client.post(f"/mentoring/tasks/{submission.id}/confirm", data={}).status_code == 404
    client.post("/logout", data={})
    sign_in(client, mentor.username)
    assert "Đăng ký một văn bản đến" in client.get("/mentoring/tasks").get_data(as_text=True)
    assert client.get(f"/mentoring/tasks/{submission.id}").status_code == 200
    assert client.post(f"/mentoring/tasks/{submission.id}/return",
                       data={"comment": ""}).status_code == 400
    assert client.post(f"/mentoring/tasks/{submission.id}/confirm", data={}).status_code == 302
    db.session.expire_all()
    assert db.session.get(TaskSubmission, submission.id).state == "confirmed"

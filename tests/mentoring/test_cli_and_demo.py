"""`flask groups ...` calls the same services as the pages; the demo mentor's groups show
every state."""

from __future__ import annotations

from sqlalchemy import func, select

from learning import clock
from learning.accounts.models import User
from learning.mentoring import services as mentoring
from learning.mentoring.models import Assignment, GroupMember, MentoringGroup
from tests.conftest import sign_in, translated, visible_text
from tests.courses.steps import new_client
from tests.mentoring import steps


def test_the_command_line(app, db, runner, tmp_path):
    steps.course(tmp_path)
    ministry = steps.department("Bộ Ngoại giao")
    consular = steps.department("Cục Lãnh sự", parent=ministry)
    steps.official("Phạm Đức Anh", roles=("mentor", "learner"), username="anh.pd")
    for number in (1, 2, 3):
        steps.official(f"Cán bộ {number}", department=consular, staff_number=f"LS-0{number}",
                       username=f"canbo{number}")
    db.session.commit()
    created = runner.invoke(args=["groups", "create", "Cán bộ mới", "--mentor", "anh.pd",
                                  "--department", "Bộ Ngoại giao/Cục Lãnh sự"])
    assert created.exit_code == 0, created.output
    group = db.session.scalar(select(MentoringGroup))
    csv_file = tmp_path / "ds.csv"
    csv_file.write_text("staff_number\nLS-01\nKHONG-CO\n", encoding="utf-8")
    bad = runner.invoke(args=["groups", "add-members", str(group.id), "--csv", str(csv_file)])
    assert bad.exit_code != 0 and "line 3" in bad.output
    assert db.session.scalar(select(func.count()).select_from(GroupMember)) == 0
    added = runner.invoke(args=["groups", "add-members", str(group.id), "canbo1",
                                "--department", "Bộ Ngoại giao/Cục Lãnh sự"])
    assert added.exit_code == 0, added.output
    assert "3 added" in added.output
    due_on = (mentoring.ministry_day(clock.now())).isoformat()
    for _ in range(2):
        assigned = runner.invoke(args=["groups", "assign", str(group.id), steps.SLUG,
                                       "--module", "co-ban", "--due", due_on,
                                       "--member", "canbo1"])
        assert assigned.exit_code == 0, assigned.output
    assert "Updated" in assigned.output
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 1
    progress = runner.invoke(args=["groups", "progress", str(group.id)])
    assert "canbo1" in progress.output and "not_started" in progress.output
    assert "canbo2" not in progress.output
    listed = runner.invoke(args=["groups", "list"])
    assert "Cán bộ mới" in listed.output and "3 members" in listed.output


def test_the_demo_mentor_follows_two_groups_in_every_state(app, db, runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    mentor = db.session.scalar(select(User).where(User.username == "mentor"))
    rows = mentoring.list_groups(mentor)
    assert [row.group.name for row in rows] == ["Cán bộ mới Cục Lãnh sự",
                                                "Chi đoàn Cục Cơ yếu - CNTT"]
    states = set()
    for row in rows:
        progress = mentoring.group_progress(mentor, row.group, now=clock.now())
        states |= {cell.state for member in progress.rows for cell in member.cells.values()}
    assert states == set(mentoring.STATES)
    # The demo learner is among the consular newcomers, with an overdue module first.
    learner = db.session.scalar(select(User).where(User.username == "learner"))
    items = mentoring.assigned_to(learner, now=clock.now())
    assert items and items[0].is_overdue
    home = new_client(app)  # the demo's accounts have the demo password, not the tests' one
    assert sign_in(home, "learner", "hocso-demo").status_code == 302
    page = visible_text(home.get("/"))
    assert translated("vi", "Assigned to me") in page and translated("vi", "Overdue") in page
    mentor_browser = new_client(app)
    assert sign_in(mentor_browser, "mentor", "hocso-demo").status_code == 302
    for row in rows:
        assert mentor_browser.get(f"/mentoring/groups/{row.group.id}").status_code == 200

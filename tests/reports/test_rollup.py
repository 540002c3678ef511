"""The department rollup: a department's figures include its units, HR of a unit sees only its
subtree, overdue begins the ministry day after the deadline, and the figures are the raw
records' (summaries agree, counts straight from the enrolments)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from certificates.models import Certificate

from learning.campaigns import summaries
from learning.errors import NotFound, PermissionDenied
from learning.reports.rollup import department_rollup, totals
from tests.campaigns import steps
from tests.campaigns.steps import DEADLINE, at
from tests.mentoring import steps as mentoring_steps
from tests.reports.scene import Scene, raw_counts


@pytest.fixture
def scene(app, db, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MINISTRY_NAME", "Bộ Thử nghiệm")
    return Scene(tmp_path)


def by_name(rows):
    return {row.name: row for row in rows}


def test_a_department_includes_its_units(db, scene):
    m, people = scene.ministry, scene.people
    mentoring_steps.open_lesson(people["binh"], "a", now=at("2026-03-05 02:00"))
    steps.finish(people["hoa"], now=at("2026-04-01 02:00"))
    steps.finish(people["an"], now=at("2026-07-02 02:00"))  # after the deadline: late

    rows = department_rollup(None, campaign=scene.campaign, today=date(2026, 7, 2))
    assert [(r.name, r.depth) for r in rows] == [
        ("Bộ Thử nghiệm", 0), ("Cục Chuyển đổi số", 1), ("Phòng Dữ liệu", 2),
        ("Phòng Hạ tầng", 2), ("Vụ Tổ chức cán bộ", 1)]
    rows = by_name(rows)
    cds = rows["Cục Chuyển đổi số"]
    assert (cds.people, cds.completed, cds.completed_late, cds.in_progress, cds.not_started,
            cds.overdue) == (4, 1, 1, 0, 0, 2)
    assert cds.path == "Cục Chuyển đổi số"
    assert rows["Phòng Dữ liệu"].path == "Cục Chuyển đổi số/Phòng Dữ liệu"
    assert cds.completion_rate == 0.5 and cds.on_time_rate == 0.25
    scores = db.session.scalars(select(Certificate.score)).all()
    assert len(scores) == 2 and cds.average_score == pytest.approx(sum(scores) / 2)
    root = rows["Bộ Thử nghiệm"]
    assert (root.people, root.overdue) == (5, 3)
    total = totals(list(rows.values()))
    assert (total.people, total.completed, total.completed_late, total.overdue) == (5, 1, 1, 3)

    # The figures are the raw records': summaries agree, and a recount from the enrolments.
    steps.assert_agree()
    raw = raw_counts(scene.campaign, [m.cds.id, m.data.id, m.infra.id])
    assert raw == {"people": cds.people, "done": cds.completed + cds.completed_late,
                   "in_progress": 1, "not_started": 1}


def test_overdue_begins_the_ministry_day_after_the_deadline(db, scene):
    mentoring_steps.open_lesson(scene.people["binh"], "a", now=at("2026-03-05 02:00"))
    # 23:30 on the deadline in Hà Nội is 16:30 UTC: still on time.
    on_the_day = summaries.ministry_day(at("2026-06-30 16:30"))
    after = summaries.ministry_day(at("2026-06-30 17:30"))  # 00:30 on 1 July in Hà Nội
    assert (on_the_day, after) == (DEADLINE, date(2026, 7, 1))
    root = department_rollup(None, campaign=scene.campaign, today=on_the_day)[0]
    assert (root.overdue, root.in_progress, root.not_started) == (0, 1, 4)
    root = department_rollup(None, campaign=scene.campaign, today=after)[0]
    assert (root.overdue, root.in_progress, root.not_started) == (5, 0, 0)


def test_hr_of_a_unit_sees_only_its_subtree(db, scene):
    m = scene.ministry
    steps.finish(scene.people["hoa"], now=at("2026-04-01 02:00"))
    hr = steps.official("Nhân sự Cục", department=m.cds, roles=("hr",), hr_scope=m.cds)
    rows = department_rollup(hr, campaign=scene.campaign, today=date(2026, 4, 2))
    assert [(r.name, r.depth, r.people) for r in rows] == [
        ("Cục Chuyển đổi số", 0, 4), ("Phòng Dữ liệu", 1, 2), ("Phòng Hạ tầng", 1, 1)]
    assert totals(rows).people == 4 and totals(rows).completed == 1

    unit_hr = steps.official("Nhân sự TCCB", department=m.tccb, roles=("hr",),
                             hr_scope=m.tccb)
    only_data = steps.campaign(scene.course, [m.data])
    with pytest.raises(NotFound):
        department_rollup(unit_hr, campaign=only_data, today=date(2026, 4, 2))
    learner = scene.people["lan"]
    with pytest.raises(PermissionDenied):
        department_rollup(learner, course=scene.course, today=date(2026, 4, 2))


def test_course_figures_have_no_deadline(db, scene):
    steps.finish(scene.people["hoa"], now=at("2027-01-01 02:00"))
    rows = by_name(department_rollup(None, course=scene.course, today=date(2027, 1, 2),
                                     only_counted=True))
    data = rows["Phòng Dữ liệu"]
    assert (data.people, data.completed, data.completed_late, data.overdue,
            data.not_started) == (2, 1, 0, 0, 1)


def test_the_rollup_runs_a_fixed_number_of_statements(db, scene, count_queries):
    m = scene.ministry
    admin = steps.official("Quản trị", roles=("admin",))
    db.session.commit()

    def statements():
        db.session.expire_all()
        with count_queries() as run:
            department_rollup(admin, campaign=scene.campaign, today=date(2026, 4, 2))
        return len(run)

    before = statements()
    for name in ("Phòng Một", "Phòng Hai", "Phòng Ba"):
        unit = steps.department(name, m.data)
        steps.official(f"Cán bộ {name}", department=unit)
    db.session.commit()
    summaries.rebuild()
    db.session.commit()
    assert statements() == before

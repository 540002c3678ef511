"""Campaign membership and the summaries HR's figures come from: kept current by every
progress write, equal to a recount from the raw records at every step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from courses.models import Enrolment
from learning.accounts import services as accounts
from learning.campaigns import services as campaigns
from learning.campaigns import summaries
from learning.campaigns.models import CampaignMember
from learning.db import db
from learning.errors import PermissionDenied, RuleViolation
from tests.campaigns import steps
from tests.campaigns.steps import DEADLINE, at
from tests.mentoring import steps as mentoring_steps


@pytest.fixture
def scene(app, db, tmp_path):
    course = mentoring_steps.course(tmp_path)
    ministry = steps.Ministry()
    people = {
        "hoa": steps.official("Trần Thị Hoa", department=ministry.data),
        "binh": steps.official("Lê Văn Bình", department=ministry.infra),
        "an": steps.official("Đỗ An", department=ministry.cds),
        "lan": steps.official("Vũ Thị Lan", department=ministry.tccb),
    }
    db.session.commit()
    return course, ministry, people


def members(campaign) -> dict[str, str]:
    db.session.expire_all()
    rows = db.session.execute(select(CampaignMember).where(
        CampaignMember.campaign_id == campaign.id, CampaignMember.left_at.is_(None))).scalars()
    return {row.user.full_name: row.state for row in rows}


def test_a_campaign_enrols_everyone_in_its_subtrees(db, scene):
    course, ministry, people = scene
    campaign = steps.campaign(course, [ministry.cds])
    assert members(campaign) == {"Trần Thị Hoa": "not_started", "Lê Văn Bình": "not_started",
                                 "Đỗ An": "not_started"}
    enrolled = set(db.session.scalars(select(Enrolment.user_id).where(
        Enrolment.course_id == course.id)))
    assert enrolled == {people["hoa"].id, people["binh"].id, people["an"].id}
    cells = steps.cells("campaign", campaign.id)
    assert {d: c["people"] for d, c in cells.items()} == {
        ministry.data.id: 1, ministry.infra.id: 1, ministry.cds.id: 1}
    steps.assert_agree()


def test_progress_moves_the_counts_and_a_late_completion_counts_late(db, scene):
    course, ministry, people = scene
    campaign = steps.campaign(course, [ministry.root])
    mentoring_steps.open_lesson(people["hoa"], "a", now=at("2026-03-05 02:00"))
    assert members(campaign)["Trần Thị Hoa"] == "in_progress"
    steps.assert_agree()

    # 23:59 on the deadline in Hà Nội is on time (16:59 UTC) ...
    steps.finish(people["hoa"], now=at("2026-06-30 16:30"))
    # ... and 00:30 the next day in Hà Nội is late, although still 30 June in UTC.
    steps.finish(people["binh"], now=at("2026-06-30 17:30"))
    states = members(campaign)
    assert states["Trần Thị Hoa"] == "completed"
    assert states["Lê Văn Bình"] == "completed_late"
    cells = steps.cells("campaign", campaign.id)
    assert cells[ministry.data.id]["completed"] == 1
    assert cells[ministry.infra.id]["completed_late"] == 1
    assert cells[ministry.data.id]["score_count"] == 1
    assert cells[ministry.data.id]["score_sum"] > 0
    course_cells = steps.cells("course", course.id)
    assert course_cells[ministry.infra.id]["completed"] == 1  # no lateness outside campaigns
    steps.assert_agree()


def test_officials_imported_or_moved_in_later_join_and_those_who_leave_keep_records(db, scene):
    course, ministry, people = scene
    campaign = steps.campaign(course, [ministry.cds])
    steps.finish(people["an"], now=at("2026-04-01 02:00"))
    newcomer = accounts.create_user(None, accounts.UserData(
        username="moi.den", full_name="Phan Văn Mới", email=None, staff_number="NV-900",
        job_title="Chuyên viên", department_id=ministry.data.id, preferred_language="vi",
        roles={"learner"}, hr_scope_department_id=None), password=None,
        now=at("2026-04-02 02:00"))
    db.session.commit()
    assert members(campaign)["Phan Văn Mới"] == "not_started"

    # Đỗ An moves to the personnel department, outside the campaign: no longer counted ...
    an = people["an"]
    data = accounts.UserData(
        username=an.username, full_name=an.full_name, email=an.email,
        staff_number=an.staff_number, job_title=an.job_title, department_id=ministry.tccb.id,
        preferred_language="vi", roles={"learner"}, hr_scope_department_id=None)
    accounts.update_user(None, an, data, now=at("2026-04-03 02:00"))
    db.session.commit()
    assert "Đỗ An" not in members(campaign)
    # ... but keeps the completion and the certificate, counted in the course's figures.
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == an.id))
    assert enrolment.completed_at is not None
    assert steps.cells("course", course.id)[ministry.tccb.id]["completed"] == 1
    assert sum(c["people"] for c in steps.cells("campaign", campaign.id).values()) == 3 - 1 + 1
    steps.assert_agree()


def test_job_titles_limit_a_campaign_ignoring_case_and_diacritics(db, scene):
    course, ministry, people = scene
    people["hoa"].job_title = "Chuyên viên chính"
    people["binh"].job_title = "Kỹ sư"
    db.session.commit()
    campaign = steps.campaign(course, [ministry.cds], job_titles=["CHUYEN VIEN CHINH"])
    assert members(campaign) == {"Trần Thị Hoa": "not_started"}
    steps.assert_agree()


def test_changing_the_deadline_recounts_lateness(db, scene):
    course, ministry, people = scene
    campaign = steps.campaign(course, [ministry.cds])
    steps.finish(people["hoa"], now=at("2026-07-05 02:00"))
    assert members(campaign)["Trần Thị Hoa"] == "completed_late"
    campaigns.update_campaign(None, campaign, title=campaign.title,
                              department_ids=[ministry.cds.id],
                              deadline=DEADLINE + timedelta(days=10), now=at("2026-07-06 02:00"))
    db.session.commit()
    assert members(campaign)["Trần Thị Hoa"] == "completed"
    steps.assert_agree()


def test_a_recount_from_scratch_gives_what_the_writes_kept(db, scene):
    course, ministry, people = scene
    campaign = steps.campaign(course, [ministry.root])
    mentoring_steps.open_lesson(people["lan"], "a", now=at("2026-03-05 02:00"))
    steps.finish(people["hoa"], now=at("2026-05-01 02:00"))
    steps.finish(people["binh"], now=at("2026-07-01 02:00"))
    before = steps.cells("campaign", campaign.id), steps.cells("course", course.id)
    summaries.rebuild()
    db.session.commit()
    assert (steps.cells("campaign", campaign.id), steps.cells("course", course.id)) == before
    steps.assert_agree()


def test_a_broken_summary_is_found_and_repaired(db, scene, runner):
    course, ministry, people = scene
    steps.campaign(course, [ministry.root])
    steps.finish(people["hoa"], now=at("2026-05-01 02:00"))
    db.session.execute(CampaignMember.__table__.update().values(state="not_started"))
    db.session.commit()
    result = runner.invoke(args=["reports", "rebuild-summaries", "--check"])
    assert result.exit_code == 1
    assert "campaign_members" in result.output
    assert runner.invoke(args=["reports", "rebuild-summaries"]).exit_code == 0
    result = runner.invoke(args=["reports", "rebuild-summaries", "--check"])
    assert result.exit_code == 0, result.output


def test_hr_runs_campaigns_only_within_its_scope(db, scene):
    course, ministry, people = scene
    hr = steps.official("Ngô Thị Nhân", department=ministry.cds, roles=("hr",))
    hr.grant("hr").scope_department_id = ministry.cds.id
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(RuleViolation) as error:
        steps.campaign(course, [ministry.tccb], actor=hr)
    assert error.value.field == "departments"
    campaign = steps.campaign(course, [ministry.data], actor=hr)
    learner = people["lan"]
    assert not campaigns.can_view(learner, campaign)
    with pytest.raises(PermissionDenied):
        campaigns.create_campaign(learner, title="x", course_id=course.id,
                                  department_ids=[ministry.tccb.id], deadline=DEADLINE,
                                  now=at("2026-03-01 02:00"))


def test_bad_input_is_refused_by_field(db, scene):
    course, ministry, _ = scene
    for kwargs, field in (
        ({"title": "  "}, "title"),
        ({"department_ids": []}, "departments"),
        ({"department_ids": [987654]}, "departments"),
        ({"course_id": 987654}, "course"),
        ({"deadline": None}, "deadline"),
    ):
        values = {"title": "Chiến dịch", "course_id": course.id,
                  "department_ids": [ministry.cds.id], "deadline": DEADLINE, **kwargs}
        with pytest.raises(RuleViolation) as error:
            campaigns.create_campaign(None, now=at("2026-03-01 02:00"), **values)
        assert error.value.field == field


def test_a_description_typed_in_a_textarea_is_kept_and_control_characters_refused(db, scene):
    course, ministry, _ = scene
    values = {"title": "Chiến dịch", "course_id": course.id,
              "department_ids": [ministry.cds.id], "deadline": DEADLINE}
    made = campaigns.create_campaign(None, description="Dòng một\r\nDòng hai",
                                     now=at("2026-03-01 02:00"), **values)
    assert made.description == "Dòng một\r\nDòng hai"  # browsers send CR LF
    with pytest.raises(RuleViolation) as error:
        campaigns.create_campaign(None, description="x\x00y", now=at("2026-03-01 02:00"),
                                  **values)
    assert error.value.field == "description"

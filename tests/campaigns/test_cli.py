"""`flask campaigns create|list` through the same service as the pages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from learning import clock
from learning.campaigns.models import Campaign, CampaignMember
from learning.db import db
from tests.campaigns import steps
from tests.mentoring import steps as mentoring_steps


def test_create_enrols_the_subtree_and_list_shows_it(app, db, tmp_path, runner):
    course = mentoring_steps.course(tmp_path)
    ministry = steps.Ministry()
    steps.official("Trần Thị Hoa", department=ministry.data)
    steps.official("Vũ Thị Lan", department=ministry.tccb)
    db.session.commit()
    deadline = (clock.ministry_day(clock.now()) + timedelta(days=30)).isoformat()
    result = runner.invoke(args=[
        "campaigns", "create", "--title", "Kỹ năng số", "--course", course.slug,
        "--department", " bộ thử nghiệm / Cục Chuyển đổi số ", "--deadline", deadline])
    assert result.exit_code == 0, result.output
    campaign_id = int(result.output.strip().splitlines()[-1])
    db.session.expire_all()
    assert db.session.get(Campaign, campaign_id).title == "Kỹ năng số"
    members = db.session.scalars(select(CampaignMember.user_id).where(
        CampaignMember.campaign_id == campaign_id)).all()
    assert len(members) == 1
    listed = runner.invoke(args=["campaigns", "list"])
    assert "Kỹ năng số" in listed.output and deadline in listed.output


def test_an_unknown_department_or_course_is_a_clear_error(app, db, tmp_path, runner):
    course = mentoring_steps.course(tmp_path)
    steps.Ministry()
    db.session.commit()
    result = runner.invoke(args=[
        "campaigns", "create", "--title", "X", "--course", course.slug,
        "--department", "Bộ Khác", "--deadline", "2026-06-30"])
    assert result.exit_code != 0 and "No department 'Bộ Khác'" in result.output
    result = runner.invoke(args=[
        "campaigns", "create", "--title", "X", "--course", "khong-co",
        "--department", "Bộ Thử nghiệm", "--deadline", "2026-06-30"])
    assert result.exit_code != 0 and "No course 'khong-co'" in result.output
    assert db.session.scalars(select(Campaign)).all() == []

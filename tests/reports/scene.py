"""The HR scene: the campaign scene's ministry with officials in every unit, one campaign
over the whole ministry, and HR accounts scoped to the ministry and to one unit."""

from __future__ import annotations

from sqlalchemy import select

from courses.models import Enrolment
from learning.campaigns.models import CampaignMember
from learning.db import db
from tests.campaigns import steps
from tests.mentoring import steps as mentoring_steps


class Scene:
    """Bộ → Vụ TCCB (lan); Cục CĐS (an) → Phòng Dữ liệu (hoa, thu), Phòng Hạ tầng (binh)."""

    def __init__(self, tmp_path):
        self.course = mentoring_steps.course(tmp_path)
        self.ministry = m = steps.Ministry()
        self.people = {
            "hoa": steps.official("Trần Thị Hoa", department=m.data),
            "thu": steps.official("Phạm Thu", department=m.data),
            "binh": steps.official("Lê Văn Bình", department=m.infra),
            "an": steps.official("Đỗ An", department=m.cds),
            "lan": steps.official("Vũ Thị Lan", department=m.tccb),
        }
        db.session.commit()
        self.campaign = steps.campaign(self.course, [m.root])


def raw_counts(campaign, department_ids) -> dict[str, int]:
    """Count a campaign's members in some departments straight from the enrolments (not the
    summaries), by state, without lateness or overdue."""
    rows = db.session.execute(
        select(Enrolment.completed_at, Enrolment.started_at, Enrolment.lessons_done,
               Enrolment.percent_complete)
        .join(CampaignMember, (CampaignMember.user_id == Enrolment.user_id)
              & (CampaignMember.campaign_id == campaign.id))
        .join(CampaignMember.user)
        .where(Enrolment.course_id == campaign.course_id,
               CampaignMember.left_at.is_(None))
        .where(CampaignMember.user.property.mapper.class_.department_id.in_(department_ids))
    ).all()
    counts = {"people": 0, "done": 0, "in_progress": 0, "not_started": 0}
    for completed_at, started_at, lessons_done, percent in rows:
        counts["people"] += 1
        if completed_at is not None:
            counts["done"] += 1
        elif started_at is not None or lessons_done or percent:
            counts["in_progress"] += 1
        else:
            counts["not_started"] += 1
    return counts

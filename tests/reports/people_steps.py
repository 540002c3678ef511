"""A people-list scene: the campaign scene's ministry, five officials in its departments, the
mentoring course made mandatory for the whole ministry by 30 June 2026, and each official at
another stage: on time, late, in progress, not started, and one whose name is a formula."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from learning.accounts.models import User
from learning.accounts.signals import officials_placed
from learning.db import db
from tests.campaigns import steps as campaign_steps
from tests.campaigns.steps import at
from tests.mentoring import steps as mentoring_steps

BEFORE = at("2026-06-30 16:59").date()  # still 30 June, the deadline, in Hà Nội
DEADLINE = campaign_steps.DEADLINE


@dataclass
class Scene:
    course: object
    ministry: campaign_steps.Ministry
    people: dict
    campaign: object


def build(tmp_path) -> Scene:
    """Build and commit the scene."""
    course = mentoring_steps.course(tmp_path)
    ministry = campaign_steps.Ministry()
    official = campaign_steps.official
    people = {
        "huong": official("Nguyễn Thị Hương", department=ministry.data, staff_number="CB-0001",
                          job_title="Chuyên viên chính"),
        "an": official("Trần Văn An", department=ministry.infra, staff_number="CB-0002"),
        "binh": official("Lê Thị Bình", department=ministry.cds, staff_number="CB-0003"),
        "lan": official("Vũ Thị Lan", department=ministry.tccb, staff_number="CB-0004"),
        "evil": official("=HYPERLINK(\"http://x\")", department=ministry.tccb,
                         staff_number="+CB-0005", job_title="@SUM(A1)"),
    }
    db.session.commit()
    campaign = campaign_steps.campaign(course, [ministry.root])
    # 23:30 on the deadline in Hà Nội: on time; 00:30 the next day there: late.
    campaign_steps.finish(people["huong"], now=at("2026-06-30 16:30"))
    campaign_steps.finish(people["an"], now=at("2026-06-30 17:30"))
    mentoring_steps.open_lesson(people["binh"], "a", now=at("2026-03-05 02:00"))
    db.session.commit()
    return Scene(course, ministry, people, campaign)


def join_everyone() -> None:
    """Officials the factories made after the campaign began join it, as those the accounts
    service creates do (its `officials_placed` signal)."""
    officials_placed.send("accounts", user_ids=list(db.session.scalars(select(User.id))),
                          now=at("2026-03-03 02:00"))
    db.session.commit()

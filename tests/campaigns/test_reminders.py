"""Campaign deadline reminders from `flask notifications send-due`: before the deadline to
those who have not completed, after it to the overdue, and a digest to each overdue
official's mentors and department head; in the app and through real SMTP, each once."""

from __future__ import annotations

from sqlalchemy import func, select

from learning.campaigns.models import CampaignReminder
from learning.db import db
from learning.notifications import Notification
from tests.campaigns import steps
from tests.campaigns.steps import at
from tests.courses.steps import sign_in
from tests.mentoring import steps as mentoring_steps
from tests.mentoring.test_reminders import send_due, smtp  # noqa: F401 (fixture)


def notifications(user, kind):
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind)))


def test_deadline_reminders_reach_officials_mentors_and_heads_once(app, db, tmp_path, runner,
                                                                   smtp):  # noqa: F811
    course = mentoring_steps.course(tmp_path)
    ministry = steps.Ministry()
    hoa = steps.official("Trần Thị Hoa", department=ministry.data, email="hoa@bo.test")
    binh = steps.official("Lê Văn Bình", department=ministry.data, email="binh@bo.test",
                          preferred_language="en")
    done = steps.official("Đỗ An", department=ministry.data, email="an@bo.test")
    head = steps.official("Vũ Thị Trưởng", department=ministry.cds, email="head@bo.test")
    mentor = steps.official("Phạm Đức Anh", roles=("mentor", "learner"), email="mentor@bo.test")
    ministry.data.head_id = head.id
    db.session.commit()
    mentoring_steps.group_with(mentor, [hoa])
    steps.campaign(course, [ministry.data])
    steps.finish(done, now=at("2026-03-05 02:00"))

    # Three days before the deadline (30 June), in the morning in Hà Nội.
    send_due(runner, "2026-06-27T01:00:00+00:00")
    assert len(notifications(hoa, "campaign_due_soon")) == 1
    assert len(notifications(binh, "campaign_due_soon")) == 1
    assert notifications(done, "campaign_due_soon") == []
    assert [m["Subject"] for m in smtp.to("binh@bo.test")] == [
        "“Kèm cặp số” must be completed in 3 days"]

    # A week after it: the overdue, and a digest to Hoa's mentor and to the unit's head.
    result = send_due(runner, "2026-07-07T01:00:00+00:00")
    assert "1 campaign round" in result.output
    assert len(notifications(hoa, "campaign_overdue")) == 1
    digest = notifications(head, "campaign_overdue_digest")
    assert len(digest) == 1 and digest[0].params["count"] == 2
    assert digest[0].params["names"] == ["Lê Văn Bình", "Trần Thị Hoa"]
    mentor_digest = notifications(mentor, "campaign_overdue_digest")
    assert len(mentor_digest) == 1 and mentor_digest[0].params["names"] == ["Trần Thị Hoa"]
    assert len(smtp.to("head@bo.test")) == 1
    text = smtp.to("head@bo.test")[0].get_body(("plain",)).get_content()
    assert "Trần Thị Hoa" in text and "Lê Văn Bình" in text

    # Running again sends nothing more.
    before = db.session.scalar(select(func.count()).select_from(CampaignReminder))
    send_due(runner, "2026-07-07T05:00:00+00:00")
    assert db.session.scalar(select(func.count()).select_from(CampaignReminder)) == before
    assert len(notifications(hoa, "campaign_overdue")) == 1
    assert len(smtp.to("head@bo.test")) == 1


def test_the_home_page_shows_a_campaign_reminder(app, db, tmp_path, runner, client):
    course = mentoring_steps.course(tmp_path)
    ministry = steps.Ministry()
    hoa = steps.official("Trần Thị Hoa", department=ministry.data, username="hoa")
    db.session.commit()
    steps.campaign(course, [ministry.data])
    send_due(runner, "2026-07-07T01:00:00+00:00")
    sign_in(client, "hoa")
    page = client.get("/").get_data(as_text=True)
    assert "Kỹ năng số bắt buộc 2026" in page
    assert 'href="/courses/kem-cap-so"' in page
    # the course's title is marked with its language inside the page's sentence
    assert f'“<span lang="{course.language}">{course.title}</span>”' in page

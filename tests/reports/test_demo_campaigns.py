"""The demo ministry's campaigns: one ahead, one past its deadline (so the dashboard shows
overdue officials), loaded once, with summaries that agree with the records."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from learning.campaigns import summaries
from learning.campaigns.models import Campaign
from tests.conftest import sign_in


def test_the_demo_has_a_current_and_an_overdue_campaign(app, runner, db):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 2
    db.session.expire_all()
    assert summaries.differences() == []

    client = app.test_client()
    assert sign_in(client, "hr", "hocso-demo").status_code == 302
    home = client.get("/hr").get_data(as_text=True)
    assert "Kỹ năng số bắt buộc năm 2026" in home  # the nearest deadline ahead comes first
    past = db.session.scalar(select(Campaign).where(Campaign.deadline < func.current_date()))
    page = client.get(f"/hr?campaign={past.id}").get_data(as_text=True)
    overdue = re.findall(r'status=overdue">(\d+)</a>', page)
    assert overdue and int(overdue[-1]) > 0
    late_or_done = re.findall(r'status=completed(?:_late)?">(\d+)</a>', page)
    assert sum(int(n) for n in late_or_done) > 0

    # HR of the consular department sees its part only.
    client = app.test_client()
    assert sign_in(client, "hr.lanhsu", "hocso-demo").status_code == 302
    page = client.get(f"/hr?campaign={past.id}").get_data(as_text=True)
    assert "Cục Lãnh sự" in page and "Phòng An ninh mạng" not in page

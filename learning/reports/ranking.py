"""The emulation ranking ("thi đua") of a campaign: the units of the HR official's scope
ranked by completion rate, then on-time rate, with the change since a week earlier, for the
review meeting (a page and a printable, signed PDF).

Units are the departments one level below the top of the scope (or a chosen level). Figures
come from the department rollup (learning.reports.rollup) and, for a week earlier, from the
campaign's completion days summed up to that day; the rates then divide by today's headcount
(who was in scope a week ago is not kept), so the change shows progress, not staff moves.
Reads only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, render_template
from flask_babel import gettext
from sqlalchemy import select

from certificates import services as certificates

from learning.accounts.audit import audit
from learning.accounts.models import Department, User, path_ids
from learning.campaigns.models import Campaign, CompletionDay
from learning.db import db
from learning.i18n import current_language
from learning.reports.rollup import RollupRow, department_rollup
from learning.text import text_sort_key

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class RankedUnit:
    """One unit's place in the ranking."""

    rank: int
    row: RollupRow
    completion_rate: float
    on_time_rate: float
    completion_rate_before: float  # a week earlier
    on_time_rate_before: float
    rank_before: int

    @property
    def completion_change(self) -> float:
        """Change of the completion rate since a week earlier (in rate units, 0..1)."""
        return self.completion_rate - self.completion_rate_before

    @property
    def rank_change(self) -> int:
        """Places gained since a week earlier (negative: places lost)."""
        return self.rank_before - self.rank


@dataclass(frozen=True)
class Ranking:
    """A campaign's ranking on a day, for the actor's scope."""

    campaign: Campaign
    today: date
    week_before: date
    depth: int
    depths: list[int]
    units: list[RankedUnit]


def _places(keys: list[tuple]) -> list[int]:
    """Return competition ranks (1, 2, 2, 4) for keys sorted best first."""
    places, previous = [], None
    for index, key in enumerate(keys):
        places.append(places[-1] if key == previous else index + 1)
        previous = key
    return places


def campaign_ranking(actor: User | None, campaign: Campaign, *, today: date,
                     depth: int | None = None) -> Ranking:
    """Rank the units of the actor's scope on a campaign (see the module docstring)."""
    rows = department_rollup(actor, campaign=campaign, today=today, only_counted=True)
    depths = sorted({row.depth for row in rows})
    if depth is None or depth not in depths:
        depth = 1 if 1 in depths else (depths[0] if depths else 0)
    units = [row for row in rows if row.depth == depth]
    week_before = today - WEEK
    done_before, on_time_before = _completions_until(campaign, units, week_before)

    def key_now(row: RollupRow) -> tuple:
        return (-round(row.completion_rate, 9), -round(row.on_time_rate, 9))

    def rates_before(row: RollupRow) -> tuple[float, float]:
        people = row.people or 1
        return (done_before.get(row.department_id, 0) / people,
                on_time_before.get(row.department_id, 0) / people)

    def key_before(row: RollupRow) -> tuple:
        completion, on_time = rates_before(row)
        return (-round(completion, 9), -round(on_time, 9))

    by_name = {row.department_id: text_sort_key(row.name) for row in units}
    ordered_before = sorted(units, key=lambda r: (key_before(r), by_name[r.department_id]))
    place_before = dict(zip([r.department_id for r in ordered_before],
                            _places([key_before(r) for r in ordered_before]), strict=True))
    ordered = sorted(units, key=lambda r: (key_now(r), by_name[r.department_id]))
    places = _places([key_now(r) for r in ordered])
    ranked = []
    for place, row in zip(places, ordered, strict=True):
        completion_before, on_time_before_rate = rates_before(row)
        ranked.append(RankedUnit(
            rank=place, row=row, completion_rate=row.completion_rate,
            on_time_rate=row.on_time_rate, completion_rate_before=completion_before,
            on_time_rate_before=on_time_before_rate,
            rank_before=place_before[row.department_id]))
    return Ranking(campaign=campaign, today=today, week_before=week_before, depth=depth,
                   depths=depths, units=ranked)


def _completions_until(campaign: Campaign, units: list[RollupRow],
                       day: date) -> tuple[dict[int, int], dict[int, int]]:
    """Return, per unit, the members who had completed by `day`, and those of them who had
    completed by the deadline too (one statement over the campaign's completion days)."""
    if not units:
        return {}, {}
    unit_ids = {row.department_id for row in units}
    on_time_day = min(day, campaign.deadline)
    rows = db.session.execute(
        select(Department.path, CompletionDay.day, CompletionDay.completed)
        .join(Department, Department.id == CompletionDay.department_id)
        .where(CompletionDay.campaign_id == campaign.id, CompletionDay.day <= day)).all()
    done: dict[int, int] = {}
    on_time: dict[int, int] = {}
    for path, completed_day, count in rows:
        unit = next((i for i in path_ids(path) if i in unit_ids), None)
        if unit is None:
            continue
        done[unit] = done.get(unit, 0) + count
        if completed_day <= on_time_day:
            on_time[unit] = on_time.get(unit, 0) + count
    return done, on_time


def export_pdf(actor: User | None, ranking: Ranking, *, now) -> bytes:
    """Return the ranking as a signed A4 PDF for the review meeting, and record the export in
    the audit log; the caller commits."""
    texts = [ranking.campaign.title, ranking.campaign.course.title,
             *[unit.row.name for unit in ranking.units]]
    html = render_template("ranking/ranking_pdf.html", ranking=ranking, generated_at=now,
                           needs_korean=certificates.needs_korean(texts),
                           national_form=current_language() == "vi",
                           ministry=current_app.config["MINISTRY_NAME"])
    reason = gettext("Emulation ranking: %(campaign)s", campaign=ranking.campaign.title)
    data = certificates.sign_document(certificates.write_pdf(html), reason=reason,
                                      name=current_app.config["MINISTRY_NAME"], now=now)
    audit(actor, "export", "ranking", now=now, format="pdf", campaign=ranking.campaign.id,
          depth=ranking.depth, rows=len(ranking.units))
    return data

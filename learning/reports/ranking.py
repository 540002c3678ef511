"""The emulation ranking ("thi đua") of a campaign: the units of the HR official's scope
ranked by completion rate, then on-time rate, with the change since a week earlier, for the
review meeting (a page and a printable, signed PDF).

Units are the departments one level below the top of the scope (or a chosen level). Today's
figures come from the department rollup (learning.reports.rollup). A week earlier's count the
officials in scope at the end of that ministry calendar day, how many of them had completed
by then, and how many by the deadline too: today's figures taken back by the campaign's member
rows that changed since (`campaign_members` keep when each official joined and left the
campaign's scope, and when they completed), read in one statement grouped by department.
Numerator and denominator describe the same people, so an official who left since still
counts then, and one who joined since does not. A unit nobody in the campaign belonged to a
week earlier has no rate then: it is "new", and the places a week earlier rank only the units
that had members then.

Not kept: the department an official was in a week earlier (a member who moved counts in
their department of today, or of the day they left), and an earlier stay of an official who
left and came back (only the latest joining counts). Reads only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, render_template
from flask_babel import gettext
from sqlalchemy import case, func, literal, select, union_all

from certificates import services as certificates

from learning import clock
from learning.accounts.audit import audit
from learning.accounts.models import Department, User, path_ids
from learning.accounts.scope import hr_scope, in_scope_department_condition
from learning.campaigns.models import Campaign, CampaignMember
from learning.db import db, plan_for_values
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
    people_before: int  # members in scope a week earlier
    # A week earlier; None when nobody in the unit was in the campaign then (a "new" unit).
    completion_rate_before: float | None
    on_time_rate_before: float | None
    rank_before: int | None

    @property
    def is_new(self) -> bool:
        """Tell whether nobody in the unit was in the campaign a week earlier."""
        return self.completion_rate_before is None

    @property
    def completion_change(self) -> float | None:
        """Change of the completion rate since a week earlier (in rate units, 0..1)."""
        if self.completion_rate_before is None:
            return None
        return self.completion_rate - self.completion_rate_before

    @property
    def rank_change(self) -> int | None:
        """Places gained since a week earlier (negative: places lost)."""
        if self.rank_before is None:
            return None
        return self.rank_before - self.rank


@dataclass(frozen=True)
class Standing:
    """A unit's members in scope on a past day, and how many of them had completed by then
    (and by the deadline)."""

    people: int = 0
    completed: int = 0
    on_time: int = 0


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
    plan_for_values(db.session)  # ranges of join, leave and completion times (learning.db)
    rows = department_rollup(actor, campaign=campaign, today=today, only_counted=True)
    depths = sorted({row.depth for row in rows})
    if depth is None or depth not in depths:
        depth = 1 if 1 in depths else (depths[0] if depths else 0)
    units = [row for row in rows if row.depth == depth]
    week_before = today - WEEK
    before = standings_on(actor, campaign, units, week_before)

    def key_now(row: RollupRow) -> tuple:
        return (-round(row.completion_rate, 9), -round(row.on_time_rate, 9))

    def rates_before(row: RollupRow) -> tuple[float, float] | None:
        standing = before.get(row.department_id)
        if standing is None or not standing.people:
            return None
        return (standing.completed / standing.people, standing.on_time / standing.people)

    def key_before(row: RollupRow) -> tuple:
        completion, on_time = rates_before(row)
        return (-round(completion, 9), -round(on_time, 9))

    by_name = {row.department_id: text_sort_key(row.name) for row in units}
    # A week earlier, only the units that had members then take places.
    ordered_before = sorted((r for r in units if rates_before(r) is not None),
                            key=lambda r: (key_before(r), by_name[r.department_id]))
    place_before = dict(zip([r.department_id for r in ordered_before],
                            _places([key_before(r) for r in ordered_before]), strict=True))
    ordered = sorted(units, key=lambda r: (key_now(r), by_name[r.department_id]))
    places = _places([key_now(r) for r in ordered])
    ranked = []
    for place, row in zip(places, ordered, strict=True):
        rates = rates_before(row)
        ranked.append(RankedUnit(
            rank=place, row=row, completion_rate=row.completion_rate,
            on_time_rate=row.on_time_rate,
            people_before=before.get(row.department_id, Standing()).people,
            completion_rate_before=rates[0] if rates else None,
            on_time_rate_before=rates[1] if rates else None,
            rank_before=place_before.get(row.department_id)))
    return Ranking(campaign=campaign, today=today, week_before=week_before, depth=depth,
                   depths=depths, units=ranked)


def standings_on(actor: User | None, campaign: Campaign, units: list[RollupRow],
                 day: date) -> dict[int, Standing]:
    """Return, per unit, the campaign's members in scope at the end of the ministry calendar
    day `day`, those of them who had completed by then, and those who had completed by
    min(day, deadline); units nobody was in then are left out.

    Today's figures of `units` (the rollup of the summaries: current members, completed on
    time and late) are taken back to that day by the member rows that differ, in three
    disjoint groups read off their own indexes: current members who joined since (they did
    not count then), members who left since but had joined by then (they counted then), and
    current members who had joined by then but completed since (not completed then). So a
    week earlier costs what a week of changes costs, not a read of every member row."""
    if not units:
        return {}
    member = CampaignMember
    end = clock.day_end(day)  # the first moment after `day` on the ministry's calendar
    first_joined = db.session.execute(
        select(func.min(member.joined_at)).where(member.campaign_id == campaign.id)).scalar()
    if first_joined is None or first_joined >= end:  # nobody was in the campaign then
        return {}
    on_time_end = clock.day_end(min(day, campaign.deadline))
    deadline_end = clock.day_end(campaign.deadline)  # what the summaries call on time

    def counted(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    def group(people, completed, on_time, *conditions):
        where = [member.campaign_id == campaign.id, *conditions]
        if isinstance(scope, Department):  # HR of a subtree: only its departments' members
            where.append(in_scope_department_condition(scope, member.department_id))
        return (select(member.department_id.label("department_id"), people.label("people"),
                       completed.label("completed"), on_time.label("on_time"))
                .where(*where).group_by(member.department_id))

    scope = hr_scope(actor)
    current = member.left_at.is_(None)
    changes = union_all(
        group(-func.count(), -counted(member.completed_at.is_not(None)),
              -counted(member.completed_at < deadline_end),
              current, member.joined_at >= end),
        group(func.count(), counted(member.completed_at < end),
              counted(member.completed_at < on_time_end),
              member.left_at >= end, member.joined_at < end),
        group(literal(0), -func.count(), -counted(member.completed_at < deadline_end),
              member.completed_at >= end, current, member.joined_at < end),
    ).subquery()
    rows = db.session.execute(
        select(Department.path, changes.c.people, changes.c.completed, changes.c.on_time)
        .join(changes, changes.c.department_id == Department.id)).all()
    unit_ids = {row.department_id for row in units}
    sums = {row.department_id: [row.people, row.completed + row.completed_late, row.completed]
            for row in units}
    for path, people, completed, on_time in rows:
        unit = next((i for i in path_ids(path) if i in unit_ids), None)
        if unit is None:  # outside the ranked units (or above them)
            continue
        bucket = sums[unit]
        bucket[0] += people
        bucket[1] += completed
        bucket[2] += on_time
    return {unit: Standing(*figures) for unit, figures in sums.items() if figures[0] > 0}


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

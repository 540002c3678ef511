"""Reads behind HR's dashboard and campaign pages: which campaign to show first, each listed
campaign's figures within the reader's scope, completions over time and the chart drawn from
them. Everything comes from the summaries (one statement each, whatever the number of
campaigns or departments); nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from babel.dates import format_skeleton
from flask import current_app
from sqlalchemy import func, select

from courses.models import Course
from learning.accounts.models import Department, User, path_ids
from learning.accounts.scope import hr_scope, in_scope_department_condition
from learning.accounts.services import short_department_path
from learning.campaigns.models import Campaign, CompletionDay, DepartmentSummary
from learning.clock import ministry_day
from learning.db import db

PEOPLE_PATH = "/hr/people"


def people_link(*, campaign: Campaign | None = None, course: Course | None = None,
                department_id: int | None = None, status: str | None = None) -> str:
    """Return the people list's address for a figure (built as a literal path: the people
    pages belong to another blueprint)."""
    params: list[tuple[str, str | int]] = []
    if campaign is not None:
        params.append(("campaign", campaign.id))
    if course is not None:
        params.append(("course", course.id))
    if department_id is not None:
        params.append(("department", department_id))
    if status:
        params.append(("status", status))
    return PEOPLE_PATH + "?" + urlencode(params)


def default_campaign(campaigns: list[Campaign], today: date) -> Campaign | None:
    """Pick the campaign a dashboard opens on: the nearest deadline still ahead (or today),
    else the most recently passed one."""
    ahead = [c for c in campaigns if c.deadline >= today]
    if ahead:
        return min(ahead, key=lambda c: (c.deadline, c.id))
    return max(campaigns, key=lambda c: (c.deadline, c.id)) if campaigns else None


def published_courses() -> list[Course]:
    """Return the published courses, by title."""
    return list(db.session.scalars(select(Course).where(Course.is_published.is_(True))
                                   .order_by(Course.title, Course.id)))


def _scope_filter(query, actor: User | None, department_column):
    """Keep only the rows whose department lies within the actor's HR scope."""
    scope = hr_scope(actor)
    if scope is None:
        return query
    return query.where(in_scope_department_condition(scope, department_column))


@dataclass(frozen=True)
class CampaignFigures:
    """A campaign's figures within the reader's scope."""

    people: int
    done: int
    overdue: int

    @property
    def completion_rate(self) -> float:
        """Return the share who completed (on time or late), 0..1."""
        return self.done / self.people if self.people else 0.0


def campaign_figures(actor: User | None, campaigns: list[Campaign],
                     today: date) -> dict[int, CampaignFigures]:
    """Return each campaign's people, completions and overdue within the actor's scope, in
    one statement."""
    ids = [c.id for c in campaigns]
    if not ids:
        return {}
    query = select(
        DepartmentSummary.ref_id, func.sum(DepartmentSummary.people),
        func.sum(DepartmentSummary.completed + DepartmentSummary.completed_late),
    ).where(DepartmentSummary.kind == "campaign", DepartmentSummary.ref_id.in_(ids)
            ).group_by(DepartmentSummary.ref_id)
    query = _scope_filter(query, actor, DepartmentSummary.department_id)
    sums = {ref_id: (int(people or 0), int(done or 0))
            for ref_id, people, done in db.session.execute(query)}
    figures = {}
    for campaign in campaigns:
        people, done = sums.get(campaign.id, (0, 0))
        overdue = people - done if today > campaign.deadline else 0
        figures[campaign.id] = CampaignFigures(people, done, overdue)
    return figures


def short_paths(departments) -> dict[int, str]:
    """Return each department's readable path without the ministry's name, their ancestors
    loaded in one statement."""
    ids = {i for d in departments for i in path_ids(d.path)}
    if not ids:
        return {}
    by_id = {d.id: d for d in db.session.scalars(select(Department).where(
        Department.id.in_(ids)))}
    ministry = current_app.config["MINISTRY_NAME"]
    return {d.id: short_department_path(d, ministry, by_id) for d in departments}


def completions_by_day(actor: User | None, campaign: Campaign) -> list[tuple[date, int]]:
    """Return (day, completions that day) for the campaign's members in the actor's scope."""
    query = select(CompletionDay.day, func.sum(CompletionDay.completed)).where(
        CompletionDay.campaign_id == campaign.id).group_by(CompletionDay.day)
    query = _scope_filter(query, actor, CompletionDay.department_id)
    rows = [(day, int(count or 0)) for day, count in db.session.execute(query)]
    return sorted((day, count) for day, count in rows if count)


# --- the chart -------------------------------------------------------------------------------

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 24, 20, 44


@dataclass(frozen=True)
class Tick:
    """An axis label at a position."""

    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    """What the SVG needs, already in pixels; `table` is the data-table alternative."""

    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    step_path: str
    target_y: float
    deadline_x: float
    deadline_label: str
    today_x: float | None
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    start: date
    end: date
    target: int
    completed: int
    table: list[tuple[date, int, int]]


def _day_label(day: date, language: str) -> str:
    """A day without its year, the way the page's language writes it: 24/12, 12/24, 12. 24."""
    if language == "vi":
        return day.strftime("%d/%m")
    return format_skeleton("Md", day, locale=language)


def build_chart(days: list[tuple[date, int]], *, start: date, deadline: date, today: date,
                target: int, language: str = "vi") -> Chart:
    """Lay out cumulative completions per day as a step line against the deadline (a vertical
    line) and the target (a horizontal line). Pure: no database, no request."""
    first = min([start, *(day for day, _ in days)])
    end = max([deadline, today, *(day for day, _ in days)])
    if end <= first:
        end = first + timedelta(days=1)
    span = (end - first).days
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    cumulative, table = 0, []
    for day, count in days:
        cumulative += count
        table.append((day, count, cumulative))
    top_value = max(target, cumulative, 1)

    def x(day: date) -> float:
        return round(LEFT + (right - LEFT) * (day - first).days / span, 1)

    def y(value: float) -> float:
        return round(bottom - (bottom - TOP) * value / top_value, 1)

    parts = [f"M{x(first)} {y(0)}"]
    for day, _, running in table:
        parts.append(f"H{x(day)} V{y(running)}")
    parts.append(f"H{x(min(today, end)) if today >= first else x(first)}")

    # Five evenly spaced dates; the deadline is labelled on its own line.
    ticks = sorted({first + timedelta(days=round(span * i / 4)) for i in range(5)})
    x_ticks = [Tick(x(day), _day_label(day, language)) for day in ticks]
    values = sorted({0, top_value // 2, top_value} if top_value > 1 else {0, 1})
    y_ticks = [Tick(y(value), str(value)) for value in values]
    return Chart(width=WIDTH, height=HEIGHT, left=LEFT, right=right, top=TOP, bottom=bottom,
                 step_path=" ".join(parts), target_y=y(target), deadline_x=x(deadline),
                 deadline_label=_day_label(deadline, language),
                 today_x=x(today) if first <= today <= end else None, x_ticks=x_ticks,
                 y_ticks=y_ticks, start=first, end=end, target=target, completed=cumulative,
                 table=table)


def campaign_chart(actor: User | None, campaign: Campaign, *, today: date,
                   target: int, language: str = "vi") -> Chart:
    """Return the completions-over-time chart of a campaign within the actor's scope."""
    return build_chart(completions_by_day(actor, campaign),
                       start=ministry_day(campaign.created_at), deadline=campaign.deadline,
                       today=today, target=target, language=language)

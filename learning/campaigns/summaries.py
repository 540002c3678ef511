"""The summaries behind HR's figures, kept current in the same transaction as each progress
write, and rebuilt from the raw records on demand.

`sync(user_id, course_id)` is the one write path: it reads the enrolment (locking it, so the
writes of one official's course run one after another), derives the standing, and when the
standing, department or score changed it moves the official's count from the old cells of
`department_summaries` to the new ones with increments (`x = x + 1`), which concurrent
writers of other officials can apply in any order. `rebuild()` recomputes every summary with
set-based SQL; `differences()` compares the stored summaries with a fresh computation, which
is how the tests (and `flask reports rebuild-summaries --check`) prove that the two agree.

Standing of an enrolment: completed (completed_at set), in progress (opened a lesson, did a
lesson or an attempt), not started. In a campaign a completion after the deadline, on the
ministry's calendar day, is completed late; "overdue" (not completed after the deadline) is
derived when read, since it changes with the date and not with a write. The score is the one
on the completion's certificate (the final test's counted score), the same the PDF shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, delete, func, literal, or_, select, text, update

from certificates.models import Certificate
from courses.models import Enrolment
from learning.accounts.models import User
from learning.campaigns.models import (
    COMPLETED,
    COMPLETED_LATE,
    IN_PROGRESS,
    NO_DEPARTMENT,
    NOT_STARTED,
    Campaign,
    CampaignMember,
    CompletionDay,
    DepartmentSummary,
    EnrolmentSummary,
)
from learning.clock import day_end, ministry_day, ministry_zone
from learning.db import COUNT_ROWS, db, insert_for, note_bulk_write

COUNTED = ("people", "not_started", "in_progress", "completed", "completed_late",
           "score_sum", "score_count")


def enrolment_state(enrolment: Enrolment) -> str:
    """Return the standing of an enrolment: not_started, in_progress or completed."""
    if enrolment.completed_at is not None:
        return COMPLETED
    if (enrolment.started_at is not None or enrolment.lessons_done
            or enrolment.percent_complete):
        return IN_PROGRESS
    return NOT_STARTED


def member_state(state: str, completed_at: datetime | None, deadline: date,
                 zone: ZoneInfo) -> str:
    """Return a campaign member's stored state: a completion after the deadline is late."""
    if state == COMPLETED and ministry_day(completed_at, zone) > deadline:
        return COMPLETED_LATE
    return state


def _contribution(state: str, score: float | None, sign: int) -> dict[str, float]:
    counts = {"people": sign, state: sign}
    if state in (COMPLETED, COMPLETED_LATE) and score is not None:
        counts.update(score_sum=sign * score, score_count=sign)
    return counts


def _bump(kind: str, ref_id: int, department_id: int, deltas: dict[str, float]) -> None:
    """Add `deltas` to one cell of department_summaries (created at zero when missing)."""
    values = {name: deltas.get(name, 0) for name in COUNTED}
    statement = insert_for(db.session, DepartmentSummary).values(
        kind=kind, ref_id=ref_id, department_id=department_id, **values)
    statement = statement.on_conflict_do_update(
        index_elements=["kind", "ref_id", "department_id"],
        set_={name: getattr(DepartmentSummary, name) + statement.excluded[name]
              for name in COUNTED if deltas.get(name)})
    db.session.execute(statement)


def _move(kind: str, ref_id: int, old: tuple | None, new: tuple | None) -> None:
    """Move one official's count from the `old` (department, state, score) cell to `new`."""
    if old == new:
        return
    merged: dict[tuple[int], dict[str, float]] = {}
    for cell, sign in ((old, -1), (new, 1)):
        if cell is None:
            continue
        department_id, state, score = cell
        bucket = merged.setdefault(department_id, {})
        for name, value in _contribution(state, score, sign).items():
            bucket[name] = bucket.get(name, 0) + value
    for department_id in sorted(merged):  # one order for every writer: no deadlocks
        deltas = {k: v for k, v in merged[department_id].items() if v}
        if deltas:
            _bump(kind, ref_id, department_id, deltas)


def _bump_day(campaign_id: int, department_id: int, day: date, delta: int) -> None:
    statement = insert_for(db.session, CompletionDay).values(
        campaign_id=campaign_id, department_id=department_id, day=day, completed=delta)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["campaign_id", "department_id", "day"],
        set_={"completed": CompletionDay.completed + statement.excluded.completed}))


def _certificate_score(enrolment: Enrolment) -> float | None:
    return db.session.scalar(
        select(Certificate.score).where(
            Certificate.user_id == enrolment.user_id,
            Certificate.course_id == enrolment.course_id,
            Certificate.cycle == enrolment.cycle)
        .order_by(Certificate.id).limit(1))


def sync(user_id: int, course_id: int) -> None:
    """Bring one official's summaries for one course up to date with their enrolment."""
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.user_id == user_id, Enrolment.course_id == course_id)
        .with_for_update().execution_options(populate_existing=True))
    if enrolment is None:
        return
    department_id = db.session.scalar(
        select(User.department_id).where(User.id == user_id)) or NO_DEPARTMENT
    state = enrolment_state(enrolment)
    score = _certificate_score(enrolment) if state == COMPLETED else None
    completed_at = enrolment.completed_at

    summary = db.session.get(EnrolmentSummary, enrolment.id, populate_existing=True)
    new = (department_id, state, score)
    if summary is None:
        db.session.add(EnrolmentSummary(
            enrolment_id=enrolment.id, user_id=user_id, course_id=course_id,
            department_id=department_id, state=state, completed_at=completed_at, score=score))
        _move("course", course_id, None, new)
    else:
        old = (summary.department_id, summary.state, summary.score)
        if old != new or summary.completed_at != completed_at:
            _move("course", course_id, old, new)
            summary.department_id, summary.state, summary.score = new
            summary.completed_at = completed_at

    zone = ministry_zone()
    members = db.session.execute(
        select(CampaignMember, Campaign.deadline)
        .join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .where(CampaignMember.user_id == user_id, Campaign.course_id == course_id,
               CampaignMember.left_at.is_(None))
        .order_by(CampaignMember.campaign_id)
        .execution_options(populate_existing=True)).all()
    for member, deadline in members:
        _sync_member(member, deadline, state, completed_at, score, department_id, zone)
    db.session.flush()


def _sync_member(member: CampaignMember, deadline: date, state: str,
                 completed_at: datetime | None, score: float | None, department_id: int,
                 zone: ZoneInfo) -> None:
    """Update one campaign member's row and the campaign's counts from the enrolment."""
    new_state = member_state(state, completed_at, deadline, zone)
    old = (member.department_id, member.state, member.score)
    new = (department_id, new_state, score)
    if old == new and member.completed_at == completed_at:
        return
    _move("campaign", member.campaign_id, old, new)
    if member.completed_at is not None:
        _bump_day(member.campaign_id, member.department_id,
                  ministry_day(member.completed_at, zone), -1)
    if completed_at is not None:
        _bump_day(member.campaign_id, department_id, ministry_day(completed_at, zone), 1)
    member.department_id, member.state, member.score = new
    member.completed_at = completed_at


def join(campaign_id: int, user_id: int, *, now: datetime) -> bool:
    """Add one official to a campaign's members (idempotent; a member who had left comes
    back) and count them; return True when they were not a current member."""
    member = db.session.scalar(select(CampaignMember).where(
        CampaignMember.campaign_id == campaign_id, CampaignMember.user_id == user_id))
    if member is not None and member.left_at is None:
        return False
    sort_name = db.session.scalar(select(User.sort_name).where(User.id == user_id)) or b""
    if member is None:
        statement = insert_for(db.session, CampaignMember).values(
            campaign_id=campaign_id, user_id=user_id, department_id=NO_DEPARTMENT,
            state=NOT_STARTED, sort_name=sort_name, joined_at=now, left_at=None,
        ).on_conflict_do_nothing(index_elements=["campaign_id", "user_id"]).returning(
            CampaignMember.id)
        # RETURNING, not rowcount: psycopg reports no reliable rowcount for this statement.
        if db.session.execute(statement).scalar() is None:
            return False  # a parallel request added them
        member = db.session.scalar(select(CampaignMember).where(
            CampaignMember.campaign_id == campaign_id, CampaignMember.user_id == user_id))
    else:
        member.left_at = None
        member.joined_at = now
        member.sort_name = sort_name
    # Counted from nothing: a fresh (department, state) that sync() then moves.
    member.state, member.score, member.completed_at = NOT_STARTED, None, None
    member.department_id = db.session.scalar(
        select(User.department_id).where(User.id == user_id)) or NO_DEPARTMENT
    db.session.flush()
    _move("campaign", campaign_id, None, (member.department_id, NOT_STARTED, None))
    course_id = db.session.scalar(select(Campaign.course_id).where(Campaign.id == campaign_id))
    sync(user_id, course_id)
    return True


def leave(campaign_id: int, user_id: int, *, now: datetime) -> bool:
    """Take one official out of a campaign's figures (their records stay); True if they were
    a current member."""
    member = db.session.scalar(select(CampaignMember).where(
        CampaignMember.campaign_id == campaign_id, CampaignMember.user_id == user_id,
        CampaignMember.left_at.is_(None)).with_for_update())
    if member is None:
        return False
    _move("campaign", campaign_id, (member.department_id, member.state, member.score), None)
    if member.completed_at is not None:
        _bump_day(campaign_id, member.department_id, ministry_day(member.completed_at), -1)
    member.left_at = now
    db.session.flush()
    return True


# --- rebuilding and checking ------------------------------------------------------------------

@dataclass(frozen=True)
class Difference:
    """One summary row that disagrees with the raw records."""

    table: str
    key: tuple
    stored: tuple | None
    computed: tuple | None


def _state_sql():
    return case(
        (Enrolment.completed_at.is_not(None), literal(COMPLETED)),
        (or_(Enrolment.started_at.is_not(None), Enrolment.lessons_done > 0,
             Enrolment.percent_complete > 0), literal(IN_PROGRESS)),
        else_=literal(NOT_STARTED))


def _score_sql():
    return (select(Certificate.score).where(
        Certificate.user_id == Enrolment.user_id, Certificate.course_id == Enrolment.course_id,
        Certificate.cycle == Enrolment.cycle)
        .order_by(Certificate.id).limit(1).scalar_subquery())


def computed_enrolments():
    """Yield (enrolment_id, user_id, course_id, department_id, state, completed_at, score)
    computed from the raw records."""
    state = _state_sql()
    return db.session.execute(
        select(Enrolment.id, Enrolment.user_id, Enrolment.course_id,
               func.coalesce(User.department_id, NO_DEPARTMENT), state, Enrolment.completed_at,
               case((Enrolment.completed_at.is_not(None), _score_sql()), else_=None))
        .join(User, User.id == Enrolment.user_id)
        .order_by(Enrolment.id)).yield_per(5000)


def computed_members(zone: ZoneInfo):
    """Yield (member_id, department_id, state, completed_at, score) for every current campaign
    member, computed from the raw records."""
    rows = db.session.execute(
        select(CampaignMember.id, func.coalesce(User.department_id, NO_DEPARTMENT),
               _state_sql(), Enrolment.completed_at,
               case((Enrolment.completed_at.is_not(None), _score_sql()), else_=None),
               Campaign.deadline)
        .join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .join(User, User.id == CampaignMember.user_id)
        .outerjoin(Enrolment, and_(Enrolment.user_id == CampaignMember.user_id,
                                   Enrolment.course_id == Campaign.course_id))
        .where(CampaignMember.left_at.is_(None))
        .order_by(CampaignMember.id)).yield_per(5000)
    for member_id, department_id, state, completed_at, score, deadline in rows:
        if completed_at is None:
            score = None
            if state == COMPLETED:  # no enrolment row at all
                state = NOT_STARTED
        yield (member_id, department_id, member_state(state, completed_at, deadline, zone),
               completed_at, score)


def _department_totals(kind: str, rows) -> dict[tuple, dict[str, float]]:
    totals: dict[tuple, dict[str, float]] = {}
    for ref_id, department_id, state, score in rows:
        bucket = totals.setdefault((kind, ref_id, department_id), dict.fromkeys(COUNTED, 0))
        for name, value in _contribution(state, score, 1).items():
            bucket[name] += value
    return totals


def _expected(zone: ZoneInfo):
    """Return the summaries as the raw records give them (dicts keyed like the tables)."""
    enrolments = {row[0]: tuple(row[1:]) for row in computed_enrolments()}
    members = {row[0]: tuple(row[1:]) for row in computed_members(zone)}
    campaign_of = dict(db.session.execute(select(CampaignMember.id, CampaignMember.campaign_id)
                                          .where(CampaignMember.left_at.is_(None))).all())
    totals = _department_totals("course", (
        (course_id, department_id, state, score)
        for _, course_id, department_id, state, _, score in enrolments.values()))
    totals.update(_department_totals("campaign", (
        (campaign_of[member_id], department_id, state, score)
        for member_id, (department_id, state, _, score) in members.items())))
    days: dict[tuple, int] = {}
    for member_id, (department_id, _, completed_at, _) in members.items():
        if completed_at is not None:
            key = (campaign_of[member_id], department_id, ministry_day(completed_at, zone))
            days[key] = days.get(key, 0) + 1
    return enrolments, members, totals, days


def _rounded(values: dict[str, float]) -> tuple:
    return tuple(round(values[name], 6) for name in COUNTED)


def differences(limit: int = 50) -> list[Difference]:
    """Compare the stored summaries with the raw records; return up to `limit` differences."""
    zone = ministry_zone()
    enrolments, members, totals, days = _expected(zone)
    found: list[Difference] = []

    def note(table, key, stored, computed):
        if stored != computed and len(found) < limit:
            found.append(Difference(table, key, stored, computed))

    # Every datetime column reads back aware in UTC (learning.db.UTCDateTime): compared as is.
    stored = {row[0]: tuple(row[1:]) for row in
              db.session.execute(select(
                  EnrolmentSummary.enrolment_id, EnrolmentSummary.user_id,
                  EnrolmentSummary.course_id, EnrolmentSummary.department_id,
                  EnrolmentSummary.state, EnrolmentSummary.completed_at,
                  EnrolmentSummary.score))}
    for key in stored.keys() | enrolments.keys():
        note("enrolment_summaries", (key,), stored.get(key), enrolments.get(key))
    stored = {row[0]: tuple(row[1:]) for row in db.session.execute(
        select(CampaignMember.id, CampaignMember.department_id, CampaignMember.state,
               CampaignMember.completed_at, CampaignMember.score)
        .where(CampaignMember.left_at.is_(None)))}
    for key in stored.keys() | members.keys():
        note("campaign_members", (key,), stored.get(key), members.get(key))
    stored = {(row.kind, row.ref_id, row.department_id): _rounded(
        {name: getattr(row, name) for name in COUNTED})
        for row in db.session.scalars(select(DepartmentSummary))}
    computed = {key: _rounded(value) for key, value in totals.items()}
    empty = _rounded(dict.fromkeys(COUNTED, 0))
    for key in stored.keys() | computed.keys():
        note("department_summaries", key, stored.get(key, empty), computed.get(key, empty))
    stored = {(row.campaign_id, row.department_id, row.day): row.completed
              for row in db.session.scalars(select(CompletionDay))}
    for key in stored.keys() | days.keys():
        note("completion_days", key, stored.get(key, 0), days.get(key, 0))
    return found


def _lock_summaries() -> None:
    """On PostgreSQL, hold off concurrent progress writes' increments while cells are
    recounted (SQLite runs one writer at a time anyway)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(
            "LOCK TABLE enrolment_summaries, department_summaries, completion_days, "
            "campaign_members IN SHARE ROW EXCLUSIVE MODE"))


def _count_columns(model):
    state = model.state
    completed = state.in_((COMPLETED, COMPLETED_LATE))
    return (
        func.count(),
        func.sum(case((state == NOT_STARTED, 1), else_=0)),
        func.sum(case((state == IN_PROGRESS, 1), else_=0)),
        func.sum(case((state == COMPLETED, 1), else_=0)),
        func.sum(case((state == COMPLETED_LATE, 1), else_=0)),
        func.coalesce(func.sum(case((completed, model.score), else_=None)), 0.0),
        func.sum(case((and_(completed, model.score.is_not(None)), 1), else_=0)),
    )


def rebuild_course(course_id: int) -> None:
    """Recount one course's enrolment summaries and department cells from the raw records."""
    _lock_summaries()
    db.session.execute(delete(EnrolmentSummary).where(EnrolmentSummary.course_id == course_id))
    db.session.execute(delete(DepartmentSummary).where(
        DepartmentSummary.kind == "course", DepartmentSummary.ref_id == course_id))
    counted = db.session.execute(EnrolmentSummary.__table__.insert().from_select(
        ["enrolment_id", "user_id", "course_id", "department_id", "state", "completed_at",
         "score"],
        select(Enrolment.id, Enrolment.user_id, Enrolment.course_id,
               func.coalesce(User.department_id, NO_DEPARTMENT), _state_sql(),
               Enrolment.completed_at,
               case((Enrolment.completed_at.is_not(None), _score_sql()), else_=None))
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.course_id == course_id)), execution_options=COUNT_ROWS).rowcount
    note_bulk_write(db.session, (EnrolmentSummary.__tablename__,), counted)
    db.session.execute(DepartmentSummary.__table__.insert().from_select(
        ["kind", "ref_id", "department_id", *COUNTED],
        select(literal("course"), literal(course_id), EnrolmentSummary.department_id,
               *_count_columns(EnrolmentSummary))
        .where(EnrolmentSummary.course_id == course_id)
        .group_by(EnrolmentSummary.department_id)))
    db.session.expire_all()


def rebuild_campaign(campaign: Campaign, zone: ZoneInfo | None = None) -> None:
    """Recount one campaign's member rows, department cells and completion days from the
    enrolment summaries (rebuild its course's first when those may be stale)."""
    zone = zone or ministry_zone()
    _lock_summaries()
    summary = select(EnrolmentSummary).where(
        EnrolmentSummary.user_id == CampaignMember.user_id,
        EnrolmentSummary.course_id == campaign.course_id).correlate(CampaignMember)
    completed_at = summary.with_only_columns(EnrolmentSummary.completed_at).scalar_subquery()
    state = summary.with_only_columns(EnrolmentSummary.state).scalar_subquery()
    late = day_end(campaign.deadline, zone)
    db.session.execute(
        update(CampaignMember)
        .where(CampaignMember.campaign_id == campaign.id, CampaignMember.left_at.is_(None))
        .values(
            department_id=func.coalesce(select(User.department_id).where(
                User.id == CampaignMember.user_id).scalar_subquery(), NO_DEPARTMENT),
            completed_at=completed_at,
            score=summary.with_only_columns(EnrolmentSummary.score).scalar_subquery(),
            state=case(
                (and_(state == COMPLETED, completed_at >= late), literal(COMPLETED_LATE)),
                else_=func.coalesce(state, NOT_STARTED)))
        .execution_options(synchronize_session=False))
    db.session.execute(delete(DepartmentSummary).where(
        DepartmentSummary.kind == "campaign", DepartmentSummary.ref_id == campaign.id))
    current = and_(CampaignMember.campaign_id == campaign.id, CampaignMember.left_at.is_(None))
    db.session.execute(DepartmentSummary.__table__.insert().from_select(
        ["kind", "ref_id", "department_id", *COUNTED],
        select(literal("campaign"), literal(campaign.id), CampaignMember.department_id,
               *_count_columns(CampaignMember))
        .where(current).group_by(CampaignMember.department_id)))
    db.session.execute(delete(CompletionDay).where(CompletionDay.campaign_id == campaign.id))
    days: dict[tuple[int, date], int] = {}
    for department_id, moment in db.session.execute(
            select(CampaignMember.department_id, CampaignMember.completed_at)
            .where(current, CampaignMember.completed_at.is_not(None))).yield_per(10000):
        key = (department_id, ministry_day(moment, zone))
        days[key] = days.get(key, 0) + 1
    _insert_batches(CompletionDay, (
        {"campaign_id": campaign.id, "department_id": department_id, "day": day,
         "completed": count} for (department_id, day), count in days.items()), None)
    db.session.expire_all()


def rebuild(*, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Recompute every summary from the raw records (set-based), course by course and then
    campaign by campaign; `progress(1)` is called after each. Return what was rebuilt."""
    zone = ministry_zone()
    course_ids = db.session.scalars(select(Enrolment.course_id).distinct()).all()
    _lock_summaries()
    # Cells of courses nobody is enrolled in any more.
    db.session.execute(delete(EnrolmentSummary).where(
        EnrolmentSummary.course_id.not_in(course_ids)))
    db.session.execute(delete(DepartmentSummary).where(
        DepartmentSummary.kind == "course", DepartmentSummary.ref_id.not_in(course_ids)))
    for course_id in course_ids:
        rebuild_course(course_id)
        if progress:
            progress(1)
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.id)).all()
    for campaign in campaigns:
        rebuild_campaign(campaign, zone)
        if progress:
            progress(1)
    db.session.flush()
    return {"courses": len(course_ids), "campaigns": len(campaigns)}


def _insert_batches(model, rows, progress, size: int = 5000) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            db.session.execute(model.__table__.insert(), batch)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        db.session.execute(model.__table__.insert(), batch)
        if progress:
            progress(len(batch))

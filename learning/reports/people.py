"""People lists for HR: who is behind a figure, filtered, in Vietnamese name order, a page at a
time (keyset) or streamed whole for an export.

Three shapes, one row type (`PersonRow`):
- with a campaign: the campaign's current members (`campaign_members`, `left_at IS NULL`), one
  row per official, with the five statuses (completed, completed_late, in_progress,
  not_started, overdue: not completed when the ministry's calendar day is after the deadline);
- with a course and no campaign: the course's enrolments (`enrolment_summaries`), one row per
  official, statuses completed, in_progress and not_started (a course has no deadline, so a
  filter on completed_late or overdue finds nobody);
- with neither: every enrolment of the officials in scope, one row per official and course
  (officials without any enrolment are on /hr/officials, not here).

Every row is counted in the department the summaries count it in (the figures and the list
agree). HR see their scope's subtree only, admins and ministry-wide HR everything; anyone
else gets PermissionDenied. Set-based: one statement for a page (certificate and hours come
with it), one for the total; exports stream with `yield_per`. Must not write.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import and_, case, false, func, literal, or_, select

from certificates.models import Certificate
from courses.models import Course, Enrolment
from learning.accounts.departments import department_path
from learning.accounts.models import Department, User
from learning.accounts.scope import hr_scope
from learning.campaigns import services as campaigns
from learning.campaigns.models import (
    COMPLETED,
    COMPLETED_LATE,
    IN_PROGRESS,
    NOT_STARTED,
    OVERDUE,
    STATES,
    Campaign,
    CampaignMember,
    DepartmentSummary,
    EnrolmentSummary,
)
from learning.accounts.audit import audit
from learning.clock import day_end, ministry_day, ministry_zone
from learning.db import db, plan_for_values
from learning.errors import NotFound, PermissionDenied, RuleViolation
from learning.spreadsheet import Column
from learning.text import fold

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_QUERY = 200
MAX_WORDS = 8
SORTS = ("name", "department", "status", "completed", "score")
# The days a completion filter may name (the page's date fields say the same): beyond them the
# day before or after a bound is not a date Python can hold (0001-01-01, 9999-12-31).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
BATCH = 1000
_SALT = "hocso.reports.people"
_EPOCH = datetime(1900, 1, 1, tzinfo=timezone.utc)
# Each status in words: the people list's badges and filter, and the exports' last column.
STATUS_LABELS = {
    COMPLETED: _l("Completed"),
    COMPLETED_LATE: _l("Completed late"),
    IN_PROGRESS: _l("In progress"),
    NOT_STARTED: _l("Not started"),
    OVERDUE: _l("Overdue"),
}
_STATE_RANK = {COMPLETED: 0, COMPLETED_LATE: 1, IN_PROGRESS: 2, NOT_STARTED: 3}


class BadCursor(RuleViolation):
    """The cursor was changed, cut, or belongs to another list (the API answers 400)."""


@dataclass(frozen=True)
class PeopleFilter:
    """What a people list is narrowed to (None or empty: no narrowing)."""

    department_id: int | None = None
    course_id: int | None = None
    campaign_id: int | None = None
    status: str | None = None
    date_from: date | None = None  # completion on or after this ministry day
    date_to: date | None = None  # completion on or before this ministry day
    q: str = ""
    sort: str = "name"


@dataclass(frozen=True)
class PersonRow:
    """One official (and one course) in a people list."""

    user_id: int
    username: str
    staff_number: str
    full_name: str
    department_path: str  # the full path, "Bộ .../Cục .../Phòng ..." ("" without a department)
    job_title: str
    course_title: str
    campaign_title: str
    status: str  # completed, completed_late, in_progress, not_started, overdue
    completed_at: datetime | None  # UTC
    score: float | None
    hours: float | None  # time spent, in hours, one decimal
    certificate_serial: str | None
    certificate_id: int | None = None
    department_id: int | None = None
    course_id: int | None = None
    campaign_id: int | None = None


@dataclass
class PeoplePage:
    """One page of a people list, the cursor of the next one (None on the last) and how many
    rows the whole list has."""

    rows: list[PersonRow]
    next_cursor: str | None
    total: int
    campaign: Campaign | None = None
    course: Course | None = None
    department: Department | None = field(default=None)


@dataclass
class _Query:
    """A people list as SQL: the statement (without order), its order columns and what turns a
    result row into a PersonRow."""

    statement: object
    order: list  # (column, descending, kind)
    kind: str  # "campaign" or "enrolment"
    campaign: Campaign | None
    course: Course | None
    department: Department | None
    today: date
    sort: str = "name"


# --- input -----------------------------------------------------------------------------------

def _require_hr(actor: User | None):
    scope = hr_scope(actor)
    if scope is False:
        raise PermissionDenied(_l("Only HR and administrators may see these lists."))
    return scope


def _department(scope, department_id: int | None) -> Department | None:
    if not department_id:
        return scope
    department = db.session.get(Department, department_id)
    if department is None or (scope is not None and not department.is_within(scope)):
        raise RuleViolation(_l("Choose a department from the list."), field="department")
    return department


def _campaign(actor: User | None, campaign_id: int | None) -> Campaign | None:
    if not campaign_id:
        return None
    try:
        return campaigns.get_campaign(actor, campaign_id)
    except NotFound:
        raise RuleViolation(_l("Choose a campaign from the list."), field="campaign") from None


def _course(course_id: int | None) -> Course | None:
    if not course_id:
        return None
    course = db.session.get(Course, course_id)
    if course is None:
        raise RuleViolation(_l("Choose a course from the list."), field="course")
    return course


def check_filters(filters: PeopleFilter) -> None:
    """Raise RuleViolation (on the field, named as the page's query parameter) for values no
    list can have: an unknown status or sort, a day outside 2000..2100, a reversed date range,
    a search too long."""
    if filters.status and filters.status not in STATES:
        raise RuleViolation(_l("Choose a status from the list."), field="status")
    if filters.sort not in SORTS:
        raise RuleViolation(_l("Choose a sort order from the list."), field="sort")
    for name, day in (("from", filters.date_from), ("to", filters.date_to)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise RuleViolation(_l("Enter a date between 2000 and 2100."), field=name)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise RuleViolation(_l("The end date must not be before the start date."), field="to")
    if len(filters.q or "") > MAX_QUERY:
        raise RuleViolation(_l("This is longer than %(max)d characters.", max=MAX_QUERY),
                            field="q")


# --- the SQL ---------------------------------------------------------------------------------

def _subtree(column, department: Department | None):
    if department is None:
        return None
    return column.in_(select(Department.id).where(Department.path.startswith(department.path)))


def _status_condition(state_column, status: str | None, campaign: Campaign | None,
                      today: date):
    if not status:
        return None
    if campaign is None:
        return state_column == status if status in (COMPLETED, IN_PROGRESS, NOT_STARTED) \
            else false()
    late = today > campaign.deadline
    if status in (COMPLETED, COMPLETED_LATE):
        return state_column == status
    if status == OVERDUE:
        return state_column.in_((NOT_STARTED, IN_PROGRESS)) if late else false()
    return false() if late else state_column == status


def _date_conditions(column, date_from: date | None, date_to: date | None) -> list:
    zone = ministry_zone()
    conditions = []
    if date_from:
        conditions.append(column >= day_end(date_from - timedelta(days=1), zone))
    if date_to:
        conditions.append(column < day_end(date_to, zone))
    return conditions


def _search_conditions(q: str, user_id) -> list:
    words = fold(q).split()[:MAX_WORDS]
    if not words:
        return []
    # The matching officials first, as a set the list's rows are probed against (a scan of
    # users, or a trigram index on PostgreSQL). MATERIALIZED keeps the planner from walking
    # the list in name order and testing each row instead: the matches of a name sit
    # together in that order (given name first), so the walk read half a million rows.
    matching = select(User.id).where(*[
        User.search_text.contains(word, autoescape=True) for word in words]
    ).cte("matching").prefix_with("MATERIALIZED")
    return [user_id.in_(select(matching.c.id))]


def _certificates(rows) -> dict[tuple[int, int, int], tuple[int, str | None]]:
    """The current certificate (id, serial) of each completed row's (official, course, cycle):
    one statement for a page or a batch, never one per row."""
    wanted = {(values[0], values[11], values[10]) for values in rows
              if values[6] in (COMPLETED, COMPLETED_LATE) and values[10] is not None}
    if not wanted:
        return {}
    found: dict[tuple[int, int, int], tuple[int, str | None]] = {}
    statement = (select(Certificate.id, Certificate.serial, Certificate.user_id,
                        Certificate.course_id, Certificate.cycle)
                 .where(Certificate.user_id.in_(sorted({key[0] for key in wanted})),
                        Certificate.course_id.in_(sorted({key[1] for key in wanted})),
                        Certificate.revoked_at.is_(None))
                 .order_by(Certificate.id))
    for certificate_id, serial, user_id, course_id, cycle in db.session.execute(statement):
        key = (user_id, course_id, cycle)
        if key in wanted:
            found[key] = (certificate_id, serial)  # the newest valid one wins
    return found


def _order(sort: str, *, sort_name, department_path, state, completed_at, score, ids) -> list:
    tail = [(sort_name, False, "bytes")] + [(column, False, "int") for column in ids]
    if sort == "department":
        return [(department_path, False, "str")] + tail
    if sort == "status":
        rank = case(*[(state == name, rank) for name, rank in _STATE_RANK.items()], else_=9)
        return [(rank, False, "int")] + tail
    if sort == "completed":  # newest first, the not completed last
        return [(func.coalesce(completed_at, literal(_EPOCH)), True, "datetime")] + tail
    if sort == "score":  # best first, no score last
        return [(func.coalesce(score, literal(-1.0)), True, "float")] + tail
    return tail


def _build(actor: User | None, filters: PeopleFilter, today: date) -> _Query:
    scope = _require_hr(actor)
    check_filters(filters)
    department = _department(scope, filters.department_id)
    campaign = _campaign(actor, filters.campaign_id)
    course = _course(filters.course_id)
    if campaign is not None:
        return _campaign_query(campaign, course, department, filters, today)
    return _enrolment_query(course, department, filters, today)


def _campaign_query(campaign, course, department, filters, today) -> _Query:
    member = CampaignMember
    path = func.coalesce(Department.path, "")
    columns = (
        member.user_id, User.username, User.staff_number, User.full_name, User.job_title,
        member.department_id, member.state, member.completed_at, member.score,
        Enrolment.time_spent_seconds,
        Enrolment.cycle,
        literal(campaign.course_id), member.sort_name,
    )
    statement = (
        select(*columns).select_from(member)
        .join(User, User.id == member.user_id)
        .outerjoin(Enrolment, and_(Enrolment.user_id == member.user_id,
                                   Enrolment.course_id == campaign.course_id))
        .where(member.campaign_id == campaign.id, member.left_at.is_(None)))
    conditions = [_subtree(member.department_id, department),
                  _status_condition(member.state, filters.status, campaign, today),
                  *_date_conditions(member.completed_at, filters.date_from, filters.date_to),
                  *_search_conditions(filters.q, member.user_id)]
    if course is not None and course.id != campaign.course_id:
        conditions.append(false())
    statement = statement.where(*[c for c in conditions if c is not None])
    if filters.sort == "department":
        statement = statement.outerjoin(Department, Department.id == member.department_id)
    order = _order(filters.sort, sort_name=member.sort_name, department_path=path,
                   state=member.state, completed_at=member.completed_at, score=member.score,
                   ids=[member.user_id])
    return _Query(statement, order, "campaign", campaign, course or campaign.course,
                  department, today, filters.sort)


def _enrolment_query(course, department, filters, today) -> _Query:
    summary = EnrolmentSummary
    path = func.coalesce(Department.path, "")
    columns = (
        summary.user_id, User.username, User.staff_number, User.full_name, User.job_title,
        summary.department_id, summary.state, summary.completed_at, summary.score,
        Enrolment.time_spent_seconds,
        Enrolment.cycle,
        summary.course_id, User.sort_name,
    )
    statement = (
        select(*columns).select_from(summary)
        .join(User, User.id == summary.user_id)
        .join(Enrolment, Enrolment.id == summary.enrolment_id))
    conditions = [summary.course_id == course.id if course is not None else None,
                  _subtree(summary.department_id, department),
                  _status_condition(summary.state, filters.status, None, today),
                  *_date_conditions(summary.completed_at, filters.date_from, filters.date_to),
                  *_search_conditions(filters.q, summary.user_id)]
    statement = statement.where(*[c for c in conditions if c is not None])
    if filters.sort == "department":
        statement = statement.outerjoin(Department, Department.id == summary.department_id)
    order = _order(filters.sort, sort_name=User.sort_name, department_path=path,
                   state=summary.state, completed_at=summary.completed_at, score=summary.score,
                   ids=[summary.user_id, summary.course_id])
    return _Query(statement, order, "enrolment", None, course, department, today,
                  filters.sort)


# --- rows ------------------------------------------------------------------------------------

class _Paths:
    """Department id → full path, from one read of the (small) department table."""

    def __init__(self):
        rows = db.session.execute(select(Department.id, Department.name,
                                         Department.parent_id)).all()
        self.by_id = {row.id: row for row in rows}
        self.cache: dict[int, str] = {}

    def __call__(self, department_id: int | None) -> str:
        if department_id not in self.by_id:  # none (0) or gone
            return ""
        if department_id not in self.cache:  # rows have what department_path reads
            self.cache[department_id] = department_path(self.by_id[department_id], self.by_id)
        return self.cache[department_id]


class _Titles:
    """Course id → title: the given ones, and every course's at the first miss (one read)."""

    def __init__(self, known: dict[int, str] | None = None):
        self.cache: dict[int, str] = dict(known or {})

    def __call__(self, course_id: int) -> str:
        if course_id not in self.cache:
            self.cache.update(db.session.execute(select(Course.id, Course.title)).all())
        return self.cache.get(course_id, "")


def _titles_for(course_ids) -> _Titles:
    ids = sorted(set(course_ids))
    if not ids:
        return _Titles()
    return _Titles(dict(db.session.execute(
        select(Course.id, Course.title).where(Course.id.in_(ids))).all()))


def _status(state: str, campaign: Campaign | None, today: date) -> str:
    if campaign is not None and state in (NOT_STARTED, IN_PROGRESS) and today > campaign.deadline:
        return OVERDUE
    return state


def _hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def _row(values, query: _Query, paths: _Paths, titles: _Titles, certificates: dict) -> PersonRow:
    (user_id, username, staff_number, full_name, job_title, department_id, state,
     completed_at, score, seconds, cycle, course_id, _sort_name) = values[:13]
    certificate_id, serial = certificates.get((user_id, course_id, cycle), (None, None))
    campaign = query.campaign
    return PersonRow(
        user_id=user_id, username=username, staff_number=staff_number or "",
        full_name=full_name, department_path=paths(department_id), job_title=job_title or "",
        course_title=titles(course_id), campaign_title=campaign.title if campaign else "",
        status=_status(state, campaign, query.today), completed_at=completed_at, score=score,
        hours=_hours(seconds), certificate_serial=serial, certificate_id=certificate_id,
        department_id=department_id or None, course_id=course_id,
        campaign_id=campaign.id if campaign else None)


# --- keyset cursor ---------------------------------------------------------------------------

def _serializer(actor: User | None, filters: PeopleFilter, query: _Query) -> URLSafeSerializer:
    # The whole list is part of the salt: its shape, filters and order, and whose it is. A
    # cursor of another list (another campaign, status, search or reader) is refused instead
    # of silently starting this list after some other list's row.
    reader = "system" if actor is None else actor.id
    return URLSafeSerializer(current_app.secret_key,
                             salt=f"{_SALT}:{query.kind}:{reader}:{filters!r}")


def _encode_part(value, kind: str):
    if kind == "bytes":
        return bytes(value or b"").hex()
    if kind == "datetime":
        if value.tzinfo is None:  # SQLite hands back naive UTC
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat()
    return value


def _decode_part(value, kind: str):
    try:
        if kind == "bytes" and isinstance(value, str):
            return bytes.fromhex(value)
        if kind == "datetime" and isinstance(value, str):
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is not None:
                return moment
        if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if kind == "str" and isinstance(value, str):
            return value
    except ValueError:
        pass
    raise BadCursor(BAD_CURSOR, field="cursor")


BAD_CURSOR = _l("This page link is no longer valid: start again from the first page.")


def _decode_cursor(actor: User | None, filters: PeopleFilter, query: _Query,
                   cursor: str) -> list:
    try:
        value = _serializer(actor, filters, query).loads(cursor)
    except (BadData, ValueError, UnicodeError):
        raise BadCursor(BAD_CURSOR, field="cursor") from None
    if not isinstance(value, list) or len(value) != len(query.order):
        raise BadCursor(BAD_CURSOR, field="cursor")
    return [_decode_part(part, kind) for part, (_, _, kind) in zip(value, query.order,
                                                                    strict=True)]


def _after(order: list, key: list):
    """The SQL condition "after `key`" for a statement ordered by `order`."""
    clauses = []
    for position, (column, descending, _kind) in enumerate(order):
        equal_before = [order[i][0] == key[i] for i in range(position)]
        beyond = column < key[position] if descending else column > key[position]
        clauses.append(and_(*equal_before, beyond))
    return or_(*clauses)


def _order_by(order: list) -> list:
    return [column.desc() if descending else column.asc() for column, descending, _ in order]


def _key_of(values, query: _Query, sort: str) -> list:
    """The cursor's key for a result row: the order's values, in the order's order."""
    parts = []
    if sort != "name":  # the leading sort column, selected after the row's own columns
        parts.append(_encode_part(values[13], query.order[0][2]))
    parts.append(_encode_part(values[12], "bytes"))
    parts.append(values[0])
    if query.kind == "enrolment":
        parts.append(values[11])
    return parts


# --- the public reads ------------------------------------------------------------------------

def _ordered(query: _Query):
    statement = query.statement
    if query.sort != "name":  # a leading sort column: select it too (for the cursor)
        statement = statement.add_columns(query.order[0][0])
    return statement.order_by(*_order_by(query.order))


def _count(query: _Query) -> int:
    statement = query.statement.with_only_columns(func.count(), maintain_column_froms=True)
    return db.session.scalar(statement) or 0


def _summary_total(query: _Query, filters: PeopleFilter) -> int | None:
    """The list's length read from the department summaries (what the dashboard shows), when
    the filters are ones they count by (department, status): one small SUM instead of counting
    a million members. None when a search or dates narrow the list."""
    if filters.q or filters.date_from or filters.date_to:
        return None
    campaign, course = query.campaign, query.course
    if campaign is not None and filters.course_id and filters.course_id != campaign.course_id:
        return None
    cell = DepartmentSummary
    late = campaign is not None and query.today > campaign.deadline
    status = filters.status
    if not status:
        figure = cell.people
    elif status in (COMPLETED, COMPLETED_LATE) and (campaign or status == COMPLETED):
        figure = getattr(cell, status)
    elif status == OVERDUE and late:
        figure = cell.not_started + cell.in_progress
    elif status in (IN_PROGRESS, NOT_STARTED) and not late:
        figure = getattr(cell, status)
    else:
        return 0
    conditions = [cell.kind == ("campaign" if campaign is not None else "course")]
    if campaign is not None:
        conditions.append(cell.ref_id == campaign.id)
    elif course is not None:
        conditions.append(cell.ref_id == course.id)
    if query.department is not None:
        conditions.append(_subtree(cell.department_id, query.department))
    return int(db.session.scalar(select(func.coalesce(func.sum(figure), 0))
                                 .where(*conditions)) or 0)


def count_people(actor: User | None, filters: PeopleFilter, *, today: date) -> int:
    """Return how many rows the people list with these filters has (counted in the list's
    own rows: exports record the exact number they write)."""
    # Date ranges over a million members (learning.db). An export counts first, so its
    # streamed rows are read in the same transaction, under the same setting: harmless, as a
    # server-side cursor's statement is never prepared and always planned for its values.
    plan_for_values(db.session)
    return _count(_build(actor, filters, today))


def list_people(actor: User | None, filters: PeopleFilter, *, today: date,
                cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> PeoplePage:
    """Return one page of the people list the filters describe, in the chosen order (names the
    Vietnamese way by default), starting after `cursor`; `today` is the ministry's day.

    Raises PermissionDenied for non-HR, RuleViolation (field = the page's parameter name) for
    a filter no list has, BadCursor for a cursor that is not one of this list's."""
    plan_for_values(db.session)  # date ranges over a million members (learning.db)
    query = _build(actor, filters, today)
    limit = max(1, min(limit, MAX_LIMIT))
    statement = _ordered(query)
    if cursor:
        statement = statement.where(_after(query.order,
                                           _decode_cursor(actor, filters, query, cursor)))
    results = db.session.execute(statement.limit(limit + 1)).all()
    more = len(results) > limit
    results = results[:limit]
    paths = _Paths()
    titles = _titles_for(values[11] for values in results)
    certificates = _certificates(results)
    rows = [_row(values, query, paths, titles, certificates) for values in results]
    next_cursor = None
    if more:
        next_cursor = _serializer(actor, filters, query).dumps(
            _key_of(results[-1], query, filters.sort))
    total = _summary_total(query, filters)
    if total is None:
        total = _count(query)
    return PeoplePage(rows, next_cursor, total, campaign=query.campaign, course=query.course,
                      department=query.department)


def iter_people(actor: User | None, filters: PeopleFilter, *, today: date) -> Iterator[PersonRow]:
    """Yield every row of the people list the filters describe, in order, streamed from the
    database in batches (for exports: never a list of everything)."""
    query = _build(actor, filters, today)
    paths = _Paths()
    titles = _Titles()
    result = db.session.execute(_ordered(query).execution_options(yield_per=BATCH))
    try:
        for batch in result.partitions():
            certificates = _certificates(batch)
            for values in batch:
                yield _row(values, query, paths, titles, certificates)
    finally:
        result.close()


PARAMETERS = {"department": "department_id", "course": "course_id", "campaign": "campaign_id",
              "status": "status", "from": "date_from", "to": "date_to", "q": "q", "sort": "sort"}


def without(filters: PeopleFilter, name: str) -> PeopleFilter:
    """Return the filters without the one the page parameter `name` sets (after its error)."""
    if name not in PARAMETERS:
        return filters
    blank = {"q": "", "sort": "name"}.get(name)
    return replace(filters, **{PARAMETERS[name]: blank})


# --- choices for the filters -----------------------------------------------------------------

def filter_choices(actor: User | None) -> tuple[list[Campaign], list[Course], list[tuple]]:
    """Return what the actor may narrow a list to: the campaigns they see (nearest deadline
    first), every course (by title), and their scope's departments as (department, full path)
    sorted by path."""
    scope = _require_hr(actor)
    campaign_list = campaigns.list_campaigns(actor, include_archived=True)
    course_list = list(db.session.scalars(select(Course).order_by(Course.title, Course.id)))
    query = select(Department)
    if scope is not None:
        query = query.where(Department.path.startswith(scope.path))
    paths = _Paths()
    departments = [(d, paths(d.id)) for d in db.session.scalars(query)]
    departments.sort(key=lambda item: item[1].casefold())
    return campaign_list, course_list, departments


# --- exports ---------------------------------------------------------------------------------

def export_columns() -> list[Column]:
    """Return the columns of a people export, in the order an HR database expects."""
    return [
        Column("staff_number", _l("Staff number"), width=14),
        Column("full_name", _l("Full name"), width=28),
        Column("department_path", _l("Department"), width=48),
        Column("job_title", _l("Job title")),
        Column("course", _l("Course"), width=32),
        Column("campaign", _l("Campaign"), width=32),
        Column("status", _l("Status"), width=16),
        Column("completed_on", _l("Completed on"), kind="date"),
        Column("score", _l("Score"), kind="decimal"),
        Column("hours", _l("Hours of study"), kind="decimal"),
        Column("certificate_serial", _l("Certificate serial"), width=20),
        # last, so the columns an HR database reads by position keep their places
        Column("status_label", _l("Status in words"), width=20),
    ]


def export_values(rows: Iterable[PersonRow]) -> Iterator[tuple]:
    """Yield each row as an export's cells: the completion as the ministry's calendar day, the
    status by its name (completed, completed_late, in_progress, not_started, overdue), for
    databases, and in the reader's language in the last column, for people."""
    zone = ministry_zone()
    labels = {status: str(label) for status, label in STATUS_LABELS.items()}  # once an export
    for row in rows:
        yield (row.staff_number, row.full_name, row.department_path, row.job_title,
               row.course_title, row.campaign_title, row.status,
               ministry_day(row.completed_at, zone) if row.completed_at else None,
               row.score, row.hours, row.certificate_serial or "", labels[row.status])


def audit_details(filters: PeopleFilter) -> dict:
    """Return the filters as the audit log records them (the empty ones left out)."""
    details = {"department": filters.department_id, "course": filters.course_id,
               "campaign": filters.campaign_id, "status": filters.status,
               "from": filters.date_from.isoformat() if filters.date_from else None,
               "to": filters.date_to.isoformat() if filters.date_to else None,
               "q": filters.q, "sort": None if filters.sort == "name" else filters.sort}
    return {key: value for key, value in details.items() if value not in (None, "")}


def export_people(actor: User | None, filters: PeopleFilter, *, today: date, now: datetime,
                  fmt: str) -> tuple[int, Iterator[tuple]]:
    """Record the export of a people list in the audit log and return its row count and its
    cells, streamed (see `export_values`); the caller commits, then writes the rows."""
    total = count_people(actor, filters, today=today)
    audit(actor, "export", "people", now=now, rows=total, format=fmt, **audit_details(filters))
    return total, export_values(iter_people(actor, filters, today=today))

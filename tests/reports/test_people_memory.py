"""A 100,000-row people export streams: the memory it takes at its peak does not grow with the
number of rows (iter_people reads in batches; the CSV writer holds one chunk)."""

from __future__ import annotations

import tracemalloc

from sqlalchemy import LargeBinary, String, case, cast, func, insert, literal, select

from courses.models import Enrolment
from learning.accounts.models import User
from learning.campaigns.models import CampaignMember
from learning.db import db, note_bulk_write
from learning.reports import people
from learning.spreadsheet import iter_csv
from tests.campaigns import steps as campaign_steps
from tests.campaigns.steps import at
from tests.mentoring import steps as mentoring_steps

ROWS = 100_000
NOW = at("2026-06-01 02:00")


def bulk_members(campaign, course, *, small, large, rows: int) -> None:
    """Insert `rows` officials and make them members (one in ten in `small`, the others in
    `large`), enrolled, a third of them completed: set-based, one INSERT ... SELECT each."""
    numbers = select(literal(1).label("i")).cte("numbers", recursive=True)
    numbers = numbers.union_all(select(numbers.c.i + 1).where(numbers.c.i < rows))
    label = cast(numbers.c.i, String)
    department = case((numbers.c.i % 10 == 0, small.id), else_=large.id)
    users = User.__table__
    db.session.execute(insert(users).from_select(
        ["username", "full_name", "staff_number", "job_title", "search_text", "sort_name",
         "department_id", "preferred_language", "is_active", "must_change_password",
         "created_at", "updated_at"],
        select(literal("bulk-") + label, literal("Nguyễn Văn Số ") + label,
               literal("=B") + label, literal("Chuyên viên"), literal("nguyen van so ") + label,
               cast(cast(numbers.c.i * 7919 % 100_003, String), LargeBinary), department,
               literal("vi"), literal(True), literal(False), literal(NOW), literal(NOW))))
    bulk = select(User.id, User.department_id, User.sort_name).where(
        User.username.like("bulk-%")).subquery()
    completed = bulk.c.id % 3 == 0
    db.session.execute(insert(Enrolment.__table__).from_select(
        ["user_id", "course_id", "source", "enrolled_at", "percent_complete", "lessons_done",
         "time_spent_seconds", "cycle"],
        select(bulk.c.id, literal(course.id), literal("hr"), literal(NOW), literal(0),
               literal(0), bulk.c.id % 7200, literal(1))))
    db.session.execute(insert(CampaignMember.__table__).from_select(
        ["campaign_id", "user_id", "department_id", "state", "completed_at", "score",
         "sort_name", "joined_at"],
        select(literal(campaign.id), bulk.c.id, bulk.c.department_id,
               case((completed, "completed"), else_="not_started"),
               case((completed, literal(NOW)), else_=None),
               case((completed, 80.0), else_=None), bulk.c.sort_name, literal(NOW))))
    # Analysed on commit, as the app's own bulk writes are (learning.db): else, in a full test
    # run, the planner still holds statistics of near-empty tables on PostgreSQL, and the
    # export's cursor took 2.5 s per 1,000 rows (nested loops over 100,000 members).
    note_bulk_write(db.session, (User.__tablename__, Enrolment.__tablename__,
                                 CampaignMember.__tablename__), rows)
    db.session.commit()


def peak_export(filters) -> tuple[int, int]:
    """Export through iter_people and the CSV writer; return (rows, peak bytes allocated)."""
    columns = people.export_columns()
    rows = 0

    def counted():
        nonlocal rows
        for row in people.export_values(people.iter_people(None, filters,
                                                           today=NOW.date())):
            rows += 1
            yield row

    db.session.expire_all()
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in iter_csv(columns, counted()))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size > rows * 50
    return rows, peak


def test_a_100000_row_export_takes_the_memory_of_a_10000_row_one(app, db, tmp_path):
    course = mentoring_steps.course(tmp_path)
    ministry = campaign_steps.Ministry()
    db.session.commit()
    campaign = campaign_steps.campaign(course, [ministry.root])
    bulk_members(campaign, course, small=ministry.data, large=ministry.tccb, rows=ROWS)
    assert db.session.scalar(select(func.count()).select_from(CampaignMember)) == ROWS

    small_rows, small_peak = peak_export(people.PeopleFilter(
        campaign_id=campaign.id, department_id=ministry.data.id))
    large_rows, large_peak = peak_export(people.PeopleFilter(campaign_id=campaign.id))
    assert (small_rows, large_rows) == (ROWS // 10, ROWS)
    # Ten times the rows, not ten times the memory (a list of every row would be).
    assert large_peak < small_peak * 1.5 + 512 * 1024, (small_peak, large_peak)

"""A bulk write leaves the planner's statistics up to date (learning.db.note_bulk_write): on
PostgreSQL the tables an officials import or a campaign filled are analysed when its
transaction commits, not a minute later by autovacuum; a rollback or a small write analyses
nothing; SQLite is never analysed (HọcSố keeps it without statistics)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from learning import clock
from learning.accounts import importer
from learning.campaigns import services as campaigns
from learning.db import ANALYZE_AFTER_ROWS
from learning.mentoring import services as mentoring
from tests import factories
from tests.campaigns import steps

HEADER = "staff_number,full_name,email,department,job_title,roles"
TABLES = ("users", "role_grants", "campaign_members", "enrolments", "enrolment_summaries",
          "mentoring_group_members")


def officials_csv(count: int, prefix: str = "TK") -> str:
    rows = [f"{prefix}-{n:05d},Nguyễn Văn Số {n},so{n}.{prefix.lower()}@bo.gov.vn,"
            f"Bộ Thống kê/Vụ Số liệu {n % 7},Chuyên viên," for n in range(count)]
    return "\n".join([HEADER, *rows]) + "\n"


def import_officials(count: int, prefix: str = "TK") -> None:
    report = importer.import_officials(None, importer.read_csv_text(officials_csv(count, prefix)),
                                       now=clock.now())
    assert report.errors == [] and report.created == count


def manual_analyses(db) -> dict[str, int]:
    """How many times each table was analysed by an ANALYZE statement (not by autovacuum),
    read on a connection of its own, after the statistics snapshot is dropped."""
    with db.engine.connect() as connection:
        connection.execute(text("SELECT pg_stat_clear_snapshot()"))
        counts = dict(connection.execute(
            text("SELECT relname, analyze_count FROM pg_stat_user_tables "
                 "WHERE relname = ANY(:names)"), {"names": list(TABLES)}).all())
    return {name: counts.get(name, 0) for name in TABLES}


def sqlite_statistics(db) -> int:
    return db.session.execute(text(
        "SELECT count(*) FROM sqlite_master WHERE name LIKE 'sqlite_stat%'")).scalar_one()


def test_an_officials_import_is_analysed_when_it_commits(db):
    postgresql = db.engine.dialect.name == "postgresql"
    before = manual_analyses(db) if postgresql else None
    import_officials(ANALYZE_AFTER_ROWS + 200)
    if postgresql:
        assert manual_analyses(db) == before  # not before the commit: rows nobody else sees
    db.session.commit()
    if not postgresql:
        assert sqlite_statistics(db) == 0
        return
    after = manual_analyses(db)
    assert after["users"] == before["users"] + 1
    assert after["role_grants"] == before["role_grants"] + 1
    # Analysed on their own, later, the tables now know the rows (reltuples was -1 or 0).
    estimate = db.session.execute(text(
        "SELECT reltuples FROM pg_class WHERE relname = 'users'")).scalar_one()
    assert estimate >= ANALYZE_AFTER_ROWS + 200


def test_a_rolled_back_or_small_import_analyses_nothing(db):
    postgresql = db.engine.dialect.name == "postgresql"
    before = manual_analyses(db) if postgresql else None
    import_officials(ANALYZE_AFTER_ROWS + 50, "HB")
    db.session.rollback()
    import_officials(ANALYZE_AFTER_ROWS - 1, "NH")  # one short of a bulk write
    db.session.commit()
    if postgresql:
        assert manual_analyses(db) == before
    else:
        assert sqlite_statistics(db) == 0


def test_a_campaign_enrolling_everyone_in_scope_is_analysed(db, tmp_path):
    course = factories.make_course(tmp_path)
    import_officials(ANALYZE_AFTER_ROWS + 100)
    db.session.commit()
    postgresql = db.engine.dialect.name == "postgresql"
    before = manual_analyses(db) if postgresql else None
    ministry = db.session.execute(text(
        "SELECT id FROM departments WHERE parent_id IS NULL")).scalar_one()
    campaigns.create_campaign(
        None, title="Số liệu 2026", course_id=course.id, department_ids=[ministry],
        deadline=clock.now().date() + timedelta(days=30), now=clock.now())
    db.session.commit()
    steps.assert_agree()
    if not postgresql:
        assert sqlite_statistics(db) == 0
        return
    after = manual_analyses(db)
    for table in ("campaign_members", "enrolments", "enrolment_summaries"):
        assert after[table] == before[table] + 1, table
    assert after["users"] == before["users"]  # the import's tables were not written again


def test_a_group_filled_with_a_department_is_analysed(db):
    import_officials(ANALYZE_AFTER_ROWS + 10)
    factories.UserFactory(username="anh.pd", roles={"mentor", "learner"})
    db.session.commit()
    postgresql = db.engine.dialect.name == "postgresql"
    before = manual_analyses(db) if postgresql else None
    group = mentoring.create_group(None, "Chi đoàn Bộ Thống kê", ["anh.pd"], now=clock.now())
    ids = db.session.scalars(text("SELECT id FROM users WHERE staff_number LIKE 'TK-%'")).all()
    assert len(mentoring.add_member_ids(None, group, ids, now=clock.now()).added) == len(ids)
    db.session.commit()
    if not postgresql:
        assert sqlite_statistics(db) == 0
        return
    after = manual_analyses(db)
    assert after["mentoring_group_members"] == before["mentoring_group_members"] + 1

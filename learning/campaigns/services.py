"""Campaigns: HR (in their scope) or an admin make a course mandatory for department subtrees,
optionally only for some job titles, by a deadline.

Everyone in scope is enrolled and becomes a member, also officials imported or moved in
later (`place_officials`); an official who leaves the scope stops being counted but keeps every
record. Membership changes of many officials at once are set-based: the members are inserted
with INSERT ... SELECT and the campaign's figures recounted (learning.campaigns.summaries).
"""

from __future__ import annotations

import unicodedata
from typing import Any
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, literal, or_, select, text, update

from courses import services as courses
from courses.models import Course, Enrolment
from learning import ratelimit
from learning.accounts.audit import audit
from learning.accounts.models import Department, User
from learning.accounts.scope import hr_scope, is_admin
from learning.campaigns import summaries
from learning.campaigns.models import Campaign, CampaignDepartment, CampaignMember
from learning.clock import ministry_day
from learning.db import COUNT_ROWS, db, insert_for, note_bulk_write
from learning.errors import NotFound, PermissionDenied, RuleViolation
from learning.params import has_unstorable
from learning.text import fold

MAX_TITLE = 200
MAX_DESCRIPTION = 4000
MAX_SCOPES = 200
MAX_JOB_TITLES = 50
# Above this many officials placed at once, recount the campaign rather than move each one.
BULK = 200


# --- access ----------------------------------------------------------------------------------

def can_use_campaigns(actor: User | None) -> bool:
    """Tell whether the actor may see campaigns at all (HR anywhere, or an admin)."""
    return hr_scope(actor) is not False


def _scope_ok(actor: User | None, department: Department) -> bool:
    scope = hr_scope(actor)
    if scope is False:
        return False
    return scope is None or department.is_within(scope)


def can_manage(actor: User | None, campaign: Campaign) -> bool:
    """Tell whether the actor may change the campaign: an admin, or HR whose scope holds every
    department the campaign covers."""
    if is_admin(actor):
        return True
    return hr_scope(actor) is not False and all(
        _scope_ok(actor, scope.department) for scope in campaign.scopes)


def can_view(actor: User | None, campaign: Campaign) -> bool:
    """Tell whether the actor may see the campaign: admins, ministry-wide HR, and HR whose
    scope overlaps one of its departments (they then see their part only)."""
    scope = hr_scope(actor)
    if scope is False:
        return False
    if scope is None:
        return True
    return any(item.department.is_within(scope) or scope.is_within(item.department)
               for item in campaign.scopes)


def visible_condition(actor: User | None):
    """Return a SQL condition on Campaign selecting the campaigns the actor may see."""
    scope = hr_scope(actor)
    if scope is False:
        return literal(False)
    if scope is None:
        return literal(True)
    covered = select(CampaignDepartment.campaign_id).join(
        Department, Department.id == CampaignDepartment.department_id).where(or_(
            Department.path.startswith(scope.path),
            literal(scope.path).startswith(Department.path)))
    return Campaign.id.in_(covered)


def list_campaigns(actor: User | None, *, include_archived: bool = False) -> list[Campaign]:
    """Return the campaigns the actor may see, the nearest deadline first."""
    query = select(Campaign).where(visible_condition(actor))
    if not include_archived:
        query = query.where(Campaign.archived_at.is_(None))
    return list(db.session.scalars(query.order_by(Campaign.deadline, Campaign.id)))


def get_campaign(actor: User | None, campaign_id: int) -> Campaign:
    """Return a campaign the actor may see, or raise NotFound (no probing for ids)."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not can_view(actor, campaign):
        raise NotFound(_l("No such campaign."))
    return campaign


# --- input -----------------------------------------------------------------------------------

def _clean_text(value: str, limit: int, field: str, empty_message=None) -> str:
    text = unicodedata.normalize("NFC", " ".join((value or "").split()) if field == "title"
                                 else (value or "").strip())
    if empty_message and not text:
        raise RuleViolation(empty_message, field=field)
    if len(text) > limit:
        raise RuleViolation(_l("This is longer than %(max)d characters.", max=limit),
                            field=field)
    if has_unstorable(text):  # the project's one rule (a textarea's CR LF is fine)
        raise RuleViolation(_l("Remove the invalid characters."), field=field)
    return text


def _clean_job_titles(job_titles: list[str] | str | None) -> str:
    """Return the job titles as stored (folded, one per line). A semicolon or a line break
    separates titles in a list's items as in the form's text, so what is stored reads back
    the same way whichever way it came (the API's ["a; b"] is the form's "a; b")."""
    if isinstance(job_titles, str):
        job_titles = [job_titles]
    parts = [part for item in job_titles or [] for part in item.replace(";", "\n").splitlines()]
    folded = []
    for title in parts:
        title = fold(title)
        if title and title not in folded:
            folded.append(title)
    if len(folded) > MAX_JOB_TITLES:
        raise RuleViolation(_l("Name at most %(max)d job titles.", max=MAX_JOB_TITLES),
                            field="job_titles")
    return "\n".join(folded)


def _departments(actor: User | None, department_ids: list[int]) -> list[Department]:
    ids = sorted(set(department_ids or []))
    if not ids:
        raise RuleViolation(_l("Choose at least one department."), field="departments")
    if len(ids) > MAX_SCOPES:
        raise RuleViolation(_l("Choose at most %(max)d departments.", max=MAX_SCOPES),
                            field="departments")
    found = {d.id: d for d in db.session.scalars(select(Department).where(
        Department.id.in_(ids)))}
    if len(found) != len(ids):
        raise RuleViolation(_l("Choose departments from the list."), field="departments")
    outside = [d for d in found.values() if not _scope_ok(actor, d)]
    if outside:
        raise RuleViolation(_l("Choose departments within your scope."), field="departments")
    # A department inside another chosen one adds nothing: keep the outermost.
    chosen = sorted(found.values(), key=lambda d: len(d.path))
    kept: list[Department] = []
    for department in chosen:
        if not any(department.is_within(other) for other in kept):
            kept.append(department)
    return kept


def _course(course_id: int | None) -> Course:
    course = db.session.get(Course, course_id) if course_id else None
    if course is None or not course.is_published:
        raise RuleViolation(_l("Choose a published course."), field="course")
    return course


def _deadline(value: date | None, *, today: date | None = None) -> date:
    """Check a deadline; with `today` (a new or changed deadline), it must not have passed:
    everyone would be overdue at once, and reminded so, for a mistyped year."""
    if value is None:
        raise RuleViolation(_l("Enter the deadline."), field="deadline")
    if not date(2000, 1, 1) <= value <= date(2100, 12, 31):
        raise RuleViolation(_l("Enter a deadline between 2000 and 2100."), field="deadline")
    if today is not None and value < today:
        raise RuleViolation(_l("Enter a deadline that is today or later."), field="deadline")
    return value


# --- membership ------------------------------------------------------------------------------

def _in_scope_condition(campaign: Campaign):
    """Return a SQL condition on User: an active official the campaign covers."""
    paths = [scope.department.path for scope in campaign.scopes]
    condition = and_(
        User.is_active_account.is_(True),
        User.department_id.in_(select(Department.id).where(
            or_(*[Department.path.startswith(path) for path in paths]))))
    titles = campaign.job_title_list
    if titles:
        condition = and_(condition, _job_title_in(titles))
    return condition


def _job_title_in(folded_titles: list[str]):
    # Job titles are compared folded (case and diacritics): done in Python for the few
    # distinct titles, then matched exactly in SQL.
    distinct = db.session.scalars(select(User.job_title).distinct()).all()
    matching = [title for title in distinct if fold(title) in folded_titles]
    return User.job_title.in_(matching) if matching else literal(False)


def _enrol_all(campaign: Campaign, users, *, now: datetime) -> None:
    """Enrol every official `users` selects (a SELECT of user ids) in the campaign's course."""
    statement = insert_for(db.session, Enrolment).from_select(
        ["user_id", "course_id", "source", "enrolled_at", "percent_complete", "lessons_done",
         "time_spent_seconds", "cycle"],
        select(users.c.id, literal(campaign.course_id), literal("hr"), literal(now),
               literal(0), literal(0), literal(0), literal(1))
        .where(text("true")))  # SQLite: a WHERE keeps ON CONFLICT from reading as a join's
    enrolled = db.session.execute(statement.on_conflict_do_nothing(
        index_elements=["user_id", "course_id"]), execution_options=COUNT_ROWS).rowcount
    note_bulk_write(db.session, (Enrolment.__tablename__,), enrolled)


def _join_all(campaign: Campaign, *, now: datetime, user_ids: list[int] | None = None) -> None:
    """Make every official in scope (of `user_ids`, when given) a current member, set-based."""
    users = select(User.id, User.sort_name).where(_in_scope_condition(campaign))
    if user_ids is not None:
        users = users.where(User.id.in_(user_ids))
    users = users.subquery()
    _enrol_all(campaign, users, now=now)
    db.session.execute(update(CampaignMember).where(
        CampaignMember.campaign_id == campaign.id, CampaignMember.left_at.is_not(None),
        CampaignMember.user_id.in_(select(users.c.id))).values(left_at=None, joined_at=now))
    joined = db.session.execute(insert_for(db.session, CampaignMember).from_select(
        ["campaign_id", "user_id", "department_id", "state", "sort_name", "joined_at"],
        select(literal(campaign.id), users.c.id, literal(0), literal("not_started"),
               users.c.sort_name, literal(now)).where(text("true")),
    ).on_conflict_do_nothing(index_elements=["campaign_id", "user_id"]),
        execution_options=COUNT_ROWS).rowcount
    note_bulk_write(db.session, (CampaignMember.__tablename__,), joined)


def _leave_outside(campaign: Campaign, *, now: datetime, user_ids: list[int] | None = None):
    """Stop counting current members who are no longer in scope (their records stay)."""
    query = update(CampaignMember).where(
        CampaignMember.campaign_id == campaign.id, CampaignMember.left_at.is_(None),
        CampaignMember.user_id.not_in(select(User.id).where(_in_scope_condition(campaign))))
    if user_ids is not None:
        query = query.where(CampaignMember.user_id.in_(user_ids))
    db.session.execute(query.values(left_at=now).execution_options(synchronize_session=False))


def _refresh_members(campaign: Campaign, *, now: datetime) -> None:
    """Bring the whole campaign's membership and figures in line with its scope."""
    _leave_outside(campaign, now=now)
    _join_all(campaign, now=now)
    db.session.flush()
    summaries.rebuild_course(campaign.course_id)
    summaries.rebuild_campaign(campaign)


def place_officials(user_ids: list[int], *, now: datetime) -> None:
    """Subscriber-side: these officials were created or moved (department, job title,
    activation); make them join or leave the campaigns that now cover them."""
    if not user_ids:
        return
    campaigns = db.session.scalars(select(Campaign).where(Campaign.archived_at.is_(None))
                                   .order_by(Campaign.id)).all()
    if len(user_ids) > BULK:
        for campaign in campaigns:
            _refresh_members(campaign, now=now)
        return
    # Who each campaign covers now: one statement per campaign, not one per official.
    covered = {campaign.id: set(db.session.scalars(select(User.id).where(
        User.id.in_(user_ids), _in_scope_condition(campaign)))) for campaign in campaigns}
    for user_id in user_ids:
        user = db.session.get(User, user_id)
        for campaign in campaigns:
            if user_id in covered[campaign.id]:
                if campaign.course.is_published:
                    courses.enrol(user, user, campaign.course, source="hr", now=now)
                summaries.join(campaign.id, user_id, now=now)
            else:
                summaries.leave(campaign.id, user_id, now=now)
        # Their course cells follow their department.
        for course_id in db.session.scalars(select(Enrolment.course_id).where(
                Enrolment.user_id == user_id)):
            summaries.sync(user_id, course_id)


def on_officials_placed(sender, *, user_ids: list[int], now: datetime, **_) -> None:
    """Subscriber of accounts' `officials_placed`."""
    place_officials(user_ids, now=now)


def on_enrolment_changed(enrolment, **_) -> None:
    """Subscriber: an enrolment was created or its standing may have changed."""
    summaries.sync(enrolment.user_id, enrolment.course_id)


# --- changes ---------------------------------------------------------------------------------

def create_campaign(actor: User | None, *, title: str, course_id: int | None,
                    department_ids: list[int], deadline: date | None,
                    job_titles: list[str] | str | None = None, description: str = "",
                    now: datetime) -> Campaign:
    """Create a campaign and enrol everyone it covers."""
    if not can_use_campaigns(actor):
        raise PermissionDenied(_l("Only HR and administrators may run campaigns."))
    title = _clean_text(title, MAX_TITLE, "title", _l("Enter the campaign's title."))
    description = _clean_text(description, MAX_DESCRIPTION, "description")
    course = _course(course_id)
    departments = _departments(actor, department_ids)
    deadline = _deadline(deadline, today=ministry_day(now))
    # A double click or a resent form (parallel requests) must not start the campaign twice:
    # creations for one course wait here for each other, then see what the first one made.
    ratelimit.lock("campaign-create", str(course.id), now=now)
    if _same_campaign(title, course.id, deadline, {d.id for d in departments}):
        raise RuleViolation(_l("This campaign already exists: open it from the list of "
                               "campaigns."), field="title")
    campaign = Campaign(title=title, description=description, course=course,
                        deadline=deadline, job_titles=_clean_job_titles(job_titles),
                        created_by_id=actor.id if actor is not None else None,
                        created_at=now, updated_at=now)
    campaign.scopes = [CampaignDepartment(department=d) for d in departments]
    db.session.add(campaign)
    db.session.flush()
    _refresh_members(campaign, now=now)
    audit(actor, "campaign.create", campaign, now=now, title=title, course=course.slug,
          deadline=campaign.deadline.isoformat(),
          departments=[d.name for d in departments], job_titles=campaign.job_title_list)
    return campaign


def _same_campaign(title: str, course_id: int, deadline: date,
                   department_ids: set[int]) -> bool:
    """Tell whether a current campaign already has this title, course, deadline and
    departments (the same campaign, sent twice)."""
    found = db.session.scalars(select(Campaign).where(
        Campaign.course_id == course_id, Campaign.deadline == deadline,
        Campaign.archived_at.is_(None))).all()
    return any(other.title.casefold() == title.casefold()
               and {s.department_id for s in other.scopes} == department_ids
               for other in found)


def _lock(campaign: Campaign, *, now: datetime) -> None:
    """Wait for parallel changes of the campaign to end, then read it as they left it."""
    ratelimit.lock("campaign", str(campaign.id), now=now)
    db.session.refresh(campaign)


class _Keep:
    """The value of a field `update_campaign` is not asked to change."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


def update_campaign(actor: User | None, campaign: Campaign, *, title: str = KEEP,
                    department_ids: list[int] = KEEP, deadline: date | None = KEEP,
                    job_titles: list[str] | str | None = KEEP, description: str = KEEP,
                    now: datetime) -> Campaign:
    """Change a campaign's title, scope, job titles, deadline or description, and recount it
    (the course is fixed once people are enrolled: start a new campaign for another course).
    A field left out keeps the value the campaign has once parallel changes are done (a
    change of the title alone cannot undo a parallel change of the departments). Values that
    change nothing (a form sent twice) record nothing."""
    # Rights and "before" are judged on what a parallel change left, not on a stale read.
    _lock(campaign, now=now)
    if not can_manage(actor, campaign):
        raise PermissionDenied(_l("You may not change this campaign."))
    title = campaign.title if title is KEEP else title
    description = (campaign.description or "") if description is KEEP else description
    department_ids = ([scope.department_id for scope in campaign.scopes]
                      if department_ids is KEEP else department_ids)
    deadline = campaign.deadline if deadline is KEEP else deadline
    job_titles = campaign.job_title_list if job_titles is KEEP else job_titles
    title = _clean_text(title, MAX_TITLE, "title", _l("Enter the campaign's title."))
    description = _clean_text(description, MAX_DESCRIPTION, "description")
    departments = _departments(actor, department_ids)
    before = {"title": campaign.title, "deadline": campaign.deadline.isoformat(),
              "departments": sorted(s.department.name for s in campaign.scopes),
              "job_titles": campaign.job_title_list}
    # An unchanged deadline may have passed (a title corrected after it).
    deadline = _deadline(deadline, today=None if deadline == campaign.deadline
                         else ministry_day(now))
    job_titles = _clean_job_titles(job_titles)
    wanted = {d.id for d in departments}
    if (title, description, deadline, job_titles, wanted) == (
            campaign.title, campaign.description or "", campaign.deadline, campaign.job_titles,
            {s.department_id for s in campaign.scopes}):
        return campaign  # sent again unchanged (a second click): nothing to record or recount
    campaign.title, campaign.description = title, description
    campaign.deadline, campaign.job_titles = deadline, job_titles
    campaign.scopes = [s for s in campaign.scopes if s.department_id in wanted] + [
        CampaignDepartment(department=d) for d in departments
        if d.id not in {s.department_id for s in campaign.scopes}]
    campaign.updated_at = now
    db.session.flush()
    db.session.refresh(campaign)
    _refresh_members(campaign, now=now)
    audit(actor, "campaign.update", campaign, now=now, before=before, after={
        "title": title, "deadline": campaign.deadline.isoformat(),
        "departments": sorted(d.name for d in departments),
        "job_titles": campaign.job_title_list})
    return campaign


def archive_campaign(actor: User | None, campaign: Campaign, *, archived: bool,
                     now: datetime) -> bool:
    """Archive a finished campaign (its figures stay readable) or bring it back; return
    whether it changed (archiving an archived campaign, e.g. a second click or a parallel
    request, changes and records nothing)."""
    _lock(campaign, now=now)
    if not can_manage(actor, campaign):
        raise PermissionDenied(_l("You may not change this campaign."))
    if (campaign.archived_at is not None) == archived:
        return False
    campaign.archived_at = now if archived else None
    campaign.updated_at = now
    if not archived:
        _refresh_members(campaign, now=now)
    audit(actor, "campaign.archive" if archived else "campaign.unarchive", campaign, now=now,
          title=campaign.title)
    return True


def on_course_content_changed(course, **_) -> None:
    """Subscriber: a course's content (so every enrolment's figures) changed: recount it and
    its campaigns, set-based (after learning.progress has recomputed the enrolments)."""
    summaries.rebuild_course(course.id)
    for campaign in db.session.scalars(select(Campaign).where(Campaign.course_id == course.id)):
        summaries.rebuild_campaign(campaign)

"""Assignments: a course, a module or a lesson given to a group (or to chosen members of it)
with a due date and a note.

Assigning enrols the members. Assigning the same target to the same group again updates the
assignment and never duplicates it: the row is written with INSERT ... ON CONFLICT DO NOTHING
on (group, target) and then updated, so parallel double-submits end in one assignment.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from courses import services as courses
from courses.models import Course, Lesson, Module
from learning.accounts.models import User
from learning.accounts.services import audit
from learning.db import db, insert_for
from learning.errors import NotFound, RuleViolation
from learning.mentoring import access
from learning.mentoring.groups import enrolment_source
from learning.mentoring.models import (
    Assignment,
    AssignmentMember,
    GroupMember,
    MentoringGroup,
    target_key,
)
from learning.mentoring.progress import ministry_day
from learning.params import has_unstorable

MAX_NOTE = 2000
MAX_YEARS_AHEAD = 5


def resolve_target(course_slug: str, module_slug: str | None,
                   lesson_slug: str | None) -> tuple[Course, Module | None, Lesson | None]:
    """Return the published course and its current module or lesson the slugs name."""
    try:
        course = courses.get_course((course_slug or "").strip())
    except NotFound:
        raise RuleViolation(_l("Choose a published course."), field="course") from None
    module = lesson = None
    if module_slug:
        module = db.session.scalar(select(Module).where(
            Module.course_id == course.id, Module.slug == module_slug,
            Module.is_removed.is_(False)))
        if module is None:
            raise RuleViolation(_l("This course has no such module."), field="target")
    if lesson_slug:
        lesson = db.session.scalar(select(Lesson).where(
            Lesson.course_id == course.id, Lesson.slug == lesson_slug,
            Lesson.is_removed.is_(False)))
        if lesson is None or (module is not None and lesson.module_id != module.id):
            raise RuleViolation(_l("This course has no such lesson."), field="target")
    return course, module, lesson


def _clean_note(note: str | None) -> str:
    note = unicodedata.normalize("NFC", (note or "").strip())
    if len(note) > MAX_NOTE:
        raise RuleViolation(_l("The note is longer than %(max)d characters.", max=MAX_NOTE),
                            field="note")
    if has_unstorable(note):
        raise RuleViolation(_l("Remove the invalid characters."), field="note")
    return note


def _chosen_members(actor: User | None, group: MentoringGroup,
                    member_ids: list[int] | None) -> list[int] | None:
    if member_ids is None:
        return None
    ids = sorted(set(member_ids))
    if not ids:
        raise RuleViolation(_l("Choose at least one member, or the whole group."),
                            field="members")
    found = set(db.session.scalars(
        select(User.id).join(GroupMember, GroupMember.user_id == User.id)
        .where(GroupMember.group_id == group.id, User.id.in_(ids),
               access.members_condition(actor, group))))
    if found != set(ids):
        raise RuleViolation(_l("Choose members of this group."), field="members")
    return ids


def _hidden_chosen(actor: User | None, group: MentoringGroup, key: str) -> set[int]:
    """Return the members the assignment names now whom the actor cannot see (HR outside
    their scope): an update by that actor keeps them, since it could not choose them."""
    visible = select(User.id).join(GroupMember, GroupMember.user_id == User.id).where(
        GroupMember.group_id == group.id, access.members_condition(actor, group))
    return set(db.session.scalars(
        select(AssignmentMember.user_id).join(
            Assignment, Assignment.id == AssignmentMember.assignment_id)
        .where(Assignment.group_id == group.id, Assignment.target_key == key,
               AssignmentMember.user_id.not_in(visible))))


def _targeted_members(group: MentoringGroup, member_ids: list[int] | None) -> list[User]:
    query = select(User).join(GroupMember, GroupMember.user_id == User.id).where(
        GroupMember.group_id == group.id)
    if member_ids is not None:
        query = query.where(User.id.in_(member_ids))
    return list(db.session.scalars(query.order_by(User.id)))


def assign(actor: User | None, group: MentoringGroup, course_slug: str,
           module_slug: str | None, lesson_slug: str | None, due_on: date, note: str,
           member_ids: list[int] | None, *, now: datetime) -> tuple[Assignment, bool]:
    """Assign a course, module or lesson to the group (member_ids None) or to chosen members;
    return the assignment and whether it is new. The same target again updates it."""
    access.require_manage(actor, group)
    course, module, lesson = resolve_target(course_slug, module_slug, lesson_slug)
    module_id = module.id if module is not None and lesson is None else None
    lesson_id = lesson.id if lesson is not None else None
    key = target_key(course.id, module_id, lesson_id)
    note = _clean_note(note)
    chosen = _chosen_members(actor, group, member_ids)
    if not isinstance(due_on, date) or isinstance(due_on, datetime):
        raise RuleViolation(_l("Enter the due date."), field="due_on")
    today = ministry_day(now)
    current_due = db.session.scalar(select(Assignment.due_on).where(
        Assignment.group_id == group.id, Assignment.target_key == key))
    if due_on < today and due_on != current_due:  # an unchanged date may have passed
        raise RuleViolation(_l("The due date has passed; choose today or a later day."),
                            field="due_on")
    if due_on > today + timedelta(days=366 * MAX_YEARS_AHEAD):
        raise RuleViolation(_l("Choose a due date within %(years)d years.",
                               years=MAX_YEARS_AHEAD), field="due_on")

    if chosen is not None:
        chosen = sorted(set(chosen) | _hidden_chosen(actor, group, key))
    assigned_by = actor.id if actor is not None else None
    fields = {"due_on": due_on, "note": note, "is_whole_group": chosen is None,
              "assigned_by_id": assigned_by, "updated_at": now}
    # RETURNING says whether a row was written (a driver's rowcount for ON CONFLICT DO NOTHING
    # is not reliable: psycopg may report -1).
    created = db.session.execute(
        insert_for(db.session, Assignment).values(
            group_id=group.id, course_id=course.id, module_id=module_id, lesson_id=lesson_id,
            target_key=key, created_at=now, **fields)
        .on_conflict_do_nothing(index_elements=["group_id", "target_key"])
        .returning(Assignment.id)).first() is not None
    # Also when just created: the update takes the row's lock, so parallel requests for the
    # same target change its members one after the other.
    db.session.execute(update(Assignment).where(
        Assignment.group_id == group.id, Assignment.target_key == key).values(**fields))
    assignment = db.session.scalar(
        select(Assignment).where(Assignment.group_id == group.id, Assignment.target_key == key)
        .execution_options(populate_existing=True))
    db.session.execute(delete(AssignmentMember).where(
        AssignmentMember.assignment_id == assignment.id))
    if chosen is not None:
        db.session.execute(
            insert_for(db.session, AssignmentMember).on_conflict_do_nothing(
                index_elements=["assignment_id", "user_id"]),
            [{"assignment_id": assignment.id, "user_id": user_id} for user_id in chosen])
    source = enrolment_source(actor, group)
    for member in _targeted_members(group, chosen):
        courses.enrol(actor, member, course, source=source, now=now)
    audit(actor, "assignment.create" if created else "assignment.update", assignment,
          now=now, group=group.id, target_key=key, due_on=due_on.isoformat(),
          members="all" if chosen is None else len(chosen))
    return assignment, created


def target_slugs(assignment: Assignment) -> tuple[str, str | None, str | None]:
    """Return the course, module and lesson slugs that name the assignment's target."""
    return (assignment.course.slug, assignment.module.slug if assignment.module else None,
            assignment.lesson.slug if assignment.lesson else None)


def get_assignment(actor: User | None, group: MentoringGroup, assignment_id: int) -> Assignment:
    """Return an assignment of the group (which the actor may open), else NotFound."""
    assignment = db.session.scalar(
        select(Assignment).where(Assignment.id == assignment_id,
                                 Assignment.group_id == group.id)
        .options(joinedload(Assignment.course), joinedload(Assignment.module),
                 joinedload(Assignment.lesson)))
    if assignment is None or not access.can_open_group(actor, group):
        raise NotFound(_l("No such assignment."))
    return assignment


def chosen_member_ids(assignment: Assignment) -> list[int]:
    """Return the members an assignment names (empty for a whole-group assignment)."""
    return list(db.session.scalars(select(AssignmentMember.user_id).where(
        AssignmentMember.assignment_id == assignment.id).order_by(AssignmentMember.user_id)))


def remove_assignment(actor: User | None, group: MentoringGroup, assignment: Assignment, *,
                      now: datetime) -> None:
    """Withdraw an assignment; the enrolments and what the members did stay."""
    access.require_manage(actor, group)
    if assignment.group_id != group.id:
        raise NotFound(_l("No such assignment."))
    audit(actor, "assignment.delete", assignment, now=now, group=group.id,
          target_key=assignment.target_key)
    db.session.delete(assignment)
    db.session.flush()

"""Mentoring groups: creation, details and mentors, members (by name, from a department, from
a CSV of staff numbers) and their removal.

Every change checks the actor's rights here (learning.mentoring.access), whatever calls it: a
page, the command line or the JSON API. Adding is idempotent (a unique constraint and ON
CONFLICT DO NOTHING); a list with any bad entry writes nothing.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from courses import services as courses
from courses.models import Course
from learning import ratelimit
from learning.accounts import importer
from learning.accounts.models import Department, RoleGrant, User
from learning.accounts.services import (
    all_departments,
    audit,
    clean_name,
    get_department,
    hr_scope,
    is_admin,
    normalize_username,
)
from learning.db import db, insert_for, note_bulk_write
from learning.errors import NotFound, PermissionDenied, RuleViolation
from learning.mentoring import access
from learning.mentoring.models import (
    Assignment,
    AssignmentMember,
    GroupMember,
    GroupMentor,
    MentoringGroup,
)
from learning.params import has_unstorable
from learning.text import fold

MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_LIST = 5000  # usernames or CSV rows in one request


@dataclass
class MembersAdded:
    """What adding officials to a group did."""

    added: list[User] = field(default_factory=list)
    already: list[User] = field(default_factory=list)


@dataclass
class MembersImport:
    """What a CSV of staff numbers did, or why it did nothing (errors by line)."""

    added: int = 0
    already: int = 0
    errors: list[importer.RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- groups ----------------------------------------------------------------------------------

def _clean_details(name: str, description: str) -> tuple[str, str]:
    name = clean_name(name or "")
    if not name:
        raise RuleViolation(_l("Enter the group's name."), field="name")
    if len(name) > MAX_NAME:
        raise RuleViolation(_l("The name is longer than %(max)d characters.", max=MAX_NAME),
                            field="name")
    description = unicodedata.normalize("NFC", (description or "").strip())
    if len(description) > MAX_DESCRIPTION:
        raise RuleViolation(_l("The description is longer than %(max)d characters.",
                               max=MAX_DESCRIPTION), field="description")
    if has_unstorable(name) or has_unstorable(description):
        raise RuleViolation(_l("Remove the invalid characters."), field="name")
    return name, description


def _department_for(actor: User | None, department_id: int | None) -> Department | None:
    """Return the department the actor gives a group, checked against what they may choose."""
    if department_id is None:
        scope = hr_scope(actor)
        if scope not in (None, False) and not is_admin(actor):
            return scope  # a scoped HR official's group belongs to their scope
        return None
    department = get_department(department_id)
    reach = access.reach_department(actor, None)
    if reach is False or (reach is not None and not department.is_within(reach)):
        raise RuleViolation(_l("Choose a department within your reach."), field="department_id")
    return department


def split_usernames(text: str | list[str] | None) -> list[str]:
    """Split typed usernames (commas, semicolons, spaces or new lines) into a clean list."""
    if isinstance(text, list):
        parts = text
    else:
        parts = (text or "").replace(",", " ").replace(";", " ").split()
    seen, result = set(), []
    for part in parts:
        name = normalize_username(part)
        if name and name not in seen:
            seen.add(name)
            result.append(name)
    return result


def _users_by_username(usernames: list[str]) -> dict[str, User]:
    if not usernames:
        return {}
    found = db.session.scalars(select(User).where(func.lower(User.username).in_(usernames)))
    return {user.username.casefold(): user for user in found}


def _mentors_from(usernames: list[str] | str) -> list[User]:
    names = split_usernames(usernames)
    if not names:
        raise RuleViolation(_l("Name at least one mentor."), field="mentors")
    if len(names) > 50:
        raise RuleViolation(_l("A group has at most 50 mentors."), field="mentors")
    users = _users_by_username(names)
    unknown = [name for name in names if name not in users]
    if unknown:
        raise RuleViolation(_l("No account with the username: %(names)s",
                               names=", ".join(unknown)), field="mentors")
    not_mentors = [name for name in names
                   if not users[name].is_active or not users[name].has_role("mentor")]
    if not_mentors:
        raise RuleViolation(_l("Not an active mentor: %(names)s. An administrator gives the "
                               "mentor role.", names=", ".join(not_mentors)), field="mentors")
    return [users[name] for name in names]


def _set_mentors(group: MentoringGroup, mentors: list[User], now: datetime) -> None:
    wanted = {user.id for user in mentors}
    db.session.execute(delete(GroupMentor).where(GroupMentor.group_id == group.id,
                                                 GroupMentor.user_id.not_in(wanted)))
    db.session.execute(
        insert_for(db.session, GroupMentor).values(
            [{"group_id": group.id, "user_id": user_id, "added_at": now}
             for user_id in sorted(wanted)])
        .on_conflict_do_nothing(index_elements=["group_id", "user_id"]))


def create_group(actor: User | None, name: str, mentor_usernames: list[str] | str, *,
                 description: str = "", department_id: int | None = None,
                 now: datetime) -> MentoringGroup:
    """Create a group with its mentors; a mentor who creates a group is one of its mentors."""
    if not access.can_create_groups(actor):
        raise PermissionDenied(_l("Only mentors, HR and administrators may create groups."))
    name, description = _clean_details(name, description)
    department = _department_for(actor, department_id)
    names = split_usernames(mentor_usernames)
    plain_mentor = not is_admin(actor) and hr_scope(actor) is False
    if plain_mentor and actor.username.casefold() not in names:
        names.insert(0, actor.username.casefold())
    mentors = _mentors_from(names)
    # A double click or a resent form (parallel requests) must not make the group twice: one
    # creator's creations wait here for each other, then see what the first one made.
    creator_id = actor.id if actor is not None else None
    ratelimit.lock("group-create", str(creator_id or 0), now=now)
    if _same_group(name, department, creator_id):
        raise RuleViolation(_l("You already have a group with this name in this department: "
                               "open it from the list of groups, or choose another name."),
                            field="name")
    group = MentoringGroup(name=name, description=description, department=department,
                           created_by_id=creator_id, created_at=now, updated_at=now)
    db.session.add(group)
    db.session.flush()
    _set_mentors(group, mentors, now)
    audit(actor, "group.create", group, now=now, name=name,
          mentors=[user.username for user in mentors])
    return group


def _same_group(name: str, department: Department | None, creator_id: int | None) -> bool:
    """Tell whether the creator already has a group of this name (in any case) in this
    department (the same group, sent twice)."""
    same_place = (MentoringGroup.department_id == department.id if department is not None
                  else MentoringGroup.department_id.is_(None))
    same_creator = (MentoringGroup.created_by_id == creator_id if creator_id is not None
                    else MentoringGroup.created_by_id.is_(None))
    found = db.session.scalars(
        select(MentoringGroup.name).where(same_place, same_creator)).all()
    return any(other.casefold() == name.casefold() for other in found)


def update_group(actor: User | None, group: MentoringGroup, *, name: str, description: str,
                 department_id: int | None, mentor_usernames: list[str] | str,
                 now: datetime) -> None:
    """Change a group's name, description, department and mentors."""
    access.require_manage(actor, group)
    name, description = _clean_details(name, description)
    governs = access.can_govern_group(actor, group)
    if department_id != group.department_id:
        if not governs:
            raise RuleViolation(_l("Only the group's creator, HR or an administrator may move "
                                   "it to another department."), field="department_id")
        group.department = _department_for(actor, department_id)
    mentors = _mentors_from(mentor_usernames)
    if not governs:  # stepping down is anyone's right; removing the others is not
        kept = {user.id for user in mentors} | {actor.id}
        removed = [user.username for user in mentors_of([group.id])[group.id]
                   if user.id not in kept]
        if removed:
            raise RuleViolation(_l("Only the group's creator, HR or an administrator may remove "
                                   "%(names)s from its mentors.", names=", ".join(removed)),
                                field="mentors")
    group.name, group.description, group.updated_at = name, description, now
    db.session.flush()
    _set_mentors(group, mentors, now)
    audit(actor, "group.update", group, now=now, name=name,
          mentors=[user.username for user in mentors])


def delete_group(actor: User | None, group: MentoringGroup, *, now: datetime) -> None:
    """Delete a group with its assignments; what its members learnt stays theirs."""
    access.require_manage(actor, group)
    if not access.can_govern_group(actor, group):
        raise PermissionDenied(_l("Only the group's creator, HR or an administrator may "
                                  "delete it."))
    audit(actor, "group.delete", group, now=now, name=group.name)
    db.session.delete(group)
    db.session.flush()


def mentors_of(group_ids: list[int]) -> dict[int, list[User]]:
    """Map each group id to its mentors, in Vietnamese name order, in one query."""
    result: dict[int, list[User]] = {group_id: [] for group_id in group_ids}
    if group_ids:
        for group_id, user in db.session.execute(
                select(GroupMentor.group_id, User).join(User, User.id == GroupMentor.user_id)
                .where(GroupMentor.group_id.in_(group_ids))
                .order_by(User.sort_name, User.id)):
            result[group_id].append(user)
    return result


@dataclass
class GroupRow:
    """A group on the mentoring home page."""

    group: MentoringGroup
    mentors: list[User]
    members: int
    assignments: int


def _group_rows(actor: User | None, *conditions) -> list[GroupRow]:
    members = (select(func.count()).where(GroupMember.group_id == MentoringGroup.id)
               .correlate(MentoringGroup).scalar_subquery())
    assignments = (select(func.count()).where(Assignment.group_id == MentoringGroup.id)
                   .correlate(MentoringGroup).scalar_subquery())
    rows = sorted(db.session.execute(
        select(MentoringGroup, members, assignments)
        .where(access.groups_condition(actor), *conditions)).all(),
        key=lambda row: (fold(row[0].name), row[0].name, row[0].id))
    mentors = mentors_of([group.id for group, _, _ in rows])
    return [GroupRow(group, mentors[group.id], count, assigned)
            for group, count, assigned in rows]


def list_groups(actor: User | None) -> list[GroupRow]:
    """Return the groups the actor may open, with their mentors and counts, by name the same
    way on every backend (diacritics folded: "Cán bộ" before "Chi đoàn")."""
    return _group_rows(actor)


def group_row(actor: User | None, group: MentoringGroup) -> GroupRow:
    """Return one group's line of `list_groups` (its mentors and counts), else NotFound."""
    rows = _group_rows(actor, MentoringGroup.id == group.id)
    if not rows:
        raise NotFound(_l("No such group."))
    return rows[0]


# --- members ---------------------------------------------------------------------------------

def enrolment_source(actor: User | None, group: MentoringGroup) -> str:
    """Return how an enrolment made by this actor through this group is recorded."""
    if access.is_mentor_of(actor, group):
        return "mentor"
    if is_admin(actor):
        return "admin"
    return "hr" if hr_scope(actor) is not False else "mentor"


def _whole_group_courses(group: MentoringGroup) -> list[Course]:
    return list(db.session.scalars(
        select(Course).join(Assignment, Assignment.course_id == Course.id)
        .where(Assignment.group_id == group.id, Assignment.is_whole_group.is_(True),
               Course.is_published.is_(True)).distinct()))


def _insert_members(actor: User | None, group: MentoringGroup, users: list[User],
                    now: datetime) -> MembersAdded:
    result = MembersAdded()
    if not users:
        return result
    ids = [user.id for user in users]
    present = set(db.session.scalars(select(GroupMember.user_id).where(
        GroupMember.group_id == group.id, GroupMember.user_id.in_(ids))))
    new = [user for user in users if user.id not in present]
    if new:
        added_by = actor.id if actor is not None else None
        # Added is what this insert wrote: a parallel request may add the same officials
        # between the read above and here, and only one of the two may say so (and audit it).
        # (on the table: a Core executemany, which SQLAlchemy sends in batches of rows)
        members = GroupMember.__table__
        written = set(db.session.scalars(
            insert_for(db.session, members)
            .on_conflict_do_nothing(index_elements=["group_id", "user_id"])
            .returning(members.c.user_id),
            [{"group_id": group.id, "user_id": user.id, "added_by_id": added_by,
              "added_at": now} for user in new]))
        new = [user for user in new if user.id in written]
        note_bulk_write(db.session, (members.name,), len(written))  # a department's worth
    added_ids = {user.id for user in new}
    result.already = [user for user in users if user.id not in added_ids]
    if new:
        source = enrolment_source(actor, group)
        for course in _whole_group_courses(group):
            for user in new:  # the group's assignments apply to newcomers too
                courses.enrol(actor, user, course, source=source, now=now)
        result.added = new
    audit(actor, "group.add_members", group, now=now, added=len(result.added),
          already=len(result.already))
    return result


def _check_addable(actor: User | None, group: MentoringGroup, users: list[User]) -> None:
    outside = [user for user in users if not access.within_reach(actor, group, user)]
    if outside:
        raise RuleViolation(_l("Outside the officials you may add: %(names)s",
                               names=", ".join(user.username for user in outside)),
                            field="usernames")
    inactive = [user for user in users if not user.is_active]
    if inactive:
        raise RuleViolation(_l("Deactivated accounts cannot join a group: %(names)s",
                               names=", ".join(user.username for user in inactive)),
                            field="usernames")


def add_members(actor: User | None, group: MentoringGroup, usernames: list[str] | str, *,
                now: datetime) -> MembersAdded:
    """Add officials by username (idempotent: members already there stay as they are); any
    unknown, deactivated or out-of-reach username and nothing is added."""
    access.require_manage(actor, group)
    names = split_usernames(usernames)
    if not names:
        raise RuleViolation(_l("Choose at least one official."), field="usernames")
    if len(names) > MAX_LIST:
        raise RuleViolation(_l("At most %(max)d officials at a time.", max=MAX_LIST),
                            field="usernames")
    users = _users_by_username(names)
    unknown = [name for name in names if name not in users]
    if unknown:
        raise RuleViolation(_l("No account with the username: %(names)s",
                               names=", ".join(unknown)), field="usernames")
    chosen = [users[name] for name in names]
    _check_addable(actor, group, chosen)
    return _insert_members(actor, group, chosen, now)


def add_member_ids(actor: User | None, group: MentoringGroup, user_ids: list[int], *,
                   now: datetime) -> MembersAdded:
    """Add officials chosen from the search results by id (same rules as add_members)."""
    access.require_manage(actor, group)
    ids = sorted(set(user_ids))[:MAX_LIST]
    if not ids:
        raise RuleViolation(_l("Choose at least one official."), field="user_ids")
    users = list(db.session.scalars(select(User).where(User.id.in_(ids))))
    if len(users) != len(ids):
        raise RuleViolation(_l("Choose officials from the list."), field="user_ids")
    _check_addable(actor, group, users)
    return _insert_members(actor, group, users, now)


def add_department(actor: User | None, group: MentoringGroup, department_id: int, *,
                   include_subunits: bool, now: datetime) -> MembersAdded:
    """Add every active official of a department (and of its units, if asked)."""
    access.require_manage(actor, group)
    department = get_department(department_id)
    reach = access.reach_department(actor, group)
    if reach is False or (reach is not None and not department.is_within(reach)):
        raise RuleViolation(_l("Choose a department within your reach."), field="department_id")
    if include_subunits:
        where = User.department_id.in_(
            select(Department.id).where(Department.path.startswith(department.path)))
    else:
        where = User.department_id == department.id
    users = list(db.session.scalars(
        select(User).where(where, User.is_active_account.is_(True))
        .order_by(User.sort_name, User.id)))
    return _insert_members(actor, group, users, now)


STAFF_NUMBER_ALIASES = {fold(alias) for alias in importer.COLUMN_ALIASES["staff_number"]}


def _staff_column(header: list[str]) -> int:
    for index, title in enumerate(header):
        folded = fold(title)
        if folded in STAFF_NUMBER_ALIASES or folded.replace("_", " ") in STAFF_NUMBER_ALIASES:
            return index
    raise importer.ImportFileError(_l("Line 1: the header lacks the column staff_number."))


def import_members(actor: User | None, group: MentoringGroup,
                   records: list[tuple[int, list[str]]], *, now: datetime) -> MembersImport:
    """Add the officials a CSV lists by staff number; report every bad row by its line and
    add nobody if there is one (unknown, repeated, deactivated or outside one's reach)."""
    access.require_manage(actor, group)
    report = MembersImport()
    if not records:
        raise importer.ImportFileError(_l("The file is empty."))
    if len(records) > MAX_LIST + 1:
        raise importer.ImportFileError(_l("At most %(max)d officials at a time.", max=MAX_LIST))
    column = _staff_column(records[0][1])
    wanted: list[tuple[int, str]] = []
    for line, cells in records[1:]:
        if not any(cell.strip() for cell in cells):
            continue
        value = clean_name(cells[column]) if column < len(cells) else ""
        if has_unstorable(value):
            report.errors.append(importer.RowError(line, str(importer.INVALID_CHARACTERS),
                                                   "staff_number"))
            continue
        wanted.append((line, value))
    numbers = {value.casefold() for _, value in wanted if value}
    found: dict[str, User] = {}
    if numbers:
        for user in db.session.scalars(select(User).where(
                func.lower(User.staff_number).in_(sorted(numbers)))):
            found[user.staff_number.casefold()] = user
    seen: dict[str, int] = {}
    users: list[User] = []
    for line, value in wanted:
        key = value.casefold()
        if not value:
            report.errors.append(importer.RowError(
                line, _l("The staff number is missing."), "staff_number"))
        elif key in seen:
            report.errors.append(importer.RowError(
                line, _l("Staff number %(staff)s already appears on line %(other)d.",
                         staff=value, other=seen[key]), "staff_number"))
        elif key not in found:
            report.errors.append(importer.RowError(
                line, _l("No official has the staff number %(staff)s.", staff=value),
                "staff_number"))
        elif not found[key].is_active:
            report.errors.append(importer.RowError(
                line, _l("The account of %(staff)s is deactivated.", staff=value),
                "staff_number"))
        elif not access.within_reach(actor, group, found[key]):
            report.errors.append(importer.RowError(
                line, _l("%(staff)s is outside the officials you may add.", staff=value),
                "staff_number"))
        else:
            users.append(found[key])
        seen.setdefault(key, line)
    if not report.errors and not users:
        raise importer.ImportFileError(_l("The file lists no staff number."))
    if report.errors:
        return report
    result = _insert_members(actor, group, users, now)
    report.added, report.already = len(result.added), len(result.already)
    return report


def remove_member(actor: User | None, group: MentoringGroup, user_id: int, *,
                  now: datetime) -> None:
    """Take an official out of a group (and out of its assignments); their records stay."""
    access.require_manage(actor, group)
    member = access.get_member(actor, group, user_id)
    db.session.execute(delete(AssignmentMember).where(
        AssignmentMember.user_id == member.id,
        AssignmentMember.assignment_id.in_(
            select(Assignment.id).where(Assignment.group_id == group.id))))
    db.session.execute(delete(GroupMember).where(GroupMember.group_id == group.id,
                                                 GroupMember.user_id == member.id))
    audit(actor, "group.remove_member", group, now=now, member=member.username)


def search_candidates(actor: User | None, group: MentoringGroup, query: str, *,
                      limit: int = 20) -> list[tuple[User, bool]]:
    """Return officials matching every word of `query` whom the actor may add, each with
    whether they are a member already."""
    access.require_manage(actor, group)
    words = fold(query).split()
    if not words:
        return []
    member = select(GroupMember.user_id).where(GroupMember.group_id == group.id)
    conditions = [access.reach_condition(actor, group), User.is_active_account.is_(True)]
    conditions += [User.search_text.contains(word, autoescape=True) for word in words]
    users = db.session.scalars(select(User).where(*conditions)
                               .order_by(User.sort_name, User.id).limit(limit)).all()
    present = set(db.session.scalars(member.where(
        GroupMember.user_id.in_([user.id for user in users])))) if users else set()
    return [(user, user.id in present) for user in users]


def search_mentors(actor: User | None, query: str, *, limit: int = 20) -> list[User]:
    """Return active officials with the mentor role matching every word of `query` (name,
    username, email or staff number), for naming a group's mentors."""
    if not access.can_create_groups(actor):
        raise PermissionDenied(_l("Only mentors, HR and administrators may create groups."))
    words = fold(query).split()
    if not words:
        return []
    return list(db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == "mentor", User.is_active_account.is_(True),
               *[User.search_text.contains(word, autoescape=True) for word in words])
        .order_by(User.sort_name, User.id).limit(limit)))


def departments_for(actor: User | None, group: MentoringGroup | None) -> list[Department]:
    """Return, in tree order, the departments the actor may add members from (for a group)
    or give a group (None)."""
    reach = access.reach_department(actor, group)
    if reach is False:
        return []
    return [department for department in all_departments()
            if reach is None or department.is_within(reach)]

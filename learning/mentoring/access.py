"""Who may see and change which mentoring group, and whom they may add to it.

- Administrators: every group, any official.
- HR: the groups of their scope (the group's department lies within it, or they created a
  group without a department) and, in them, only the members within their scope; they add
  officials of their scope only.
- Mentors: the groups they mentor, all of those groups' members, but only the learning
  assigned to them; they add officials of the group's department, or of their own unit (the
  top department they belong to) for a group without one.
- Anyone else: nothing. A group or member the actor may not see does not exist for them.

Pure rules over loaded objects and SQL conditions; must not change state.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, false, select, true

from learning.accounts.models import Department, User, path_ids
from learning.accounts.services import SYSTEM, hr_scope, is_admin
from learning.db import db
from learning.errors import NotFound, PermissionDenied
from learning.mentoring.models import GroupMember, GroupMentor, MentoringGroup


def is_mentor_of(actor: User | None, group: MentoringGroup) -> bool:
    """Tell whether the actor is one of the group's mentors (and still holds the role: an
    official whose mentor role is withdrawn no longer sees their former groups)."""
    if actor is SYSTEM or group.id is None or not actor.has_role("mentor"):
        return False
    return db.session.scalar(select(exists().where(
        GroupMentor.group_id == group.id, GroupMentor.user_id == actor.id))) or False


def _hr_reaches_group(actor: User, group: MentoringGroup) -> bool:
    scope = hr_scope(actor)
    if scope is False:
        return False
    if scope is None:
        return True
    if group.department is not None:
        return group.department.is_within(scope)
    return group.created_by_id == actor.id


def can_open_group(actor: User | None, group: MentoringGroup) -> bool:
    """Tell whether the actor may see the group, its grid and its members' pages."""
    if is_admin(actor):
        return True
    return _hr_reaches_group(actor, group) or is_mentor_of(actor, group)


def can_manage_group(actor: User | None, group: MentoringGroup) -> bool:
    """Tell whether the actor may change the group: its details, mentors, members and
    assignments (everyone who may open it)."""
    return can_open_group(actor, group)


def can_govern_group(actor: User | None, group: MentoringGroup) -> bool:
    """Tell whether the actor may move the group to another department, remove its other
    mentors or delete it: an administrator, HR whose scope holds it, or the official who
    created it (while they may open it). A mentor someone else named may change the rest, add
    co-mentors and step down, but not take the group out of its creator's hands."""
    if is_admin(actor) or _hr_reaches_group(actor, group):
        return True
    return group.created_by_id == actor.id and is_mentor_of(actor, group)


def can_create_groups(actor: User | None) -> bool:
    """Tell whether the actor may create a group: admins, HR and mentors."""
    return is_admin(actor) or hr_scope(actor) is not False or actor.has_role("mentor")


def can_use_mentoring(actor: User | None) -> bool:
    """Tell whether the mentoring pages are for the actor at all."""
    return can_create_groups(actor)


def groups_condition(actor: User | None):
    """Return a SQL condition selecting the groups the actor may open."""
    if is_admin(actor):
        return true()
    mentored = exists().where(GroupMentor.group_id == MentoringGroup.id,
                              GroupMentor.user_id == actor.id) if actor.has_role("mentor") \
        else false()
    scope = hr_scope(actor)
    if scope is False:
        return mentored
    if scope is None:
        return true()
    in_scope = MentoringGroup.department_id.in_(
        select(Department.id).where(Department.path.startswith(scope.path)))
    own = MentoringGroup.department_id.is_(None) & (MentoringGroup.created_by_id == actor.id)
    return mentored | in_scope | own


def members_condition(actor: User | None, group: MentoringGroup):
    """Return a SQL condition (on User) selecting the group's members the actor may see:
    everyone for admins and the group's mentors, those within their scope for HR."""
    if is_admin(actor) or is_mentor_of(actor, group):
        return true()
    scope = hr_scope(actor)
    if scope is False:
        return false()
    if scope is None:
        return true()
    return User.department_id.in_(
        select(Department.id).where(Department.path.startswith(scope.path)))


def unit_of(department: Department | None) -> Department | None:
    """Return the top unit a department belongs to: the department right below the root
    (the ministry) on its path, or the root itself."""
    if department is None:
        return None
    ids = path_ids(department.path)
    if len(ids) <= 1:
        return department
    return db.session.get(Department, ids[1])


def reach_department(actor: User | None, group: MentoringGroup | None) -> Department | None | bool:
    """Return the subtree the actor may add officials from: a Department, None for the whole
    ministry, False for nobody."""
    if is_admin(actor):
        return None
    scope = hr_scope(actor)
    if scope is not False:
        return scope
    if group is not None and group.department is not None:
        return group.department
    unit = unit_of(actor.department)
    return unit if unit is not None else False


def reach_condition(actor: User | None, group: MentoringGroup | None):
    """Return a SQL condition (on User) selecting the officials the actor may add."""
    reach = reach_department(actor, group)
    if reach is False:
        return false()
    if reach is None:
        return true()
    return User.department_id.in_(
        select(Department.id).where(Department.path.startswith(reach.path)))


def within_reach(actor: User | None, group: MentoringGroup | None, official: User) -> bool:
    """Tell whether the actor may add `official` (a loaded account) to the group."""
    reach = reach_department(actor, group)
    if reach is False:
        return False
    if reach is None:
        return True
    return official.department is not None and official.department.is_within(reach)


def department_choices_condition(actor: User | None):
    """Return a SQL condition (on Department) for the departments the actor may give a group."""
    reach = reach_department(actor, None)
    if reach is False:
        return false()
    if reach is None:
        return true()
    return Department.path.startswith(reach.path)


def get_group(actor: User | None, group_id: int) -> MentoringGroup:
    """Return a group the actor may open, else NotFound (others' groups do not exist)."""
    group = db.session.get(MentoringGroup, group_id)
    if group is None or not can_open_group(actor, group):
        raise NotFound(_l("No such group."))
    return group


def require_manage(actor: User | None, group: MentoringGroup) -> None:
    """Raise PermissionDenied unless the actor may change the group."""
    if not can_manage_group(actor, group):
        raise PermissionDenied(_l("You may not change this group."))


def get_member(actor: User | None, group: MentoringGroup, user_id: int) -> User:
    """Return a member of the group the actor may see, else NotFound."""
    user = db.session.scalar(
        select(User).join(GroupMember, GroupMember.user_id == User.id)
        .where(GroupMember.group_id == group.id, User.id == user_id,
               members_condition(actor, group)))
    if user is None:
        raise NotFound(_l("No such member."))
    return user

"""Who may do what: administrators, HR scopes over the department tree, officials' own records.

Pure rules over the loaded grants; must not change state.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from learning.accounts.models import Department, User
from learning.errors import PermissionDenied

SYSTEM = None  # the actor for command-line work

def is_admin(actor: User | None) -> bool:
    """Tell whether the actor is the command line or an administrator."""
    return actor is SYSTEM or actor.has_role("admin")


def require_admin(actor: User | None) -> None:
    """Raise PermissionDenied unless the actor administers the platform."""
    if not is_admin(actor):
        raise PermissionDenied(_l("Only administrators may do this."))


def hr_scope(actor: User | None) -> Department | None | bool:
    """Return the HR scope: a Department, None for the whole ministry, False for no HR rights."""
    if is_admin(actor):
        return None
    grant = actor.grant("hr")
    if grant is None:
        return False
    return grant.scope_department


def in_scope_department_condition(scope: Department, department_column):
    """Return a SQL condition: `department_column` names a department of `scope`'s subtree."""
    return department_column.in_(
        select(Department.id).where(Department.path.startswith(scope.path)))


def officials_in_scope_condition(actor: User | None):
    """Return a SQL condition selecting the users whose records the actor may see as HR."""
    scope = hr_scope(actor)
    if scope is False:
        return User.id == actor.id
    if scope is None:
        return True
    return in_scope_department_condition(scope, User.department_id)


def can_view_official(actor: User | None, official: User) -> bool:
    """Tell whether the actor may see `official`'s records."""
    if actor is not SYSTEM and actor.id == official.id:
        return True
    scope = hr_scope(actor)
    if scope is False:
        return False
    if scope is None:
        return True
    return official.department is not None and official.department.is_within(scope)


def require_view_official(actor: User | None, official: User) -> None:
    """Raise PermissionDenied unless the actor may see `official`'s records."""
    if not can_view_official(actor, official):
        raise PermissionDenied(_l("You may not see this official's records."))


def can_use_hr_pages(actor: User | None) -> bool:
    """Tell whether the actor has HR (or admin) rights somewhere."""
    return hr_scope(actor) is not False


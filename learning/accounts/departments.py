"""The department tree: names, materialised paths, creation, moves and deletion."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, func, select

from learning import ratelimit
from learning.accounts.audit import audit
from learning.accounts.models import Department, RoleGrant, User
from learning.accounts.scope import require_admin
from learning.accounts.signals import officials_placed
from learning.db import db
from learning.errors import NotFound, RuleViolation

PATH_SEPARATOR = "/"
# A ministry's tree is a few levels deep (Bộ/Tổng cục/Cục/Phòng/Tổ); the limit keeps every
# path (its ids in `path`, its names in every list of departments) short.
MAX_DEPTH = 10
MAX_NAME = 200  # Department.name's column

def clean_name(value: str) -> str:
    """Return a name with NFC normalisation and collapsed white space."""
    return " ".join(unicodedata.normalize("NFC", value or "").split())


def split_path(path: str) -> list[str]:
    """Split a department path such as 'Bộ/Cục/Phòng' into clean segment names."""
    return [clean_name(part) for part in (path or "").split(PATH_SEPARATOR) if clean_name(part)]


TOO_DEEP = _l("A department path has at most %(levels)d levels.", levels=MAX_DEPTH)
NAME_TOO_LONG = _l("A department's name has at most %(length)d characters.", length=MAX_NAME)


def path_problem(names: list[str]):
    """Return what keeps a department path of `names` from being made (too many levels, a
    name too long), or None."""
    if len(names) > MAX_DEPTH:
        return TOO_DEEP
    if any(len(name) > MAX_NAME for name in names):
        return NAME_TOO_LONG
    return None


def _depth(department: Department | None) -> int:
    """Return a department's level (1 for a root), 0 for none; from its materialised path."""
    return department.path.count(PATH_SEPARATOR) - 1 if department is not None else 0


def department_path(department: Department, by_id: dict[int, Department] | None = None) -> str:
    """Return the readable path of a department, e.g. 'Bộ Ngoại giao/Cục Lãnh sự'."""
    names = []
    node = department
    while node is not None:
        names.append(node.name)
        if by_id is not None:
            node = by_id.get(node.parent_id) if node.parent_id else None
        else:
            node = node.parent
    return PATH_SEPARATOR.join(reversed(names))


def department_tree() -> dict[int, Row]:
    """Every department's id, name and parent, by id: one read of a small table, from which a
    page names many departments' paths (`short_department_path(row, ministry, tree)`) without
    loading each department and its parents one by one."""
    return {row.id: row for row in db.session.execute(
        select(Department.id, Department.name, Department.parent_id))}


def short_department_path(department: Department, ministry: str,
                          by_id: dict[int, Department] | None = None) -> str:
    """Return the path without the ministry's own name at its root, as tables show it.

    Every official is in the ministry: "Bộ Ngoại giao/Cục Lãnh sự/Phòng Hộ chiếu" reads
    "Cục Lãnh sự/Phòng Hộ chiếu". The ministry itself, and a tree rooted elsewhere, keep their
    full path; exports and certificates keep the full path too.
    """
    names = department_path(department, by_id).split(PATH_SEPARATOR)
    if len(names) > 1 and names[0].casefold() == clean_name(ministry).casefold():
        names = names[1:]
    return PATH_SEPARATOR.join(names)


def all_departments() -> list[Department]:
    """Return every department, parents before children, siblings by name."""
    departments = db.session.scalars(select(Department)).all()
    by_id = {d.id: d for d in departments}
    return sorted(departments, key=lambda d: department_path(d, by_id).casefold())


def department_paths() -> dict[str, Department]:
    """Map every department's casefolded path to the department."""
    departments = db.session.scalars(select(Department)).all()
    by_id = {d.id: d for d in departments}
    return {department_path(d, by_id).casefold(): d for d in departments}


def lock_directory(*, now: datetime) -> None:
    """Hold the directory's lock until the transaction ends: the writers of accounts and
    departments (create, rename, move, import) each check that a name, username, email or
    staff number is free, then write, and two at once would both find it free (the second
    then failing on a unique index, or, where no index can tell, as for two root departments
    or names differing only in case, writing a duplicate). Rare admin actions: one lock for
    all. Call it before the checks' first read."""
    ratelimit.lock("directory", "accounts", now=now)


def _sibling_exists(name: str, parent: Department | None, exclude_id: int | None = None) -> bool:
    condition = (
        Department.parent_id == parent.id if parent is not None else Department.parent_id.is_(None)
    )
    query = select(Department.id).where(condition, func.lower(Department.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Department.id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


def _new_department(name: str, parent: Department | None) -> Department:
    department = Department(name=name, parent=parent, path="")
    db.session.add(department)
    db.session.flush()
    department.path = (parent.path if parent else PATH_SEPARATOR) + f"{department.id}/"
    return department


def create_department(
    actor: User | None, name: str, parent: Department | None, *, now: datetime
) -> Department:
    """Add a department under `parent` (or a new root)."""
    require_admin(actor)
    name = clean_name(name)
    if not name:
        raise RuleViolation(_l("Enter a name."), field="name")
    if len(name) > MAX_NAME:
        raise RuleViolation(NAME_TOO_LONG, field="name")
    if _depth(parent) >= MAX_DEPTH:
        raise RuleViolation(TOO_DEEP, field="parent_id")
    lock_directory(now=now)
    if _sibling_exists(name, parent):
        raise RuleViolation(_l("A department with this name already exists here."), field="name")
    department = _new_department(name, parent)
    audit(actor, "department.create", department, now=now, name=name)
    return department


def head_from(username: str | None) -> User | None:
    """Return the active official a typed username names as a head, None for an empty field."""
    username = (username or "").strip().casefold()
    if not username:
        return None
    user = db.session.scalar(select(User).where(func.lower(User.username) == username))
    if user is None or not user.is_active:
        raise RuleViolation(_l("No active account with this username."), field="head")
    return user


def update_department(
    actor: User | None,
    department: Department,
    *,
    name: str,
    parent: Department | None,
    now: datetime,
    head: str | None = None,
) -> None:
    """Rename and/or move a department with its whole subtree, and name its head."""
    require_admin(actor)
    lock_directory(now=now)
    head_user = head_from(head)
    if (head_user.id if head_user else None) != department.head_id:
        department.head_id = head_user.id if head_user else None
        audit(actor, "department.head", department, now=now,
              head=head_user.username if head_user else None)
    name = clean_name(name)
    if not name:
        raise RuleViolation(_l("Enter a name."), field="name")
    if parent is not None and parent.is_within(department):
        raise RuleViolation(
            _l("A department cannot be moved below itself."), field="parent_id"
        )
    if len(name) > MAX_NAME:
        raise RuleViolation(NAME_TOO_LONG, field="name")
    if department.parent_id != (parent.id if parent else None):
        below = max(path.count(PATH_SEPARATOR) for path in db.session.scalars(
            select(Department.path).where(Department.path.startswith(department.path))))
        if _depth(parent) + below - _depth(department) > MAX_DEPTH:  # the subtree's deepest
            raise RuleViolation(TOO_DEEP, field="parent_id")
    if _sibling_exists(name, parent, exclude_id=department.id):
        raise RuleViolation(_l("A department with this name already exists here."), field="name")
    old_path = department.path
    department.name = name
    if department.parent_id != (parent.id if parent else None):
        department.parent = parent
        new_path = (parent.path if parent else PATH_SEPARATOR) + f"{department.id}/"
        for node in db.session.scalars(
            select(Department).where(Department.path.startswith(old_path))
        ):
            node.path = new_path + node.path[len(old_path):]
        db.session.flush()
        # Campaigns covering the old or the new place follow everyone in the moved subtree.
        moved = db.session.scalars(select(User.id).where(User.department_id.in_(
            select(Department.id).where(Department.path.startswith(new_path))))).all()
        officials_placed.send("accounts", user_ids=list(moved), now=now)
    audit(actor, "department.update", department, now=now, name=name)


def delete_department(actor: User | None, department: Department, *, now: datetime) -> None:
    """Delete an empty department (no units below it, no officials in it)."""
    require_admin(actor)
    if department.children:
        raise RuleViolation(_l("Delete or move the units below this department first."))
    in_use = db.session.scalar(
        select(func.count()).select_from(User).where(User.department_id == department.id)
    ) or db.session.scalar(
        select(func.count())
        .select_from(RoleGrant)
        .where(RoleGrant.scope_department_id == department.id)
    )
    if in_use:
        raise RuleViolation(_l("Officials or HR scopes still use this department."))
    audit(actor, "department.delete", department, now=now, name=department.name)
    db.session.delete(department)


def find_department(path: str, known: dict[str, Department] | None = None) -> Department | None:
    """Return the department a typed path names ("Bộ/Cục", any case or spacing), or None;
    `known` is department_paths() when several paths are looked up."""
    known = department_paths() if known is None else known
    return known.get(PATH_SEPARATOR.join(split_path(path)).casefold())


def ensure_department_path(path: str, existing: dict[str, Department] | None = None) -> Department:
    """Return the department at `path`, creating missing levels (used by import and demo)."""
    existing = department_paths() if existing is None else existing
    parent = None
    walked: list[str] = []
    names = split_path(path)
    problem = (path_problem(names) if PATH_SEPARATOR.join(names).casefold() not in existing
               else None)
    if problem:
        raise RuleViolation(problem, field="department")
    for name in names:
        walked.append(name)
        key = PATH_SEPARATOR.join(walked).casefold()
        node = existing.get(key)
        if node is None:
            node = _new_department(name, parent)
            existing[key] = node
        parent = node
    if parent is None:
        raise RuleViolation(_l("Enter a department path."), field="department")
    return parent


def get_department(department_id: int) -> Department:
    """Return a department or raise NotFound."""
    department = db.session.get(Department, department_id)
    if department is None:
        raise NotFound(_l("No such department."))
    return department


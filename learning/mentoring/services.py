"""The mentoring package's public names, gathered from the modules that own them.

Pages, the command line and the JSON API call these (`from learning.mentoring import services
as mentoring`), with the acting official as `actor`: every rule and right is checked inside.
Each concern lives in its own module: `access` (who may see and change what), `groups`
(groups, mentors, members), `assignments`, `progress` (states), `queries` (pages' reads),
`reminders` (due-date reminders and nudges).
Add no logic here.
"""

from __future__ import annotations

from learning.mentoring.access import (
    can_create_groups,
    can_govern_group,
    can_manage_group,
    can_open_group,
    can_use_mentoring,
    get_group,
    get_member,
    is_mentor_of,
)
from learning.mentoring.assignments import (
    assign,
    chosen_member_ids,
    get_assignment,
    remove_assignment,
    resolve_target,
    target_slugs,
)
from learning.mentoring.groups import (
    GroupRow,
    MembersAdded,
    MembersImport,
    add_department,
    add_member_ids,
    add_members,
    create_group,
    delete_group,
    departments_for,
    group_row,
    import_members,
    list_groups,
    mentors_of,
    remove_member,
    search_candidates,
    search_mentors,
    split_usernames,
    update_group,
)
from learning.mentoring.progress import (
    DONE,
    DONE_LATE,
    IN_PROGRESS,
    NOT_STARTED,
    OVERDUE,
    STATE_LABELS,
    STATES,
    Cell,
    derive_state,
    ministry_day,
)
from learning.mentoring.reminders import BEHIND, Nudged, nudge
from learning.mentoring.queries import (
    AssignedItem,
    GroupProgress,
    assigned_to,
    grid,
    group_assignments,
    group_progress,
    is_target_removed,
    member_detail,
    target_title,
    visible_members,
)

__all__ = [
    "DONE", "DONE_LATE", "IN_PROGRESS", "NOT_STARTED", "OVERDUE", "STATES", "STATE_LABELS", "AssignedItem",
    "Cell", "GroupProgress", "GroupRow", "MembersAdded", "MembersImport", "add_department",
    "add_member_ids", "add_members", "assign", "assigned_to", "can_create_groups",
    "can_govern_group", "can_manage_group", "can_open_group", "can_use_mentoring",
    "chosen_member_ids",
    "create_group", "delete_group", "departments_for", "derive_state", "get_assignment",
    "get_group", "get_member", "grid", "group_assignments", "group_progress", "group_row",
    "import_members",
    "is_mentor_of", "is_target_removed", "list_groups", "member_detail", "mentors_of",
    "ministry_day", "remove_assignment", "remove_member", "resolve_target",
    "search_candidates", "search_mentors", "split_usernames", "target_slugs", "target_title", "update_group",
    "visible_members", "BEHIND", "Nudged", "nudge",
]

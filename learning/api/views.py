"""/api/v1: the JSON API, a thin layer over the services the pages use.

Each endpoint reads its input through a model (`learning.api.spec.endpoint`), calls the same
service or query as the page with the token's official as `current_user`, and describes the
result with a model from `learning.api.schemas`. It has no rules of its own: a domain error of a
service becomes a JSON error here, as it becomes an error page on the pages.

To add an endpoint: a model in `schemas.py`, then a view here decorated with `@endpoint(...)`;
lists take a `PageQuery` (or a subclass) and return `paginate(...)`'s page. The OpenAPI
document and the Schemathesis test pick it up by themselves.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from courses import queries as catalog
from learning import clock
from learning.accounts import services as accounts
from learning.api import auth
from learning.api.errors import API_PREFIX, MESSAGES, APIError, json_error
from learning.api.pagination import PageQuery, paginate
from learning.api.schemas import (
    Assignment,
    AssignmentCreate,
    AssignmentState,
    Course,
    CoursePage,
    CourseQuery,
    Enrolment,
    EnrolmentPage,
    Group,
    GroupCreate,
    GroupDetail,
    GroupPage,
    GroupProgress,
    Me,
    MemberProgress,
    MembersAdd,
    MembersAdded,
    ProgressQuery,
    TaskPage,
    TaskQuery,
    TaskReturn,
    TaskSubmission,
)
from learning.api.spec import document, endpoint
from learning.db import db
from learning.errors import DomainError, NotFound, PermissionDenied, RuleViolation
from learning.mentoring import services as mentoring
from learning.mentoring import tasks as task_review
from learning.text import fold

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)
# The most hand-ins a review list reads (as the page does, a cursor pages through them).
TASKS_LIMIT = 1000
# Readable without a token: the description of the API and its reference page.
PUBLIC_ENDPOINTS = {"api.openapi", "api.docs"}


@bp.before_request
def authenticate():
    """Let only requests with a working token through, and count them (see `auth`)."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    auth.require_token(request)


@bp.after_request
def private(response):
    """Keep an official's data out of shared caches (proxies, browsers)."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Authorization")
    return response


@bp.errorhandler(APIError)
def api_error(error: APIError):
    """Answer an API error with its JSON body."""
    return json_error(error.status, error.message, headers=error.headers, field=error.field)


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    """Answer a service's refusal as the pages do, in JSON: 403, 404, or 422 for a rule."""
    db.session.rollback()  # nothing of a refused change is written
    if isinstance(error, PermissionDenied):
        return json_error(403, error.message)
    if isinstance(error, NotFound):
        return json_error(404, error.message or MESSAGES[404])
    return json_error(422, error.message, field=error.field)


# --- the official ----------------------------------------------------------------------------

@bp.get("/me")
@endpoint(operation_id="getMe", ok=Me, tags=["me"])
def me():
    """The official the token acts as.

    Their account as their account page shows it: names, department, job title, roles and
    language."""
    user = current_user._get_current_object()
    path = accounts.department_path(user.department) if user.department is not None else None
    return Me.from_user(user, path)


@bp.get("/me/enrolments")
@endpoint(operation_id="listMyEnrolments", query=PageQuery, ok=EnrolmentPage, tags=["me"],
          errors=(400,))
def my_enrolments(query: PageQuery):
    """The official's enrolments, with their progress.

    Oldest enrolment first (the order does not change as the official learns, so paging
    through is stable)."""
    entries = catalog.enrolled_courses(current_user._get_current_object())
    page, next_cursor = paginate(entries, key=lambda entry: (entry.enrolment.id,), query=query)
    return EnrolmentPage(items=[Enrolment.from_entry(entry) for entry in page],
                         next_cursor=next_cursor)


# --- courses ---------------------------------------------------------------------------------

@bp.get("/courses")
@endpoint(operation_id="listCourses", query=CourseQuery, ok=CoursePage, tags=["courses"],
          errors=(400,))
def courses(query: CourseQuery):
    """The published courses, as the catalog page lists them.

    One entry per course family, in the official's language where the family has it (the
    other languages under `other_versions`); the same search and filters as the catalog."""
    entries = catalog.search(current_user._get_current_object(), query=query.q.strip(),
                             language=query.language or "", topic=query.topic)
    page, next_cursor = paginate(entries, key=lambda entry: (entry.course.title,
                                                             entry.course.id), query=query)
    return CoursePage(items=[Course.from_entry(entry) for entry in page],
                      next_cursor=next_cursor)


# --- mentoring -------------------------------------------------------------------------------
#
# The pages' rules, through the same services: officials without mentoring rights get 403
# before any look-up (so no id can be probed), a group the official may not open is 404 whatever
# its id, HR sees only the members within their scope, and a mentor only the assigned learning.

ONE_TARGET = _l("Name a module or a lesson, not both.")
# Sort keys carried by cursors are cut (a cursor must stay short enough for a URL); past the
# cut, items keep a stable order by id.
KEY_TEXT = 100
KEY_BYTES = 400


def _mentoring_user():
    """The token's official, if mentoring is for them at all (else 403, as on the pages)."""
    user = current_user._get_current_object()
    if not mentoring.can_use_mentoring(user):
        raise APIError(403)
    return user


def _open_group(group_id: int):
    """The official and the group of the URL, which they may open (else 404)."""
    user = _mentoring_user()
    return user, mentoring.get_group(user, group_id)


def _department_paths(departments) -> dict[int, str]:
    wanted = {department.id for department in departments if department is not None}
    if not wanted:
        return {}
    by_id = {department.id: department for department in accounts.all_departments()}
    return {department_id: accounts.department_path(by_id[department_id], by_id)
            for department_id in wanted if department_id in by_id}


def _visible(user, group) -> dict[int, str]:
    """The usernames of the group's members the official sees, by id, in name order."""
    return {member.id: member.username for member in mentoring.visible_members(user, group)}


def _assignment(assignment, visible: dict[int, str]) -> Assignment:
    """Describe an assignment, naming only the chosen members the official sees."""
    members = None
    if not assignment.is_whole_group:
        chosen = set(mentoring.chosen_member_ids(assignment))
        members = [name for member_id, name in visible.items() if member_id in chosen]
    return Assignment.from_assignment(
        assignment, title=mentoring.target_title(assignment),
        removed=mentoring.is_target_removed(assignment), members=members)


def _group_detail(user, group) -> GroupDetail:
    row = mentoring.group_row(user, group)
    visible = _visible(user, group)
    return GroupDetail(**Group.fields_of(row, _department_paths([group.department])),
                       assignments=[_assignment(assignment, visible)
                                    for assignment in mentoring.group_assignments(group)])


def _member_ids(user, group, usernames: list[str] | None) -> list[int] | None:
    """The ids of the named members of the group (those the official sees); 422 naming any
    other."""
    if usernames is None:
        return None
    ids = {name.casefold(): member_id for member_id, name in _visible(user, group).items()}
    names = mentoring.split_usernames(usernames)
    unknown = [name for name in names if name not in ids]
    if unknown:
        raise RuleViolation(_l("Not members of this group: %(names)s",
                               names=", ".join(unknown)), field="members")
    return [ids[name] for name in names]


@bp.get("/groups")
@endpoint(operation_id="listGroups", query=PageQuery, ok=GroupPage, tags=["mentoring"],
          errors=(400, 403))
def groups(query: PageQuery):
    """The groups the official mentors (or manages, for HR and administrators).

    As the mentoring home page lists them: by name, with their mentors and counts."""
    rows = mentoring.list_groups(_mentoring_user())
    page, next_cursor = paginate(rows, key=lambda row: (
        fold(row.group.name)[:KEY_TEXT], row.group.name[:KEY_TEXT], row.group.id), query=query)
    paths = _department_paths(row.group.department for row in page)
    return GroupPage(items=[Group.from_row(row, paths) for row in page],
                     next_cursor=next_cursor)


@bp.post("/groups")
@endpoint(operation_id="createGroup", json=GroupCreate, ok=GroupDetail, status=201,
          tags=["mentoring"], errors=(403, 422))
def create_group(json: GroupCreate):
    """Create a group and name its mentors.

    Mentors, HR and administrators create groups; `mentors` defaults to the official. Answers
    201 with the group (its `id` for the next calls) and its address in `Location`."""
    user = _mentoring_user()
    try:
        group = mentoring.create_group(
            user, json.name, json.mentors if json.mentors is not None else [user.username],
            description=json.description, department_id=json.department_id, now=clock.now())
    except NotFound as error:  # the department the body names: the body is at fault
        raise RuleViolation(error.message, field="department_id") from None
    db.session.commit()
    return (_group_detail(user, group), 201,
            {"Location": url_for(".group", group_id=group.id)})


@bp.get("/groups/<int:group_id>")
@endpoint(operation_id="getGroup", ok=GroupDetail, tags=["mentoring"], errors=(403, 404))
def group(group_id: int):
    """A group with its mentors, counts and assignments.

    Another mentor's group, or one outside an HR official's scope, is 404 like one that does
    not exist."""
    user, group = _open_group(group_id)
    return _group_detail(user, group)


@bp.post("/groups/<int:group_id>/members")
@endpoint(operation_id="addGroupMembers", json=MembersAdd, ok=MembersAdded,
          tags=["mentoring"], errors=(403, 404, 422))
def add_members(group_id: int, json: MembersAdd):
    """Add officials to a group by username.

    Idempotent: members already there stay as they are (listed under `already`). Any unknown,
    deactivated or out-of-reach username and nobody is added: 422 naming them. Newcomers are
    enrolled in the group's whole-group assignments."""
    user, group = _open_group(group_id)
    result = mentoring.add_members(user, group, json.usernames, now=clock.now())
    db.session.commit()
    return MembersAdded(added=[member.username for member in result.added],
                        already=[member.username for member in result.already])


@bp.post("/groups/<int:group_id>/assignments")
@endpoint(operation_id="assignToGroup", json=AssignmentCreate, ok=Assignment,
          status=(201, 200), tags=["mentoring"], errors=(403, 404, 422))
def assign(group_id: int, json: AssignmentCreate):
    """Assign a course, one of its modules or one of its lessons, due on a day.

    For the whole group, or for the chosen `members`; it enrols them in the course. Answers 201
    with the new assignment. The same target again (the same course, module or lesson) answers
    200 and updates that assignment, never a duplicate: its due date, note and members become
    those sent (a field left out takes its default: no note, the whole group)."""
    user, group = _open_group(group_id)
    if json.module is not None and json.lesson is not None:
        raise APIError(400, ONE_TARGET)
    assignment, created = mentoring.assign(
        user, group, json.course, json.module, json.lesson, json.due_on, json.note,
        _member_ids(user, group, json.members), now=clock.now())
    db.session.commit()
    return _assignment(assignment, _visible(user, group)), 201 if created else 200


@bp.get("/groups/<int:group_id>/progress")
@endpoint(operation_id="getGroupProgress", query=ProgressQuery, ok=GroupProgress,
          tags=["mentoring"], errors=(400, 403, 404))
def progress(group_id: int, query: ProgressQuery):
    """Who is where: each member's state and progress on the assignments that apply to them.

    As the group's grid shows it: members in Vietnamese name order (HR: those within their
    scope), only the assigned learning. `state=overdue` lists who is behind."""
    user, group = _open_group(group_id)
    found = mentoring.group_progress(user, group, now=clock.now())
    rows = mentoring.grid(found, state=query.state or "",
                          page_size=max(len(found.rows), 1)).rows
    page, next_cursor = paginate(rows, key=lambda row: (
        row.user.sort_name[:KEY_BYTES].hex(), row.user.id), query=query)
    return GroupProgress(members=[
        MemberProgress(username=row.user.username, full_name=row.user.full_name, assignments=[
            AssignmentState(id=assignment.id, state=cell.state, percent=cell.percent,
                            quiz_percent=cell.quiz_percent, done_at=cell.done_at)
            for assignment in found.assignments
            if (cell := row.cells.get(assignment.id)) is not None])
        for row in page], next_cursor=next_cursor)


@bp.get("/tasks")
@endpoint(operation_id="listTasksToReview", query=TaskQuery, ok=TaskPage, tags=["tasks"],
          errors=(400,))
def tasks(query: TaskQuery):
    """The practical tasks handed in that the official may review.

    Mentors see their groups' members' hand-ins, HR those of officials in their scope,
    administrators all, as on the page "Tasks to review": `state=waiting` (the default) the
    oldest first, `confirmed` and `returned` the newest first."""
    found = task_review.tasks_to_review(current_user, query.state, limit=TASKS_LIMIT)
    position = {submission.id: index for index, submission in enumerate(found)}
    page, next_cursor = paginate(found, key=lambda submission: (
        position[submission.id], submission.id), query=query)
    return TaskPage(items=[TaskSubmission.from_submission(s) for s in page],
                    next_cursor=next_cursor)


@bp.post("/tasks/<int:submission_id>/confirm")
@endpoint(operation_id="confirmTask", ok=TaskSubmission, tags=["tasks"], errors=(404, 422))
def confirm_task(submission_id: int):
    """Confirm a waiting hand-in: the task counts toward the official's course.

    A hand-in the official may not review is 404; one already reviewed is 422."""
    submission = task_review.get_submission(current_user, submission_id, review=True)
    task_review.confirm(current_user, submission, clock.now())
    db.session.commit()
    return TaskSubmission.from_submission(submission)


@bp.post("/tasks/<int:submission_id>/return")
@endpoint(operation_id="returnTask", json=TaskReturn, ok=TaskSubmission, tags=["tasks"],
          errors=(404, 422))
def return_task(submission_id: int, json: TaskReturn):
    """Return a waiting hand-in with a comment; the official is told and may hand it in again.

    A hand-in the official may not review is 404; one already reviewed is 422."""
    submission = task_review.get_submission(current_user, submission_id, review=True)
    task_review.return_task(current_user, submission, json.comment, clock.now())
    db.session.commit()
    return TaskSubmission.from_submission(submission)


# --- the description -------------------------------------------------------------------------

@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of this API, generated from the code."""
    return document()


@bp.get("/docs")
def docs():
    """The API reference page (Swagger UI from vendored files, started by a static script)."""
    return render_template("api/docs.html")

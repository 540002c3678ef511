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

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from sqlalchemy.orm import aliased

from certificates import services as certificates
from certificates.models import Certificate as CertificateModel
from courses import queries as catalog
from courses import services as catalog_services
from courses.models import Course as CourseModel
from learning import clock
from learning.accounts import services as accounts
from learning.api import auth
from learning.api.errors import API_PREFIX, MESSAGES, APIError, json_error
from learning.api.pagination import (
    BAD_CURSOR,
    PageQuery,
    after_condition,
    decode_cursor,
    encode_cursor,
    paginate,
)
from learning.api.schemas import (
    Assignment,
    AssignmentCreate,
    AssignmentState,
    Campaign,
    CampaignChange,
    CampaignCreate,
    CampaignDetail,
    CampaignFiguresQuery,
    CampaignPage,
    CampaignQuery,
    Certificate,
    CertificatePage,
    CertificateQuery,
    Course,
    CoursePage,
    CourseRef,
    DepartmentPage,
    DepartmentQuery,
    DepartmentRow,
    CourseQuery,
    Enrolment,
    EnrolmentPage,
    Figures,
    Group,
    GroupCreate,
    GroupDetail,
    GroupPage,
    GroupProgress,
    Me,
    MemberProgress,
    MembersAdd,
    MembersAdded,
    Official,
    OfficialPage,
    OfficialQuery,
    ProgressQuery,
    TaskPage,
    TaskQuery,
    TaskReturn,
    TaskSubmission,
    Transcript,
)
from learning.api.spec import document, endpoint
from learning.db import db
from learning.mail import absolute_url
from learning.accounts.models import User
from learning.campaigns import services as campaigns
from learning.errors import DomainError, NotFound, PermissionDenied, RuleViolation
from learning.mentoring import services as mentoring
from learning.mentoring import tasks as task_review
from learning.reports import people, rollup
from learning.reports import transcript as transcripts
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
    return json_error(error.status, error.message, headers=error.headers, field=error.field,
                      fields=error.fields)


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


# --- HR: departments, campaigns, officials, certificates ---------------------------------------
#
# The HR pages' read models and services with the token's official as the actor: officials
# without HR rights get 403 before any look-up; HR of a department sees its subtree only (a
# campaign or certificate beyond it is 404, lists are cut to it); a department path, course or
# campaign a filter or body names that the official cannot see is a 422 on that field, the
# same whether it exists or not.

NO_COURSE = _l("No course has this slug.")
NO_CAMPAIGN = _l("Choose a campaign from the list.")
# The people list names its date filters as the page's query parameters do.
PEOPLE_FIELDS = {"from": "date_from", "to": "date_to"}


def _hr_user():
    """The token's official, if HR pages are for them at all (else 403, as on the pages)."""
    user = current_user._get_current_object()
    if not accounts.can_use_hr_pages(user):
        raise APIError(403)
    return user


def _today():
    """The ministry's calendar day (deadlines and "overdue" are days of it)."""
    return clock.ministry_day(clock.now())


class _Departments:
    """The department tree, read once per request: paths both ways, and the official's scope."""

    def __init__(self, user):
        departments = accounts.all_departments()
        self.by_id = {department.id: department for department in departments}
        self.path_of = {department.id: accounts.department_path(department, self.by_id)
                        for department in departments}
        self.by_path = {path.casefold(): self.by_id[department_id]
                        for department_id, path in self.path_of.items()}
        self.scope = accounts.hr_scope(user)
        self.ministry = current_app.config["MINISTRY_NAME"]

    def find(self, path: str, field: str):
        """The department a path names within the scope; 422 on `field` otherwise (unknown
        and out-of-scope departments are refused alike). The ministry's own name may be left
        out at the front, as the pages show paths."""
        wanted = accounts.PATH_SEPARATOR.join(accounts.split_path(path))
        department = self.by_path.get(wanted.casefold()) or self.by_path.get(
            f"{accounts.clean_name(self.ministry)}{accounts.PATH_SEPARATOR}{wanted}".casefold())
        if department is None or (self.scope not in (None, False)
                                  and not department.is_within(self.scope)):
            raise RuleViolation(_l("No department with this path in your scope: %(path)s",
                                   path=path), field=field)
        return department


def _course_id(slug: str | None, field: str = "course") -> int | None:
    """The id of the course a slug names (published or not); 422 on `field` for none."""
    if slug is None:
        return None
    try:
        return catalog_services.get_course(slug, include_unpublished=True).id
    except NotFound:
        raise RuleViolation(NO_COURSE, field=field) from None


def _filter_campaign(user, campaign_id: int | None):
    """The campaign a filter names, which the official sees; 422 on `campaign` otherwise."""
    if campaign_id is None:
        return None
    try:
        return campaigns.get_campaign(user, campaign_id)
    except NotFound:
        raise RuleViolation(NO_CAMPAIGN, field="campaign") from None


def _tree_page(rows, departments: _Departments, query: PageQuery) -> DepartmentPage:
    """A page of rollup rows, in tree order (the position in the tree is the cursor's key)."""
    position = {row.department_id: index for index, row in enumerate(rows)}
    page, next_cursor = paginate(rows, key=lambda row: (position[row.department_id],
                                                        row.department_id), query=query)
    return DepartmentPage(items=[DepartmentRow(
        id=row.department_id, name=row.name, department=departments.path_of[row.department_id],
        parent_id=row.parent_id, depth=row.depth, **Figures.fields_of(row))
        for row in page], next_cursor=next_cursor)


@bp.get("/departments")
@endpoint(operation_id="listDepartments", query=DepartmentQuery, ok=DepartmentPage,
          tags=["hr"], errors=(400, 403, 422))
def departments(query: DepartmentQuery):
    """The department tree of your HR scope, each department with the figures of its subtree.

    Parents before their units, units by name, as the HR dashboard shows them. Without
    `campaign` or `course`: how many active officials each department has (its units
    included). With `campaign` (an id) or `course` (a slug): their figures, as
    `/campaigns/{id}/departments` gives them."""
    user = _hr_user()
    if query.campaign is not None and query.course is not None:
        raise RuleViolation(CAMPAIGN_OR_COURSE, field="course")
    tree = _Departments(user)
    campaign = _filter_campaign(user, query.campaign)
    course_id = _course_id(query.course)
    if campaign is not None:
        rows = rollup.department_rollup(user, campaign=campaign, today=_today())
    elif course_id is not None:
        rows = rollup.department_rollup(user, course=db.session.get(CourseModel, course_id),
                                        today=_today())
    else:
        rows = rollup.officials_rollup(user)
    return _tree_page(rows, tree, query)


CAMPAIGN_OR_COURSE = _l("Name a campaign or a course, not both.")


def _campaign(campaign, user, paths: dict[int, str]) -> dict:
    """The fields of a campaign (its departments named by `paths`)."""
    return {"id": campaign.id, "title": campaign.title,
            "description": campaign.description or "",
            "course": CourseRef.from_course(campaign.course), "deadline": campaign.deadline,
            "departments": sorted(paths[scope.department_id] for scope in campaign.scopes),
            "job_titles": campaign.job_title_list,
            "archived": campaign.archived_at is not None,
            "can_manage": campaigns.can_manage(user, campaign),
            "created_at": campaign.created_at, "updated_at": campaign.updated_at,
            "archived_at": campaign.archived_at}


def _campaign_detail(user, campaign) -> CampaignDetail:
    rows = rollup.department_rollup(user, campaign=campaign, today=_today())
    return CampaignDetail(**_campaign(campaign, user, _Departments(user).path_of),
                          figures=Figures(**Figures.fields_of(rollup.totals(rows))))


def _department_ids(user, paths: list[str] | None) -> list[int] | None:
    if paths is None:
        return None
    tree = _Departments(user)
    return [tree.find(path, "departments").id for path in paths]


@bp.get("/campaigns")
@endpoint(operation_id="listCampaigns", query=CampaignQuery, ok=CampaignPage, tags=["hr"],
          errors=(400, 403))
def campaigns_list(query: CampaignQuery):
    """The campaigns of your scope: those covering a department of it (you see your part).

    The nearest deadline first, as on the campaigns page; `archived=true` lists the archived
    ones too."""
    user = _hr_user()
    found = campaigns.list_campaigns(user, include_archived=query.archived)
    page, next_cursor = paginate(found, key=lambda campaign: (
        campaign.deadline.isoformat(), campaign.id), query=query)
    paths = _Departments(user).path_of if page else {}
    return CampaignPage(items=[Campaign(**_campaign(campaign, user, paths))
                               for campaign in page], next_cursor=next_cursor)


@bp.post("/campaigns")
@endpoint(operation_id="createCampaign", json=CampaignCreate, ok=CampaignDetail, status=201,
          tags=["hr"], errors=(403, 422))
def create_campaign(json: CampaignCreate):
    """Make a course mandatory for department subtrees of your scope, by a deadline.

    Everyone it covers (with one of `job_titles`, when given) is enrolled in the course and
    counted at once, officials who join the departments later too. Answers 201 with the
    campaign (its `id` for the next calls, its figures) and its address in `Location`; an
    unknown course, a department path outside your scope or a deadline out of range is a 422
    naming the field."""
    user = _hr_user()
    campaign = campaigns.create_campaign(
        user, title=json.title, course_id=_course_id(json.course),
        department_ids=_department_ids(user, json.departments), deadline=json.deadline,
        job_titles=json.job_titles, description=json.description, now=clock.now())
    db.session.commit()
    return (_campaign_detail(user, campaign), 201,
            {"Location": url_for(".campaign", campaign_id=campaign.id)})


@bp.get("/campaigns/<int:campaign_id>")
@endpoint(operation_id="getCampaign", ok=CampaignDetail, tags=["hr"], errors=(403, 404))
def campaign(campaign_id: int):
    """A campaign with the figures of its part within your scope.

    A campaign covering nothing of your scope is 404 like one that does not exist."""
    user = _hr_user()
    return _campaign_detail(user, campaigns.get_campaign(user, campaign_id))


@bp.patch("/campaigns/<int:campaign_id>")
@endpoint(operation_id="updateCampaign", json=CampaignChange, ok=CampaignDetail,
          tags=["hr"], errors=(403, 404, 422))
def update_campaign(campaign_id: int, json: CampaignChange):
    """Change a campaign's title, departments, job titles, deadline or description, or archive
    it: only the fields sent change.

    Members and figures follow the new scope at once (those who leave it keep their records).
    Only HR whose scope holds all of the campaign's departments, and administrators, may change
    it (else 403)."""
    user = _hr_user()
    campaign = campaigns.get_campaign(user, campaign_id)
    sent = json.model_fields_set
    now = clock.now()
    changes = {name: getattr(json, name) for name in
               ("title", "deadline", "job_titles", "description") if name in sent}
    if "departments" in sent:
        changes["department_ids"] = _department_ids(user, json.departments)
    if changes:
        campaigns.update_campaign(user, campaign, **changes, now=now)
    if "archived" in sent and json.archived != (campaign.archived_at is not None):
        campaigns.archive_campaign(user, campaign, archived=json.archived, now=now)
    db.session.commit()
    return _campaign_detail(user, campaign)


@bp.get("/campaigns/<int:campaign_id>/departments")
@endpoint(operation_id="listCampaignDepartments", query=CampaignFiguresQuery,
          ok=DepartmentPage, tags=["hr"], errors=(400, 403, 404))
def campaign_departments(campaign_id: int, query: CampaignFiguresQuery):
    """The campaign's figures per department of your scope, each including its units.

    One row per department, parents before their units (the HR dashboard's tree): completed
    (on time), completed late, in progress, not started, overdue (not completed and the
    deadline, a day of the ministry's calendar, has passed), the rates and the average final
    score. The top rows add up to the campaign's `figures`."""
    user = _hr_user()
    found = campaigns.get_campaign(user, campaign_id)
    rows = rollup.department_rollup(user, campaign=found, today=_today(),
                                    only_counted=query.only_counted)
    return _tree_page(rows, _Departments(user), query)


@bp.get("/officials")
@endpoint(operation_id="listOfficials", query=OfficialQuery, ok=OfficialPage,
          tags=["officials"], errors=(400, 403, 422))
def officials(query: OfficialQuery):
    """The officials of your scope with their standing: the HR people list.

    With `campaign`: its members, one row each, with the five statuses. With `course` and no
    campaign: its learners (completed, in progress, not started: a course has no deadline).
    With neither: every enrolment, one row per official and course. Filters by department
    subtree, status, completion days and a search on names and staff numbers; in Vietnamese
    name order by default. `total` counts the rows of the whole list."""
    user = _hr_user()
    department = _Departments(user).find(query.department, "department") \
        if query.department is not None else None
    filters = people.PeopleFilter(
        department_id=department.id if department is not None else None,
        course_id=_course_id(query.course), campaign_id=query.campaign, status=query.status,
        date_from=query.date_from, date_to=query.date_to, q=query.q, sort=query.sort)
    try:
        found = people.list_people(user, filters, today=_today(), cursor=query.cursor or None,
                                   limit=query.limit)
    except people.BadCursor:
        raise APIError(400, BAD_CURSOR, field="cursor") from None
    except RuleViolation as error:
        raise RuleViolation(error.message, field=PEOPLE_FIELDS.get(error.field, error.field)) \
            from None
    return OfficialPage(items=[Official(
        username=row.username, staff_number=row.staff_number, full_name=row.full_name,
        department=row.department_path, job_title=row.job_title, course=row.course_title,
        campaign=row.campaign_title or None, status=row.status, completed_at=row.completed_at,
        score=row.score, hours=row.hours, certificate_serial=row.certificate_serial)
        for row in found.rows], next_cursor=found.next_cursor, total=found.total)


def _certificate(certificate, username: str, previous_serial: str | None, now) -> Certificate:
    return Certificate(
        code=certificate.code, serial=certificate.serial, status=certificate.status(now),
        username=username, holder_name=certificate.holder_name,
        staff_number=certificate.staff_number or "", department=certificate.department or "",
        course=certificate.course_slug, course_title=certificate.course_title,
        course_version=certificate.course_version, language=certificate.language,
        completed_at=certificate.completed_at, score=certificate.score,
        issued_at=certificate.issued_at, expires_at=certificate.expires_at,
        reason=certificate.reason, previous_serial=previous_serial,
        revoked_at=certificate.revoked_at, revocation_category=certificate.revocation_category,
        revoked_reason=certificate.revoked_reason,
        verify_url=absolute_url("certificates.verify", code=certificate.code))


@bp.get("/certificates")
@endpoint(operation_id="listCertificates", query=CertificateQuery, ok=CertificatePage,
          tags=["hr"], errors=(400, 403, 422))
def certificates_list(query: CertificateQuery):
    """The certificates of the officials of your scope, the newest first.

    As the HR certificates page finds them (a serial, or words of the holder's name or staff
    number), by course, department subtree (of the holder's current department) and status
    (`valid`, `revoked`, `expired` now)."""
    user = _hr_user()
    department = _Departments(user).find(query.department, "department") \
        if query.department is not None else None
    now = clock.now()
    previous = aliased(CertificateModel)
    statement = certificates.in_scope_statement(
        user, course_id=_course_id(query.course), department=department, status=query.status,
        query=query.q, now=now).add_columns(User.username, previous.serial).outerjoin(
        previous, previous.id == CertificateModel.previous_id)
    if query.cursor:
        statement = statement.where(after_condition(
            [CertificateModel.id], decode_cursor(query.cursor, arity=1), descending=True))
    found = db.session.execute(statement.order_by(CertificateModel.id.desc())
                               .limit(query.limit + 1)).all()
    page = found[:query.limit]
    return CertificatePage(
        items=[_certificate(row[0], row[1], row[2], now) for row in page],
        next_cursor=encode_cursor((page[-1][0].id,)) if len(found) > query.limit else None)


@bp.get("/certificates/<code>")
@endpoint(operation_id="getCertificate", ok=Certificate, tags=["hr"], errors=(403, 404))
def certificate(code: str):
    """A certificate of an official of your scope, by its verification code or its serial.

    A certificate beyond your scope is 404 like one that does not exist."""
    user = _hr_user()
    found = certificates.find_by_code(code)
    if found is None and code.strip().upper().startswith("HS-"):
        found = certificates.find_by_serial(user, code)
    if found is None or not certificates.can_view(user, found):
        raise NotFound(_l("No such certificate."))
    holder = db.session.get(User, found.user_id)
    previous = db.session.get(CertificateModel, found.previous_id) \
        if found.previous_id is not None else None
    return _certificate(found, holder.username, previous.serial if previous else None,
                        clock.now())


# --- HR: officials -------------------------------------------------------------------------

@bp.get("/officials/<username>/transcript")
@endpoint(operation_id="getTranscript", ok=Transcript, tags=["officials"],
          errors=(403, 404))
def transcript(username: str):
    """An official's transcript: courses, lessons, quiz attempts, tasks and certificates.

    What the transcript page and its signed PDF show. Officials read their own; HR reads those
    of the officials in its scope, administrators everyone's. Another official's username is a
    403 for anyone without HR rights (before any look-up) and, for HR, a 404 when it is unknown
    or outside its scope."""
    user = current_user._get_current_object()
    official = transcripts.find_official(user, username)
    return Transcript.from_transcript(transcripts.get_transcript(user, official,
                                                                 now=clock.now()))


# --- the description -------------------------------------------------------------------------

@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of this API, generated from the code."""
    return document()


@bp.get("/docs")
def docs():
    """The API reference page (Swagger UI from vendored files, started by a static script)."""
    return render_template("api/docs.html")

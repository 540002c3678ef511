"""What the API answers and accepts, as pydantic models: the OpenAPI document is made of these.

Each model says what a field is; `from_*` builders turn what the services return into it.
No rules here: which objects a token's official sees is decided by the services.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from learning.api.pagination import Page, PageQuery
from learning.mentoring.assignments import MAX_NOTE
from learning.mentoring.groups import MAX_DESCRIPTION, MAX_LIST, MAX_NAME
from learning.params import DB_INT_MAX

Language = Literal["vi", "en", "ko"]
Role = Literal["learner", "mentor", "hr", "admin"]


class Me(BaseModel):
    """The official the token acts as."""

    id: int
    username: str
    full_name: str
    email: str | None
    staff_number: str | None
    job_title: str
    department_id: int | None
    department: str | None = Field(
        description="The department's full path, e.g. `Bộ Ngoại giao/Cục Lãnh sự`.")
    roles: list[Role] = Field(description="The official's roles, sorted.")
    preferred_language: Language

    @classmethod
    def from_user(cls, user, department_path: str | None) -> Me:
        """Describe an official."""
        return cls(id=user.id, username=user.username, full_name=user.full_name,
                   email=user.email, staff_number=user.staff_number,
                   job_title=user.job_title or "", department_id=user.department_id,
                   department=department_path, roles=sorted(user.roles),
                   preferred_language=user.preferred_language)


class CourseRef(BaseModel):
    """A course, named."""

    slug: str
    title: str
    language: Language

    @classmethod
    def from_course(cls, course) -> CourseRef:
        """Name a course."""
        return cls(slug=course.slug, title=course.title, language=course.language)


class Enrolment(BaseModel):
    """One of the official's enrolments, with their progress."""

    id: int
    course: CourseRef
    percent_complete: int = Field(ge=0, le=100)
    lessons_done: int = Field(ge=0)
    lessons_total: int = Field(ge=0, description="The course's current lessons.")
    time_spent_seconds: int = Field(ge=0)
    enrolled_at: datetime
    started_at: datetime | None
    last_activity_at: datetime | None
    completed_at: datetime | None = Field(description="When the course was completed; null "
                                                      "while it is not.")

    @classmethod
    def from_entry(cls, entry) -> Enrolment:
        """Describe an enrolment (a `courses.queries.EnrolledCourse`)."""
        enrolment = entry.enrolment
        return cls(id=enrolment.id, course=CourseRef.from_course(entry.course),
                   percent_complete=enrolment.percent_complete,
                   lessons_done=enrolment.lessons_done, lessons_total=len(entry.lessons),
                   time_spent_seconds=enrolment.time_spent_seconds,
                   enrolled_at=enrolment.enrolled_at, started_at=enrolment.started_at,
                   last_activity_at=enrolment.last_activity_at,
                   completed_at=enrolment.completed_at)


class EnrolmentPage(Page[Enrolment]):
    """A page of the official's enrolments, oldest first."""


class OwnProgress(BaseModel):
    """The official's progress on a catalog course."""

    percent_complete: int = Field(ge=0, le=100)
    completed_at: datetime | None


class Course(BaseModel):
    """A published course of the catalog."""

    slug: str
    title: str
    summary: str
    language: Language
    version: str
    estimated_minutes: int = Field(ge=0)
    topics: list[str]
    lessons: int = Field(ge=0, description="The number of current lessons.")
    other_versions: list[CourseRef] = Field(
        description="The same course in other languages.")
    enrolment: OwnProgress | None = Field(
        description="The official's progress, when enrolled; null otherwise.")

    @classmethod
    def from_entry(cls, entry) -> Course:
        """Describe a catalog entry (a `courses.queries.CatalogEntry`)."""
        course, enrolment = entry.course, entry.enrolment
        return cls(
            slug=course.slug, title=course.title, summary=course.summary or "",
            language=course.language, version=course.version,
            estimated_minutes=course.estimated_minutes or 0, topics=course.topic_list,
            lessons=entry.lesson_count,
            other_versions=[CourseRef.from_course(other) for other in entry.versions],
            enrolment=OwnProgress(percent_complete=enrolment.percent_complete,
                                  completed_at=enrolment.completed_at) if enrolment else None)


class CoursePage(Page[Course]):
    """A page of the catalog, by title."""


class CourseQuery(PageQuery):
    """Search and filters of the catalog, as on the catalog page."""

    q: str = Field("", max_length=200, description="Words to find (diacritics and case are "
                                                   "ignored: `ky nang so` finds `Kỹ năng số`).")
    # No null in a query string: absent means every language (and the document shows no
    # default, which would have to be one of the languages).
    language: Language | SkipJsonSchema[None] = Field(
        None, description="Only courses in this language; leave out for every language.",
        json_schema_extra=lambda schema: schema.pop("default", None))
    topic: str = Field("", max_length=200, description="Only courses with this topic.")


# --- mentoring -------------------------------------------------------------------------------

# The states of a member on an assignment (learning.mentoring.progress.STATES).
State = Literal["not_started", "in_progress", "done", "done_late", "overdue"]


# As every form field does: text with NUL or another control character (tab and new lines
# excepted) never reaches the services (`learning.params.has_unstorable`; PostgreSQL refuses
# NUL, the others break exports). A pattern, so that the document says it too; pydantic refuses
# lone surrogates by itself.
STORABLE = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]*$"


def _iso_day(value):
    # A day is written YYYY-MM-DD, nothing else (pydantic would also take a Unix timestamp).
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


Text = Annotated[str, Field(pattern=STORABLE)]
Username = Annotated[str, Field(min_length=1, max_length=254, pattern=STORABLE)]
Slug = Annotated[str, Field(min_length=1, max_length=80, pattern=STORABLE)]
Day = Annotated[date, BeforeValidator(_iso_day)]


class Person(BaseModel):
    """An official, named."""

    username: str
    full_name: str

    @classmethod
    def from_user(cls, user) -> Person:
        """Name an official."""
        return cls(username=user.username, full_name=user.full_name)


class Group(BaseModel):
    """A mentoring group the token's official mentors (or manages, for HR and administrators)."""

    id: int
    name: str
    description: str
    department_id: int | None = Field(
        description="The part of the ministry the group belongs to; null: across the ministry.")
    department: str | None = Field(description="The department's full path.")
    mentors: list[Person] = Field(description="The group's mentors, in Vietnamese name order.")
    member_count: int = Field(ge=0)
    assignment_count: int = Field(ge=0)
    created_at: datetime

    @classmethod
    def fields_of(cls, row, paths: dict[int, str]) -> dict:
        """The fields of a group's line (a `learning.mentoring.services.GroupRow`)."""
        group = row.group
        return {"id": group.id, "name": group.name, "description": group.description or "",
                "department_id": group.department_id,
                "department": paths.get(group.department_id),
                "mentors": [Person.from_user(user) for user in row.mentors],
                "member_count": row.members, "assignment_count": row.assignments,
                "created_at": group.created_at}

    @classmethod
    def from_row(cls, row, paths: dict[int, str]) -> Group:
        """Describe a group's line (a `learning.mentoring.services.GroupRow`)."""
        return cls(**cls.fields_of(row, paths))


class GroupPage(Page[Group]):
    """A page of the official's groups, by name."""


class Assignment(BaseModel):
    """Learning a group (or chosen members of it) must do by a day: a course, one of its
    modules or one of its lessons."""

    id: int
    course: str = Field(description="The course's slug.")
    module: str | None = Field(description="The module's slug, when a module is assigned.")
    lesson: str | None = Field(description="The lesson's slug, when a lesson is assigned.")
    title: str = Field(description="What is assigned: the course, or `course › module`, or "
                                   "`course › lesson`.")
    target_removed: bool = Field(description="The assigned module or lesson has left the course "
                                             "(a new version of it).")
    due_on: date = Field(description="The ministry's calendar day by which it is due.")
    note: str
    members: list[str] | None = Field(
        description="The usernames of the chosen members it is for (those you see); null: the "
                    "whole group, members who join later included.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_assignment(cls, assignment, *, title: str, removed: bool,
                        members: list[str] | None) -> Assignment:
        """Describe an assignment (its course, module and lesson loaded)."""
        return cls(id=assignment.id, course=assignment.course.slug,
                   module=assignment.module.slug if assignment.module else None,
                   lesson=assignment.lesson.slug if assignment.lesson else None,
                   title=title, target_removed=removed, due_on=assignment.due_on,
                   note=assignment.note or "", members=members,
                   created_at=assignment.created_at, updated_at=assignment.updated_at)


class GroupDetail(Group):
    """A mentoring group with its assignments."""

    assignments: list[Assignment] = Field(description="Soonest due first.")


class GroupCreate(BaseModel):
    """A new mentoring group."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"name": "Tổ An ninh mạng", "mentors": ["mentor"]}]})

    name: Text = Field(min_length=1, max_length=MAX_NAME)
    mentors: list[Username] | None = Field(
        None, max_length=50,
        description="Usernames of its mentors (officials with the mentor role); leave out for "
                    "yourself. A mentor who creates a group is always one of its mentors.")
    description: Text = Field("", max_length=MAX_DESCRIPTION)
    department_id: int | None = Field(
        None, ge=1, le=DB_INT_MAX,
        description="The part of the ministry it belongs to (its HR may manage it, its mentors "
                    "add officials from it), within your reach. Left out: your HR scope for "
                    "HR, else across the ministry.")


class MembersAdd(BaseModel):
    """Officials to add to a group."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"usernames": ["truong.mx12", "nhung.tth13"]}]})

    usernames: list[Username] = Field(
        max_length=MAX_LIST,
        description="Their usernames. If any is unknown, deactivated or outside the officials "
                    "you may add, nobody is added (422, naming them).")


class MembersAdded(BaseModel):
    """What adding officials did: those added, and those who were members already."""

    added: list[str] = Field(description="Usernames of the officials added.")
    already: list[str] = Field(description="Usernames of those who were members already.")


class AssignmentCreate(BaseModel):
    """Learning to assign: a course, or one of its modules, or one of its lessons."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        # A module or a lesson, not both (the view answers 400 to both).
        "not": {"required": ["module", "lesson"],
                "properties": {"module": {"type": "string"}, "lesson": {"type": "string"}}},
        "examples": [{"course": "ky-nang-so", "module": None, "lesson": None,
                      "due_on": "2027-06-30", "note": "Hoàn thành trước ngày 30/6."}]})

    course: Slug = Field(description="The published course's slug.")
    module: Slug | None = Field(None, description="One of its modules (slug), or null.")
    lesson: Slug | None = Field(None, description="One of its lessons (slug), or null.")
    due_on: Day = Field(description="The day it is due, YYYY-MM-DD: today or later (an "
                                    "unchanged due date may have passed).")
    note: Text = Field("", max_length=MAX_NOTE, description="A note for the members.")
    members: list[Username] | None = Field(
        None, max_length=MAX_LIST,
        description="Usernames of the members it is for; leave out for the whole group.")


class AssignmentState(BaseModel):
    """Where a member stands on one of the group's assignments."""

    id: int = Field(description="The assignment's id.")
    state: State = Field(description="`done` (on time), `done_late`, `overdue` (not done "
                                     "and due before today), `in_progress` or `not_started`.")
    percent: int = Field(ge=0, le=100)
    quiz_percent: float | None = Field(
        description="The best score on the target's quiz (the course's final test, or the "
                    "module's quizzes); null without one.")
    done_at: datetime | None = Field(description="When the target was completed; null while "
                                                 "it is not.")


class MemberProgress(BaseModel):
    """A member and the assignments that apply to them."""

    username: str
    full_name: str
    assignments: list[AssignmentState] = Field(description="Soonest due first.")


class GroupProgress(BaseModel):
    """A page of a group's members (those you see), in Vietnamese name order, with their
    states on the assignments that apply to them."""

    members: list[MemberProgress]
    next_cursor: str | None = Field(
        description="Pass it as `cursor` for the next page; null on the last page.")


class ProgressQuery(PageQuery):
    """Which members of a group's progress."""

    state: State | SkipJsonSchema[None] = Field(
        None, description="Only members with an assignment in this state (`overdue`: who is "
                          "behind); leave out for every member.",
        json_schema_extra=lambda schema: schema.pop("default", None))


# --- practical tasks ----------------------------------------------------------------------------

TaskState = Literal["waiting", "confirmed", "returned"]


class TaskQuery(PageQuery):
    """Which hand-ins to list."""

    state: TaskState = Field("waiting", description="`waiting` (the default): those awaiting "
                                                     "your review; `confirmed` or `returned`: "
                                                     "those reviewed, newest first.")


class TaskReturn(BaseModel):
    """Why a hand-in goes back to its official."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"comment": "Cần ảnh chụp bảng thông tin chữ ký số hợp lệ."}]})

    comment: Annotated[str, Field(min_length=1, max_length=2000, pattern=STORABLE)] = Field(
        description="What is missing, so the official can hand the task in again.")


class TaskSubmission(BaseModel):
    """An official's hand-in of a practical task."""

    id: int
    state: TaskState
    course: str = Field(description="The course's slug.")
    task: str = Field(description="The task's slug.")
    task_title: str
    username: str
    full_name: str
    note: str
    has_screenshot: bool
    submitted_at: datetime
    reviewed_at: datetime | None
    comment: str = Field(description="The reviewer's comment on a returned hand-in.")

    @classmethod
    def from_submission(cls, submission) -> TaskSubmission:
        """Describe a hand-in."""
        task = submission.task
        return cls(id=submission.id, state=submission.state, course=task.course.slug,
                   task=task.slug, task_title=task.title, username=submission.user.username,
                   full_name=submission.user.full_name, note=submission.note or "",
                   has_screenshot=submission.image_type is not None,
                   submitted_at=submission.submitted_at, reviewed_at=submission.reviewed_at,
                   comment=submission.comment or "")


class TaskPage(Page[TaskSubmission]):
    """A page of hand-ins."""


# --- HR: departments, campaigns, officials, certificates ----------------------------------------

# The standings of an official on a campaign or a course (learning.campaigns.models.STATES).
Status = Literal["completed", "completed_late", "in_progress", "not_started", "overdue"]
CertificateStatus = Literal["valid", "revoked", "expired"]
DepartmentPath = Annotated[str, Field(min_length=1, max_length=1000, pattern=STORABLE)]
Id = Annotated[int, Field(ge=1, le=DB_INT_MAX)]
# Query arguments arrive without control characters (`learning.params` strips them), so their
# models carry no pattern nor minimum length (a value of control characters arrives empty): the
# document must not promise a refusal that cannot happen.
QuerySlug = Annotated[str, Field(max_length=80)]
QueryPath = Annotated[str, Field(max_length=1000)]
DEPARTMENT_PATH = ("A department's path of names, e.g. `Bộ Ngoại giao/Cục Lãnh sự` (the "
                   "ministry's own name may be left out, as the pages show it).")


def _no_default(schema: dict) -> None:
    # No null in a query string: an absent filter is documented without a default.
    schema.pop("default", None)


class Figures(BaseModel):
    """How many officials are in each standing, and the rates."""

    people: int = Field(ge=0, description="Officials counted (those of the subtree).")
    completed: int = Field(ge=0, description="Completed by the deadline (for a course: "
                                             "completed).")
    completed_late: int = Field(ge=0, description="Completed after the deadline.")
    in_progress: int = Field(ge=0, description="Started, not completed, deadline not passed.")
    not_started: int = Field(ge=0, description="Not started, deadline not passed.")
    overdue: int = Field(ge=0, description="Not completed and the deadline (a day of the "
                                           "ministry's calendar) has passed.")
    completion_rate: float = Field(ge=0, le=1, description="Completed (late or not) / people.")
    on_time_rate: float = Field(ge=0, le=1, description="Completed by the deadline / people.")
    average_score: float | None = Field(description="The average final score of those who "
                                                    "completed; null without one.")

    @classmethod
    def fields_of(cls, row) -> dict:
        """The figures of a rollup row (a `learning.reports.rollup.RollupRow`) or totals."""
        return {name: getattr(row, name) for name in cls.model_fields}


class DepartmentRow(Figures):
    """A department of the caller's scope, with the figures of its whole subtree."""

    id: int
    name: str
    department: str = Field(description="Its full path of names, as the API accepts it.")
    parent_id: int | None = Field(description="Its parent's id; null for a root.")
    depth: int = Field(ge=0, description="0 for the top of the scope's tree, 1 below, ...")


class DepartmentPage(Page[DepartmentRow]):
    """A page of the department tree: parents before their units, units by name."""


class DepartmentQuery(PageQuery):
    """Which figures the department tree carries."""

    campaign: Id | SkipJsonSchema[None] = Field(
        None,
        description="A campaign's id: its figures (as `/campaigns/{id}/departments`).",
        json_schema_extra=_no_default)
    course: QuerySlug | SkipJsonSchema[None] = Field(
        None, description="A course's slug: its figures (nothing is late or overdue without a "
                          "deadline). Left out, and no campaign: the active officials of each "
                          "department (`people`; the other figures are 0).",
        json_schema_extra=_no_default)


class CampaignFiguresQuery(PageQuery):
    """The rows of a campaign's department summary."""

    only_counted: bool = Field(False, description="Leave out the departments where nobody is "
                                                  "in the campaign (their subtree included).")


class Campaign(BaseModel):
    """A campaign: a course made mandatory for department subtrees, by a deadline."""

    id: int
    title: str
    description: str
    course: CourseRef
    deadline: date = Field(description="The last day (the ministry's calendar) to complete "
                                       "on time.")
    departments: list[str] = Field(description="The paths of the department subtrees it "
                                               "covers.")
    job_titles: list[str] = Field(description="The job titles it is limited to (folded: lower "
                                              "case, no diacritics); empty: every official.")
    archived: bool
    can_manage: bool = Field(description="Whether you may change it (your scope holds all its "
                                         "departments).")
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None


class CampaignDetail(Campaign):
    """A campaign with its figures for the part of it within your scope."""

    figures: Figures


class CampaignPage(Page[Campaign]):
    """A page of campaigns, the nearest deadline first."""


class CampaignQuery(PageQuery):
    """Which campaigns to list."""

    archived: bool = Field(False, description="Also the archived campaigns.")


class CampaignCreate(BaseModel):
    """A new campaign: every official of the departments' subtrees (with one of the job titles,
    when given) is enrolled in the course and counted."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"title": "Kỹ năng số bắt buộc 2027", "course": "ky-nang-so",
                      "departments": ["Bộ Ngoại giao"], "deadline": "2027-06-30"}]})

    title: Text = Field(min_length=1, max_length=200)
    course: Slug = Field(description="The published course's slug.")
    departments: list[DepartmentPath] = Field(
        min_length=1, max_length=200, description="Paths of the departments it covers (with "
                                                  "their units), within your scope.")
    deadline: Day = Field(description="The last day to complete on time, YYYY-MM-DD.")
    job_titles: list[Annotated[str, Field(max_length=200, pattern=STORABLE)]] = Field(
        [], max_length=50, description="Only officials with one of these job titles (case and "
                                       "diacritics ignored); empty: every official.")
    description: Text = Field("", max_length=4000)


class CampaignChange(BaseModel):
    """Changes to a campaign: only the fields sent change (the course is fixed; start another
    campaign for another course). Its members and figures follow at once."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"deadline": "2027-07-31"}]})

    # Left out: unchanged (null is not a value: the defaults are not documented).
    title: Text = Field(None, min_length=1, max_length=200, json_schema_extra=_no_default)
    departments: list[DepartmentPath] = Field(
        None, min_length=1, max_length=200, json_schema_extra=_no_default,
        description="Paths of the departments it covers, replacing the current ones.")
    deadline: Day = Field(None, json_schema_extra=_no_default)
    job_titles: list[Annotated[str, Field(max_length=200, pattern=STORABLE)]] = Field(
        None, max_length=50, json_schema_extra=_no_default,
        description="The job titles it is limited to, replacing the current ones; [] for "
                    "every official.")
    description: Text = Field(None, max_length=4000, json_schema_extra=_no_default)
    archived: bool = Field(
        None, json_schema_extra=_no_default,
        description="true archives the campaign (its figures stay readable), false brings it "
                    "back.")


class Official(BaseModel):
    """An official of your scope and their standing, one row per course or campaign."""

    username: str
    staff_number: str
    full_name: str
    department: str = Field(description="The department's full path (empty without one).")
    job_title: str
    course: str = Field(description="The course's title.")
    campaign: str | None = Field(description="The campaign's title, when listed for one.")
    status: Status
    completed_at: datetime | None
    score: float | None
    hours: float | None = Field(description="Hours of study on the course.")
    certificate_serial: str | None


class OfficialPage(Page[Official]):
    """A page of officials, in Vietnamese name order."""

    total: int = Field(ge=0, description="How many rows the filters select, in all.")


class OfficialQuery(PageQuery):
    """The filters of the people list, as on the HR page."""

    department: QueryPath | SkipJsonSchema[None] = Field(
        None, description="Only this department's subtree. " + DEPARTMENT_PATH,
        json_schema_extra=_no_default)
    campaign: Id | SkipJsonSchema[None] = Field(
        None, description="Only this campaign's members (its id).",
        json_schema_extra=_no_default)
    course: QuerySlug | SkipJsonSchema[None] = Field(
        None, description="Only this course's learners (its slug).",
        json_schema_extra=_no_default)
    status: Status | SkipJsonSchema[None] = Field(None, json_schema_extra=_no_default)
    date_from: Day | SkipJsonSchema[None] = Field(
        None, description="Completed on or after this day, YYYY-MM-DD.",
        json_schema_extra=_no_default)
    date_to: Day | SkipJsonSchema[None] = Field(
        None, description="Completed on or before this day, YYYY-MM-DD.",
        json_schema_extra=_no_default)
    q: str = Field("", max_length=200,
                   description="Words of the name, or the staff number (diacritics and case "
                               "ignored).")
    sort: Literal["name", "department", "status", "completed", "score"] = Field(
        "name", description="`name` (Vietnamese order, the default), `department`, `status`, "
                            "`completed` (newest first) or `score` (best first).")


class CertificateQuery(PageQuery):
    """The filters of the certificates list."""

    department: QueryPath | SkipJsonSchema[None] = Field(
        None, description="Only holders in this department's subtree. " + DEPARTMENT_PATH,
        json_schema_extra=_no_default)
    course: QuerySlug | SkipJsonSchema[None] = Field(
        None, description="Only this course's certificates (its slug).",
        json_schema_extra=_no_default)
    status: CertificateStatus | SkipJsonSchema[None] = Field(None,
                                                              json_schema_extra=_no_default)
    q: str = Field("", max_length=200,
                   description="The serial, or words of the holder's name or staff number.")


class Certificate(BaseModel):
    """A certificate as issued (a snapshot that never changes), and its status."""

    code: str = Field(description="The verification code (in the certificate's QR code).")
    serial: str | None
    status: CertificateStatus
    username: str = Field(description="The holder's username.")
    holder_name: str = Field(description="The holder's name as printed.")
    staff_number: str
    department: str = Field(description="The holder's department as printed (full path).")
    course: str = Field(description="The course's slug.")
    course_title: str
    course_version: str
    language: str = Field(description="The course's language.")
    completed_at: datetime
    score: float | None
    issued_at: datetime
    expires_at: datetime | None
    reason: str = Field(description="`completion`, `recertification` or `correction`.")
    previous_serial: str | None = Field(description="The certificate it replaced, if any.")
    revoked_at: datetime | None
    revocation_category: str | None = Field(
        description="`replaced`, `issued_in_error` or `withdrawn`, when revoked.")
    revoked_reason: str | None = Field(description="Why it was revoked (HR's words).")
    verify_url: str = Field(description="The public verification page.")


class CertificatePage(Page[Certificate]):
    """A page of certificates, the newest first."""


# --- transcripts -----------------------------------------------------------------------------

Percent = Annotated[float, Field(ge=0, le=100)]


class TranscriptAttempt(BaseModel):
    """One attempt at a quiz."""

    number: int = Field(ge=1)
    started_at: datetime
    submitted_at: datetime | None = Field(description="Null while the attempt is in progress.")
    percent: Percent | None = Field(description="The score in percent; null while in "
                                                "progress.")
    correct: int = Field(ge=0, description="Questions answered fully right.")
    questions: int = Field(ge=0, description="The auto-graded questions of the attempt.")
    passed: bool | None = Field(description="Null while in progress.")
    awaiting_grading: bool = Field(description="Essays wait for a reviewer: the score may "
                                               "still rise.")
    counted: bool = Field(description="The attempt whose score the quiz counts (the highest "
                                      "or the last, per the quiz).")


class TranscriptQuiz(BaseModel):
    """A quiz of the course and the official's attempts at it, oldest first."""

    title: str
    final: bool = Field(description="The course's final test (else a module quiz).")
    required: bool
    removed: bool = Field(description="No longer in the course (the attempts are kept).")
    pass_mark: int = Field(ge=0, le=100)
    counted_percent: Percent | None
    passed: bool
    attempts: list[TranscriptAttempt]


TaskStanding = Literal["confirmed", "waiting", "returned", "not_handed_in"]


class TranscriptTask(BaseModel):
    """A practical task of the course and the official's standing on it."""

    title: str
    required: bool
    removed: bool
    state: TaskStanding
    hand_ins: int = Field(ge=0)
    submitted_at: datetime | None = Field(description="When the deciding hand-in was made.")
    reviewed_at: datetime | None


class TranscriptCertificate(BaseModel):
    """A certificate of the official."""

    serial: str
    course_title: str
    language: Language
    issued_at: datetime
    completed_at: datetime
    expires_at: datetime | None
    score: Percent | None
    status: Literal["valid", "expired", "revoked", "superseded"] = Field(
        description="`superseded`: replaced by a corrected certificate or a recertification.")

    @classmethod
    def from_row(cls, row) -> TranscriptCertificate:
        """Describe a `learning.reports.transcript.CertificateRow`."""
        return cls(serial=row.serial, course_title=row.course_title, language=row.language,
                   issued_at=row.issued_at, completed_at=row.completed_at,
                   expires_at=row.expires_at, score=row.score, status=row.status)


class TranscriptCourse(BaseModel):
    """One enrolment and everything the official did in the course."""

    course: CourseRef
    version: str
    enrolled_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    percent_complete: int = Field(ge=0, le=100)
    lessons_done: int = Field(ge=0)
    lessons_total: int = Field(ge=0, description="The course's current lessons.")
    time_spent_seconds: int = Field(ge=0)
    quizzes: list[TranscriptQuiz]
    tasks: list[TranscriptTask]
    certificates: list[TranscriptCertificate]


class Transcript(BaseModel):
    """An official's transcript, as its page and signed PDF show it."""

    username: str
    full_name: str
    staff_number: str
    department: str = Field(description="The department's path without the ministry's own "
                                        "root, e.g. `Cục Lãnh sự/Phòng Hộ chiếu`.")
    job_title: str
    generated_at: datetime
    courses_completed: int = Field(ge=0)
    time_spent_seconds: int = Field(ge=0, description="In every course.")
    courses: list[TranscriptCourse] = Field(description="In the order of enrolment.")
    other_certificates: list[TranscriptCertificate] = Field(
        description="Certificates of courses the official is no longer enrolled in.")

    @classmethod
    def from_transcript(cls, found) -> Transcript:
        """Describe a `learning.reports.transcript.Transcript`."""
        return cls(
            username=found.username, full_name=found.full_name,
            staff_number=found.staff_number, department=found.department,
            job_title=found.job_title, generated_at=found.generated_at,
            courses_completed=found.completed, time_spent_seconds=found.time_spent_seconds,
            courses=[TranscriptCourse(
                course=CourseRef(slug=course.slug, title=course.title,
                                 language=course.language),
                version=course.version, enrolled_at=course.enrolled_at,
                started_at=course.started_at, completed_at=course.completed_at,
                percent_complete=course.percent, lessons_done=course.lessons_done,
                lessons_total=course.lessons_total,
                time_spent_seconds=course.time_spent_seconds,
                quizzes=[TranscriptQuiz(
                    title=quiz.title, final=quiz.is_final, required=quiz.is_required,
                    removed=quiz.is_removed, pass_mark=quiz.pass_mark,
                    counted_percent=quiz.counted_percent, passed=quiz.is_passed,
                    attempts=[TranscriptAttempt(
                        number=a.number, started_at=a.started_at,
                        submitted_at=a.submitted_at, percent=a.percent, correct=a.correct,
                        questions=a.questions,
                        passed=a.is_passed if a.is_submitted else None,
                        awaiting_grading=a.has_ungraded, counted=a.is_counted)
                        for a in quiz.attempts]) for quiz in course.quizzes],
                tasks=[TranscriptTask(
                    title=task.title, required=task.is_required, removed=task.is_removed,
                    state=task.state, hand_ins=task.hand_ins, submitted_at=task.submitted_at,
                    reviewed_at=task.reviewed_at) for task in course.tasks],
                certificates=[TranscriptCertificate.from_row(c) for c in course.certificates])
                for course in found.courses],
            other_certificates=[TranscriptCertificate.from_row(c)
                                for c in found.other_certificates])

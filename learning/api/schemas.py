"""What the API answers and accepts, as pydantic models: the OpenAPI document is made of these.

Each model says what a field is; `from_*` builders turn what the services return into it.
No rules here: which objects a token's official sees is decided by the services.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from learning.api.pagination import Page, PageQuery

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

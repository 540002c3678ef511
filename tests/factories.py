"""factory_boy factories for the models, bound to the app's session."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from learning import clock
from learning.accounts import services as accounts
from learning.accounts.models import Department, RoleGrant, User
from learning.db import db


class DepartmentFactory(SQLAlchemyModelFactory):
    """A department; pass `parent=` for a unit below another."""

    class Meta:
        model = Department
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    name = factory.Sequence(lambda n: f"Phòng thử nghiệm {n}")
    parent = None
    path = ""

    @factory.post_generation
    def fix_path(obj, create, extracted, **kwargs):
        obj.path = (obj.parent.path if obj.parent else "/") + f"{obj.id}/"
        db.session.flush()


class UserFactory(SQLAlchemyModelFactory):
    """An official; `roles={"hr"}` and `hr_scope=Department` set grants, `password=` a password."""

    class Meta:
        model = User
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    username = factory.Sequence(lambda n: f"official{n}")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn Thử {n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.gov.vn")
    staff_number = factory.Sequence(lambda n: f"T-{n:05d}")
    job_title = "Chuyên viên"
    department = factory.SubFactory(DepartmentFactory)
    preferred_language = "vi"
    is_active_account = True
    must_change_password = False

    @factory.post_generation
    def setup(obj, create, extracted, **kwargs):
        obj.refresh_search_text()
        for role in sorted(factory_roles(obj)):
            obj.grants.append(RoleGrant(
                role=role,
                scope_department_id=obj._hr_scope.id if role == "hr" and obj._hr_scope else None,
            ))
        if obj._password:
            accounts.set_password(obj, obj._password, now=clock.now(),
                                  must_change=obj.must_change_password)
        db.session.flush()

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        roles = kwargs.pop("roles", {"learner"})
        hr_scope = kwargs.pop("hr_scope", None)
        password = kwargs.pop("password", None)
        obj = super()._create(model_class, *args, **kwargs)
        obj._roles, obj._hr_scope, obj._password = set(roles), hr_scope, password
        return obj


def factory_roles(user) -> set[str]:
    return getattr(user, "_roles", {"learner"})


# --- course packages -------------------------------------------------------------------------
# Tests build real package folders in tmp_path from plain dicts, then import them through the
# service, the CLI or the admin page, exactly as an author's folder would be.

def _toml_value(value) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def toml_text(data: dict) -> str:
    """Return `data` as TOML: plain keys first, then one [table] per dict value."""
    lines = [f"{key} = {_toml_value(value)}" for key, value in data.items()
             if not isinstance(value, dict)]
    for key, value in data.items():
        if isinstance(value, dict):
            lines += ["", f"[{key}]"] + [f"{k} = {_toml_value(v)}" for k, v in value.items()]
    return "\n".join(lines) + "\n"


def lesson_text(slug: str | None, title: str | None, body: str = "", minutes: int | None = None,
                **front) -> str:
    """Return a lesson file: YAML front matter (slug, title, estimated_minutes), then `body`."""
    meta = {"slug": slug, "title": title, "estimated_minutes": minutes, **front}
    lines = [f"{key}: {value}" for key, value in meta.items() if value is not None]
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body


def course_package(slug: str = "ky-nang-so-thu", *, lessons=("a", "b", "c"), **course) -> dict:
    """Return a package description: one module "co-ban" holding `lessons` (slugs or dicts)."""
    return {
        "course": {"slug": slug, "title": course.pop("title", "Kỹ năng số cho cán bộ"),
                   "language": "vi", "version": "1.0.0", **course},
        "modules": [{"slug": "co-ban", "title": "Những điều cơ bản",
                     "lessons": [item if isinstance(item, dict) else
                                 {"slug": item, "title": f"Bài {item.upper()}"}
                                 for item in lessons]}],
    }


def write_package(root, package: dict, files: dict | None = None):
    """Write a package folder from a description and return its path.

    `package` = {"course": {course.toml keys}, "modules": [{"slug", "title", "summary"?,
    "folder"?, "lessons": [{"slug", "title", "minutes"?, "body"?, "file"?}]}]}. Module folders
    are "01-<slug>", lesson files "01-<slug>.md" unless "folder"/"file" say otherwise. `files`
    adds or replaces files by relative path (str or bytes); a None value deletes one.
    """
    from pathlib import Path

    root = Path(root)
    generated: dict[str, str | bytes] = {"course.toml": toml_text(package["course"])}
    for m_index, module in enumerate(package.get("modules", []), start=1):
        folder = module.get("folder", f"{m_index:02d}-{module['slug']}")
        meta = {key: module[key] for key in ("slug", "title", "summary") if key in module}
        generated[f"{folder}/module.toml"] = toml_text(meta)
        for l_index, lesson in enumerate(module.get("lessons", []), start=1):
            name = lesson.get("file", f"{l_index:02d}-{lesson['slug']}.md")
            generated[f"{folder}/{name}"] = lesson_text(
                lesson.get("slug"), lesson.get("title"),
                lesson.get("body", f"Nội dung của {lesson.get('title')}.\n"),
                lesson.get("minutes"))
    generated.update(files or {})
    for relative, content in generated.items():
        target = root / relative
        if content is None:
            target.unlink(missing_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def import_course(root, *, now=None):
    """Import the package folder at `root` as the system and commit; return the ImportResult."""
    from courses import services as course_services
    from courses.packages import read_directory

    result = course_services.import_package(None, read_directory(root), now=now or clock.now())
    db.session.commit()
    return result


def make_course(tmp_path, slug: str = "ky-nang-so-thu", *, lessons=("a", "b", "c"), **course):
    """Write and import a one-module course; return the Course."""
    root = write_package(tmp_path / slug, course_package(slug, lessons=lessons, **course))
    return import_course(root).course

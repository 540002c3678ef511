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

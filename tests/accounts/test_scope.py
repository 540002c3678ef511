"""HR sees only the officials of its department subtree; learners see no HR pages."""

from __future__ import annotations

import pytest

from learning.accounts import services as accounts
from tests import factories
from tests.conftest import visible_text


@pytest.fixture
def ministry(db):
    """Bộ Ngoại giao > {Cục Lãnh sự > Phòng Hộ chiếu, Văn phòng Bộ}: trang in Cục Lãnh sự,
    ngoc in Phòng Hộ chiếu, thang in Văn phòng Bộ, dinh in no department."""
    root = factories.DepartmentFactory(name="Bộ Ngoại giao")
    consular = factories.DepartmentFactory(name="Cục Lãnh sự", parent=root)
    passports = factories.DepartmentFactory(name="Phòng Hộ chiếu", parent=consular)
    office = factories.DepartmentFactory(name="Văn phòng Bộ", parent=root)
    people = {
        "trang": factories.UserFactory(full_name="Trịnh Thị Thu Trang", department=consular),
        "ngoc": factories.UserFactory(full_name="Dương Thị Bích Ngọc", department=passports),
        "thang": factories.UserFactory(full_name="Hoàng Văn Thắng", department=office),
        "dinh": factories.UserFactory(full_name="Lê Vô Định", department=None),
    }
    db.session.commit()
    return {"root": root, "consular": consular, "passports": passports, "office": office,
            **people}


def listed_names(client, query="") -> str:
    response = client.get("/hr/officials", query_string={"q": query} if query else None)
    assert response.status_code == 200
    return visible_text(response)


def test_scoped_hr_lists_only_officials_in_its_subtree(client, login_as, ministry):
    login_as("hr", "learner", hr_scope=ministry["consular"], department=ministry["consular"])
    text = listed_names(client)
    assert "Trịnh Thị Thu Trang" in text
    assert "Dương Thị Bích Ngọc" in text  # a unit below the scope
    assert "Hoàng Văn Thắng" not in text
    assert "Lê Vô Định" not in text


def test_scoped_hr_opens_officials_in_scope_only(client, login_as, ministry):
    login_as("hr", "learner", hr_scope=ministry["consular"], department=ministry["consular"])
    inside = client.get(f"/hr/officials/{ministry['ngoc'].id}")
    assert inside.status_code == 200
    assert "Dương Thị Bích Ngọc" in visible_text(inside)
    assert "Bộ Ngoại giao/Cục Lãnh sự/Phòng Hộ chiếu" in visible_text(inside)
    # Outside the scope: not found, as an id nobody has (no probing for who exists).
    outside = client.get(f"/hr/officials/{ministry['thang'].id}")
    assert outside.status_code == 404
    assert "Hoàng Văn Thắng" not in visible_text(outside)
    assert client.get(f"/hr/officials/{ministry['dinh'].id}").status_code == 404
    assert client.get("/hr/officials/999999").status_code == 404


def test_scoped_hr_search_cannot_reach_outside_the_scope(client, login_as, ministry):
    login_as("hr", "learner", hr_scope=ministry["consular"], department=ministry["consular"])
    assert "Hoàng Văn Thắng" not in listed_names(client, "hoang van thang")
    # Diacritics and case do not matter when searching.
    assert "Trịnh Thị Thu Trang" in listed_names(client, "THU TRANG")
    assert "Dương Thị Bích Ngọc" not in listed_names(client, "thu trang")


def test_whole_ministry_hr_sees_everyone(client, login_as, ministry):
    login_as("hr", "learner", department=ministry["office"])
    text = listed_names(client)
    for name in ("Trịnh Thị Thu Trang", "Dương Thị Bích Ngọc", "Hoàng Văn Thắng", "Lê Vô Định"):
        assert name in text
    assert client.get(f"/hr/officials/{ministry['thang'].id}").status_code == 200


@pytest.mark.parametrize("roles", [("learner",), ("mentor", "learner")])
def test_officials_without_hr_rights_get_403(client, login_as, ministry, roles):
    login_as(*roles, department=ministry["consular"])
    assert client.get("/hr/officials").status_code == 403
    assert client.get(f"/hr/officials/{ministry['trang'].id}").status_code == 403


def test_officials_without_hr_rights_cannot_probe_which_ids_exist(client, login_as, ministry):
    login_as("learner")
    assert client.get("/hr/officials/999999").status_code == 403
    assert client.get(f"/hr/officials/{ministry['thang'].id}").status_code == 403


def test_the_hr_link_is_shown_only_to_hr(client, login_as, ministry):
    login_as("learner")
    assert 'href="/hr/officials"' not in client.get("/").data.decode()


# --- the service rule ------------------------------------------------------------------------

def test_can_view_official(db, ministry):
    scoped_hr = factories.UserFactory(roles={"hr", "learner"}, hr_scope=ministry["consular"],
                                      department=ministry["office"])
    ministry_hr = factories.UserFactory(roles={"hr"}, department=ministry["office"])
    admin = factories.UserFactory(roles={"admin"}, department=ministry["office"])
    learner = factories.UserFactory(roles={"learner"}, department=ministry["consular"])
    mentor = factories.UserFactory(roles={"mentor", "learner"}, department=ministry["consular"])
    can = accounts.can_view_official

    assert can(scoped_hr, ministry["trang"])
    assert can(scoped_hr, ministry["ngoc"])
    assert not can(scoped_hr, ministry["thang"])
    assert not can(scoped_hr, ministry["dinh"])
    assert can(scoped_hr, scoped_hr)  # one's own records, although outside the scope

    for everyone in (ministry_hr, admin, accounts.SYSTEM):
        assert all(can(everyone, ministry[k]) for k in ("trang", "thang", "dinh"))

    for plain in (learner, mentor):
        assert can(plain, plain)
        assert not can(plain, ministry["trang"])  # the same department is not enough

    with pytest.raises(accounts.PermissionDenied):
        accounts.require_view_official(scoped_hr, ministry["thang"])
    assert accounts.can_use_hr_pages(scoped_hr)
    assert not accounts.can_use_hr_pages(mentor)


def test_list_officials_applies_the_scope(db, ministry):
    scoped_hr = factories.UserFactory(roles={"hr"}, hr_scope=ministry["consular"],
                                      department=ministry["consular"])
    users, total = accounts.list_officials(scoped_hr)
    names = {u.full_name for u in users}
    assert names == {"Trịnh Thị Thu Trang", "Dương Thị Bích Ngọc", scoped_hr.full_name}
    assert total == 3

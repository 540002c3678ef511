"""The department tree: create, rename, move with the whole subtree, delete only when empty."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from learning import clock
from learning.accounts import services as accounts
from learning.accounts.models import Department
from learning.errors import RuleViolation
from tests import factories
from tests.conftest import field_error, location_path, translated, visible_text


@pytest.fixture
def tree(db):
    """Bộ Ngoại giao > Cục Lãnh sự > Phòng Hộ chiếu > Tổ Thị thực; Bộ Ngoại giao > Văn phòng Bộ."""
    root = factories.DepartmentFactory(name="Bộ Ngoại giao")
    consular = factories.DepartmentFactory(name="Cục Lãnh sự", parent=root)
    passports = factories.DepartmentFactory(name="Phòng Hộ chiếu", parent=consular)
    visas = factories.DepartmentFactory(name="Tổ Thị thực", parent=passports)
    office = factories.DepartmentFactory(name="Văn phòng Bộ", parent=root)
    db.session.commit()
    return {"root": root, "consular": consular, "passports": passports, "visas": visas,
            "office": office}


def reload(db, department) -> Department | None:
    department_id = department.id
    db.session.expire_all()
    return db.session.get(Department, department_id)


def test_admin_creates_a_ministry_and_a_unit_below_it(client, db, login_as):
    login_as("admin")
    response = client.post("/admin/departments/new", data={"name": "  Bộ   Ngoại giao ",
                                                           "parent_id": "0"})
    assert response.status_code == 302
    root = db.session.scalar(select(Department).where(Department.name == "Bộ Ngoại giao"))
    assert root.parent_id is None
    assert root.path == f"/{root.id}/"

    response = client.post("/admin/departments/new", data={"name": "Cục Lãnh sự",
                                                           "parent_id": str(root.id)})
    assert response.status_code == 302
    unit = db.session.scalar(select(Department).where(Department.name == "Cục Lãnh sự"))
    assert unit.parent_id == root.id
    assert unit.path == f"/{root.id}/{unit.id}/"
    text = visible_text(client.get("/admin/departments"))
    assert "Bộ Ngoại giao" in text and "Cục Lãnh sự" in text


def test_a_sibling_with_the_same_name_is_refused(client, db, login_as, tree):
    login_as("admin")
    response = client.post("/admin/departments/new", data={
        "name": "cục lãnh sự", "parent_id": str(tree["root"].id)})
    assert response.status_code == 400
    assert field_error(response, "name") == translated(
        "vi", "A department with this name already exists here.")
    # The same name elsewhere in the tree is fine.
    response = client.post("/admin/departments/new", data={
        "name": "Cục Lãnh sự", "parent_id": str(tree["office"].id)})
    assert response.status_code == 302


def test_admin_renames_a_department(client, db, login_as, tree):
    login_as("admin")
    response = client.post(f"/admin/departments/{tree['consular'].id}", data={
        "name": "Cục Lãnh sự và Bảo hộ công dân", "parent_id": str(tree["root"].id)})
    assert response.status_code == 302
    consular = reload(db, tree["consular"])
    assert consular.name == "Cục Lãnh sự và Bảo hộ công dân"
    assert accounts.department_path(reload(db, tree["visas"])) == \
        "Bộ Ngoại giao/Cục Lãnh sự và Bảo hộ công dân/Phòng Hộ chiếu/Tổ Thị thực"


def test_moving_a_department_moves_its_whole_subtree(client, db, login_as, tree):
    official = factories.UserFactory(full_name="Lâm Thị Mỹ Duyên", department=tree["visas"])
    hr = factories.UserFactory(roles={"hr"}, hr_scope=tree["office"])
    db.session.commit()
    login_as("admin")
    response = client.post(f"/admin/departments/{tree['consular'].id}", data={
        "name": "Cục Lãnh sự", "parent_id": str(tree["office"].id)})
    assert response.status_code == 302

    office, consular = reload(db, tree["office"]), reload(db, tree["consular"])
    passports, visas = reload(db, tree["passports"]), reload(db, tree["visas"])
    assert consular.parent_id == office.id
    assert consular.path == f"{office.path}{consular.id}/"
    assert passports.path == f"{consular.path}{passports.id}/"
    assert visas.path == f"{passports.path}{visas.id}/"
    assert accounts.department_path(visas) == \
        "Bộ Ngoại giao/Văn phòng Bộ/Cục Lãnh sự/Phòng Hộ chiếu/Tổ Thị thực"
    # The HR scope of Văn phòng Bộ now covers the moved units.
    assert accounts.can_view_official(hr, official)


def test_a_department_cannot_move_below_itself(client, db, login_as, tree):
    login_as("admin")
    before = {key: (d.parent_id, d.path) for key, d in tree.items()}
    for target in ("consular", "visas"):
        response = client.post(f"/admin/departments/{tree['consular'].id}", data={
            "name": "Cục Lãnh sự", "parent_id": str(tree[target].id)})
        assert response.status_code == 400
        assert field_error(response, "parent_id")
    db.session.expire_all()
    after = {key: (db.session.get(Department, d.id).parent_id,
                   db.session.get(Department, d.id).path) for key, d in tree.items()}
    assert after == before


def test_the_service_refuses_a_move_below_itself(db, tree):
    with pytest.raises(RuleViolation) as refused:
        accounts.update_department(None, tree["consular"], name="Cục Lãnh sự",
                                   parent=tree["visas"], now=clock.now())
    assert refused.value.field == "parent_id"


def delete(client, department):
    return client.post(f"/admin/departments/{department.id}/delete", data={})


def test_a_department_with_units_cannot_be_deleted(client, db, login_as, tree):
    login_as("admin")
    response = delete(client, tree["passports"])
    assert response.status_code == 302
    assert location_path(response) == f"/admin/departments/{tree['passports'].id}"
    assert translated("vi", "Delete or move the units below this department first.") in \
        visible_text(client.get(location_path(response)))
    assert reload(db, tree["passports"]) is not None


def test_a_department_with_officials_cannot_be_deleted(client, db, login_as, tree):
    factories.UserFactory(department=tree["visas"])
    db.session.commit()
    login_as("admin")
    response = delete(client, tree["visas"])
    assert translated("vi", "Officials or HR scopes still use this department.") in \
        visible_text(client.get(location_path(response)))
    assert reload(db, tree["visas"]) is not None


def test_a_department_used_as_hr_scope_cannot_be_deleted(client, db, login_as, tree):
    factories.UserFactory(roles={"hr"}, hr_scope=tree["visas"], department=tree["office"])
    db.session.commit()
    login_as("admin")
    delete(client, tree["visas"])
    assert reload(db, tree["visas"]) is not None


def test_an_empty_department_is_deleted(client, db, login_as, tree):
    login_as("admin")
    visas_id = tree["visas"].id
    response = delete(client, tree["visas"])
    assert location_path(response) == "/admin/departments"
    db.session.expire_all()
    assert db.session.get(Department, visas_id) is None
    assert "Tổ Thị thực" not in visible_text(client.get("/admin/departments"))


def test_admin_names_the_head_of_a_department(client, db, login_as, tree):
    login_as("admin")
    head = factories.UserFactory(username="truong.phong", full_name="Vũ Thị Trưởng")
    db.session.commit()
    url = f"/admin/departments/{tree['passports'].id}"
    response = client.post(url, data={"name": "Phòng Hộ chiếu", "head": "khong.co",
                                      "parent_id": str(tree["consular"].id)})
    assert response.status_code == 400
    assert field_error(response, "head") == translated(
        "vi", "No active account with this username.")
    assert reload(db, tree["passports"]).head_id is None
    response = client.post(url, data={"name": "Phòng Hộ chiếu", "head": "Truong.Phong",
                                      "parent_id": str(tree["consular"].id)})
    assert response.status_code == 302
    assert reload(db, tree["passports"]).head_id == head.id
    assert 'value="truong.phong"' in client.get(url).get_data(as_text=True)

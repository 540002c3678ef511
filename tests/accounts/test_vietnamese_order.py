"""Lists of people in the Vietnamese order, department paths without the ministry's name.

Vietnamese names sort by the given name (the last word), then by the family and middle names,
in the Vietnamese alphabet (a ă â b c d đ e ê ... o ô ơ ... u ư ...), tones last. The order is
computed with ICU in Python and stored as a byte key, so it holds in SQL across pages, on
SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import random
import re

import pytest
from sqlalchemy import select

from learning.accounts import services as accounts
from learning.accounts.models import User
from learning.text import name_sort_key
from tests import factories

# The order a Vietnamese reader expects. A byte-wise order put "Bùi" before "Bạch", and every
# Â-, Ô- and Đ- name after Z.
IN_ORDER = [
    "Bùi Thị An",        # An: by family name, then: B < Đ < H
    "Đặng Văn An",
    "Hoàng Văn An",
    "Phạm Thị Ân",       # a < ă < â
    "Trần Thị Bạch",     # Bạch before Bùi: letters first, tones only when they are equal
    "Lê Văn Bảo",
    "Nguyễn Văn Bùi",
    "Đỗ Văn Dũng",       # đ right after d, not after z
    "Vũ Văn Đạt",
    "Lê Văn Giang",
    "Phan Thị Oanh",     # o < ô < ơ < p
    "Tạ Văn Ổn",
    "Mai Thị Ơn",
    "Mai Văn Phúc",
    "Hồ Văn Ưng",        # u < ư < v
    "Trương Văn Vinh",
]


def test_the_sort_key_follows_the_vietnamese_alphabet_and_given_names():
    shuffled = IN_ORDER[:]
    random.Random(9).shuffle(shuffled)
    assert sorted(shuffled, key=name_sort_key) == IN_ORDER
    assert name_sort_key("Trần Văn An") < name_sort_key("Lê Thị Bình")  # given name first
    assert name_sort_key("Nguyễn Văn Bao") < name_sort_key("Nguyễn Văn Bảo")  # then tones
    assert name_sort_key("  Trần   Văn An ") == name_sort_key("Trần Văn An")
    assert name_sort_key("") == b""


@pytest.fixture
def ministry(db):
    """Bộ Ngoại giao > Cục Lãnh sự > Phòng Hộ chiếu, with the officials of IN_ORDER in it."""
    root = factories.DepartmentFactory(name="Bộ Ngoại giao")
    consular = factories.DepartmentFactory(name="Cục Lãnh sự", parent=root)
    passports = factories.DepartmentFactory(name="Phòng Hộ chiếu", parent=consular)
    shuffled = IN_ORDER[:]
    random.Random(3).shuffle(shuffled)
    for name in shuffled:
        factories.UserFactory(full_name=name, department=passports)
    db.session.commit()
    return {"root": root, "consular": consular, "passports": passports}


def listed(client, url: str, link: str) -> list[str]:
    """The names of the officials table, in order, limited to the officials of IN_ORDER."""
    response = client.get(url)
    assert response.status_code == 200
    names = re.findall(rf'<a href="/{link}/\d+">([^<]+)</a>', response.data.decode())
    return [name for name in names if name in IN_ORDER]


def test_the_hr_officials_list_is_in_the_vietnamese_order(client, login_as, ministry):
    login_as("hr", hr_scope=ministry["root"], department=ministry["root"])
    assert listed(client, "/hr/officials", "hr/officials") == IN_ORDER


def test_the_admin_accounts_list_is_in_the_vietnamese_order(client, login_as, ministry):
    login_as("admin")
    assert listed(client, "/admin/users", "admin/users") == IN_ORDER


def test_pages_of_the_list_follow_the_same_order(db, ministry):
    """The order is SQL's (ORDER BY the stored key), so page 2 starts where page 1 ended."""
    pages = [accounts.list_officials(accounts.SYSTEM, department_id=ministry["passports"].id,
                                     limit=5, offset=offset)[0] for offset in range(0, 20, 5)]
    assert [user.full_name for page in pages for user in page] == IN_ORDER


def test_renaming_an_official_moves_them_in_the_list(db, ministry):
    user = db.session.scalar(select(User).where(User.full_name == "Trương Văn Vinh"))
    data = accounts.UserData(
        username=user.username, full_name="Trương Văn Anh", email=user.email,
        staff_number=user.staff_number, job_title=user.job_title,
        department_id=user.department_id, roles=user.roles, hr_scope_department_id=None,
        preferred_language=user.preferred_language)
    accounts.update_user(None, user, data, now=user.created_at)
    db.session.commit()
    names = [u.full_name for u in accounts.list_officials(
        accounts.SYSTEM, department_id=ministry["passports"].id)[0]]
    assert names.index("Trương Văn Anh") == names.index("Hoàng Văn An") + 1


def test_official_tables_leave_out_the_ministry_name(client, login_as, ministry):
    """Every row is in the ministry: the department column starts below it."""
    login_as("hr", hr_scope=ministry["root"], department=ministry["root"])
    html = client.get("/hr/officials").data.decode()
    assert "<td>Cục Lãnh sự/Phòng Hộ chiếu</td>" in html
    assert "Bộ Ngoại giao/Cục Lãnh sự" not in re.sub(r"<select.*?</select>", "", html, flags=re.S)
    # the official's own page keeps the full path
    official = ministry["passports"]
    assert accounts.short_department_path(official, "Bộ Ngoại giao") == (
        "Cục Lãnh sự/Phòng Hộ chiếu")
    assert accounts.short_department_path(ministry["root"], "Bộ Ngoại giao") == "Bộ Ngoại giao"
    assert accounts.short_department_path(official, "Bộ Tài chính") == (
        "Bộ Ngoại giao/Cục Lãnh sự/Phòng Hộ chiếu")

"""The API's lists: /me/enrolments and /courses show what the pages show, and page with a cursor
(full traversal without duplicates or gaps; a changed cursor is a 400, never a 500)."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from courses import services as courses
from learning import clock
from learning.accounts.models import User
from learning.api.pagination import after_condition
from learning.db import db as _db
from tests import factories
from tests.api.conftest import bearer
from tests.api.test_auth import error_of


@pytest.fixture
def catalog(db, tmp_path):
    """Seven published courses (two of one family, English and Vietnamese) and a hidden one."""
    made = [factories.make_course(tmp_path, f"khoa-{n}", title=f"Khoá học {n}",
                                  lessons=("a", "b")) for n in range(5)]
    made.append(factories.make_course(tmp_path, "ky-nang-so", title="Kỹ năng số",
                                      family="digital", topics=["an toàn thông tin"]))
    made.append(factories.make_course(tmp_path, "digital-skills", title="Digital skills",
                                      language="en", family="digital"))
    hidden = factories.make_course(tmp_path, "an-di", title="Khoá ẩn")
    hidden.is_published = False
    db.session.commit()
    return made


def traverse(client, path, token, limit, **params) -> list[dict]:
    """Follow next_cursor from the first page to the last; return every item in order."""
    items, cursor, pages = [], "", 0
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, query_string=query, headers=bearer(token))
        assert response.status_code == 200, response.data
        body = response.get_json()
        assert set(body) == {"items", "next_cursor"}
        assert len(body["items"]) <= limit
        items += body["items"]
        pages += 1
        assert pages < 50
        cursor = body["next_cursor"]
        if cursor is None:
            return items


# --- /courses --------------------------------------------------------------------------------

def test_courses_lists_the_catalog_one_entry_per_family(client, catalog, token):
    items = traverse(client, "/api/v1/courses", token, limit=100)
    slugs = [item["slug"] for item in items]
    # The official reads Vietnamese: the family shows its Vietnamese version, with the English
    # one as another version; the unpublished course is not there.
    assert sorted(slugs) == sorted([f"khoa-{n}" for n in range(5)] + ["ky-nang-so"])
    entry = next(item for item in items if item["slug"] == "ky-nang-so")
    assert entry["other_versions"] == [{"slug": "digital-skills", "title": "Digital skills",
                                        "language": "en"}]
    assert entry["topics"] == ["an toàn thông tin"]
    assert entry["enrolment"] is None
    assert next(item for item in items if item["slug"] == "khoa-0")["lessons"] == 2


@pytest.mark.parametrize("limit", [1, 2, 4, 6, 7])
def test_courses_traversal_has_no_duplicates_or_gaps(client, catalog, token, limit):
    whole = traverse(client, "/api/v1/courses", token, limit=200)
    paged = traverse(client, "/api/v1/courses", token, limit=limit)
    assert [item["slug"] for item in paged] == [item["slug"] for item in whole]
    assert len({item["slug"] for item in paged}) == len(paged) == 6


def test_courses_filters_are_the_catalogs(client, catalog, token):
    def slugs(**params):
        return [item["slug"] for item in traverse(client, "/api/v1/courses", token, limit=50,
                                                  **params)]

    assert slugs(q="ky nang") == ["ky-nang-so"]
    assert slugs(language="en") == ["digital-skills"]
    assert slugs(topic="an toàn thông tin") == ["ky-nang-so"]
    response = client.get("/api/v1/courses", query_string={"language": "fr"},
                          headers=bearer(token))
    assert response.status_code == 400
    assert "language" in error_of(response)["message"]


def test_a_course_added_between_pages_shifts_nothing(client, catalog, token, tmp_path):
    first = client.get("/api/v1/courses", query_string={"limit": 3},
                       headers=bearer(token)).get_json()
    # Sorted by title: "Khoá học 0" ... come before "Kỹ năng số"; "A..." would come first.
    factories.make_course(tmp_path, "a-moi", title="A mới")
    rest = traverse(client, "/api/v1/courses", token, limit=3, cursor=first["next_cursor"])
    slugs = [item["slug"] for item in first["items"] + rest]
    assert len(slugs) == len(set(slugs)) == 6  # nothing seen twice, nothing skipped


# --- /me/enrolments --------------------------------------------------------------------------

def test_my_enrolments_show_progress_as_the_pages_count_it(client, db, catalog, official, token):
    now = clock.now()
    for course in catalog[:3]:
        courses.enrol(official, official, course, now=now)
    lesson = courses.active_lessons(catalog[0].id)[0]
    courses.complete_lesson(official, lesson, now=now)
    db.session.commit()
    items = traverse(client, "/api/v1/me/enrolments", token, limit=2)
    assert [item["course"]["slug"] for item in items] == ["khoa-0", "khoa-1", "khoa-2"]
    first = items[0]
    assert first["course"] == {"slug": "khoa-0", "title": "Khoá học 0", "language": "vi"}
    assert (first["lessons_done"], first["lessons_total"], first["percent_complete"]) == (1, 2, 50)
    assert first["completed_at"] is None and first["started_at"] is not None
    assert items[1]["lessons_done"] == 0 and items[1]["started_at"] is None


def test_my_enrolments_are_only_mine(client, db, catalog, official, token, make_token):
    other = factories.UserFactory()
    courses.enrol(other, other, catalog[0], now=clock.now())
    db.session.commit()
    assert traverse(client, "/api/v1/me/enrolments", token, limit=10) == []
    assert len(traverse(client, "/api/v1/me/enrolments", make_token(other), limit=10)) == 1


def test_an_empty_list_is_one_page(client, token):
    response = client.get("/api/v1/me/enrolments", headers=bearer(token))
    assert response.get_json() == {"items": [], "next_cursor": None}


# --- cursors ---------------------------------------------------------------------------------

def _tampered(cursor: str) -> list[str]:
    payload, _, signature = cursor.partition(".")
    forged_payload = base64.urlsafe_b64encode(b'["A",1]').decode().rstrip("=")
    middle = len(payload) + 1 + len(signature) // 2
    flipped = "A" if cursor[middle] != "A" else "B"
    return [
        cursor[:middle] + flipped + cursor[middle + 1:],    # signature changed
        cursor[: len(cursor) // 2],                         # cut
        f"{forged_payload}.{signature}",                    # another key, old signature
        forged_payload,                                     # unsigned
        "garbled", ".", "....", "eyJ9", "%00", "😀" * 10, "null", "[1]",
    ]


def test_a_changed_or_made_up_cursor_is_a_400(client, catalog, token):
    cursor = client.get("/api/v1/courses", query_string={"limit": 2},
                        headers=bearer(token)).get_json()["next_cursor"]
    assert cursor
    for bad in _tampered(cursor):
        response = client.get("/api/v1/courses", query_string={"cursor": bad, "limit": 2},
                              headers=bearer(token))
        assert response.status_code == 400, (bad, response.status_code)
        assert "cursor" in error_of(response)["message"]


def test_a_cursor_from_another_list_is_refused(client, db, catalog, official, token):
    for course in catalog[:3]:
        courses.enrol(official, official, course, now=clock.now())
    db.session.commit()
    cursor = client.get("/api/v1/me/enrolments", query_string={"limit": 1},
                        headers=bearer(token)).get_json()["next_cursor"]
    response = client.get("/api/v1/courses", query_string={"cursor": cursor},
                          headers=bearer(token))
    assert response.status_code == 400


def test_a_garbled_cursor_is_refused_even_on_an_empty_list(client, token):
    response = client.get("/api/v1/me/enrolments", query_string={"cursor": "garbled"},
                          headers=bearer(token))
    assert response.status_code == 400


@pytest.mark.parametrize("limit", ["0", "-1", "201", "abc", "1.5", "99999999999999999999"])
def test_limit_is_bounded(client, token, limit):
    response = client.get("/api/v1/courses", query_string={"limit": limit},
                          headers=bearer(token))
    assert response.status_code == 400
    assert "limit" in error_of(response)["message"]


def test_after_condition_pages_a_sql_query_by_keyset(app, db):
    """The SQL form of the same cursor key, for lists too long to load whole."""
    for n in range(7):
        factories.UserFactory(username=f"keyset{n % 3}-{n}", job_title=f"T{n % 2}")
    db.session.commit()
    columns = (User.job_title, User.id)
    whole = list(db.session.execute(select(*columns).order_by(*columns)))
    seen, key = [], None
    while True:
        statement = select(*columns).order_by(*columns).limit(3)
        if key is not None:
            statement = statement.where(after_condition(columns, key))
        rows = list(_db.session.execute(statement))
        if not rows:
            break
        seen += rows
        key = tuple(rows[-1])
    assert seen == whole and len(whole) == 7


def test_after_condition_refuses_a_key_of_another_shape(app):
    from learning.api.errors import APIError

    for key in (("T1",), ("T1", "7"), (1, 7)):
        with pytest.raises(APIError) as refused:
            after_condition((User.job_title, User.id), key)
        assert refused.value.status == 400

"""What a user sees when a URL, a query or a form holds a value the database cannot store:
a 404 for a path, an ignored query argument, a per-field error in their language for a form."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from learning.params import DB_INT_MAX, db_int, page_number
from tests import factories
from tests.conftest import field_error, translated, visible_text

HUGE = ("2147483648", "9223372036854775808", "99999999999999999999", "1" * 5000)


@pytest.mark.parametrize("number", HUGE)
@pytest.mark.parametrize("template", [
    "/certificates/{}", "/certificates/{}.pdf", "/attempts/{}", "/attempts/{}/result",
    "/admin/users/{}", "/admin/departments/{}", "/hr/officials/{}",
])
def test_an_id_beyond_the_database_is_not_found(client, login_as, template, number):
    login_as("admin", "hr")
    assert client.get(template.format(number)).status_code == 404


@pytest.mark.parametrize("number", HUGE)
@pytest.mark.parametrize("path", ["/admin/users", "/hr/officials", "/hr/certificates"])
def test_a_huge_page_or_filter_is_ignored(client, login_as, path, number):
    login_as("admin", "hr")
    response = client.get(path, query_string={"page": number, "department": number,
                                              "course": number})
    assert response.status_code == 200


def test_a_page_past_the_end_is_empty_not_an_error(client, login_as):
    login_as("admin")
    response = client.get("/admin/users", query_string={"page": str(DB_INT_MAX)})
    assert response.status_code == 200
    assert "sweep" not in visible_text(response)


def test_page_numbers_keep_the_offset_within_the_database():
    assert page_number(MultiDict({"page": "0"}), 50) == 1
    assert page_number(MultiDict({"page": "-3"}), 50) == 1
    assert page_number(MultiDict({"page": "x"}), 50) == 1
    assert page_number(MultiDict({"page": "7"}), 50) == 7
    assert (page_number(MultiDict({"page": str(DB_INT_MAX)}), 50) - 1) * 50 <= DB_INT_MAX


@pytest.mark.parametrize("value", ["2147483648", "-2147483649", "9" * 5000, "", "1.5", "x",
                                   "１２", "1_000", "٣", "+-1", "1\n2"])
def test_db_int_refuses_what_no_column_holds(value):
    with pytest.raises(ValueError):
        db_int(value)


def test_db_int_reads_plain_decimal_integers():
    assert [db_int(text) for text in ("42", " 7 ", "+3", "-5", "007", str(DB_INT_MAX))] == \
        [42, 7, 3, -5, 7, DB_INT_MAX]


def test_a_nul_in_a_path_is_not_found(client, login_as):
    login_as("admin")
    for path in ("/courses/a%00b", "/courses/a%00b/lessons/x", "/verify/ab%00cd",
                 "/courses/a/files/x%00.png"):
        assert client.get(path).status_code == 404, path


def test_a_nul_in_a_search_is_dropped(client, db, login_as):
    login_as("admin")
    factories.UserFactory(full_name="Trịnh Thị Thu Trang")
    db.session.commit()
    response = client.get("/admin/users", query_string={"q": "Trang\x00"})
    assert response.status_code == 200
    assert "Trịnh Thị Thu Trang" in visible_text(response)
    assert client.get("/courses", query_string={"q": "\x00", "topic": "\x00"}).status_code == 200


@pytest.mark.parametrize("language", ["vi", "en", "ko"])
def test_sign_in_with_a_nul_shows_a_field_error(client, app, language):
    with client.session_transaction() as session:
        session["lang"] = language
    response = client.post("/login", data={"username": "trang\x00", "password": "x" * 12})
    assert response.status_code == 400
    message = translated(language, "Remove the invalid characters.")
    assert language == "en" or message != "Remove the invalid characters."
    assert field_error(response, "username") == message


def test_a_typed_form_keeps_its_data_and_names_the_field(client, db, login_as):
    login_as("admin")
    response = client.post("/admin/users/new", data={
        "username": "tuan.nm", "full_name": "Ngô Minh Tuấn\x01", "email": "",
        "department_id": "0", "hr_scope_department_id": "0", "preferred_language": "vi",
        "roles": "learner"})
    assert response.status_code == 400
    assert field_error(response, "full_name") == translated("vi", "Remove the invalid "
                                                            "characters.")
    assert field_error(response, "username") is None
    assert 'value="tuan.nm"' in response.data.decode()


@pytest.mark.parametrize("number", HUGE[1:])
def test_a_huge_choice_is_a_field_error(client, db, login_as, number):
    login_as("admin")
    response = client.post("/admin/departments/new", data={"name": "Phòng mới",
                                                           "parent_id": number})
    assert response.status_code == 400
    error = field_error(response, "parent_id")
    assert error in (translated("vi", "This number is out of range."),
                     translated("vi", "Not a valid integer value."),
                     translated("vi", "Invalid Choice: could not coerce."))


def test_a_nul_in_a_hidden_field_is_dropped(client, db):
    user = factories.UserFactory(password="correct horse battery")
    db.session.commit()
    response = client.post("/login", data={"username": user.username,
                                           "password": "correct horse battery",
                                           "next": "/account\x00"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account")


@pytest.mark.parametrize("target", ["/account\r\nX-Injected: 1", "/account\x7f"])
def test_a_next_address_with_a_line_break_goes_home(client, target):
    response = client.post("/language", data={"language": "en", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"

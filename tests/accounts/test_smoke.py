from tests.conftest import page_text


def test_admin_signs_in_and_sees_accounts(client, login_as):
    admin = login_as("admin")
    response = client.get("/admin/users")
    assert response.status_code == 200
    assert admin.full_name in page_text(response)

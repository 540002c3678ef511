"""The people page /hr/people: filters from the query string, errors under their fields with
the list still shown, names linking to transcripts, keyset pages, HR's scope, and a constant
number of statements whatever the page holds."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from learning import clock
from learning.db import db
from tests.conftest import field_error, page_text
from tests.reports import people_steps as steps
from tests.reports.people_steps import at

NEXT_DAY = at("2026-07-01 02:00")  # 09:00 on 1 July in Hà Nội: the day after the deadline


@pytest.fixture
def scene(app, db, tmp_path, monkeypatch):
    built = steps.build(tmp_path)
    monkeypatch.setattr(clock, "now", lambda: NEXT_DAY)
    monkeypatch.setitem(app.config, "MINISTRY_NAME", "Bộ Thử nghiệm")
    return built


def rows(response) -> list[str]:
    """The names in the table, in order."""
    html = response.data.decode()
    return re.findall(r'<td><a href="/hr/officials/\d+/transcript">([^<]*)</a></td>', html)


def test_hr_sees_the_overdue_members_of_a_campaign(scene, client, login_as):
    login_as("hr")
    response = client.get(f"/hr/people?campaign={scene.campaign.id}&status=overdue")
    assert response.status_code == 200
    assert sorted(rows(response)) == sorted(["Lê Thị Bình", "Vũ Thị Lan",
                                             "=HYPERLINK(&#34;http://x&#34;)"])
    text = page_text(response)
    assert "Quá hạn" in text  # the status badge, in Vietnamese
    assert "Cục Chuyển đổi số" in text and "Bộ Thử nghiệm/" not in text
    assert "3 " in text
    html = response.data.decode()
    assert f'href="/hr/people.xlsx?campaign={scene.campaign.id}&amp;status=overdue"' in html
    assert f'href="/hr/people.csv?campaign={scene.campaign.id}&amp;status=overdue"' in html
    assert f'href="/hr/officials/{scene.people["binh"].id}/transcript"' in html
    # each course in the filter is marked in its own language (a screen reader reads it so)
    course = scene.campaign.course
    assert re.search(rf'<option lang="{course.language}"[^>]* value="{course.id}"', html) or \
        re.search(rf'<option [^>]*value="{course.id}"[^>]*lang="{course.language}"', html)


def test_a_completed_row_shows_its_date_score_and_certificate(scene, client, login_as):
    login_as("hr")
    response = client.get(f"/hr/people?campaign={scene.campaign.id}&q=nguyen+thi+huong")
    assert rows(response) == ["Nguyễn Thị Hương"]
    text = page_text(response)
    assert "30/06/2026" in text
    assert "Đã hoàn thành" in text
    assert re.search(r'href="/certificates/\d+">[^<]+</a>', response.data.decode())


@pytest.mark.parametrize("query,field,message,shown", [
    ("from=31/02/2026", "from", "Not a valid date value.", 5),
    # the start date stays: An completed on 1 July in Hà Nội
    ("from=2026-07-01&to=2026-06-01", "to", "The end date must not be before the start date.",
     1),
    ("campaign=999999", "campaign", "Not a valid choice.", 5),
    ("course=abc", "course", "Invalid Choice: could not coerce.", 5),
    ("department=999999", "department", "Not a valid choice.", 5),
    ("status=finished", "status", "Not a valid choice.", 5),
    ("sort=password_hash", "sort", "Not a valid choice.", 5),
    ("from=1800-01-01", "from", "Enter a date between 2000 and 2100.", 5),
])
def test_a_bad_filter_is_an_error_under_its_field_and_the_list_stays(scene, client, login_as,
                                                                     query, field, message,
                                                                     shown):
    from tests.conftest import translated

    login_as("hr")
    response = client.get(f"/hr/people?{query}")
    assert response.status_code == 200
    assert field_error(response, field) == translated("vi", message)
    assert len(rows(response)) == shown  # the list without that filter
    assert "/hr/people.csv" not in response.data.decode()


def test_a_bad_cursor_starts_again_from_the_first_page(scene, client, login_as):
    login_as("hr")
    response = client.get("/hr/people?cursor=forged")
    assert response.status_code == 200
    assert len(rows(response)) == 5
    assert "không còn hợp lệ" in page_text(response)


def test_the_next_page_link_continues_in_vietnamese_order(scene, client, login_as,
                                                           monkeypatch):
    from learning.reports import people

    login_as("hr")
    everyone = rows(client.get(f"/hr/people?campaign={scene.campaign.id}"))
    monkeypatch.setattr(people.list_people, "__kwdefaults__",
                        {**people.list_people.__kwdefaults__, "limit": 2})
    seen, url = [], f"/hr/people?campaign={scene.campaign.id}"
    while url:
        response = client.get(url)
        seen += rows(response)
        match = re.search(r'<a href="([^"]+)" rel="next">', response.data.decode())
        url = match.group(1).replace("&amp;", "&") if match else None
        if url:
            assert parse_qs(urlsplit(url).query)["campaign"] == [str(scene.campaign.id)]
    assert seen == everyone and len(seen) == 5


def test_hr_of_a_unit_sees_only_its_subtree(scene, client, login_as):
    login_as("hr", hr_scope=scene.ministry.cds, department=scene.ministry.cds)
    response = client.get(f"/hr/people?campaign={scene.campaign.id}")
    assert sorted(rows(response)) == sorted(["Nguyễn Thị Hương", "Trần Văn An", "Lê Thị Bình"])
    # A department outside the scope is not among the choices.
    response = client.get(f"/hr/people?department={scene.ministry.tccb.id}")
    assert field_error(response, "department")
    assert "Vũ Thị Lan" not in response.data.decode()


def test_learners_may_not_open_the_list(scene, client, login_as):
    login_as("learner")
    assert client.get("/hr/people").status_code == 403
    assert client.get("/hr/people.csv").status_code == 403


def test_the_page_is_a_fixed_number_of_statements(scene, client, login_as, count_queries):
    login_as("hr")
    url = f"/hr/people?campaign={scene.campaign.id}"
    client.get(url)
    with count_queries() as few:
        client.get(url + "&q=nguyen")
    with count_queries() as many:
        client.get(url)
    assert len(many) == len(few)
    for index in range(20):
        steps.campaign_steps.official(f"Phan Văn Thêm {index}", department=scene.ministry.data)
    db.session.commit()
    steps.join_everyone()
    with count_queries() as more:
        response = client.get(url)
    assert len(rows(response)) == 25
    assert len(more) == len(many)

"""HR's pages: the dashboard (a campaign's or course's department tree with rollups, links to
the people, the chart) and the campaign list and form, seen through the client."""

from __future__ import annotations

import re
import threading
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from learning import clock
from learning.accounts.models import AuditEvent
from learning.campaigns.models import Campaign
from learning.campaigns import services as campaigns
from learning.db import db
from tests.campaigns import steps
from tests.campaigns.steps import at
from tests.conftest import page_text
from tests.courses.steps import new_client
from tests.mentoring import steps as mentoring_steps
from tests.progress.test_concurrency import together
from tests.reports import steps as report_steps
from tests.reports.scene import Scene


@pytest.fixture
def scene(app, db, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MINISTRY_NAME", "Bộ Thử nghiệm")
    monkeypatch.setattr(clock, "now", lambda: at("2026-04-01 02:00"))
    return Scene(tmp_path)


def links(html: str) -> list[dict]:
    """The people-list links of a page, as their query arguments."""
    found = []
    for href in re.findall(r'href="(/hr/people\?[^"]*)"', html):
        query = parse_qs(urlsplit(href.replace("&amp;", "&")).query)
        found.append({key: values[0] for key, values in query.items()})
    return found


def row_figures(html: str, name: str) -> list[str]:
    """The cells of the dashboard row of one department, as text."""
    row = re.search(r'<tr[^>]*>\s*<th scope="row"[^>]*>.*?' + re.escape(name)
                    + r"</span></th>(.*?)</tr>", html, re.S)
    assert row, name
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


def test_the_dashboard_shows_the_tree_with_rollups_and_links(client, login_as, scene):
    m, people = scene.ministry, scene.people
    steps.finish(people["hoa"], now=at("2026-03-20 02:00"))
    mentoring_steps.open_lesson(people["binh"], "a", now=at("2026-03-21 02:00"))
    login_as("hr")  # ministry-wide HR

    html = client.get("/hr").get_data(as_text=True)  # the nearest deadline by default
    assert "Kỹ năng số bắt buộc 2026" in html
    # People, completed, late, in progress, not started, overdue, rate, score.
    assert row_figures(html, "Cục Chuyển đổi số")[:6] == ["4", "1", "0", "1", "2", "0"]
    assert row_figures(html, "Phòng Dữ liệu")[:6] == ["2", "1", "0", "0", "1", "0"]
    assert row_figures(html, "Bộ Thử nghiệm")[:2] == ["5", "1"]
    assert '<progress class="progress-bar" max="100" value="25"' in html
    campaign = str(scene.campaign.id)
    assert {"campaign": campaign, "department": str(m.cds.id), "status": "not_started"} in \
        links(html)
    assert {"campaign": campaign, "status": "overdue"} in links(html)
    # The chart: an SVG with its title, the deadline line and the data table.
    assert "<svg" in html and 'data-deadline="2026-06-30"' in html
    assert "<title id=\"chart-svg-title\">" in html and "<details" in html
    assert "20/03" in page_text(client.get("/hr"))


def test_overdue_shows_the_ministry_day_after_the_deadline(client, login_as, scene,
                                                           monkeypatch):
    # 23:30 on 30 June in Hà Nội: still on time.
    monkeypatch.setattr(clock, "now", lambda: at("2026-06-30 16:30"))
    login_as("hr")
    html = client.get(f"/hr?campaign={scene.campaign.id}").get_data(as_text=True)
    assert row_figures(html, "Bộ Thử nghiệm")[:6] == ["5", "0", "0", "0", "5", "0"]
    # 00:30 on 1 July in Hà Nội, still 30 June in UTC: everyone not done is overdue.
    monkeypatch.setattr(clock, "now", lambda: at("2026-06-30 17:30"))
    html = client.get(f"/hr?campaign={scene.campaign.id}").get_data(as_text=True)
    assert row_figures(html, "Bộ Thử nghiệm")[:6] == ["5", "0", "0", "0", "0", "5"]


def test_hr_of_a_unit_sees_its_subtree_only(client, login_as, scene):
    m = scene.ministry
    steps.finish(scene.people["lan"], now=at("2026-03-20 02:00"))
    login_as("hr", hr_scope=m.cds, department=m.cds)
    html = client.get(f"/hr?campaign={scene.campaign.id}").get_data(as_text=True)
    assert "Vụ Tổ chức cán bộ" not in html and "Vũ Thị Lan" not in html
    assert row_figures(html, "Cục Chuyển đổi số")[:2] == ["4", "0"]
    assert "Bộ Thử nghiệm</span></th>" not in html
    listing = client.get("/hr/campaigns").get_data(as_text=True)
    assert re.search(r'campaign=\d+">4</a>', listing)  # only its part of the figures

    elsewhere = steps.campaign(scene.course, [m.tccb])
    assert client.get(f"/hr?campaign={elsewhere.id}").status_code == 404
    assert client.get(f"/hr/campaigns/{elsewhere.id}/edit").status_code == 404
    assert client.post(f"/hr/campaigns/{elsewhere.id}/archive",
                       data={"archived": "1"}).status_code == 404
    # A ministry-wide campaign is seen but may not be changed by HR of one unit.
    assert client.get(f"/hr/campaigns/{scene.campaign.id}/edit").status_code == 403


def test_course_figures(client, login_as, scene):
    steps.finish(scene.people["hoa"], now=at("2026-03-20 02:00"))
    login_as("hr")
    html = client.get(f"/hr?course={scene.course.id}").get_data(as_text=True)
    # No deadline: no late, no overdue, no chart.
    assert "status=overdue" not in html and "status=completed_late" not in html
    assert "chart-svg-title" not in html
    assert row_figures(html, "Phòng Dữ liệu")[:4] == ["2", "1", "0", "1"]
    assert {"course": str(scene.course.id), "department": str(scene.ministry.data.id),
            "status": "completed"} in links(html)
    assert client.get("/hr?course=999999").status_code == 404


@pytest.mark.parametrize("role, status", [("learner", 403), ("mentor", 403)])
def test_learners_and_mentors_may_not(client, login_as, scene, role, status):
    login_as(role)
    for path in ("/hr", "/hr/campaigns", "/hr/campaigns/new",
                 f"/hr/campaigns/{scene.campaign.id}/edit"):
        assert client.get(path).status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client, scene):
    response = client.get("/hr")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_create_edit_and_archive_a_campaign(client, login_as, scene):
    m = scene.ministry
    login_as("hr")
    data = {"title": "  An toàn thông tin 2026 ", "course_id": scene.course.id,
            "deadline": "2026-09-30", "departments": [m.data.id, m.infra.id],
            "job_titles": "", "description": ""}
    assert client.post("/hr/campaigns/new", data=data, csrf=False).status_code == 400
    response = client.post("/hr/campaigns/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    made = db.session.scalar(select(Campaign).where(Campaign.title == "An toàn thông tin 2026"))
    assert response.headers["Location"].endswith(f"/hr?campaign={made.id}")
    assert sorted(s.department_id for s in made.scopes) == sorted([m.data.id, m.infra.id])
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert row_figures(html, "Cục Chuyển đổi số")[0] == "3"

    edit = f"/hr/campaigns/{made.id}/edit"
    page = client.get(edit).get_data(as_text=True)
    assert 'value="2026-09-30"' in page
    data = {"title": "An toàn thông tin", "deadline": "2026-10-15",
            "departments": [m.cds.id], "job_titles": "", "description": "Theo kế hoạch"}
    assert client.post(edit, data=data).status_code == 302
    db.session.expire_all()
    made = db.session.get(Campaign, made.id)
    assert (made.title, made.deadline.isoformat()) == ("An toàn thông tin", "2026-10-15")
    assert [s.department_id for s in made.scopes] == [m.cds.id]

    # No CSRF token: refused.
    assert client.post(f"/hr/campaigns/{made.id}/archive", data={"archived": "1"},
                       csrf=False).status_code == 400
    assert client.post(f"/hr/campaigns/{made.id}/archive",
                       data={"archived": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, made.id).archived_at is not None
    listing = client.get("/hr/campaigns").get_data(as_text=True)
    assert "Archived campaigns" in listing or "Chiến dịch đã lưu trữ" in listing
    assert client.post(f"/hr/campaigns/{made.id}/archive",
                       data={"archived": "0"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, made.id).archived_at is None


def errors_of(html: str) -> dict[str, str]:
    return {key: " ".join(re.sub(r"<[^>]+>", " ", text).split())
            for key, text in re.findall(r'<p class="field-error" id="([\w-]+)-error">(.*?)</p>',
                                        html, re.S)}


def test_form_errors_are_per_field(client, login_as, scene):
    m = scene.ministry
    login_as("hr", hr_scope=m.cds, department=m.cds, preferred_language="en")
    before = db.session.scalar(select(func.count()).select_from(Campaign))
    response = client.post("/hr/campaigns/new", data={
        "title": "  ", "course_id": scene.course.id, "deadline": "2026-09-30"})
    assert response.status_code == 400
    assert errors_of(response.get_data(as_text=True)) == {
        "title": "Enter the campaign's title."}
    response = client.post("/hr/campaigns/new", data={
        "title": "Dữ liệu mở", "course_id": scene.course.id, "deadline": "2026-09-30"})
    assert errors_of(response.get_data(as_text=True)) == {
        "departments": "Choose at least one department."}
    response = client.post("/hr/campaigns/new", data={
        "title": "Dữ liệu mở", "course_id": scene.course.id, "deadline": "2026-09-30",
        "departments": [m.tccb.id]})  # outside the scope
    assert errors_of(response.get_data(as_text=True)) == {
        "departments": "Choose departments within your scope."}
    response = client.post("/hr/campaigns/new", data={
        "title": "Dữ liệu mở", "course_id": scene.course.id, "deadline": "30/09/2026",
        "departments": [m.data.id]})
    assert errors_of(response.get_data(as_text=True)) == {
        "deadline": "Not a valid date value."}
    response = client.post("/hr/campaigns/new", data={
        "title": "Dữ liệu mở", "course_id": scene.course.id, "deadline": "2026-03-31",
        "departments": [m.data.id]})  # the day before the ministry's today
    assert errors_of(response.get_data(as_text=True)) == {
        "deadline": "Enter a deadline that is today or later."}
    response = client.post("/hr/campaigns/new", data={
        "title": "Dữ liệu mở", "course_id": "0", "deadline": "2026-09-30",
        "departments": [m.data.id]})
    assert errors_of(response.get_data(as_text=True)) == {
        "course_id": "Choose a published course."}
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == before
    # Nor can its own campaign be moved out of the scope by the edit form.
    own = campaigns.create_campaign(None, title="Hạ tầng", course_id=scene.course.id,
                                    department_ids=[m.infra.id], deadline=date(2026, 9, 30),
                                    now=clock.now())
    db.session.commit()
    response = client.post(f"/hr/campaigns/{own.id}/edit", data={
        "title": "Hạ tầng", "deadline": "2026-09-30", "departments": [m.infra.id, m.tccb.id]})
    assert errors_of(response.get_data(as_text=True)) == {
        "departments": "Choose departments within your scope."}
    db.session.expire_all()
    assert [s.department_id for s in db.session.get(Campaign, own.id).scopes] == [m.infra.id]
    # The form offers only the departments of the scope.
    page = client.get("/hr/campaigns/new").get_data(as_text=True)
    assert "Phòng Dữ liệu" in page and "Vụ Tổ chức cán bộ" not in page


def test_a_deadline_may_not_be_moved_into_the_past(client, login_as, scene):
    login_as("hr", preferred_language="en")
    edit = f"/hr/campaigns/{scene.campaign.id}/edit"
    data = {"title": "Kỹ năng số 2026", "deadline": "2026-03-31",
            "departments": [scene.ministry.root.id]}
    response = client.post(edit, data=data)
    assert errors_of(response.get_data(as_text=True)) == {
        "deadline": "Enter a deadline that is today or later."}
    # Once the deadline has passed, the campaign's title can still be corrected.
    scene.campaign.deadline = date(2026, 3, 15)
    db.session.commit()
    assert client.post(edit, data={**data, "deadline": "2026-03-15"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, scene.campaign.id).title == "Kỹ năng số 2026"


def test_vietnamese_errors(client, login_as, scene):
    login_as("hr")
    response = client.post("/hr/campaigns/new", data={"title": "", "course_id": "0"})
    errors = errors_of(response.get_data(as_text=True))
    assert set(errors) == {"title"}
    assert errors["title"] != "Enter the campaign's title."


def test_the_dashboard_reads_a_fixed_number_of_statements(client, login_as, scene,
                                                          count_queries):
    login_as("hr")
    url = f"/hr?campaign={scene.campaign.id}"
    client.get(url)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    m = scene.ministry
    added = []
    for name in ("Phòng Một", "Phòng Hai", "Phòng Ba"):
        unit = steps.department(name, m.data)
        added += [steps.official(f"Cán bộ {name} {index}", department=unit)
                  for index in range(3)]
    db.session.commit()
    campaigns.place_officials([user.id for user in added], now=at("2026-03-24 02:00"))
    db.session.commit()
    for official in added[::3]:
        steps.finish(official, now=at("2026-03-25 02:00"))
    with count_queries() as large:
        html = client.get(url).get_data(as_text=True)
    assert "Phòng Hai" in html
    assert len(large) == len(small)


def test_the_campaign_list_reads_a_fixed_number_of_statements(client, login_as, scene,
                                                              count_queries):
    m = scene.ministry
    login_as("hr")
    client.get("/hr/campaigns")
    with count_queries() as one:
        assert client.get("/hr/campaigns").status_code == 200
    steps.campaign(scene.course, [m.data, m.infra])
    steps.campaign(scene.course, [m.tccb])
    with count_queries() as three:
        html = client.get("/hr/campaigns").get_data(as_text=True)
    assert html.count('href="/hr?campaign=') == 3
    assert len(three) == len(one)


def test_a_page_view_writes_nothing(client, login_as, scene, count_queries):
    login_as("hr")
    for path in ("/hr", f"/hr?course={scene.course.id}", "/hr/campaigns",
                 "/hr/campaigns/new", f"/hr/campaigns/{scene.campaign.id}/edit"):
        with count_queries() as statements:
            assert client.get(path).status_code == 200
        writes = [s for s in statements if s.split()[0].upper() in (
            "INSERT", "UPDATE", "DELETE")]
        assert writes == [], path


def campaign_events(action: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == action))


def test_a_double_click_archives_once(app, client, login_as, scene):
    login_as("hr")
    url = f"/hr/campaigns/{scene.campaign.id}/archive"
    assert client.post(url, data={"archived": "1"}).status_code == 302
    db.session.expire_all()
    first = db.session.get(Campaign, scene.campaign.id).archived_at
    assert client.post(url, data={"archived": "1"}).status_code == 302  # a second click
    assert campaign_events("campaign.archive") == 1
    db.session.expire_all()
    assert db.session.get(Campaign, scene.campaign.id).archived_at == first
    # Two browsers bringing it back at the same moment: it comes back once, recorded once.
    hr = steps.official("Nhân sự hai", department=scene.ministry.root, roles=("learner", "hr"))
    db.session.commit()
    browsers = [new_client(app, hr) for _ in range(2)]
    statuses = together(browsers, lambda browser, _index: [
        browser.post(url, data={"archived": "0"}).status_code])
    assert statuses == [302, 302]
    assert campaign_events("campaign.unarchive") == 1
    steps.assert_agree()


def test_a_change_of_one_field_keeps_what_a_parallel_change_made(app, scene):
    """A change of the title alone (the API's PATCH) read the campaign before a parallel change
    of its departments was committed: that change stays."""
    m = scene.ministry
    campaign = db.session.get(Campaign, scene.campaign.id)
    assert {s.department_id for s in campaign.scopes} == {m.root.id}  # read, then...

    def meanwhile() -> None:
        with app.app_context():
            other = db.session.get(Campaign, scene.campaign.id)
            campaigns.update_campaign(None, other, department_ids=[m.cds.id],
                                      now=at("2026-06-01 02:00"))
            db.session.commit()

    worker = threading.Thread(target=meanwhile)
    worker.start()
    worker.join()
    campaigns.update_campaign(None, campaign, title="Kỹ năng số (tên mới)",
                              now=at("2026-06-01 02:01"))
    db.session.commit()
    db.session.expire_all()
    campaign = db.session.get(Campaign, scene.campaign.id)
    assert campaign.title == "Kỹ năng số (tên mới)"
    assert {s.department_id for s in campaign.scopes} == {m.cds.id}
    steps.assert_agree()


def test_a_form_saved_twice_records_one_change(app, client, login_as, scene):
    login_as("hr")
    edit = f"/hr/campaigns/{scene.campaign.id}/edit"
    data = {"title": "Kỹ năng số 2026", "deadline": "2026-06-30", "description": "Đợt 1",
            "departments": [scene.ministry.root.id], "job_titles": ""}
    for _click in range(2):
        assert client.post(edit, data=data).status_code == 302
    assert campaign_events("campaign.update") == 1
    db.session.expire_all()
    assert db.session.get(Campaign, scene.campaign.id).description == "Đợt 1"


def test_a_campaign_sent_twice_is_created_once(app, client, login_as, scene):
    m = scene.ministry
    hr = steps.official("Nhân sự hai", department=m.root, roles=("learner", "hr"))
    db.session.commit()
    form = {"title": "An toàn thông tin 2026", "course_id": str(scene.course.id),
            "departments": [str(m.cds.id)], "deadline": "2026-10-15"}
    browsers = [new_client(app, hr) for _ in range(3)]
    statuses = together(browsers, lambda browser, _index: [
        browser.post("/hr/campaigns/new", data=form).status_code])
    assert sorted(statuses) == [302, 400, 400]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Campaign).where(
        Campaign.title == form["title"])) == 1
    assert campaign_events("campaign.create") == 2  # the scene's, and this one
    steps.assert_agree()
    # Resent later (the back button): the form says so under the title.
    login_as("hr", preferred_language="en")
    response = client.post("/hr/campaigns/new", data={**form, "title": "an toàn thông tin 2026"})
    assert response.status_code == 400
    assert errors_of(response.get_data(as_text=True)) == {
        "title": "This campaign already exists: open it from the list of campaigns."}
    # Another department, deadline or title is another campaign.
    for change in ({"departments": [str(m.tccb.id)]}, {"deadline": "2026-10-16"}):
        assert client.post("/hr/campaigns/new", data={**form, **change}).status_code == 302


def test_a_head_of_an_export_records_no_export(client, login_as, scene):
    login_as("hr", "admin")
    campaign, lan = scene.campaign.id, scene.people["lan"].id
    exports = ["/hr/people.csv", "/hr/people.xlsx", f"/hr/departments.csv?campaign={campaign}",
               f"/hr/campaigns/{campaign}/ranking.pdf", f"/hr/officials/{lan}/transcript.pdf",
               "/admin/audit.csv", "/hr/officials?format=csv", "/hr/certificates?format=xlsx"]

    def recorded() -> int:
        db.session.expire_all()
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action.in_(("export", "transcript.export"))))

    for url in exports:  # a link checker's HEAD: headers, no file, so nothing exported
        before = recorded()
        response = client.head(url)
        assert response.status_code == 200, url
        assert "attachment" in response.headers["Content-Disposition"], url
        assert recorded() == before, url
        response = client.get(url)  # the download itself is recorded once
        assert response.status_code == 200, url
        response.close()
        assert recorded() == before + 1, url


HOSTILE_TITLE = '"><svg onload=alert(1)><script>alert(2)</script> Đợt 1'
HOSTILE_UNIT = '<img src=x onerror=alert(3)>'


def test_markup_in_titles_and_names_stays_text(client, login_as, scene):
    scene.campaign.title = HOSTILE_TITLE
    scene.ministry.tccb.name = HOSTILE_UNIT
    db.session.commit()
    login_as("hr")
    campaign = scene.campaign.id
    for url in (f"/hr?campaign={campaign}", "/hr/campaigns", f"/hr/campaigns/{campaign}/edit",
                f"/hr/campaigns/{campaign}/ranking", f"/hr/people?campaign={campaign}"):
        html = client.get(url).get_data(as_text=True)
        for markup in ("<svg onload", "<script>alert", "<img src=x"):
            assert markup not in html, (url, markup)
        assert "&lt;script&gt;alert(2)" in html, url
    # The PDF shows them as text (WeasyPrint never sees them as elements).
    text = report_steps.pdf_text(client.get(f"/hr/campaigns/{campaign}/ranking.pdf").data)
    assert '"><svg onload=alert(1)><script>alert(2)</script> Đợt 1' in text
    assert HOSTILE_UNIT in text


def test_a_scope_taken_away_between_requests_shows_nothing_more(client, login_as, scene):
    m, hoa = scene.ministry, scene.people["hoa"]
    own = campaigns.create_campaign(None, title="Dữ liệu", course_id=scene.course.id,
                                    department_ids=[m.data.id], deadline=date(2026, 9, 30),
                                    now=clock.now())
    hr = login_as("hr", hr_scope=m.cds, department=m.cds)
    urls = (f"/hr?campaign={own.id}", f"/hr/campaigns/{own.id}/ranking",
            f"/hr/campaigns/{own.id}/edit", f"/hr/officials/{hoa.id}/transcript",
            f"/hr/departments.csv?campaign={own.id}")
    assert [client.get(url).status_code for url in urls] == [200] * len(urls)
    people = f"/hr/people.csv?campaign={own.id}&department={m.data.id}"
    assert client.get(people).status_code == 200
    # Between two requests the administrator moves the grant to another department.
    hr.grant("hr").scope_department_id = m.tccb.id
    db.session.commit()
    # Not found alike, the transcript too: nothing tells what exists outside the scope.
    assert [client.get(url).status_code for url in urls] == [404] * len(urls)
    assert client.get(people).status_code == 302  # back to the list, which names the error
    response = client.post(f"/hr/campaigns/{own.id}/archive", data={"archived": "1"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Campaign, own.id).archived_at is None

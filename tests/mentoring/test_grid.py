"""The mentor's grid: members by assignment with state, progress and quiz score; filters
(overdue, not started), sorting (Vietnamese name order, state, progress), pages; and a number
of queries that does not grow with the group."""

from __future__ import annotations

import re

import pytest

from learning import clock
from learning.db import db as _db
from learning.mentoring import services as mentoring
from tests.conftest import visible_text
from tests.courses.steps import new_client
from tests.mentoring import steps
from tests.mentoring.steps import at, due

ASSIGNED = at("2026-03-01 02:00")
LATER = at("2026-03-12 02:00")  # after the due day, 10 March


@pytest.fixture
def cell(app, db, tmp_path, monkeypatch):
    """A group of four: Bình done on time, An overdue half-way, Chi not started (overdue),
    Dũng done late; the lesson `a` and module co-ban assigned, due 10 March."""
    monkeypatch.setattr(clock, "now", lambda: LATER)
    steps.course(tmp_path)
    mentor = steps.official("Phạm Đức Anh", roles=("mentor", "learner"))
    people = {name.split()[-1]: steps.official(name) for name in (
        "Trần Văn An", "Lê Thị Bình", "Nguyễn Minh Chi", "Ánh Văn Dũng")}
    group = steps.group_with(mentor, list(people.values()))
    lesson, _ = mentoring.assign(mentor, group, steps.SLUG, None, "a", due("2026-03-10"), "",
                                 None, now=ASSIGNED)
    module, _ = mentoring.assign(mentor, group, steps.SLUG, "co-ban", None, due("2026-03-10"),
                                 "", None, now=ASSIGNED)
    db.session.commit()
    steps.complete(people["Bình"], "a", "b", now=at("2026-03-05 02:00"))
    steps.take_quiz(people["Bình"], "kiem-tra-co-ban", now=at("2026-03-06 02:00"), right=0.75)
    steps.complete(people["An"], "a", now=at("2026-03-05 02:00"))
    steps.complete(people["Dũng"], "a", "b", now=at("2026-03-11 02:00"))
    steps.take_quiz(people["Dũng"], "kiem-tra-co-ban", now=at("2026-03-11 03:00"))
    return mentor, group, people, lesson, module


def member_order(response) -> list[str]:
    """The members' names in the grid, top to bottom."""
    html = response.data.decode()
    body = html[html.index('<table class="mentoring-grid">'):]
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', body)


def test_the_grid_shows_state_progress_and_quiz_score(app, cell):
    mentor, group, people, lesson, module = cell
    page = new_client(app, mentor).get(f"/mentoring/groups/{group.id}")
    assert page.status_code == 200
    html = page.data.decode()
    # Vietnamese order: by given name (An, Bình, Chi, Dũng), not by family name.
    assert member_order(page) == ["Trần Văn An", "Lê Thị Bình", "Nguyễn Minh Chi",
                                  "Ánh Văn Dũng"]
    assert html.count("state-done_late") >= 1 and html.count("state-overdue") == 3
    assert html.count("<progress") == 8  # a bar (with its figure) per member and assignment
    assert re.search(r"75\s?%", visible_text(page))  # Bình's best score on the module quiz


@pytest.mark.parametrize(("query", "expected"), [
    ("state=overdue", ["Trần Văn An", "Nguyễn Minh Chi"]),
    ("state=done", ["Trần Văn An", "Lê Thị Bình"]),  # An did the lesson on time
    ("state=done_late", ["Ánh Văn Dũng"]),
    ("sort=state", ["Trần Văn An", "Nguyễn Minh Chi", "Ánh Văn Dũng", "Lê Thị Bình"]),
    ("sort=percent", ["Nguyễn Minh Chi", "Trần Văn An", "Lê Thị Bình", "Ánh Văn Dũng"]),
])
def test_filters_and_sorting(app, cell, query, expected):
    mentor, group, *_ = cell
    page = new_client(app, mentor).get(f"/mentoring/groups/{group.id}?{query}")
    assert member_order(page) == expected


def test_a_filter_on_one_assignment(app, cell, monkeypatch):
    mentor, group, people, lesson, module = cell
    browser = new_client(app, mentor)
    # On the lesson alone only Chi is overdue (An did lesson a).
    page = browser.get(f"/mentoring/groups/{group.id}?state=overdue&column={lesson.id}")
    assert member_order(page) == ["Nguyễn Minh Chi"]
    # Before the due day nobody is overdue; Chi has not started.
    monkeypatch.setattr(clock, "now", lambda: at("2026-03-10 16:59"))
    page = browser.get(f"/mentoring/groups/{group.id}?state=overdue&column={module.id}")
    assert member_order(page) == []
    page = browser.get(f"/mentoring/groups/{group.id}?state=not_started&column={module.id}")
    assert member_order(page) == ["Nguyễn Minh Chi"]


def test_big_groups_come_a_page_at_a_time(app, db, cell, monkeypatch):
    from learning.mentoring import views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    mentor, group, *_ = cell
    browser = new_client(app, mentor)
    first = browser.get(f"/mentoring/groups/{group.id}?sort=name")
    assert member_order(first) == ["Trần Văn An", "Lê Thị Bình", "Nguyễn Minh Chi"]
    assert 'rel="next"' in first.data.decode()
    second = browser.get(f"/mentoring/groups/{group.id}?sort=name&page=2")
    assert member_order(second) == ["Ánh Văn Dũng"]
    beyond = browser.get(f"/mentoring/groups/{group.id}?page=50")  # the last page
    assert beyond.status_code == 200 and member_order(beyond) == ["Ánh Văn Dũng"]
    assert browser.get(f"/mentoring/groups/{group.id}?page=99999999999").status_code == 200


def test_the_grid_costs_the_same_queries_for_4_or_40_members(app, db, cell, count_queries):
    mentor, group, people, *_ = cell
    browser = new_client(app, mentor)
    url = f"/mentoring/groups/{group.id}"
    browser.get(url)  # warm the caches of the first request
    with count_queries() as small:
        assert browser.get(url).status_code == 200
    newcomers = [steps.official(f"Đoàn viên mới {n}") for n in range(36)]
    mentoring.add_members(None, group, [u.username for u in newcomers], now=ASSIGNED)
    _db.session.commit()
    for user in newcomers[::3]:
        steps.complete(user, "a", now=at("2026-03-04 02:00"))
    with count_queries() as big:
        page = browser.get(url)
    assert page.status_code == 200 and len(member_order(page)) == 40
    assert len(big) == len(small), "\n".join(big)
    assert len(small) <= 20, "\n".join(small)


def test_department_paths_cost_one_read_however_many_departments(app, db, count_queries):
    """The mentoring pages name each member's and group's department by its path: read from
    the tree once per request, not department by department (and parent by parent)."""
    ministry = steps.department("Bộ Thử nghiệm")
    mentor = steps.official("Phạm Đức Anh", department=ministry, roles=("mentor", "learner"))
    group = steps.group_with(mentor, [steps.official("Lê Văn An", department=ministry)],
                             now=ASSIGNED)
    group.department_id = ministry.id
    db.session.commit()
    browser = new_client(app, mentor)
    pages = ("/mentoring", f"/mentoring/groups/{group.id}/members")
    for url in pages:
        browser.get(url)  # warm the caches of the first request
    counts = {}
    for url in pages:
        with count_queries() as counted:
            assert browser.get(url).status_code == 200
        counts[url] = len(counted)
    for number in range(10):  # members in ten units of ten departments
        unit = steps.department(f"Phòng {number}", steps.department(f"Cục {number}", ministry))
        member = steps.official(f"Cán bộ {number}", department=unit)
        mentoring.add_members(None, group, [member.username], now=ASSIGNED)
        other = steps.group_with(mentor, [], name=f"Nhóm {number}", now=ASSIGNED)
        other.department_id = unit.id
    db.session.commit()
    for url in pages:
        with count_queries() as counted:
            page = browser.get(url)
        assert page.status_code == 200 and "Cục 9/Phòng 9" in visible_text(page)
        assert len(counted) == counts[url], "\n".join(counted)

"""The header every page shares: at most five top items for every role, the HR and the
administration pages grouped under their menus, and a language menu whose entries switch at
once (one submit button per language, each in its own language, in a form with a CSRF token).
How it looks and behaves in a browser is tested in tests/browser/test_header.py."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from tests.conftest import translated

HR_PAGES = {"/hr", "/hr/campaigns", "/hr/officials", "/hr/people", "/hr/certificates", "/mentoring", "/mentoring/tasks"}
MENTOR_PAGES = {"/mentoring", "/mentoring/tasks"}  # a mentor's own menu: groups, tasks to review
ADMIN_PAGES = {"/admin/users", "/admin/departments", "/admin/import", "/admin/courses",
               "/admin/audit"}


def _header(response):
    assert response.status_code == 200
    return lxml_html.fromstring(response.data.decode()).find(".//header")


def _top_items(header) -> list[str]:
    """Return the label of each top-level entry of the main navigation."""
    items = header.xpath(".//nav[contains(@class, 'main-nav')]/ul/li")
    return [" ".join(item.xpath("string(./a | ./div/button)").split()) for item in items]


def _menu_links(header, menu_id: str) -> set[str]:
    return set(header.xpath(f".//ul[@id='{menu_id}']//a/@href"))


@pytest.mark.parametrize("roles, groups", [
    (("learner",), []),
    (("mentor",), ["Mentoring"]),
    (("hr",), ["HR"]),
    (("admin",), ["HR", "Administration"]),
    (("learner", "mentor", "hr", "admin"), ["HR", "Administration"]),
])
def test_at_most_five_top_items_for_every_role(app, client, login_as, roles, groups):
    login_as(*roles, preferred_language="en")
    header = _header(client.get("/"))
    items = _top_items(header)
    assert len(items) <= 5, items
    assert items == ["My learning", "Courses", "My certificates"] + groups, items

    # Each group is a disclosure button for its list, closed until used.
    for button in header.xpath(".//nav//button[contains(@class, 'menu-button')]"):
        assert button.get("aria-expanded") == "false"
        assert header.xpath(f".//*[@id='{button.get('aria-controls')}']")[0].get("hidden") \
            is not None
    assert (_menu_links(header, "menu-hr") == HR_PAGES) == ("HR" in groups)
    assert (_menu_links(header, "menu-admin") == ADMIN_PAGES) == ("Administration" in groups)
    assert (_menu_links(header, "menu-mentoring") == MENTOR_PAGES) == ("Mentoring" in groups)
    every_link = set(header.xpath(".//a/@href"))
    assert not (HR_PAGES | ADMIN_PAGES) & every_link or groups, \
        "a learner's header links to HR or administration pages"
    assert ("/mentoring" in every_link) == bool(groups), "mentoring: for mentors, HR and admins"


def test_the_current_page_and_its_menu_are_marked(client, login_as):
    login_as("admin", preferred_language="en")
    header = _header(client.get("/admin/departments/new"))
    group = header.xpath(".//button[@aria-controls='menu-admin']")[0]
    assert "is-current" in group.get("class")
    assert "current section" in group.text_content()
    current = header.xpath(".//a[@aria-current]")
    assert [(a.get("href"), a.get("aria-current")) for a in current] == \
        [("/admin/departments", "true")]

    header = _header(client.get("/courses"))
    assert [a.get("href") for a in header.xpath(".//a[@aria-current='page']")] == ["/courses"]
    assert not header.xpath(".//button[contains(@class, 'is-current')]")


def test_the_language_menu_switches_with_one_button_per_language(app, client):
    header = _header(client.get("/login?next=%2Fcourses"))
    form = header.xpath(".//form[contains(@class, 'language-form')]")[0]
    assert form.get("method") == "post" and form.get("action") == "/language"
    assert form.xpath(".//input[@name='csrf_token']/@value")[0]
    assert form.xpath(".//input[@name='next']/@value") == ["/login?next=%2Fcourses"]
    buttons = form.xpath(".//button[@type='submit']")
    assert [(b.get("name"), b.get("value"), b.get("lang"), b.text_content().strip())
            for b in buttons] == [("language", "vi", "vi", "Tiếng Việt"),
                                  ("language", "en", "en", "English"),
                                  ("language", "ko", "ko", "한국어")]
    assert [b.get("aria-current") for b in buttons] == ["true", None, None]
    with app.test_request_context():
        label = translated("vi", "Language")
    menu_button = header.xpath(".//button[@aria-controls='menu-language']")[0]
    assert " ".join(menu_button.text_content().split()) == f"{label}: Tiếng Việt"

    # One press of "English" switches and comes back to the same page.
    token = form.xpath(".//input[@name='csrf_token']/@value")[0]
    response = client.post("/language", data={"csrf_token": token, "language": "en",
                                              "next": "/login?next=%2Fcourses"})
    assert response.status_code == 302 and response.location.endswith("/login?next=%2Fcourses")
    english = _header(client.get("/login"))
    assert english.xpath(".//button[@value='en']/@aria-current") == ["true"]


@pytest.mark.parametrize("roles, menu", [(("learner", "mentor"), "menu-mentoring"),
                                         (("learner", "hr"), "menu-hr")])
def test_a_reviewer_reaches_the_tasks_to_review_from_the_header(client, login_as, roles, menu):
    login_as(*roles, preferred_language="en")
    header = _header(client.get("/"))
    [link] = header.xpath(f".//ul[@id='{menu}']//a[@href='/mentoring/tasks']")
    assert link.text_content().strip() == "Tasks to review"
    assert client.get("/mentoring/tasks").status_code == 200

    # on that page, it is the current one, in a menu marked as the current section
    header = _header(client.get("/mentoring/tasks"))
    assert [a.get("href") for a in header.xpath(".//a[@aria-current]")] == ["/mentoring/tasks"]
    assert "is-current" in header.xpath(f".//button[@aria-controls='{menu}']")[0].get("class")
    # on the groups page, the groups entry is the current one
    header = _header(client.get("/mentoring"))
    assert [a.get("href") for a in header.xpath(".//a[@aria-current]")] == ["/mentoring"]

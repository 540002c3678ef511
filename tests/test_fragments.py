"""Stencils (learning.fragments): parts of pages rendered once with holes and filled on every
request. What is filled must be exactly what a fresh render gives, for every official, and no
text from a user or a package can open a hole."""

from __future__ import annotations

import re

import pytest
from flask import render_template
from flask_login import login_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from learning.fragments import BoundedCache, Hole, Stencil
from learning.site import header
from tests import factories
from tests.conftest import page_text
from tests.courses import steps
from tests.quizzes import steps as quiz_steps


def test_a_stencil_fills_its_holes_in_order():
    stencil = Stencil(f"<p>{Hole('a')}, {Hole('b')} and {Hole('a')}</p>")
    assert stencil.names == ("a", "b", "a")
    filled = stencil.fill({"a": "1", "b": Markup("<b>2</b>")})
    assert filled == "<p>1, <b>2</b> and 1</p>" and isinstance(filled, Markup)
    with pytest.raises(KeyError):
        stencil.fill({"a": "1"})  # a hole left empty is a mistake, never silent


def test_a_marker_without_this_process_nonce_is_plain_text():
    forged = "\ue000" + "0" * 16 + ":a\ue001"
    stencil = Stencil(f"<p>{forged}{Hole('b')}</p>")
    assert stencil.names == ("b",)
    assert stencil.fill({"b": "x"}) == f"<p>{forged}x</p>"
    with pytest.raises(ValueError):
        Hole("a\ue001b")


def test_a_marker_of_a_hole_the_stencil_does_not_name_stays_text():
    # e.g. a stencil rendered inside another, already filled: its markers are not this one's
    inner = f"{Hole('name')}"
    stencil = Stencil(f"<p>{Hole('a')}{inner}{Hole('b')}{Hole('a')}</p>", names={"a", "b"})
    assert stencil.names == ("a", "b", "a")
    assert stencil.fill({"a": "1", "b": "2"}) == f"<p>1{inner}21</p>"
    assert Stencil(f"{inner}", names={"a"}).fill({}) == inner


def test_a_bounded_cache_keeps_the_most_recent_entries():
    cache = BoundedCache(max_entries=3, max_size=10, size_of=len)
    for key in "abcd":
        cache.get_or_load(key, lambda key=key: key * 2)
    assert cache.get("a") is None and cache.get("d") == "dd"
    cache.get_or_load("e", lambda: "e" * 9)  # 9 characters: the others must go
    assert cache.get("b") is None and cache.get("c") is None and cache.get("d") is None
    assert cache.get("e") == "e" * 9


@pytest.mark.parametrize("roles", [("learner",), ("mentor",), ("hr",), ("admin",),
                                   ("learner", "mentor", "hr", "admin")])
@pytest.mark.parametrize("path", ["/", "/courses", "/hr/people", "/admin/users?q=%3Cb%3E",
                                  "/no/such/page"])
def test_the_header_is_what_a_fresh_render_gives(app, db, roles, path):
    name = 'Nguyễn <b>"Thị"</b> & Hoà ' + str(Hole("csrf"))  # as if a name could open a hole
    user = factories.UserFactory(roles=set(roles), full_name=name)
    db.session.commit()
    for language in ("vi", "en", "ko"):
        user.preferred_language = language
        for _ in range(2):  # rendered, then filled from the stencil
            with app.test_request_context(path, headers={"Accept-Language": language}):
                user.session_token = "t"
                login_user(user)
                fresh = render_template(header.TEMPLATE, **header.header_inputs(),
                                        user_name=name, csrf=generate_csrf(),
                                        next_path=path.split("?")[0] + ("?" + path.split("?")[1]
                                                                         if "?" in path else ""))
                assert header.site_header() == fresh
    assert "&lt;b&gt;&#34;Thị&#34;&lt;/b&gt; &amp; Hoà" in fresh


def test_the_header_follows_the_ministry_name(app, monkeypatch):
    for name in ("Bộ Thử nghiệm", "Bộ Ngoại giao"):
        monkeypatch.setitem(app.config, "MINISTRY_NAME", name)
        with app.test_request_context("/"):
            assert f'<span class="brand-ministry">{name}</span>' in header.site_header()


def test_the_signed_out_header_is_what_a_fresh_render_gives(app):
    for _ in range(2):
        with app.test_request_context("/login?next=%2Fcourses"):
            fresh = render_template(header.TEMPLATE, **header.header_inputs(), user_name="",
                                    csrf=generate_csrf(), next_path="/login?next=%2Fcourses")
            assert header.site_header() == fresh
            assert "Đăng nhập" not in fresh  # the sign-in page does not offer itself


SLUG = "khoa-khuon"


def _course(tmp_path, lesson_title="Bài A"):
    return quiz_steps.quiz_course(
        tmp_path / "p", SLUG, module_quiz=quiz_steps.true_false_quiz("kiem-tra-mot", 2, max_attempts=2),
        lessons=({"slug": "a", "title": lesson_title, "body": "Nội dung A.\n"}, "b", "c"))


def _sidebar(response) -> str:
    assert response.status_code == 200
    return re.search(r'<nav class="player-sidebar".*?</nav>', response.data.decode(),
                     re.S).group(0)


def test_each_official_sees_their_own_marks_in_the_shared_outline(app, client, login_as,
                                                                   tmp_path):
    _course(tmp_path, lesson_title="Bài <i>A</i> " + str(Hole("lesson-current-1")))
    first = login_as("learner")
    steps.enrol(client, SLUG)
    steps.mark_done(client, SLUG, "a")
    other_user = steps.official()
    other = steps.new_client(app, other_user)
    steps.enrol(other, SLUG)
    steps.mark_done(other, SLUG, "b")
    steps.mark_done(other, SLUG, "c")

    mine = _sidebar(client.get(f"/courses/{SLUG}/lessons/b"))
    theirs = _sidebar(other.get(f"/courses/{SLUG}/lessons/b"))
    assert [("is-done" in steps.lesson_item_class(mine, SLUG, lesson)) for lesson in "abc"] \
        == [True, False, False]
    assert [("is-done" in steps.lesson_item_class(theirs, SLUG, lesson)) for lesson in "abc"] \
        == [False, True, True]
    assert mine.count('class="done-mark"') == 1 and theirs.count('class="done-mark"') == 2
    for sidebar in (mine, theirs):
        assert len(re.findall(r'aria-current="page"', sidebar)) == 1
        assert re.search(rf'<a href="/courses/{SLUG}/lessons/b"\s+aria-current="page"', sidebar)
        assert "Bài &lt;i&gt;A&lt;/i&gt;" in sidebar  # a title is text, not a hole or markup
    assert first.id != other_user.id


def test_a_quiz_line_follows_the_official_own_standing(app, client, login_as, tmp_path):
    _course(tmp_path)
    login_as("learner", preferred_language="en")
    steps.enrol(client, SLUG)
    other = steps.new_client(app, steps.official(preferred_language="en"))
    steps.enrol(other, SLUG)
    attempt = quiz_steps.start(other, SLUG, "kiem-tra-mot")  # one of two attempts, failed
    quiz_steps.submit(other, attempt, quiz_steps.answer_fields(
        quiz_steps.get_attempt(attempt).layout, right=0))

    assert "2 attempts left" in page_text(client.get(f"/courses/{SLUG}/lessons/a"))
    theirs = page_text(other.get(f"/courses/{SLUG}/lessons/a"))
    assert "1 attempt left" in theirs and "best score 0%" in theirs
    assert "2 attempts left" in page_text(client.get(f"/courses/{SLUG}/lessons/a"))


def test_the_stencils_templates_read_only_their_inputs(app):
    """A stencil's template must not read the official or the request: what it reads besides
    its holes is its cache key."""
    for name in (header.TEMPLATE, "courses/_player_outline.html", "quizzes/_status_line.html"):
        source = app.jinja_loader.get_source(app.jinja_env, name)[0]
        code = re.sub(r"\{#.*?#\}", "", source, flags=re.S)  # comments may name them
        assert not re.search(r"\b(current_user|request|session|g)\.", code), name
        assert "csrf_token()" not in code, name


def _page_parts(response) -> tuple[str, str, str]:
    """The lesson page's HTML, its CSRF token (the time report's and the form's must agree),
    and the HTML with the token replaced (a signed token changes with the second)."""
    assert response.status_code == 200
    html = response.data.decode()
    tokens = set(re.findall(r'(?:data-csrf|name="csrf_token" value)="([^"]+)"', html))
    assert len(tokens) == 1, tokens
    token = tokens.pop()
    return html, token, html.replace(token, "token")


def test_the_lesson_page_from_its_stencil_is_what_a_fresh_render_gives(app, client, login_as,
                                                                       tmp_path):
    from learning.fragments import stencil_cache

    _course(tmp_path, lesson_title="Bài <i>A</i> & " + str(Hole("csrf")))
    login_as("learner", full_name='Nguyễn <b>"Thị"</b> ' + str(Hole("header")))
    steps.enrol(client, SLUG)
    steps.mark_done(client, SLUG, "a")
    for language in ("vi", "en", "ko"):
        for lesson in "abc":
            pages = []
            for _ in range(2):  # rendered (no stencil yet), then filled from the stencil
                stencil_cache(app, "lesson-page").clear()
                pages.append(client.get(f"/courses/{SLUG}/lessons/{lesson}",
                                        headers={"Accept-Language": language}))
                pages.append(client.get(f"/courses/{SLUG}/lessons/{lesson}",
                                        headers={"Accept-Language": language}))
            assert len({_page_parts(page)[2] for page in pages}) == 1
    html = pages[0].data.decode()
    assert "Nguyễn &lt;b&gt;&#34;Thị&#34;&lt;/b&gt;" in html  # text, not markup or a hole
    assert "Bài &lt;i&gt;A&lt;/i&gt; &amp;" in html


DONE = "Bạn đã hoàn thành bài học này."


def test_two_officials_on_one_lesson_page_each_see_their_own(app, client, login_as, tmp_path):
    _course(tmp_path)
    login_as("learner", full_name="Nguyễn Thị Hương")
    steps.enrol(client, SLUG)
    steps.mark_done(client, SLUG, "b")
    other = steps.new_client(app, steps.official(full_name="Bạch Văn Đức"))
    steps.enrol(other, SLUG)

    mine, my_token, _ = _page_parts(client.get(f"/courses/{SLUG}/lessons/b"))
    theirs, their_token, _ = _page_parts(other.get(f"/courses/{SLUG}/lessons/b"))
    assert "Nguyễn Thị Hương" in mine and "Bạch Văn Đức" not in mine
    assert "Bạch Văn Đức" in theirs and "Nguyễn Thị Hương" not in theirs
    # the footer: done for one, "mark as done" for the other
    assert DONE in page_text(client.get(f"/courses/{SLUG}/lessons/b"))
    assert DONE not in page_text(other.get(f"/courses/{SLUG}/lessons/b"))
    assert f'action="/courses/{SLUG}/lessons/b/done"' in theirs
    assert f'action="/courses/{SLUG}/lessons/b/done"' not in mine
    # each page's token is its own session's: the other official's is refused
    assert other.post(f"/courses/{SLUG}/lessons/b/done",
                      data={"csrf_token": my_token}).status_code == 400
    assert other.post(f"/courses/{SLUG}/lessons/b/done",
                      data={"csrf_token": their_token}).status_code == 302
    assert DONE in page_text(other.get(f"/courses/{SLUG}/lessons/b"))


def test_a_message_shows_once_on_the_lesson_page(app, client, login_as, tmp_path):
    _course(tmp_path)
    login_as("learner")
    steps.enrol(client, SLUG)
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Xin chào <b>bạn</b>")]
    first = client.get(f"/courses/{SLUG}/lessons/a").data.decode()
    assert '<p class="flash flash-info" role="status">Xin chào &lt;b&gt;bạn&lt;/b&gt;</p>' in first
    assert "flash-info" not in client.get(f"/courses/{SLUG}/lessons/a").data.decode()

"""Plain words for older officials: signed-out pages offer "Đăng nhập"; version numbers and
"JSON" stay off the pages an official reads (HR, admins and the API keep them)."""

from __future__ import annotations

import re

import pytest

from learning import clock
from tests.certificates import steps
from tests.certificates.steps import NAMES
from tests.conftest import translated, visible_text
from tests.courses.steps import new_client


@pytest.mark.parametrize("path", ["/verify", "/verify/abcdefghijkmnpqrstuv"])
def test_signed_out_pages_offer_sign_in(app, client, path):
    html = client.get(path).data.decode()
    assert re.search(r'<a[^>]*href="/login"[^>]*>\s*' + re.escape(translated("vi", "Sign in")),
                     html), "no sign-in link in the header"


def test_the_sign_in_page_does_not_link_to_itself(app, client):
    html = client.get("/login").data.decode()
    assert 'href="/login"' not in html


@pytest.fixture
def issued(app, db, tmp_path):
    steps.course(tmp_path)
    holder = steps.official(NAMES[0])
    return holder, steps.complete(holder, now=clock.now())


def test_an_official_reads_no_version_numbers_or_json(app, client, db, issued):
    holder, certificate = issued
    browser = new_client(app, holder)
    for path in (f"/certificates/{certificate.id}", "/certificates",
                 f"/courses/{steps.SLUG}"):
        text = visible_text(browser.get(path))
        assert "1.0.0" not in text and "JSON" not in text, path
    public = client.get(f"/verify/{certificate.code}")
    text = visible_text(public)
    assert "1.0.0" not in text and "JSON" not in text
    # machines still find the JSON form of the verification
    assert f'type="application/json" href="/verify/{certificate.code}.json"' in \
        public.data.decode()


def test_hr_still_sees_the_version(app, db, issued):
    _holder, certificate = issued
    hr = steps.hr_official()
    db.session.commit()
    browser = new_client(app, hr)
    assert "1.0.0" in visible_text(browser.get(f"/certificates/{certificate.id}"))
    assert "1.0.0" in visible_text(browser.get(f"/courses/{steps.SLUG}"))

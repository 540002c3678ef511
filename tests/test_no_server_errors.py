"""No 5xx from bad input: every route and every form, fed hostile values (issue #8, point 11).

The routes come from `app.url_map` and the forms from the pages themselves, so a route or a
form added later is swept without touching this file. Hypothesis draws the values (derandomized:
CI sees the same examples every run); a fixed catalogue of known-bad values is always sent too.
The app's generic handler turns any exception into a 500 page *and logs it at ERROR*, so each
response must be below 500 and leave no ERROR record behind.
"""

from __future__ import annotations

import io
import logging
import os
import re
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learning import clock
from learning.accounts import services as accounts
from learning.db import db
from tests import factories
from tests.conftest import DEMO_PASSWORD, sign_in
from tests.test_access_matrix import ROLE_GRANTS, objects

ROLES = ("anonymous", "learner", "mentor", "hr", "admin")

HOSTILE_INTS = (
    "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
    "-9223372036854775809", "18446744073709551616", "99999999999999999999", "1" * 5000, "-1",
    "0", "2**63", "1e309", "007", "1_000", "١٢٣", "１２３",
)
HOSTILE_TEXT = (
    "\x00", "a\x00b", "..", "../../../etc/passwd", "%", "%00", "\r\nX-Injected: 1", "\x01\x1f",
    "/account\r\nX-Injected: 1", "/\\example.org", "//example.org", "/%0d%0a",
    "x" * 10_000, "😀🇻🇳", "\u202e\u200fعربى", "\ufeff", "\ufffe", "' OR 1=1 --",
    "<script>alert(1)</script>", "{{7*7}}", " ", "",
)
HOSTILE = HOSTILE_INTS + HOSTILE_TEXT
# The catalogue sent to every path argument, query argument and form field: one value of each
# kind that ever broke something (Hypothesis adds the rest from HOSTILE and its own inventions).
PATH_HOSTILE = ("2147483648", "9223372036854775808", "-1", "1" * 5000, "\x00", "a\x00b", "..",
                "%", "x" * 10_000, "😀\u202e\u200fعربى")
QUERY_HOSTILE = ("2147483648", "99999999999999999999", "-1", "1" * 5000, "a\x00b",
                 "x" * 10_000 + "😀", "/account\r\nX-Injected: 1")
FORM_HOSTILE = ("2147483648", "-9223372036854775809", "1" * 5000, "\x00", "\x01\x1f",
                "x" * 10_000, "\r\nX-Injected: 1", "/account\r\nX-Injected: 1",
                "😀\u202e\u200fعربى")

# Text Hypothesis invents besides the catalogue: any code point that can travel in a URL or a
# form (lone surrogates cannot be encoded to UTF-8 by any client).
hostile_values = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30).map("/".__add__),
)

# Which object of `objects()` a path argument names, for the form sweep (valid URLs, so the
# hostile form data reaches the view). An argument not listed gets "1".
VALID_ARGUMENTS = {
    "user_id": "official", "department_id": "department", "attempt_id": "attempt",
    "certificate_id": "certificate", "notification_id": "notification", "slug": "course",
    "quiz_slug": "quiz", "code": "certificate_code", "token_id": "token", "group_id": "group",
    "assignment_id": "assignment", "campaign_id": "campaign",
}
LITERAL_ARGUMENTS = {"lesson_slug": "a", "task_slug": "x", "path": "01-co-ban/phu-de.vtt"}
# Query arguments tried on every page, besides the fields of the pages' own GET forms.
QUERY_KEYS = ("page", "next", "parent", "department", "course", "q", "language", "topic",
              "cursor", "limit", "format", "campaign")
# Signing out would end the session the rest of the sweep needs.
SKIP_SIGNED_IN = {"accounts.logout"}

# Each example sends one request per route (or form): a few examples per role keep the file
# within a few minutes on two cores (PostgreSQL). HOCSO_SWEEP_EXAMPLES=200 for a longer hunt.
SETTINGS = settings(
    max_examples=int(os.environ.get("HOCSO_SWEEP_EXAMPLES", "4")), deadline=None,
    derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- helpers ---------------------------------------------------------------------------------

def short(value, limit: int = 160) -> str:
    """A value's repr, cut so that a 10,000-character string keeps the failure readable."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…({len(text)} chars)"


class Checker:
    """Send requests and collect every 5xx or ERROR log with the route and values that did it."""

    def __init__(self, client, caplog, role, collect: list | None = None):
        self.client, self.caplog, self.role = client, caplog, role
        self.collect = collect  # a list: gather every failure instead of stopping at the first

    def __call__(self, method: str, url: str, rule: str, **kwargs):
        self.caplog.clear()
        # post() adds the CSRF token to form data (tests/conftest.py Client): without it every
        # form would stop at the token check and the sweep would test nothing behind it.
        send = self.client.post if method == "POST" else self.client.open
        response = send(url, method=method, **kwargs) if send is self.client.open \
            else send(url, **kwargs)
        status = response.status_code
        body = response.get_data()
        response.close()
        errors = [r for r in self.caplog.records if r.levelno >= logging.ERROR]
        if status >= 500 or errors:
            detail = ""
            if errors:
                record = errors[0]
                detail = record.getMessage()
                if record.exc_info:
                    trace = logging.Formatter().formatException(record.exc_info)
                    detail += "\n" + trace[-1500:]
            data = kwargs.get("data")
            failure = (f"{self.role}: {method} {rule} as {short(url)} with {short(data)} -> "
                       f"{status}\n{detail}")
            if self.collect is None:
                pytest.fail(failure, pytrace=False)
            self.collect.append(failure)
        return status, body


def sign_in_as(client, role: str):
    """Sign in a new official with `role` (None for anonymous); return the user. Every request
    also carries an API token of the official: the pages ignore it, and the API's own code
    (behind its token check) gets the hostile values too."""
    if role == "anonymous":
        return None
    user = factories.UserFactory(username=f"sweep.{role}", roles=ROLE_GRANTS[role],
                                 password=DEMO_PASSWORD)
    token = accounts.create_token(accounts.SYSTEM, user, name="sweep", now=clock.now())
    db.session.commit()
    assert sign_in(client, user.username).status_code == 302
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token.secret}"
    return user


def swept_rules(app, role: str) -> list:
    """Every rule of the app but static files (and signing out for signed-in roles)."""
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint != "static"
            and not (role != "anonymous" and rule.endpoint in SKIP_SIGNED_IN)]


_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def build_url(rule, values: dict[str, str]) -> str:
    """Fill a rule's placeholders with `values`, percent-encoded (a path keeps its slashes)."""

    def fill(match):
        converter, name = match.group(1), match.group(2)
        return quote(values[name], safe="/" if converter == "path" else "")

    return _ARGUMENT.sub(fill, rule.rule)


def methods_of(rule) -> list[str]:
    """The methods worth sending to a rule: its own, and GET for a POST-only rule (405)."""
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
    return methods if "GET" in methods else ["GET", *methods]


def valid_url(rule, ids: dict) -> str:
    """The rule's URL pointing at the objects `objects()` created."""
    values = {}
    for name in rule.arguments:
        if name in LITERAL_ARGUMENTS:
            values[name] = LITERAL_ARGUMENTS[name]
        elif name == "slug" and "quiz_slug" in rule.arguments:
            values[name] = str(ids["quiz_course"])
        else:
            values[name] = str(ids.get(VALID_ARGUMENTS.get(name, ""), 1))
    return build_url(rule, values)


class FormParser(HTMLParser):
    """Collect a page's forms: action, method, enctype and fields (name, kind, value, options)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "",
                               "method": (attrs.get("method") or "get").upper(),
                               "multipart": "multipart" in (attrs.get("enctype") or ""),
                               "fields": {}})
            return
        if not self.forms or not attrs.get("name"):
            if tag == "option" and self._select is not None:
                self._select["options"].append(attrs.get("value") or "")
            return
        fields = self.forms[-1]["fields"]
        name = attrs["name"]
        if tag in ("input", "button"):
            kind = attrs.get("type") or "text"
            field = fields.setdefault(name, {"kind": kind, "value": attrs.get("value") or "",
                                             "options": []})
            if kind in ("checkbox", "radio"):
                field["options"].append(attrs.get("value") or "on")
        elif tag == "textarea":
            fields[name] = {"kind": "textarea", "value": "", "options": []}
        elif tag == "select":
            self._select = fields[name] = {"kind": "select", "value": "", "options": []}

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def page_forms(body: bytes, page_url: str) -> list[dict]:
    """The forms of an HTML page, with their actions made absolute paths (none in a PDF, zip
    or JSON download: random binary bytes can trip Python's HTML parser)."""
    text = body.decode("utf-8", "replace")
    if not text.lstrip()[:15].lower().startswith("<!doctype html"):
        return []
    parser = FormParser()
    parser.feed(text)
    for form in parser.forms:
        target = urljoin(page_url, form["action"] or page_url)
        parts = urlsplit(target)
        form["action"] = parts.path + (f"?{parts.query}" if parts.query else "")
    return parser.forms


PLAUSIBLE = {"password": DEMO_PASSWORD, "email": "thu.tt@example.gov.vn", "number": "30"}


def plausible(field: dict) -> str:
    """A value a person would send for `field`, so that the form's other checks pass and the
    hostile value in another field reaches the view's own code."""
    if field["options"]:
        return field["options"][0]
    return field["value"] or PLAUSIBLE.get(field["kind"], "Nguyễn Thị Hương 1")


def prepare_sweep(app, client, caplog, role, tmp_path, monkeypatch):
    """Sign in as `role`, make the objects URLs point at, and return them with a Checker; the
    verification and API rate limits are lifted for this test only (the sweep makes many
    requests)."""
    monkeypatch.setitem(app.config, "VERIFY_LIMIT", 10**9)
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 10**9)
    me = sign_in_as(client, role)
    return objects(tmp_path, me), Checker(client, caplog, role)


# --- URLs ------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_hostile_urls(app, client, caplog, role, tmp_path, monkeypatch):
    """Every route with hostile path values and query strings answers below 500."""
    ids, check = prepare_sweep(app, client, caplog, role, tmp_path, monkeypatch)
    rules = swept_rules(app, role)
    keys = list(QUERY_KEYS)
    for rule in rules:  # the search and filter boxes' names, as their pages send them
        if "GET" in rule.methods:
            url = valid_url(rule, ids)
            status, body = check("GET", url, rule.rule)
            keys += [name for form in page_forms(body, url) if form["method"] == "GET"
                     for name in form["fields"] if name not in keys]

    # The fixed catalogue: each value in every argument of every route, and in every query
    # argument of every page (opened at a valid URL, so that the view reads its query).
    for rule in rules:
        for value in PATH_HOSTILE if rule.arguments else ():
            url = build_url(rule, dict.fromkeys(rule.arguments, value))
            for method in methods_of(rule):
                check(method, url, rule.rule)
        if "GET" in rule.methods:
            url = valid_url(rule, ids)
            for value in QUERY_HOSTILE:
                check("GET", f"{url}?{urlencode(dict.fromkeys(keys, value))}", rule.rule)

    @SETTINGS
    @given(data=st.data())
    def sweep(data):
        for rule in rules:
            values = {name: data.draw(hostile_values, label=f"{rule.rule} <{name}>")
                      for name in rule.arguments}
            query = data.draw(st.lists(st.tuples(st.sampled_from(keys) | hostile_values,
                                                 hostile_values), max_size=4),
                              label=f"{rule.rule} query")
            url = build_url(rule, values) + "?" + urlencode(query)
            for method in methods_of(rule):
                check(method, url, rule.rule)

    sweep()


# --- forms -----------------------------------------------------------------------------------

def discover_forms(app, client, check, ids, role) -> list[tuple[str, str, dict]]:
    """Open every GET page at valid URLs and return (rule, action, form) for each POST form,
    plus a form of every field name seen for each POST route no page showed a form for."""
    found: list[tuple[str, str, dict]] = []
    rules = swept_rules(app, role)
    for rule in rules:
        if "GET" not in rule.methods:
            continue
        url = valid_url(rule, ids)
        status, body = check("GET", url, rule.rule)
        if status != 200 or b"<form" not in body:
            continue
        for form in page_forms(body, url):
            if form["method"] != "POST":
                continue
            if role != "anonymous" and urlsplit(form["action"]).path == "/logout":
                continue
            found.append((rule.rule, form["action"], form))
    posted = {urlsplit(action).path for _, action, _ in found}
    every_field = {name: {"kind": "text", "value": "", "options": []}
                   for _, _, form in found for name in form["fields"]}
    every_field.update({"seconds": {"kind": "number", "value": "30", "options": []},
                        "action": {"kind": "hidden", "value": "save", "options": ["save"]}})
    for rule in rules:
        if "POST" in rule.methods and (url := valid_url(rule, ids)) not in posted:
            found.append((rule.rule, url, {"method": "POST", "multipart": False,
                                           "fields": every_field, "guessed": True}))
    return found


FILE_PAYLOADS = (
    b"", b"\x00" * 64, b"PK\x03\x04garbage", b"\xff\xfe" + "staff_number,full_name".encode(
        "utf-16-le"), "staff_number,full_name".encode("utf-16-le"), b"\x89PNG\r\n\x1a\n\x00",
    b"%PDF-1.7\n\x00\x00", bytes(range(256)) * 8,
)
FILE_NAMES = ("a.csv", "a.zip", "a.pdf", "a.xlsx", "../../x.csv", "\x00.csv", "😀.txt", "")


def hostile_payload(data, action: str, form: dict) -> dict:
    """Draw form data: each field plausible or hostile (at least one hostile), files junk."""
    payload = {}
    fields = list(form["fields"].items())
    hostile_index = data.draw(st.integers(0, max(len(fields) - 1, 0)), label=f"{action} field")
    for index, (name, field) in enumerate(fields):
        if name == "csrf_token":
            continue
        if field["kind"] == "file":
            payload[name] = (io.BytesIO(data.draw(st.sampled_from(FILE_PAYLOADS) | st.binary(
                max_size=512), label=f"{action} {name} bytes")),
                data.draw(st.sampled_from(FILE_NAMES), label=f"{action} {name} filename"))
            continue
        hostile = index == hostile_index or data.draw(st.booleans(), label=f"{action} {name}?")
        payload[name] = (data.draw(hostile_values, label=f"{action} {name}") if hostile
                         else plausible(field))
    return payload


@pytest.mark.parametrize("role", ROLES)
def test_hostile_forms(app, client, caplog, role, tmp_path, monkeypatch):
    """Every form (and every POST route) given hostile data answers below 500."""
    ids, check = prepare_sweep(app, client, caplog, role, tmp_path, monkeypatch)
    forms = discover_forms(app, client, check, ids, role)
    assert forms, "the sweep found no form to send"

    # The fixed catalogue: each value in each field of a page's form alone, the others
    # plausible (so that no other field's error hides it); in every guessed field at once.
    for rule, action, form in forms:
        typed = [name for name, field in form["fields"].items()
                 if name != "csrf_token" and field["kind"] != "file"]
        for value in FORM_HOSTILE:
            if form.get("guessed"):
                check("POST", action, rule, data=dict.fromkeys(typed, value))
                continue
            for name in typed:
                payload = {other: plausible(form["fields"][other]) for other in typed}
                payload[name] = value
                check("POST", action, rule, data=payload)
        # A multipart body cut off in the middle, and one whose boundary never appears.
        token = client.csrf_token()
        for body in (b"--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a",
                     b"no boundary here\x00\xff"):
            check("POST", action, rule, data=body, headers={"X-CSRFToken": token},
                  content_type="multipart/form-data; boundary=xyz")
        # Every field at once as bytes that are not UTF-8, NUL included.
        body = "&".join(f"{quote(name)}=%FF%FE%00%C0%AF" for name in form["fields"]
                        if name != "csrf_token").encode()
        check("POST", action, rule, data=body, headers={"X-CSRFToken": token},
              content_type="application/x-www-form-urlencoded")

    @SETTINGS
    @given(data=st.data())
    def sweep(data):
        for rule, action, form in forms:
            check("POST", action, rule, data=hostile_payload(data, action, form))

    sweep()


# --- course packages -------------------------------------------------------------------------

# course.toml values an author's editor could leave in a package.
HOSTILE_PACKAGES = {
    "crlf-version": {"version": "1.0\r\nX-Injected: 1"},
    "nul-title": {"title": "Kỹ năng\x00số"},
    "control-title": {"title": "Kỹ năng\x01số\x1f"},
    "long-version": {"version": "9" * 5000},
    "rtl-emoji-title": {"title": "😀\u202e\u200fعربى " + "x" * 2000},
}


def zipped(root) -> bytes:
    """The package folder `root` as the zip an administrator uploads."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


def test_hostile_course_packages(app, client, caplog, tmp_path):
    """A well-formed package with hostile course.toml values is refused or imported, and every
    page of the course it made then opens, all below 500."""
    sign_in_as(client, "admin")
    failures: list[str] = []
    check = Checker(client, caplog, "admin", collect=failures)
    slug_rules = [rule for rule in swept_rules(app, "admin")
                  if "GET" in rule.methods and "slug" in rule.arguments
                  and "quiz_slug" not in rule.arguments]
    for index, (name, fields) in enumerate(HOSTILE_PACKAGES.items()):
        slug = f"thu-{index}"
        root = factories.write_package(tmp_path / name, factories.course_package(
            slug, lessons=("a",), **fields))
        check("POST", "/admin/courses", f"/admin/courses ({name})",
              data={"package": (io.BytesIO(zipped(root)), f"{name}.zip")},
              content_type="multipart/form-data")
        for rule in slug_rules:
            url = build_url(rule, {"slug": slug, "lesson_slug": "a", "task_slug": "x",
                                     "path": "a.png"})
            check("GET", url, f"{rule.rule} ({name})")
    for url in ("/admin/courses", "/courses", "/"):
        check("GET", url, url)
    assert not failures, f"{len(failures)} server error(s):\n\n" + "\n\n".join(failures)


# --- quiz answers ----------------------------------------------------------------------------

def test_hostile_quiz_answers(app, client, caplog, tmp_path):
    """Hostile answers to every question type are saved, shown again and graded below 500."""
    from tests.quizzes import steps as quiz_steps

    sign_in_as(client, "learner")
    check = Checker(client, caplog, "learner")
    course = quiz_steps.quiz_course(tmp_path, "khoa-kiem-tra", module_quiz=quiz_steps.EVERY_TYPE)
    check("POST", f"/courses/{course.slug}/enrol", "/courses/<slug>/enrol", data={})
    attempt_id = quiz_steps.start(client, course.slug, "moi-loai-cau-hoi")
    page = f"/attempts/{attempt_id}"
    _, body = check("GET", page, "/attempts/<int:attempt_id>")
    [form] = [form for form in page_forms(body, page) if urlsplit(form["action"]).path == page]
    answers = [name for name in form["fields"] if name not in ("csrf_token", "action", "page")]
    assert len(answers) >= 7, answers  # one field per question at least
    for value in (*FORM_HOSTILE, *HOSTILE_INTS[:6]):
        check("POST", page, "/attempts/<int:attempt_id>",
              data={**dict.fromkeys(answers, value), "action": "save", "page": value})
        check("GET", page, "/attempts/<int:attempt_id>")

    @SETTINGS
    @given(data=st.data())
    def sweep(data):
        payload = {name: data.draw(hostile_values, label=name) for name in answers}
        check("POST", page, "/attempts/<int:attempt_id>", data={**payload, "action": "save"})

    sweep()
    check("POST", page, "/attempts/<int:attempt_id>",
          data={**dict.fromkeys(answers, "a\x00b"), "action": "submit"})
    check("GET", f"{page}/review", "/attempts/<int:attempt_id>/review")
    for value in FORM_HOSTILE:
        check("POST", f"{page}/review", "/attempts/<int:attempt_id>/review",
              data={"confirm": value})
    check("POST", f"{page}/review", "/attempts/<int:attempt_id>/review", data={"confirm": "1"})
    check("GET", f"{page}/result", "/attempts/<int:attempt_id>/result")

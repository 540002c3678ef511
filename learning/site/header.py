"""The site's header on every page: a stencil (learning.fragments) per language, rights and
page, filled with the official's name, the CSRF token and the page's own path.

The header's menus depend on who is signed in only through four answers (signed in, mentor,
HR rights, admin) and on the page only through its endpoint (which item is current), so a
process renders it once for each combination it meets instead of on every page view.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from learning import i18n
from learning.accounts import services as accounts
from learning.fragments import Hole, Stencil, stencil_cache

TEMPLATE = "_site_header.html"
_HOLES = {name: Hole(name) for name in ("user_name", "csrf", "next_path")}


def header_inputs() -> dict:
    """What the header template reads besides its holes, for the request being served."""
    user = current_user
    signed_in = bool(user.is_authenticated)
    return {
        "signed_in": signed_in,
        "is_mentor": signed_in and user.has_role("mentor"),
        "is_hr": signed_in and accounts.can_use_hr_pages(user),
        "is_admin": signed_in and user.has_role("admin"),
        "hs_endpoint": request.endpoint or "",
    }


def site_header() -> Markup:
    """Return the header's HTML for this request (a template global: `{{ site_header() }}`)."""
    inputs = header_inputs()
    key = (i18n.current_language(), request.script_root, current_app.config["MINISTRY_NAME"],
           *inputs.values())
    stencil = stencil_cache(current_app, "header", max_entries=4096).get_or_load(
        key, lambda: Stencil(render_template(TEMPLATE, **inputs, **_HOLES), _HOLES))
    return stencil.fill({
        "user_name": escape(current_user.full_name) if inputs["signed_in"] else "",
        "csrf": escape(generate_csrf()),
        "next_path": escape(request.full_path if request.query_string else request.path),
    })

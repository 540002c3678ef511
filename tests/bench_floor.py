"""The app server of `make bench`'s pages: the app of wsgi.py with one more route,
/bench/floor, which answers a signed-in official with her name through everything every page
of the app runs (the session cookie, the session and account read, Flask-Login, Flask-Babel's
locale, the before- and after-request hooks and their headers) and nothing else: no template,
no course. Its rate is the ceiling of any signed-in page on this stack, what the lesson page's
own work is measured against besides the bare page. The lesson page is served as in
`make run`: the route is added beside it, not in its way."""

from __future__ import annotations

from flask_login import current_user, login_required

from wsgi import app


@app.get("/bench/floor")
@login_required
def floor():
    return current_user.full_name

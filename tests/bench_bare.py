"""The bare page of `make bench`: Flask and Jinja serving the lesson page's HTML (saved by
tests/bench_pages.py in BENCH_HTML) as a template, with nothing else: no database, session,
login, CSRF or translations. What the lesson page is measured against."""

from __future__ import annotations

import os
from pathlib import Path

from jinja2 import DictLoader

from flask import Flask, render_template

app = Flask(__name__)
# Served as a template file, like the app's pages: Jinja compiles it once and renders it from
# its cache (render_template_string would compile the 20 KB on every request).
_SOURCE = "{% raw %}" + Path(os.environ["BENCH_HTML"]).read_text(encoding="utf-8") + "{% endraw %}"
app.jinja_loader = DictLoader({"lesson.html": _SOURCE})


@app.route("/")
def page():
    return render_template("lesson.html")

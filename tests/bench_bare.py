"""The bare page of `make bench`: Flask and Jinja serving the lesson page's HTML (saved by
tests/bench_pages.py in BENCH_HTML) as a template, with nothing else: no database, session,
login, CSRF or translations. What the lesson page is measured against."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, render_template_string

app = Flask(__name__)
_TEMPLATE = "{% raw %}" + Path(os.environ["BENCH_HTML"]).read_text(encoding="utf-8") + \
    "{% endraw %}"


@app.route("/")
def page():
    return render_template_string(_TEMPLATE)

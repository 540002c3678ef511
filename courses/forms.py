"""Forms for the catalog search, enrolment and package upload."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from learning.forms import Form


class PackageUploadForm(Form):
    """Upload a zipped course package."""

    package = FileField(_l("Course package (.zip)"), validators=[
        FileRequired(_l("Choose a .zip file.")),
        FileAllowed(["zip"], _l("Choose a .zip file.")),
    ])


class TimeReportForm(Form):
    """Reading time sent by the lesson page when it is hidden or closed."""

    seconds = IntegerField(validators=[Optional(), NumberRange(min=0, max=86400)])
    # 1 on the page view's first report: the visit itself is recorded then, not by the GET
    visit = IntegerField(validators=[Optional(), NumberRange(min=0, max=1)])

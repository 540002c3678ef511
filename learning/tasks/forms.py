"""The form an official hands a practical task in with."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from learning.forms import Form


class SubmitTaskForm(Form):
    """A note and/or a screenshot (the bytes are checked by the service, not the name)."""

    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)],
                         description=_l("What you did, and the number or name that proves it."))
    image = FileField(_l("Screenshot (PNG, JPEG or WebP)"))

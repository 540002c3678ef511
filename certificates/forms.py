"""Forms for verification, revocation and re-issue."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from learning.forms import Form


class CodeForm(Form):
    """Look up a certificate by its verification code (or, for HR, its serial number)."""

    code = StringField(_l("Verification code or serial number"),
                       validators=[DataRequired(), Length(max=60)])


class PdfCheckForm(Form):
    """Upload a certificate PDF to check it."""

    pdf = FileField(_l("Certificate PDF"), validators=[
        FileRequired(_l("Choose a PDF file.")), FileAllowed(["pdf"], _l("Choose a PDF file."))])


class ReasonForm(Form):
    """Revoke or re-issue with a reason."""

    reason = TextAreaField(_l("Reason (seen only by HR and administrators)"),
                           validators=[DataRequired(), Length(max=1000)],
                           render_kw={"rows": 3})
    # What the public verification page says of a revocation (a re-issue is "replaced").
    category = RadioField(_l("When revoking, the public verification page will say"),
                          choices=[SelectChoice("withdrawn", _l("Withdrawn")),
                                   SelectChoice("issued_in_error", _l("Issued in error"))],
                          default="withdrawn")

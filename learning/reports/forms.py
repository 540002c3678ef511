"""Forms of HR's report pages: the people list's filters (a GET form; choices that depend on
the reader are set by the view)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from learning.forms import Form
from learning.reports.people import FIRST_DAY, LAST_DAY

ALL = 0  # the select value for "no narrowing"


def _int_or_all(value) -> int:
    if value in (None, ""):
        return ALL
    return int(value)


def _in_range(form, field) -> None:
    if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(_l("Enter a date between 2000 and 2100."))


class PeopleFilterForm(Form):
    """The people list's filters, read from the query string (parameter names are those the
    dashboard's drill-down links produce: campaign, course, department, status, q, from, to,
    sort)."""

    class Meta:
        csrf = False

    campaign = SelectField(_l("Campaign"), coerce=_int_or_all, default=ALL)
    course = SelectField(_l("Course"), coerce=_int_or_all, default=ALL)
    department = SelectField(_l("Department"), coerce=_int_or_all, default=ALL)
    status = SelectField(_l("Status"), default="")
    date_from = DateField(_l("Completed from"), name="from", validators=[Optional(), _in_range])
    date_to = DateField(_l("Completed until"), name="to", validators=[Optional(), _in_range])
    q = StringField(_l("Name or staff number"), validators=[Optional(), Length(max=200)],
                    render_kw={"type": "search"})
    sort = SelectField(_l("Sort by"), default="name")

    # The domain's field names (the page's parameters) → this form's fields.
    FIELDS = {"campaign": "campaign", "course": "course", "department": "department",
              "status": "status", "from": "date_from", "to": "date_to", "q": "q",
              "sort": "sort"}

    def field_for(self, parameter: str):
        """Return the field a query parameter fills (None for another name)."""
        name = self.FIELDS.get(parameter)
        return getattr(self, name) if name else None

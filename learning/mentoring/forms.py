"""Forms of the mentoring pages: groups, members (by name, from a department, from a CSV of
staff numbers) and assignments. Choices that depend on the reader are set by the views."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    IntegerField,
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from learning.accounts.forms import MultiCheckboxField
from learning.forms import Form

NO_DEPARTMENT = 0


class GroupForm(Form):
    """Create or edit a group: its name, what it is, its department and its mentors."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                       description=_l("For example: Chi đoàn Cục Cơ yếu - CNTT, or new staff "
                                      "of a department."))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)],
                                render_kw={"rows": 3})
    department_id = SelectField(_l("Department"), coerce=int,
                                description=_l("The part of the ministry the group belongs "
                                               "to. Its HR may manage the group, and its "
                                               "mentors add officials from it."))
    mentors = StringField(_l("Mentors"), validators=[Length(max=4000)],
                          description=_l("Usernames of officials with the mentor role, "
                                         "separated by commas."),
                          render_kw={"autocomplete": "off", "spellcheck": "false"})


class AddMembersForm(Form):
    """Add officials: typed usernames, or those ticked in the search results."""

    usernames = TextAreaField(_l("Usernames"), validators=[Optional(), Length(max=100_000)],
                              description=_l("Separated by commas, spaces or new lines."),
                              render_kw={"rows": 3, "spellcheck": "false"})
    user_ids = SelectMultipleField(_l("Officials found"), coerce=int, validate_choice=False)


class DepartmentMembersForm(Form):
    """Add every active official of a department."""

    department_id = SelectField(_l("Department"), coerce=int)
    include_subunits = BooleanField(_l("Also the units below it"), default=True)


class ImportMembersForm(Form):
    """Add officials listed by staff number in a CSV or Excel file, or pasted rows."""

    file = FileField(_l("CSV or Excel file"),
                     validators=[FileAllowed(["csv", "txt", "xlsx"],
                                             _l("Choose a .csv or .xlsx file."))])
    rows = TextAreaField(_l("Rows (CSV)"), validators=[Optional(), Length(max=1_000_000)],
                         render_kw={"rows": 6, "spellcheck": "false"})


AUDIENCES = (("all", _l("The whole group")), ("chosen", _l("Chosen members")))


class AssignmentForm(Form):
    """Assign a course, one of its modules or one of its lessons, due on a day."""

    target = SelectField(_l("What to learn"), validators=[Optional()],
                         description=_l("The whole course, one of its modules or one lesson."))
    due_on = DateField(_l("Due date"), validators=[InputRequired()])
    note = TextAreaField(_l("Note for the members"), validators=[Optional(), Length(max=2000)],
                         render_kw={"rows": 3})
    audience = RadioField(_l("For"), choices=lambda: list(AUDIENCES), default="all")
    members = MultiCheckboxField(_l("Members"), coerce=int)


class ReturnTaskForm(Form):
    """Return a practical task's hand-in, saying what is missing."""

    comment = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=2000)],
                            description=_l("What is missing, so the official can hand it in "
                                           "again."))


class NudgeForm(Form):
    """Nudge the members behind on one assignment, or one member on their unfinished ones."""

    assignment_id = IntegerField(validators=[Optional()])
    user_id = IntegerField(validators=[Optional()])

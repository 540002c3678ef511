"""Forms of HR's campaign pages. Choices that depend on the reader (courses, the departments
of their scope) are set by the views; the rules (a title, departments within the scope, a
published course, a deadline) are the campaign services', whose errors come back per field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from learning.accounts.forms import MultiCheckboxField
from learning.forms import Form

NO_COURSE = 0


class CampaignForm(Form):
    """Create or change a campaign."""

    title = StringField(_l("Title"), validators=[Length(max=200)],
                        description=_l("For example: Kỹ năng số bắt buộc 2026."))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)],
                                render_kw={"rows": 3})
    course_id = SelectField(_l("Course"), coerce=int, validate_choice=False,
                            description=_l("The course everyone in the campaign must "
                                           "complete. It cannot be changed later."))
    departments = MultiCheckboxField(
        _l("Departments"), coerce=int, validate_choice=False,
        description=_l("Everyone in these departments and their units is enrolled, "
                       "also officials who join them later."))
    deadline = DateField(_l("Deadline"), validators=[Optional()],
                         description=_l("Completions after this day count as late."))
    job_titles = TextAreaField(_l("Job titles"), validators=[Optional(), Length(max=10_000)],
                               description=_l("One per line. Leave empty for every official."),
                               render_kw={"rows": 3, "spellcheck": "false"})


class ArchiveForm(Form):
    """Archive a campaign (`archived` = "1") or bring it back ("0")."""

    archived = HiddenField(default="1")

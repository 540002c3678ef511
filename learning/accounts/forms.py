"""Forms for sign-in, passwords, language, accounts, departments, the officials import and
the audit page's filters."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    Length,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from learning.accounts.audit import ACTIONS, TARGET_TYPES
from learning.forms import Form
from learning.i18n import LANGUAGE_NAMES, format_short_date

# Days the audit filters accept: a day's bounds in any time zone stay within Python's dates.
DATE_LIMITS = (date(1900, 1, 1), date(9998, 12, 31))

ROLE_LABELS = {
    "learner": _l("Learner"),
    "mentor": _l("Mentor"),
    "hr": _l("HR"),
    "admin": _l("Administrator"),
}


class LoginForm(Form):
    """Sign in with username (or email, or staff number) and password."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=254)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class ChangePasswordForm(Form):
    """Replace one's own password."""

    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=10, max=1024)],
        description=_l("At least 10 characters; a short sentence is easy to remember."),
        render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", _l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})


# Choices are given as callables: WTForms 3.3 deprecates (and 3.4 removes) fixed lists of
# tuples at declaration, while a callable's result is read the same way by every 3.x version.


class LanguageForm(Form):
    """Switch the interface language."""

    language = SelectField(_l("Language"), choices=lambda: list(LANGUAGE_NAMES.items()))
    next = HiddenField()


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes for one multiple choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(Form):
    """Create or edit an account."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=254)])
    staff_number = StringField(_l("Staff number"), validators=[Optional(), Length(max=40)])
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=200)])
    department_id = SelectField(_l("Department"), coerce=int, validate_choice=True)
    roles = MultiCheckboxField(_l("Roles"), choices=lambda: list(ROLE_LABELS.items()))
    hr_scope_department_id = SelectField(
        _l("HR scope"), coerce=int,
        description=_l("The part of the ministry whose records this HR official may see."))
    # Each language named in its own, marked with its lang for screen readers.
    preferred_language = SelectField(_l("Language"), choices=lambda: [
        (code, name, {"lang": code}) for code, name in LANGUAGE_NAMES.items()])
    password = PasswordField(
        _l("Initial password"), validators=[Optional(), Length(min=10, max=1024)],
        description=_l("The official must change it at first sign-in. Leave empty to set it "
                       "later with a password reset."),
        render_kw={"autocomplete": "new-password"})


class DepartmentForm(Form):
    """Create, rename or move a department."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    parent_id = SelectField(_l("Part of"), coerce=int)
    head = StringField(_l("Head of the department (username)"),
                       validators=[Optional(), Length(max=80)],
                       description=_l("Told when the department's officials are overdue on a "
                                      "mandatory course."))


class ImportForm(Form):
    """Upload a CSV or XLSX list of officials, or resend corrected rows."""

    file = FileField(_l("CSV or Excel file"),
                     validators=[FileAllowed(["csv", "txt", "xlsx"], _l("Choose a .csv or .xlsx "
                                                                       "file."))])
    rows = TextAreaField(_l("Rows (CSV)"), render_kw={"rows": 12, "spellcheck": "false"})
    initial_password = PasswordField(
        _l("Initial password for new accounts"), validators=[Optional(), Length(min=10)],
        description=_l("New officials must change it at first sign-in. Leave empty and new "
                       "accounts cannot sign in until an administrator resets their password."),
        render_kw={"autocomplete": "new-password"})
    create_departments = BooleanField(_l("Create departments that do not exist yet"),
                                      default=True)


# Choices of the account page's token form: days until the token stops working (0: never).
TOKEN_EXPIRY_CHOICES = (
    (30, _l("30 days")), (90, _l("90 days")), (365, _l("1 year")), (0, _l("No expiry")),
)


class ApiTokenForm(Form):
    """Create a personal API token."""

    name = StringField(_l("What is it for?"), validators=[DataRequired(), Length(max=100)],
                       description=_l("For example: Reporting script, HR system."))
    expires_days = SelectField(_l("Expires after"), coerce=int, default=90,
                               choices=lambda: list(TOKEN_EXPIRY_CHOICES))


def _labelled(labels: dict, everything) -> list[tuple[str, str]]:
    return [("", str(everything))] + sorted(
        ((key, str(label)) for key, label in labels.items()), key=lambda choice: choice[1])


def _within_limits(form, field) -> None:
    if field.data is not None and not DATE_LIMITS[0] <= field.data <= DATE_LIMITS[1]:
        raise ValidationError(gettext(
            "Date must be between %(min)s and %(max)s.",
            min=format_short_date(DATE_LIMITS[0]), max=format_short_date(DATE_LIMITS[1])))


class AuditFilterForm(Form):
    """The audit page's filters, read from the query string (a GET form: nothing changes, so
    no CSRF token). Dates are the ministry's calendar days, both included."""

    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validate_choice=False,
                         choices=lambda: _labelled(ACTIONS, _l("All actions")))
    actor = StringField(_l("Who (name or username)"), validators=[Optional(), Length(max=100)])
    target = SelectField(_l("About"), validate_choice=False,
                         choices=lambda: _labelled(TARGET_TYPES, _l("Anything")))
    date_from = DateField(_l("From"), validators=[Optional(), _within_limits])
    date_to = DateField(_l("To"), validators=[Optional(), _within_limits])
    q = StringField(_l("Details contain"), validators=[Optional(), Length(max=200)])

    def validate_action(self, field):
        if field.data and field.data not in ACTIONS:
            raise ValidationError(_l("Unknown action: choose one from the list."))

    def validate_target(self, field):
        if field.data and field.data not in TARGET_TYPES:
            raise ValidationError(_l("Unknown kind of record: choose one from the list."))

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

"""Form helpers shared by every feature: the base form, translated WTForms messages, and
putting domain errors back on fields."""

from __future__ import annotations

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _nl
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField
from wtforms.validators import StopValidation

from learning.errors import DomainError
from learning.params import DB_INT_MAX, DB_INT_MIN, has_unstorable, strip_unstorable

# WTForms' and Flask-WTF's own messages, listed so that our catalogs carry them in every
# language (WTForms ships no Vietnamese catalog).
WTFORMS_MESSAGES = (
    _l("This field is required."), _l("Not a valid choice."), _l("Not a valid integer value."),
    _l("Not a valid decimal value."), _l("Not a valid float value."),
    _l("Not a valid date value."), _l("Not a valid datetime value."),
    _l("Not a valid time value."), _l("Not a valid week value."),
    _l("Invalid email address."), _l("Invalid input."), _l("Invalid URL."),
    _l("Invalid IP address."), _l("Invalid UUID."), _l("Invalid Mac address."),
    _l("Invalid Choice: could not coerce."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("Field must be equal to %(other_name)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."), _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Date must be at least %(min)s."), _l("Date must be at most %(max)s."),
    _l("Date must be between %(min)s and %(max)s."),
    _l("Invalid value, must be one of: %(values)s."),
    _l("Invalid value, can't be any of: %(values)s."),
    _l("This field cannot be edited."), _l("This field is disabled and cannot have a value."),
    _l("File does not have an approved extension."),
    _l("The CSRF token is missing."), _l("The CSRF token is invalid."),
    _l("The CSRF token has expired."), _l("The CSRF tokens do not match."),
)
WTFORMS_PLURALS = (
    _nl("Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.", 1),
    _nl("Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.", 1),
    _nl("Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long.", 1),
    _nl("'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.", 1),
)


class _Translations:
    """WTForms' translation hook, answered from HọcSố's own catalogs. WTForms fills in the
    values itself, so this only looks the text up (flask_babel's gettext would format it)."""

    def gettext(self, string):
        return get_translations().gettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ngettext(singular, plural, n)


INVALID_CHARACTERS = _l("Remove the invalid characters.")
NUMBER_OUT_OF_RANGE = _l("This number is out of range.")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def refuse_unstorable(form, field) -> None:
    """Stop a field's validation when its value cannot be stored: a character the database
    refuses (NUL, controls) or an integer no INTEGER column holds. First in every field's chain,
    before inline `validate_<field>` methods, so that no query ever sees such a value."""
    typed = [value for value in field.raw_data or () if isinstance(value, str)]
    if any(has_unstorable(value) for value in typed):
        field.errors.clear()  # "Not a valid choice" would hide the actual problem
        raise StopValidation(str(INVALID_CHARACTERS))
    values = field.data if isinstance(field.data, list | tuple) else [field.data]
    if any(_is_int(value) and not DB_INT_MIN <= value <= DB_INT_MAX for value in values):
        field.errors.clear()
        raise StopValidation(str(NUMBER_OUT_OF_RANGE))


class Form(FlaskForm):
    """Base of every HọcSố form: WTForms' messages come in the user's language, and no field
    lets through a value the database cannot store (a per-field error, the form keeps its
    data); hidden fields, which nobody types, just lose such characters."""

    class Meta:
        def get_translations(self, form):
            return _Translations()

        def bind_field(self, form, unbound_field, options):
            field = unbound_field.bind(form=form, **options)
            if isinstance(field, HiddenField):
                field.filters = (*field.filters, _storable_text)
            else:
                field.validators = [refuse_unstorable, *field.validators]
            return field


def _storable_text(value):
    return strip_unstorable(value) if isinstance(value, str) else value


class ActionForm(Form):
    """A form with only its CSRF token, for buttons that change state."""


def upload_limit(config_key: str):
    """Mark a view as accepting request bodies of at most `config[config_key]` bytes (plus
    room for the form's other fields); the app checks it before anything reads the body."""

    def mark(view):
        view.upload_limit = config_key
        return view

    return mark


def attach_error(form: Form, error: DomainError, default_field: str | None = None) -> None:
    """Show a domain error under the field it concerns, or as a form-level error."""
    name = error.field or default_field
    field: Field | None = getattr(form, name, None) if name else None
    if isinstance(field, Field):
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [
            error.message
        ]
    else:
        form.form_errors.append(error.message)

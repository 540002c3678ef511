"""Form helpers shared by every feature: putting domain errors back on fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field

from learning.errors import DomainError


class ActionForm(FlaskForm):
    """A form with only its CSRF token, for buttons that change state."""


def attach_error(form: FlaskForm, error: DomainError, default_field: str | None = None) -> None:
    """Show a domain error under the field it concerns, or as a form-level error."""
    name = error.field or default_field
    field: Field | None = getattr(form, name, None) if name else None
    if isinstance(field, Field):
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [
            error.message
        ]
    else:
        form.form_errors.append(error.message)

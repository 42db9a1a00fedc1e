"""Helpers shared by every form: validation errors from services land next to their field."""

from __future__ import annotations

from flask_wtf import FlaskForm

from portal.errors import DomainError


def attach_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's refusal next to the field it names, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*list(field.errors or []), error.message]
    else:
        form.form_errors.append(error.message)


def commit_or_attach(form: FlaskForm, action):
    """Run ``action()``; commit and return its result, or roll back and show the refusal.

    The one place for the form-view pattern "call the service; on a DomainError roll back and put
    the message next to its field". Returns ``(ok, result)``.
    """
    from portal.extensions import db

    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return False, None
    db.session.commit()
    return True, result

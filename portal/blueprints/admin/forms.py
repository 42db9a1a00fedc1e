from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.security import ROLE_LABELS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    roles = MultiCheckboxField(
        _l("Roles"),
        choices=list(ROLE_LABELS.items()),
        validators=[DataRequired(message=_l("Choose at least one role."))],
    )
    department_id = SelectField(_l("Department"), coerce=str, validators=[Optional()])
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    extension = StringField(_l("Extension"), validators=[Optional(), Length(max=12)])
    active = BooleanField(_l("Active"), default=True)


class NewUserForm(UserForm):
    password = PasswordField(
        _l("Temporary password"),
        validators=[DataRequired(), Length(max=256)],
        description=_l("The user must change it at the first sign-in."),
    )


class TemporaryPasswordForm(FlaskForm):
    password = PasswordField(_l("Temporary password"), validators=[DataRequired(), Length(max=256)])

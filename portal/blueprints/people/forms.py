from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.models.people import CONTRACT_TYPES, TERMINATION_REASONS, WARNING_LEVELS


class EmployeeForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=160)])
    preferred_name = StringField(_l("Preferred name"), validators=[Optional(), Length(max=80)])
    cpf = StringField(
        _l("CPF"),
        validators=[Optional(), Length(max=20)],
        description=_l("11 digits, with or without dots and dash."),
    )
    birth_date = DateField(_l("Birth date"), validators=[Optional()])
    email = EmailField(_l("Personal e-mail"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Personal phone"), validators=[Optional(), Length(max=32)])
    emergency_contact = StringField(
        _l("Emergency contact"), validators=[Optional(), Length(max=200)]
    )
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=1000)])
    position = StringField(_l("Position"), validators=[DataRequired(), Length(max=160)])
    department_id = SelectField(_l("Department"), coerce=str, validators=[Optional()])
    manager_id = SelectField(_l("Manager"), coerce=str, validators=[Optional()])
    contract_type = SelectField(
        _l("Contract type"), choices=list(CONTRACT_TYPES.items()), default="clt"
    )
    working_hours = StringField(
        _l("Working hours"),
        validators=[Optional(), Length(max=120)],
        description=_l("e.g. Mon–Fri 08:00–17:00"),
    )
    salary = DecimalField(
        _l("Monthly salary (R$)"), places=2, validators=[Optional(), NumberRange(min=0)]
    )
    start_date = DateField(_l("Start date"), validators=[DataRequired()])
    effective_on = DateField(
        _l("Changes effective on"),
        validators=[Optional()],
        description=_l("For the history; today when left empty."),
    )


class DocumentForm(FlaskForm):
    file = FileField(_l("Document"), description=_l("PDF or DOCX, up to 10 MB."))


class AccountForm(FlaskForm):
    email = EmailField(_l("Work e-mail"), validators=[DataRequired(), Length(max=254)])


class WelcomeForm(FlaskForm):
    password = PasswordField(_l("Choose a password"), validators=[DataRequired()])


class WarningForm(FlaskForm):
    level = SelectField(_l("Kind"), choices=list(WARNING_LEVELS.items()))
    suspension_days = IntegerField(
        _l("Days of suspension"), validators=[Optional(), NumberRange(min=0, max=365)]
    )
    occurred_on = DateField(_l("Date of the facts"), validators=[DataRequired()])
    facts = TextAreaField(_l("Facts"), validators=[DataRequired(), Length(max=5000)])
    policy = StringField(_l("Policy breached"), validators=[Optional(), Length(max=200)])
    witness = StringField(_l("Witness"), validators=[Optional(), Length(max=160)])


class AcknowledgeForm(FlaskForm):
    answer = RadioField(
        _l("Your answer"),
        choices=[
            ("agree", _l("I have read this warning and acknowledge it")),
            ("disagree", _l("I acknowledge receiving it but disagree (write your statement)")),
        ],
        validators=[DataRequired()],
    )
    statement = TextAreaField(_l("Your statement"), validators=[Optional(), Length(max=5000)])


class RefusalForm(FlaskForm):
    witness = StringField(
        _l("Witness of the refusal"), validators=[DataRequired(), Length(max=160)]
    )


class TerminationForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=list(TERMINATION_REASONS.items()))
    notice_on = DateField(_l("Notice given on"), validators=[DataRequired()])
    last_day = DateField(_l("Last working day"), validators=[DataRequired()])
    handover_to = SelectField(_l("Hand open work over to"), coerce=str, validators=[Optional()])


class HandoverForm(FlaskForm):
    handover_to = SelectField(_l("Hand open work over to"), coerce=str, validators=[Optional()])


class CourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=160)])
    mandatory = BooleanField(_l("Mandatory"))
    external = BooleanField(_l("External"))
    validity_months = IntegerField(
        _l("Valid for (months)"),
        validators=[Optional(), NumberRange(min=1, max=240)],
        description=_l("Leave empty if it never expires."),
    )


class SessionForm(FlaskForm):
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=160)])
    trainer = StringField(_l("Trainer"), validators=[Optional(), Length(max=160)])

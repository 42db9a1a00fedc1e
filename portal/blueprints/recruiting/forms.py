from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OpeningForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=160)])
    department_id = SelectField(_l("Department"), coerce=str, validators=[Optional()])
    status = SelectField(_l("Status"), coerce=str)
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)])
    must_haves = TextAreaField(
        _l("Must-have requirements"),
        validators=[DataRequired(), Length(max=5000)],
        description=_l(
            "One per line; synonyms after a colon, e.g. “Excel: planilhas, spreadsheets”."
        ),
    )
    nice_to_haves = TextAreaField(
        _l("Nice-to-have requirements"),
        validators=[Optional(), Length(max=5000)],
        description=_l("One per line; add a weight from 1 to 5 with *, e.g. “SQL*3: postgres”."),
    )
    min_years = IntegerField(
        _l("Minimum years of experience"), default=0, validators=[NumberRange(0, 50)]
    )
    languages = StringField(_l("Languages"), validators=[Optional(), Length(max=200)])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=160)])
    hiring_manager_id = SelectField(_l("Hiring manager"), coerce=str, validators=[Optional()])
    interviewer_ids = MultiCheckboxField(_l("Interviewers"), coerce=str)


class UploadForm(FlaskForm):
    files = MultipleFileField(
        _l("CV files"),
        description=_l("PDF, DOCX or TXT; you can choose several files at once."),
    )
    # One-time token: a double click submits the same token twice, and only once counts.
    form_token = HiddenField()


class CandidateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    locale = SelectField(
        _l("Language for e-mails"),
        choices=[("en", "English"), ("pt_BR", "Português (Brasil)")],
    )
    cv_text = TextAreaField(
        _l("CV text"),
        validators=[Optional(), Length(max=100000)],
        description=_l("Paste the CV here to have it scored."),
    )
    # LGPD: kept in the talent pool past the "not hired" period (text shown under the box).
    pool_consent = BooleanField(_l("The candidate agrees to stay in our talent pool"))
    form_token = HiddenField()  # see UploadForm


class InterviewForm(FlaskForm):
    start = DateTimeLocalField(_l("Starts at"), validators=[DataRequired()])
    duration = IntegerField(
        _l("Duration (minutes)"), default=60, validators=[DataRequired(), NumberRange(15, 480)]
    )
    interviewers = MultiCheckboxField(_l("Interviewers"), coerce=str)
    location = StringField(_l("Location or video link"), validators=[Optional(), Length(max=200)])


class RescheduleForm(FlaskForm):
    start = DateTimeLocalField(_l("Starts at"), validators=[DataRequired()])
    duration = IntegerField(
        _l("Duration (minutes)"), default=60, validators=[DataRequired(), NumberRange(15, 480)]
    )


class SlotForm(FlaskForm):
    start = DateTimeLocalField(_l("Starts at"), validators=[DataRequired()])
    duration = IntegerField(
        _l("Duration (minutes)"), default=60, validators=[DataRequired(), NumberRange(15, 480)]
    )


class HireForm(FlaskForm):
    start_date = DateField(_l("Start date"), validators=[DataRequired()])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=160)])
    # Asked for when the application is still before the interview stage (see hiring.hire).
    confirm_early = BooleanField(_l("Yes, hire without an interview"))


class ScorecardForm(FlaskForm):
    technical = RadioField(_l("Technical skills"), choices=[(str(i), str(i)) for i in range(1, 6)])
    communication = RadioField(_l("Communication"), choices=[(str(i), str(i)) for i in range(1, 6)])
    problem_solving = RadioField(
        _l("Problem solving"), choices=[(str(i), str(i)) for i in range(1, 6)]
    )
    culture = RadioField(_l("Teamwork"), choices=[(str(i), str(i)) for i in range(1, 6)])
    recommendation = SelectField(_l("Recommendation"), coerce=str)
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10000)])

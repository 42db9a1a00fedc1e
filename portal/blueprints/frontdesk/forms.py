"""Front-desk forms: WTForms parses and renders; the service holds the rules."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from portal.models.frontdesk import CALLBACK, HANDLED, MESSAGE, TRANSFERRED
from portal.services.frontdesk import (
    FAX_STATUS_LABELS,
    PRIORITY_LABELS,
    request_types,
)


class CallForm(FlaskForm):
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    caller_name = StringField(_l("Caller"), validators=[Length(max=160)])
    company = StringField(_l("Company"), validators=[Length(max=160)])
    for_whom = StringField(_l("For whom"), validators=[Length(max=300)])
    outcome = SelectField(
        _l("Outcome"),
        choices=[
            (MESSAGE, _l("Message taken")),
            (TRANSFERRED, _l("Transferred")),
            (CALLBACK, _l("Callback requested")),
            (HANDLED, _l("Handled")),
        ],
        default=MESSAGE,
    )
    message = StringField(_l("Message"), validators=[Length(max=4000)])
    urgency = SelectField(
        _l("Urgency"), choices=[("normal", _l("Normal")), ("urgent", _l("Urgent"))]
    )
    callback_due = StringField(_l("Call back by"), validators=[Length(max=20)])
    transferred_to = StringField(_l("Transferred to"), validators=[Length(max=300)])
    direction = SelectField(
        _l("Direction"), choices=[("in", _l("Incoming")), ("out", _l("Outgoing"))], default="in"
    )


class ReturnedForm(FlaskForm):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=1000)])


class VoidForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Length(max=500)])


class VisitForm(FlaskForm):
    visitor_name = StringField(_l("Visitor"), validators=[Length(max=160)])
    company = StringField(_l("Company"), validators=[Length(max=160)])
    host = StringField(_l("Host"), validators=[Length(max=300)])
    badge_number = StringField(_l("Badge"), validators=[Length(max=32)])


class VisitEditForm(VisitForm):
    """Correcting a visit may also fix the times (e.g. a forgotten sign-out)."""

    arrived_at = StringField(_l("Arrived"), validators=[Length(max=20)])
    left_at = StringField(
        _l("Left"),
        validators=[Length(max=20)],
        description=_l("Empty while the visitor is still in the building."),
    )


class FaxForm(FlaskForm):
    direction = SelectField(
        _l("Direction"), choices=[("in", _l("Incoming")), ("out", _l("Outgoing"))], default="in"
    )
    number = StringField(_l("Fax number"), validators=[Length(max=40)])
    correspondent = StringField(_l("Correspondent"), validators=[Length(max=160)])
    pages = IntegerField(_l("Pages"), default=1, validators=[Optional()])
    for_whom = StringField(_l("For whom"), validators=[Length(max=300)])
    status = SelectField(_l("Status"), choices=list(FAX_STATUS_LABELS.items()))
    file = FileField(_l("Scanned PDF"), description=_l("PDF only."))


class RequestForm(FlaskForm):
    type = SelectField(_l("Type"))
    title = StringField(_l("Title"), validators=[Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type.choices = [(k, t.label) for k, t in request_types().items()]


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=[Length(max=4000)])


class TriageForm(FlaskForm):
    assignee_id = SelectField(_l("Assigned to"), coerce=str)
    priority = SelectField(_l("Priority"), choices=list(PRIORITY_LABELS.items()))
    due_date = DateField(_l("Due date"), validators=[Optional()])


class StatusForm(FlaskForm):
    status = StringField()
    reason = StringField(_l("Reason"), validators=[Length(max=500)])

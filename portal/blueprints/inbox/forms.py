from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional


class MessageForm(FlaskForm):
    recipient = StringField(_l("For whom"), validators=[Length(max=300)])


class RequestForm(FlaskForm):
    type = SelectField(_l("Type of request"), choices=[])


class CvForm(FlaskForm):
    opening = SelectField(_l("Opening"), choices=[], coerce=int, validate_choice=False)


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Reply"), validators=[Length(max=20000)])


class OrderForm(FlaskForm):
    """Nothing to fill in: the order comes from the subject."""


class MailboxForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=120)])
    host = StringField(_l("IMAP server"), validators=[Length(max=253)])
    port = IntegerField(_l("Port"), default=993, validators=[Optional()])
    security = SelectField(
        _l("Security"),
        choices=[
            ("ssl", _l("TLS (port 993)")),
            ("starttls", _l("STARTTLS (port 143)")),
            ("none", _l("None (local test servers only)")),
        ],
    )
    username = StringField(_l("User name"), validators=[Length(max=254)])
    password = PasswordField(_l("Password"), validators=[Length(max=500)])
    folder = StringField(_l("Folder to read"), default="INBOX", validators=[Length(max=200)])
    after_fetch = SelectField(
        _l("After fetching"),
        choices=[
            ("seen", _l("Mark as read on the server")),
            ("move", _l("Move to another folder")),
        ],
    )
    move_to = StringField(_l("Move to folder"), validators=[Length(max=200)])

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length


class TestEmailForm(FlaskForm):
    to = EmailField(
        _l("Send a test e-mail to"), validators=[DataRequired(), Email(), Length(max=254)]
    )

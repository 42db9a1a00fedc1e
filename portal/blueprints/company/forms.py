from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import Length, Optional


class CompanyForm(FlaskForm):
    legal_name = StringField(_l("Legal name"), validators=[Length(max=200)])
    trade_name = StringField(_l("Trade name"), validators=[Optional(), Length(max=200)])
    cnpj = StringField(_l("CNPJ"), validators=[Length(max=24)])
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=500)])
    delivery_address = TextAreaField(
        _l("Delivery address"), validators=[Optional(), Length(max=500)]
    )
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])


class LogoForm(FlaskForm):
    logo = FileField(_l("Logo (PNG or JPEG)"))

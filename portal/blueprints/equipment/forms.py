"""Equipment forms: WTForms parses and renders; the services hold the rules."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from portal.models.equipment import TYPES

LOCALE_CHOICES = [("pt_BR", "Português (Brasil)"), ("en", "English")]


class AssetForm(FlaskForm):
    asset_tag = StringField(_l("Asset tag"), validators=[Length(max=40)])
    type = SelectField(_l("Type"), choices=[("", "—"), *TYPES.items()])
    make = StringField(_l("Make"), validators=[Length(max=80)])
    model = StringField(pgettext("equipment", "Model"), validators=[Length(max=120)])
    serial = StringField(_l("Serial number"), validators=[Length(max=80)])
    floor = StringField(_l("Floor"), validators=[Length(max=40)])
    room = StringField(_l("Room"), validators=[Length(max=80)])
    department_id = SelectField(_l("Department"), choices=[])
    holder_id = SelectField(
        _l("Held by"), choices=[], description=_l("For laptops and phones: who has it.")
    )
    purchase_date = DateField(_l("Purchase date"), validators=[Optional()])
    purchase_cost = StringField(_l("Purchase cost (R$)"), validators=[Length(max=20)])
    vendor_id = SelectField(_l("Vendor"), choices=[])
    repair_email = StringField(_l("Repair contact e-mail"), validators=[Length(max=254)])
    repair_phone = StringField(_l("Repair contact phone"), validators=[Length(max=32)])
    vendor_locale = SelectField(_l("Vendor's language"), choices=LOCALE_CHOICES)
    contract_number = StringField(_l("Contract number"), validators=[Length(max=60)])
    contract_start = DateField(_l("Contract start"), validators=[Optional()])
    contract_end = DateField(_l("Contract end"), validators=[Optional()])
    contract_covers = StringField(_l("What the contract covers"), validators=[Length(max=300)])
    response_hours = StringField(_l("Response time promised (hours)"), validators=[Length(max=6)])
    price_mono = StringField(_l("Contract price per mono page (R$)"), validators=[Length(max=20)])
    price_colour = StringField(
        _l("Contract price per colour page (R$)"), validators=[Length(max=20)]
    )
    warranty_end = DateField(_l("Warranty end"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=4000)])


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), render_kw={"accept": ".csv,text/csv"})


class RetireForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Length(max=300)])


class ReadingForm(FlaskForm):
    read_on = DateField(_l("Date"), validators=[Optional()])
    mono = StringField(_l("Mono counter"), validators=[Length(max=16)])
    colour = StringField(_l("Colour counter"), validators=[Length(max=16)])
    counter_replaced = BooleanField(_l("Counter replaced"))


class FaultForm(FlaskForm):
    description = TextAreaField(_l("What happens?"), validators=[Length(max=4000)])
    error_code = StringField(_l("Error code on the display"), validators=[Length(max=60)])
    photo = MultipleFileField(
        _l("Photos"),
        description=_l("Up to 3 images, 5 MB each."),
        render_kw={"accept": "image/*"},
    )


class SolvedForm(FlaskForm):
    step_id = HiddenField()


class MachineForm(FlaskForm):
    asset_id = SelectField(_l("Machine"), choices=[])


class CallVendorForm(FlaskForm):
    note = TextAreaField(_l("Note for the vendor"), validators=[Length(max=2000)])


class VisitForm(FlaskForm):
    reference = StringField(_l("Vendor's reference"), validators=[Length(max=80)])
    visit_at = DateTimeLocalField(
        _l("Promised visit"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )


class CloseRepairForm(FlaskForm):
    cost = StringField(_l("Cost (R$)"), validators=[Length(max=20)])
    parts = StringField(_l("Parts"), validators=[Length(max=500)])
    work_done = TextAreaField(_l("What was done"), validators=[Length(max=4000)])


class StepForm(FlaskForm):
    asset_type = SelectField(_l("Type"), choices=[("", "—"), *TYPES.items()])
    model = StringField(
        _l("Make and model"),
        validators=[Length(max=200)],
        description=_l("Leave empty for every machine of this type."),
    )
    title = StringField(_l("Step"), validators=[Length(max=160)])
    body = TextAreaField(_l("How to do it"), validators=[Length(max=2000)])


class LinkForm(FlaskForm):
    item_id = SelectField(_l("Supply item"), choices=[])
    yield_pages = StringField(_l("Yield (pages)"), validators=[Length(max=10)])


class IssueForm(FlaskForm):
    item_id = SelectField(_l("Consumable"), choices=[])
    quantity = StringField(_l("Quantity"), default="1", validators=[Length(max=6)])


class PlanForm(FlaskForm):
    title = StringField(_l("Upkeep"), validators=[Length(max=160)])
    every_months = StringField(_l("Every … months"), validators=[Length(max=4)])
    every_pages = StringField(_l("Every … pages"), validators=[Length(max=10)])


class EmptyForm(FlaskForm):
    """A button that changes something: only the CSRF token."""

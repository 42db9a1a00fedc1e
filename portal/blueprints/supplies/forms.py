"""Supplies forms: WTForms parses and renders (in the user's number format); services rule.

Field names are the ones the pages always posted (``unit_cost``, ``qty-<line id>``, ``version``),
so bookmarks, tests and the CSV import's column names still line up.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import NumberFormatError, format_decimal, parse_decimal
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import Length, Optional, ValidationError

from portal.routing import parse_int
from portal.services.supplies import units

CENT = Decimal("0.01")
_PLAIN = re.compile(r"^-?\d+(?:[.,]\d+)?$")


MAX_AMOUNT = Decimal("10000000000")  # R$ 10 billion: beyond any order line or budget
MAX_QUANTITY = 1_000_000  # as the services' own limit (supplies.common)


def _locale() -> str:
    return str(get_locale() or "en")


def parse_number(text: str) -> Decimal:
    """A number as typed: the locale's format first ("1.234,50" in pt_BR, "1,234.50" in
    English), else one decimal sign of either kind ("12,50" or "12.50"), as people type them
    whatever language the page is in.  Raises ValueError."""
    text = text.replace("R$", "").replace("\u00a0", "").strip()
    try:
        return parse_decimal(text, locale=_locale(), strict=True)
    except NumberFormatError:
        pass
    if not _PLAIN.match(text):
        raise ValueError(text)
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise ValueError(text) from None


class LocaleDecimalField(StringField):
    """An amount in the user's format; ``data`` is a Decimal with cents (or None if empty)."""

    def __init__(self, *args: Any, places: int = 2, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(*args, **kwargs)
        self.places = places

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        if not text:
            self.data = None
            return
        try:
            value = parse_number(text)
        except ValueError:
            self.data = None
            example = format_decimal(Decimal("12.50"), "0.00", locale=_locale())
            raise ValueError(_("Enter an amount such as %(example)s.", example=example)) from None
        if not value.is_finite() or value < 0:
            self.data = None
            raise ValueError(_("The amount cannot be negative."))
        if value >= MAX_AMOUNT:
            self.data = None
            raise ValueError(_("The amount is too large."))
        if value != value.quantize(CENT):
            self.data = None
            raise ValueError(_("Enter at most two decimal places."))
        self.data = value.quantize(CENT)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None or self.data == "":
            return ""
        return format_decimal(Decimal(self.data), "0.00", locale=_locale())


class LocaleIntegerField(StringField):
    """A whole quantity in the user's format ("1.234" in pt_BR); ``data`` is an int or None."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "numeric"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        if not text:
            self.data = None
            return
        try:
            value = parse_number(text)
        except ValueError:
            value = None
        if value is None or not value.is_finite() or value != value.to_integral_value():
            self.data = None
            raise ValueError(_("Enter a whole number."))
        if abs(value) > MAX_QUANTITY:
            self.data = None
            raise ValueError(_("Enter a number of at most %(max)d.", max=MAX_QUANTITY))
        self.data = int(value)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data)


def _optional_id(value: Any) -> int | None:
    if value is None or value == "":
        return None
    number = parse_int(value, minimum=1)  # None beyond the ids a row can have
    if number is None:
        raise ValueError(value)  # WTForms reports it next to the field
    return number


class IdSelectField(SelectField):
    """A choice of one row by id; an empty choice is None.  Whether the row may be chosen is
    the service's rule (it names the field when it refuses)."""

    def __init__(self, *args: Any, blank: Any = "—", **kwargs: Any) -> None:
        kwargs.setdefault("coerce", _optional_id)
        kwargs.setdefault("validate_choice", False)
        kwargs.setdefault("choices", [])
        super().__init__(*args, **kwargs)
        self.blank = blank

    def set_choices(self, rows: Any, label: Any = None) -> None:
        """Options from rows with ``id`` and ``name`` (or (id, name) pairs), after the blank."""
        options: list[tuple[Any, Any]] = [("", self.blank)] if self.blank is not None else []
        for row in rows:
            if isinstance(row, tuple):
                options.append(row)
            else:
                options.append((row.id, label(row) if label else row.name))
        self.choices = options

    def pre_validate(self, form: Any) -> None:
        if self.data is None and self.raw_data and self.raw_data[0] not in ("", None):
            raise ValidationError(_("Choose one of the options."))


class IdListField(SelectMultipleField):
    """Ids posted by a list of checkboxes (``name="items"`` on each)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("coerce", str)
        kwargs.setdefault("validate_choice", False)
        kwargs.setdefault("choices", [])
        super().__init__(*args, **kwargs)


# --- catalogue --------------------------------------------------------------------------------


class ItemForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=160)], render_kw={"autofocus": True})
    sku = StringField(_l("SKU"), validators=[Length(max=40)])
    category_id = IdSelectField(_l("Category"))
    supplier_id = IdSelectField(_l("Preferred supplier"))
    unit_kind = SelectField(_l("Unit"), choices=units.kind_choices(), default="unit")
    unit = StringField(
        _l("Other unit, singular"),
        validators=[Length(max=20)],
        description=_l("Only for “Other”, as in “1 envelope”"),
    )
    unit_plural = StringField(
        _l("Other unit, plural"),
        validators=[Length(max=20)],
        description=_l("Only for “Other”, as in “3 envelopes”"),
    )
    pack_size = LocaleIntegerField(
        _l("Pack size"), description=_l("Units per pack the supplier sells")
    )
    unit_cost = LocaleDecimalField(_l("Unit cost (R$)"))
    reorder_point = LocaleIntegerField(_l("Reorder point"))
    par_level = LocaleIntegerField(
        _l("Par level"), description=_l("What a reorder fills the shelf up to")
    )
    location = StringField(_l("Location"), validators=[Length(max=80)])
    active = BooleanField(_l("Active"), default=True)

    FIELDS = (
        "sku",
        "name",
        "category_id",
        "unit_kind",
        "unit",
        "unit_plural",
        "pack_size",
        "supplier_id",
        "unit_cost",
        "reorder_point",
        "par_level",
        "location",
        "active",
    )

    def for_item(self, item: Any) -> ItemForm:
        """Show a known unit by its kind only (its stored word is the kind's code)."""
        if item is not None and item.unit_kind != units.OTHER:
            self.unit.data = self.unit_plural.data = ""
        return self

    def values(self) -> dict[str, Any]:
        """What the service's ``save_item`` takes."""
        return {name: self[name].data for name in self.FIELDS}


class SupplierForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=160)], render_kw={"autofocus": True})
    order_email = StringField(
        _l("Order e-mail"), validators=[Length(max=254)], render_kw={"type": "email"}
    )
    phone = StringField(_l("Phone"), validators=[Length(max=40)], render_kw={"type": "tel"})
    lead_time_days = LocaleIntegerField(_l("Lead time (days)"))
    min_order_value = LocaleDecimalField(_l("Minimum order value (R$)"))
    active = BooleanField(_l("Active"), default=True)
    language = SelectField(
        _l("Language of the orders they receive"),
        choices=[("pt_BR", "Português (Brasil)"), ("en", "English")],
        default="pt_BR",
    )
    contact_name = StringField(_l("Contact (receives the orders)"), validators=[Length(max=120)])
    payment_terms = StringField(_l("Payment terms"), validators=[Length(max=200)])

    FIELDS = (
        "name",
        "order_email",
        "phone",
        "lead_time_days",
        "min_order_value",
        "active",
        "language",
        "contact_name",
        "payment_terms",
    )

    def values(self) -> dict[str, Any]:
        return {name: self[name].data for name in self.FIELDS}


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), render_kw={"accept": ".csv,text/csv"})


# --- stock ------------------------------------------------------------------------------------

ISSUE, RECEIPT = "issue", "receipt"


class StockForm(FlaskForm):
    kind = RadioField(
        _l("Movement"),
        choices=[(ISSUE, _l("Issue to a person")), (RECEIPT, _l("Receive (without an order)"))],
        default=ISSUE,
    )
    quantity = LocaleIntegerField(_l("Quantity"))
    issued_to_id = IdSelectField(_l("Issued to"))
    # Choices from the equipment area through portal.ui (none when it is not installed).
    machine_id = IdSelectField(_l("Issued to a machine"))
    reason = StringField(_l("Why"), validators=[Length(max=300)])


class CountStartForm(FlaskForm):
    category_id = IdSelectField(_l("Items"), blank=_l("All active items"))


class CountLineForm(FlaskForm):
    counted = LocaleIntegerField(_l("Counted"))


# --- orders -----------------------------------------------------------------------------------


class VersionForm(FlaskForm):
    """An action on an order as the user saw it (``version``: optimistic locking)."""

    version = HiddenField()
    next = HiddenField()

    def seen_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class OrderNewForm(FlaskForm):
    supplier_id = IdSelectField(_l("Supplier"))
    notes = StringField(_l("Notes"), validators=[Length(max=2000)])

    def validate_supplier_id(self, field: Field) -> None:
        if field.data is None:
            raise ValidationError(_("Choose a supplier."))


class AddLineForm(VersionForm):
    item_id = IdSelectField(_l("Item"))
    quantity = LocaleIntegerField(_l("Quantity"))


class CancelForm(VersionForm):
    reason = StringField(_l("Reason"), validators=[Length(max=500)])


class RejectForm(VersionForm):
    reason = StringField(_l("Reason"), validators=[Length(max=500)])


class ApproveForm(VersionForm):
    """Approving; beyond the month's budget the service asks for ``budget_reason``."""

    budget_reason = StringField(_l("Why approve beyond the budget?"), validators=[Length(max=500)])


class BulkRejectForm(FlaskForm):
    orders = IdListField(_l("Orders"))
    reason = StringField(_l("Reason for sending back"), validators=[Length(max=500)])


class ReceiveForm(VersionForm):
    """Arrived quantities, one ``qty-<line id>`` field per open line (see ``receive_form``)."""

    note = StringField(_l("Delivery note"), validators=[Length(max=300)])

    def quantities(self) -> dict[int, int | None]:
        return {
            int(name[4:]): field.data
            for name, field in self._fields.items()
            if name.startswith("qty-") and field.raw_data and field.raw_data[0] != ""
        }


def receive_form(line_ids: Any, **kwargs: Any) -> ReceiveForm:
    """The receive form of an order with these lines."""

    class Form(ReceiveForm):
        pass

    for line_id in line_ids:
        setattr(Form, f"qty-{line_id}", LocaleIntegerField(_l("Arrived now")))
    return Form(**kwargs)


class BulkApproveForm(FlaskForm):
    orders = IdListField(_l("Orders"))


class SuggestionsOrderForm(FlaskForm):
    items = IdListField(_l("Items"))

    def item_ids(self) -> list[int]:
        ids: list[int] = []
        for value in self.items.data or []:
            number = parse_int(value, minimum=1)
            if number is not None:
                ids.append(number)
        return ids


# --- budgets, rules, absences -----------------------------------------------------------------


class BudgetsForm(FlaskForm):
    """One ``budget-<category id>`` amount per category (see ``budgets_form``)."""

    def amounts(self) -> dict[int, Decimal | None]:
        return {
            int(name[7:]): field.data
            for name, field in self._fields.items()
            if name.startswith("budget-") and field.raw_data is not None and field.raw_data
        }


def budgets_form(categories: Any, **kwargs: Any) -> BudgetsForm:
    class Form(BudgetsForm):
        pass

    for category in categories:
        setattr(
            Form,
            f"budget-{category.id}",
            LocaleDecimalField(category.name, default=category.monthly_budget),
        )
    return Form(**kwargs)


class RuleForm(FlaskForm):
    category_id = IdSelectField(_l("Category"), blank=_l("All categories"))
    max_amount = LocaleDecimalField(_l("Up to (R$, empty: any amount)"))
    allow_delegate = BooleanField(_l("Delegates may approve"), default=True)


class AbsenceForm(FlaskForm):
    starts_on = DateField(_l("First day"), validators=[Optional()])
    ends_on = DateField(_l("Last day (inclusive)"), validators=[Optional()])
    delegate_id = IdSelectField(_l("Delegate"))
    amount_limit = LocaleDecimalField(_l("Limit per order (R$, optional)"))
    note = StringField(_l("Note"), validators=[Length(max=300)])


# --- supply requests --------------------------------------------------------------------------

REQUEST_ROWS = 5


class FulfilForm(FlaskForm):
    """Up to ``REQUEST_ROWS`` lines: ``item-<n>`` and ``qty-<n>``."""

    def lines(self) -> list[tuple[int | None, int | None]]:
        return [(self[f"item-{i}"].data, self[f"qty-{i}"].data) for i in range(REQUEST_ROWS)]


def fulfil_form(**kwargs: Any) -> FulfilForm:
    class Form(FulfilForm):
        pass

    for i in range(REQUEST_ROWS):
        setattr(Form, f"item-{i}", IdSelectField(_l("Item")))
        setattr(Form, f"qty-{i}", LocaleIntegerField(_l("Quantity")))
    return Form(**kwargs)

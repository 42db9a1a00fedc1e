"""A form field's element as plain data, for ``_macros/forms.html``'s ``field()``.

WTForms' widgets write each element through ``html_params`` (a ``Markup.format`` per
attribute, ``dir()`` of the field's flags, one call per ``<option>``): the front desk's
ten-field call form cost about 2 ms a page.  For the common elements — an ``<input>`` whose value
is the field's, a ``<select>`` without groups — ``element()`` returns the same attributes in the
same (sorted) order as data, and the macro writes the element, Jinja escaping every value.
Anything else (check boxes, radios, files, passwords, text areas, grouped or decorated options,
a field with a datalist of its own) returns None and is left to the widget.  No markup here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import escape
from wtforms.widgets import core as widgets

# Widgets whose element is ``<input ... value="{field._value()}">``, nothing more (number and
# date inputs add their own step/min/max, so they stay with their widget).
_INPUTS = frozenset(
    {
        widgets.Input,
        widgets.TextInput,
        widgets.HiddenInput,
        widgets.EmailInput,
        widgets.TelInput,
        widgets.URLInput,
        widgets.SearchInput,
        widgets.ColorInput,
    }
)
_QUOTE = escape('"')  # markup for a double quote (WTForms writes &quot;, Jinja &#34;)


@dataclass(frozen=True)
class Option:
    value: Any
    label: Any
    selected: bool


@dataclass(frozen=True)
class Element:
    """``kind`` is "input" or "select"; ``attrs`` (name, value) pairs, value True for a bare
    attribute; ``options`` the select's choices."""

    kind: str
    attrs: tuple[tuple[str, Any], ...]
    options: tuple[Option, ...] = ()


def element(field: Any, kwargs: dict[str, Any], errors: Any, err_id: str) -> Element | None:
    """The element ``field(**kwargs)`` would render, as data (None: let the widget render it).

    Invalid fields also get ``aria-invalid`` and ``aria-describedby`` (the error's id).
    """
    widget = field.widget
    kind = "input" if type(widget) in _INPUTS else ""
    if type(widget) is widgets.Select:
        kind = "select"
    if not kind or getattr(field, "_datalist", None) is not None:
        return None
    options: tuple[Option, ...] = ()
    if kind == "select":
        found = _options(field)
        if found is None:
            return None
        options = found
    attrs: dict[str, Any] = {}
    if field.render_kw:
        attrs.update((widgets.clean_key(k), v) for k, v in field.render_kw.items())
    attrs.update((widgets.clean_key(k), v) for k, v in kwargs.items())
    if errors:
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = err_id
    attrs.setdefault("id", field.id)
    if kind == "input":
        attrs.setdefault("type", widget.input_type)
        if "value" not in attrs:
            attrs["value"] = field._value()
    elif widget.multiple:
        attrs["multiple"] = True
    flags = vars(field.flags)
    for name in widget.validation_attrs:
        if name in flags and name not in attrs:
            value = flags[name]
            attrs[name] = value() if callable(value) else value
    attrs["name"] = field.name
    pairs = tuple(_attr(k, v) for k, v in sorted(attrs.items()) if v is not False)
    return Element(kind, pairs, options)


def _options(field: Any) -> tuple[Option, ...] | None:
    """A select's choices (None when grouped or when a choice has attributes of its own)."""
    if field.has_groups():
        return None
    choices = []
    for choice in field._iter_choices_normalized():
        if choice.render_kw:
            return None
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        # A lazy label is translated once here, not once per test and once per use.
        label = escape(choice.label) if hasattr(choice.label, "__html__") else choice.label
        choices.append(
            Option(_attr("value", value)[1], escape(label or choice.value), bool(choice.selected))
        )
    return tuple(choices)


def _attr(name: str, value: Any) -> tuple[str, Any]:
    """As ``html_params`` writes it: markup keeps its entities but not a bare double quote."""
    if value is True or not hasattr(value, "__html__"):
        return name, value
    return name, escape(value).replace('"', _QUOTE)

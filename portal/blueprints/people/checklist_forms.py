"""HR's checklist-template form: kind, scope (a position or a department) and the steps."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from portal.services.people.checklists import KINDS, PERSON, ROLES

EMPTY_ROWS = 3  # blank step rows under the saved ones (the page works without JavaScript)


class StepForm(Form):
    title = StringField(_l("What to do"), validators=[Optional(), Length(max=200)])
    assignee = SelectField(_l("Responsible"), choices=[])
    user_id = SelectField(_l("Person"), choices=[])
    days = IntegerField(
        _l("Due after (days)"),
        default=0,
        validators=[Optional(), NumberRange(min=-90, max=365)],
    )

    def validate_user_id(self, field) -> None:
        if self.title.data and self.assignee.data == PERSON and not field.data:
            raise ValidationError(str(_l("Choose the person responsible.")))


class ChecklistTemplateForm(FlaskForm):
    kind = SelectField(_l("Checklist"), choices=list(KINDS.items()))
    position = StringField(
        _l("Position"),
        validators=[Optional(), Length(max=160)],
        description=_l("For one position (e.g. Receptionist); leave empty for a department."),
    )
    department_id = SelectField(
        _l("Department"),
        choices=[],
        description=_l("For one department; leave both empty for the company's default."),
    )
    steps = FieldList(FormField(StepForm), min_entries=1, max_entries=60)

    def setup(self, departments: list[tuple[str, str]], people: list[tuple[str, str]]) -> None:
        """Fill the choices (departments, roles and people) of the form and every step row."""
        self.department_id.choices = departments
        for entry in self.steps:
            entry.assignee.choices = [
                *((key, str(label)) for key, label in ROLES.items()),
                (PERSON, str(_l("A person (choose below)"))),
            ]
            entry.user_id.choices = people

    def validate_steps(self, field) -> None:
        if not any((entry.title.data or "").strip() for entry in field):
            message = str(_l("Add at least one step."))
            field[0].title.errors = [*field[0].title.errors, message]
            raise ValidationError(message)

    def steps_data(self) -> list[dict]:
        return [
            {
                "title": entry.title.data,
                "assignee": entry.assignee.data,
                "user_id": entry.user_id.data or None,
                "days": entry.days.data or 0,
            }
            for entry in self.steps
        ]

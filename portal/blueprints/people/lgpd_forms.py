"""Forms of the LGPD pages: the retention policy and a candidate's talent-pool consent."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from portal.services.people.retention import POLICIES


def _months(kind: str) -> IntegerField:
    p = POLICIES[kind]
    return IntegerField(
        p.label,
        validators=[
            InputRequired(message=_l("Enter a number of months.")),
            NumberRange(
                min=p.minimum,
                max=p.maximum,
                message=_l("Between %(min)s and %(max)s months."),
            ),
        ],
        description=p.starts,
    )


class RetentionForm(FlaskForm):
    """Months each kind of personal data is kept (``retention.POLICIES``)."""

    candidates = _months("candidates")
    consent = _months("consent")
    employees = _months("employees")
    discipline = _months("discipline")
    calls = _months("calls")
    visits = _months("visits")

    def months(self) -> dict[str, int | None]:
        return {kind: self[kind].data for kind in POLICIES}


class ConsentForm(FlaskForm):
    agreed = BooleanField(
        _l("The candidate agreed to this text (in writing, by e-mail or on the application)."),
        validators=[DataRequired(message=_l("Confirm that the candidate agreed."))],
    )


class RunForm(FlaskForm):
    """CSRF only: "run now" and "withdraw consent" carry nothing else."""

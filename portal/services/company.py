"""The company profile: legal name, trade name, CNPJ, addresses, contact and logo.

Every outgoing document speaks for the company through this profile (supplier orders, candidate
e-mails, invitations, the public booking page).  One row; ``get()`` returns None until an admin
fills it in, and readers fall back to ``PORTAL_NAME`` (``display_name()``).
"""

from __future__ import annotations

import io
import re
import warnings
from typing import Any

import phonenumbers
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal.errors import ValidationError
from portal.extensions import db
from portal.models.company import CompanyProfile
from portal.models.users import User
from portal.services import audit

PROFILE_ID = 1
MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_SIDE = 2000  # pixels; the logo is shown at most a few hundred wide
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- CNPJ -------------------------------------------------------------------------------------


def _cnpj_digit(digits: str) -> str:
    weights = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2][-len(digits) :]
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=True))
    rest = total % 11
    return "0" if rest < 2 else str(11 - rest)


def cnpj_is_valid(digits: str) -> bool:
    """True when ``digits`` (14 digits) has the right check digits and is not one digit repeated."""
    if len(digits) != 14 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    first = _cnpj_digit(digits[:12])
    return digits[12:] == first + _cnpj_digit(digits[:12] + first)


def normalise_cnpj(raw: str | None, *, field: str = "cnpj") -> str:
    """The CNPJ's 14 digits (``12.345.678/0001-95`` or ``12345678000195``); refuse a wrong one."""
    raw = (raw or "").strip()
    if not raw:
        raise ValidationError(_("Enter the company's CNPJ."), field=field)
    if re.search(r"[^0-9./\-\s]", raw):
        raise ValidationError(_("A CNPJ has only digits, dots, a slash and a hyphen."), field=field)
    digits = re.sub(r"\D", "", raw)
    if len(digits) != 14:
        raise ValidationError(
            _("A CNPJ has 14 digits, e.g. 12.345.678/0001-95; this one has %(n)d.", n=len(digits)),
            field=field,
        )
    if not cnpj_is_valid(digits):
        raise ValidationError(
            _("This CNPJ is not valid: its check digits do not match. Check it was typed right."),
            field=field,
        )
    return digits


def format_cnpj(digits: str | None) -> str:
    if not digits or len(digits) != 14:
        return digits or ""
    return f"{digits[:2]}.{digits[2:5]}.{digits[5:8]}/{digits[8:12]}-{digits[12:]}"


# --- the profile ------------------------------------------------------------------------------


def get() -> CompanyProfile | None:
    """The company profile, or None before anyone filled it in."""
    return db.session.get(CompanyProfile, PROFILE_ID)


def display_name() -> str:
    """The name the company goes by (trade name, else legal name, else ``PORTAL_NAME``)."""
    profile = get()
    return profile.display_name if profile else current_app.config["PORTAL_NAME"]


def _text(value: str | None, limit: int) -> str | None:
    value = (value or "").strip()
    return value[:limit] or None


def _address(value: str | None, field: str) -> str | None:
    lines = [" ".join(line.split()) for line in (value or "").splitlines()]
    text = "\n".join(line for line in lines if line)
    if len(text) > 500:
        raise ValidationError(_("The address is too long (500 characters at most)."), field=field)
    return text or None


def _phone(raw: str | None) -> str | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, current_app.config.get("PORTAL_PHONE_REGION") or "BR")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("This is not a valid phone number. Include the area code, e.g. (11) 3456-7890."),
            field="phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    region = current_app.config.get("PORTAL_PHONE_REGION") or "BR"
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def save(
    *,
    actor: User,
    legal_name: str | None,
    trade_name: str | None,
    cnpj: str | None,
    address: str | None,
    delivery_address: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> CompanyProfile:
    """Create or update the profile; audit what changed (old → new)."""
    legal = _text(legal_name, 200)
    if not legal:
        raise ValidationError(_("Enter the company's legal name."), field="legal_name")
    values: dict[str, Any] = {
        "legal_name": legal,
        "trade_name": _text(trade_name, 200),
        "cnpj": normalise_cnpj(cnpj),
        "address": _address(address, "address"),
        "delivery_address": _address(delivery_address, "delivery_address"),
        "phone": _phone(phone),
        "email": _text(email, 254),
    }
    if values["email"] and not _EMAIL.match(values["email"]):
        raise ValidationError(_("Enter an e-mail address like name@example.com."), field="email")
    profile = get()
    created = profile is None
    if profile is None:
        profile = CompanyProfile(id=PROFILE_ID)
        db.session.add(profile)
    changes = {
        key: [getattr(profile, key), value]
        for key, value in values.items()
        if getattr(profile, key) != value
    }
    for key, value in values.items():
        setattr(profile, key, value)
    profile.updated_by_id = actor.id
    db.session.flush()
    if changes or created:
        audit.record(actor, "company.profile", profile, changes)
    return profile


def _check_logo(data: bytes) -> bytes:
    """The logo re-encoded as a PNG without metadata; refuse anything that is not a small image.

    Like the other uploads (``filecheck``), nothing is kept before it is checked: the signature
    first, then the size, then Pillow decodes it under a pixel cap and a fresh PNG is written
    (whatever rode along in the original — metadata, trailing bytes — is dropped).
    """
    if not data:
        raise ValidationError(_("Choose an image file."), field="logo")
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError(
            _(
                "The logo is larger than %(size)s KB; save a smaller one.",
                size=MAX_LOGO_BYTES // 1024,
            ),
            field="logo",
        )
    kind = next((k for magic, k in LOGO_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise ValidationError(_("The logo must be a PNG or JPEG image."), field="logo")
    from PIL import Image

    refused = ValidationError(_("The image could not be read; it may be damaged."), field="logo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                if max(image.size) > MAX_LOGO_SIDE:
                    raise ValidationError(
                        _(
                            "The logo is too large (%(w)d × %(h)d pixels); at most %(max)d on "
                            "each side.",
                            w=image.size[0],
                            h=image.size[1],
                            max=MAX_LOGO_SIDE,
                        ),
                        field="logo",
                    )
                image.load()
                clean = image.convert("RGBA")
    except ValidationError:
        raise
    except Exception as error:  # noqa: BLE001  (any decoder failure is a refusal)
        raise refused from error
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


def set_logo(*, actor: User, data: bytes) -> CompanyProfile:
    """Store a checked logo on the profile (the profile must exist)."""
    profile = get()
    if profile is None:
        raise ValidationError(_("Save the company's details before adding a logo."), field="logo")
    profile.logo = _check_logo(data)
    profile.logo_content_type = "image/png"
    profile.updated_by_id = actor.id
    db.session.flush()
    audit.record(actor, "company.logo", profile, {"logo": [None, f"{len(profile.logo)} bytes"]})
    return profile


def remove_logo(*, actor: User) -> None:
    profile = get()
    if profile is None or profile.logo is None:
        return
    profile.logo = None
    profile.logo_content_type = None
    db.session.flush()
    audit.record(actor, "company.logo", profile, {"logo": ["removed", None]})


def logo() -> tuple[bytes, str] | None:
    """The logo's bytes and content type, or None."""
    row = db.session.execute(
        select(CompanyProfile.logo, CompanyProfile.logo_content_type).where(
            CompanyProfile.id == PROFILE_ID
        )
    ).first()
    if row is None or row[0] is None:
        return None
    return row[0], row[1] or "image/png"

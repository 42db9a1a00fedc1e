"""Faults: the troubleshooting checklist a staff member sees first, reports that reach the back
office (with photos, checked and re-encoded), faults filed as staff requests."""

from __future__ import annotations

import io
import re
import secrets
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, or_, select, update

from portal.errors import InvalidTransition, NotAllowed, NotFound, ValidationError
from portal.extensions import db
from portal.models import User, UserRole
from portal.models.base import utcnow
from portal.models.equipment import (
    FAULT_CLOSED,
    FAULT_OPEN,
    FAULT_SOLVED_BY_USER,
    RETIRED,
    TYPES,
    Asset,
    ChecklistStep,
    Fault,
    FaultPhoto,
    model_key,
)
from portal.models.frontdesk import StaffRequest
from portal.pagination import RowPage, paged, row_page
from portal.routing import parse_int
from portal.services import audit
from portal.services.equipment.common import clean, path, record_event, text_block
from portal.services.notifications import notify

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 3
MAX_PIXELS = 40_000_000
PHOTO_SIDE = 1600

# --- the troubleshooting checklist --------------------------------------------------------------


def checklist_for(asset: Asset) -> list[ChecklistStep]:
    """The steps for this model first, then those for every machine of its type."""
    return list(
        db.session.scalars(
            select(ChecklistStep)
            .where(
                ChecklistStep.active.is_(True),
                ChecklistStep.asset_type == asset.type,
                or_(ChecklistStep.model_key == "", ChecklistStep.model_key == asset.model_key),
            )
            .order_by(
                (ChecklistStep.model_key == "").asc(),
                ChecklistStep.position,
                ChecklistStep.id,
            )
        )
    )


def list_checklists() -> list[ChecklistStep]:
    return list(
        db.session.scalars(
            select(ChecklistStep)
            .where(ChecklistStep.active.is_(True))
            .order_by(ChecklistStep.asset_type, ChecklistStep.model_key, ChecklistStep.position)
        )
    )


def add_step(
    *, actor: User, asset_type: str, model: str | None, title: str | None, body: str | None
) -> ChecklistStep:
    """Back office writes a step for a type of machine, or for one make and model."""
    if asset_type not in TYPES:
        raise ValidationError(_("Choose a type."), field="asset_type")
    title = clean(title, 160)
    if not title:
        raise ValidationError(_("Give the step a short title."), field="title")
    key = model_key("", model) if model and model.strip() else ""
    position = (
        db.session.scalar(
            select(func.max(ChecklistStep.position)).where(
                ChecklistStep.asset_type == asset_type, ChecklistStep.model_key == key
            )
        )
        or 0
    ) + 1
    step = ChecklistStep(
        asset_type=asset_type,
        model_key=key,
        position=position,
        title=title,
        body=text_block(body, 2000) or "",
    )
    db.session.add(step)
    db.session.flush()
    audit.record(actor, "equipment.checklist.added", ("ChecklistStep", step.id), {"title": title})
    return step


def remove_step(step_id: int, *, actor: User) -> None:
    step = db.session.get(ChecklistStep, step_id)
    if step is None or not step.active:
        raise NotFound(_("This step does not exist."))
    step.active = False
    audit.record(actor, "equipment.checklist.removed", ("ChecklistStep", step.id))


# --- photos -------------------------------------------------------------------------------------


def clean_photo(data: bytes, filename: str | None) -> FaultPhoto:
    """Accept only a real image within limits; store it re-encoded as JPEG without metadata."""
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError(_("The photo is larger than 5 MB."), field="photo")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ("JPEG", "PNG", "WEBP", "GIF"):
                raise ValidationError(
                    _("The photo must be a JPEG, PNG, WebP or GIF image."), field="photo"
                )
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("The photo has too many pixels."), field="photo")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("The file is not an image."), field="photo") from None
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", (filename or "photo").rsplit(".", 1)[0])[:60] or "photo"
    return FaultPhoto(filename=f"{stem}.jpg", data=out.getvalue())


# --- reporting ----------------------------------------------------------------------------------


def _back_office() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "back_office", User.active.is_(True))
            .order_by(User.id)
        ).unique()
    )


def _tell_back_office(fault: Fault, text: Any, actor: User | None) -> None:
    for person in _back_office():
        if actor is not None and person.id == actor.id:
            continue
        notify(
            person,
            "equipment.fault",
            fault,
            text=text,
            url=path(f"/faults/{fault.id}"),
            dedupe_key=f"equipment.fault:{fault.id}:{person.id}:{secrets.token_hex(4)}",
        )


def solved_by_user(asset: Asset, *, reporter: User, step_id: int) -> Fault:
    """A checklist step fixed it: the report is closed at once and the step's count goes up."""
    step = db.session.get(ChecklistStep, step_id)
    if step is None or step.asset_type != asset.type:
        raise ValidationError(_("Choose the step that fixed it."), field="step_id")
    fault = Fault(
        asset_id=asset.id,
        reporter_id=reporter.id,
        description=step.title,
        status=FAULT_SOLVED_BY_USER,
        solved_by_step_id=step.id,
        closed_at=utcnow(),
    )
    db.session.add(fault)
    db.session.execute(
        update(ChecklistStep)
        .where(ChecklistStep.id == step.id)
        .values(solved_count=ChecklistStep.solved_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    audit.record(reporter, "equipment.fault.solved_by_user", fault, {"step": step.id})
    record_event(asset, "fault", step.title, actor=reporter, details={"solved": True})
    return fault


def report_fault(
    asset: Asset,
    *,
    reporter: User,
    description: str | None,
    error_code: str | None = None,
    photos: list[tuple[bytes, str | None]] = (),  # type: ignore[assignment]
) -> Fault:
    """The checklist did not help: the fault reaches the back office."""
    if asset.status == RETIRED:
        raise InvalidTransition(_("This asset is retired."))
    body = text_block(description, 4000)
    if not body:
        raise ValidationError(_("Describe what happens."), field="description")
    photos = [p for p in photos if p[0]]
    if len(photos) > MAX_PHOTOS:
        raise ValidationError(_("Attach at most %(n)d photos.", n=MAX_PHOTOS), field="photo")
    fault = Fault(
        asset_id=asset.id,
        reporter_id=reporter.id,
        description=body,
        error_code=clean(error_code, 60),
        status=FAULT_OPEN,
    )
    fault.photos = [clean_photo(data, name) for data, name in photos]
    db.session.add(fault)
    db.session.flush()
    audit.record(reporter, "equipment.fault.reported", fault, {"asset": asset.asset_tag})
    record_event(asset, "fault", body[:300], actor=reporter)
    _tell_back_office(
        fault,
        _l("%(name)s reported a fault on %(tag)s.", name=reporter.name, tag=asset.asset_tag),
        reporter,
    )
    return fault


_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,39}")


def fault_from_request(req: StaffRequest) -> Fault:
    """A fault filed as a staff request ("Equipment fault"): linked to the machine whose tag the
    text names, if any; back office picks the machine otherwise."""
    words = {w.upper() for w in _TAG.findall(f"{req.title} {req.description}")}
    asset_id = None
    if words:
        asset_id = db.session.scalar(
            select(Asset.id)
            .where(func.upper(Asset.asset_tag).in_(sorted(words)[:200]), Asset.status != RETIRED)
            .order_by(Asset.id)
            .limit(1)
        )
    fault = Fault(
        asset_id=asset_id,
        reporter_id=req.requester_id,
        description=f"{req.title}\n\n{req.description}"[:4000],
        status=FAULT_OPEN,
        staff_request_id=req.id,
    )
    db.session.add(fault)
    db.session.flush()
    audit.record(None, "equipment.fault.from_request", fault, {"request": req.id})
    if asset_id is not None:
        record_event(asset_id, "fault", req.title[:300], details={"request": req.id})
    return fault


def set_fault_asset(fault: Fault, *, actor: User, asset_id: Any) -> None:
    """Back office names the machine of a fault filed without one."""
    asset = db.session.get(Asset, parse_int(asset_id)) if parse_int(asset_id) else None
    if asset is None or asset.status == RETIRED:
        raise ValidationError(_("Choose a machine."), field="asset_id")
    if fault.status != FAULT_OPEN:
        raise InvalidTransition(_("This fault is closed."))
    fault.asset_id = asset.id
    db.session.flush()
    audit.record(actor, "equipment.fault.asset", fault, {"asset": asset.asset_tag})
    record_event(asset, "fault", fault.description[:300], actor=actor)


def close_fault(fault: Fault, *, actor: User) -> None:
    """Back office closes a fault that needed no vendor."""
    if fault.status in (FAULT_CLOSED, FAULT_SOLVED_BY_USER):
        raise InvalidTransition(_("This fault is closed."))
    fault.status = FAULT_CLOSED
    fault.closed_at = utcnow()
    db.session.flush()
    audit.record(actor, "equipment.fault.closed", fault)


def get_fault_for(fault_id: int, viewer: User) -> Fault:
    """Back office sees every fault; a reporter only their own (others are "not found")."""
    fault = db.session.get(Fault, fault_id)
    if fault is None or (fault.reporter_id != viewer.id and not viewer.can("equipment.view")):
        raise NotFound(_("This fault report does not exist."))
    return fault


def get_photo_for(fault: Fault, photo_id: int) -> FaultPhoto:
    for photo in fault.photos:
        if photo.id == photo_id:
            return photo
    raise NotFound(_("This photo does not exist."))


def fault_page(*, status: str = "open", page: int, per_page: int) -> RowPage:
    """Back office's list of faults: two queries."""
    stmt = (
        select(
            Fault.id,
            Fault.created_at,
            Fault.status,
            Fault.description,
            Fault.error_code,
            Asset.id.label("asset_id"),
            Asset.asset_tag,
            Asset.make,
            Asset.model,
            User.name.label("reporter"),
        )
        .select_from(Fault)
        .join(User, User.id == Fault.reporter_id)
        .outerjoin(Asset, Asset.id == Fault.asset_id)
    )
    count = select(func.count(Fault.id))
    if status == "open":
        stmt = stmt.where(Fault.status.in_(("open", "in_repair")))
        count = count.where(Fault.status.in_(("open", "in_repair")))
    elif status:
        stmt = stmt.where(Fault.status == status)
        count = count.where(Fault.status == status)
    stmt = stmt.order_by(Fault.created_at.desc(), Fault.id.desc())
    return row_page(paged(stmt), count, list, page=page, per_page=per_page)


def my_faults(user: User, limit: int = 20) -> list[Any]:
    return list(
        db.session.execute(
            select(Fault.id, Fault.created_at, Fault.status, Fault.description, Asset.asset_tag)
            .outerjoin(Asset, Asset.id == Fault.asset_id)
            .where(Fault.reporter_id == user.id)
            .order_by(Fault.created_at.desc(), Fault.id.desc())
            .limit(limit)
        )
    )


def asset_faults(asset_id: int, limit: int = 10) -> list[Any]:
    """A machine's latest faults: plain rows ``id, created_at, status, description``."""
    return list(
        db.session.execute(
            select(Fault.id, Fault.created_at, Fault.status, Fault.description)
            .where(Fault.asset_id == asset_id)
            .order_by(Fault.created_at.desc(), Fault.id.desc())
            .limit(limit)
        )
    )


def solved_counts() -> dict[str, int]:
    """Faults solved by the user with the checklist, and faults that reached back office."""
    rows = db.session.execute(select(Fault.status, func.count(Fault.id)).group_by(Fault.status))
    return {status: int(n) for status, n in rows}


def ensure_reporter_can_see(asset: Asset, viewer: User) -> None:
    if asset.status == RETIRED and not viewer.can("equipment.view"):
        raise NotAllowed(_("This asset is retired."))

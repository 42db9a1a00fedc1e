"""The register's hits in the header search: tag, serial, make and model, room, holder."""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import or_, select

from portal.models import User
from portal.models.equipment import Asset
from portal.services.search import Hit, Query
from portal.services.search.indexed import execute, ids_matching, window


def _assets() -> Any:
    holder = User.__table__.alias("holder")
    return window(
        select(
            Asset.id,
            Asset.asset_tag,
            Asset.make,
            Asset.model,
            Asset.floor,
            Asset.room,
            holder.c.name.label("holder"),
        )
        .outerjoin(holder, holder.c.id == Asset.holder_id)
        .where(or_(Asset.id.in_(ids_matching(Asset)), Asset.holder_id.in_(ids_matching(User))))
        .order_by(Asset.id.desc())
    )


def assets(query: Query, user: Any) -> list[Hit]:
    """One query, newest first; retired assets included (they are still in the register).

    The asset's own words come from its full-text index, the holder's name from the users'
    (so renaming a person needs no re-indexing of what they hold).
    """
    return [
        Hit(
            f"{r.asset_tag} — {r.make} {r.model}",
            url_for("equipment.detail", asset_id=r.id),
            " · ".join(x for x in (r.floor, r.room, r.holder) if x),
        )
        for r in execute("assets", _assets, query, Asset, User)
    ]

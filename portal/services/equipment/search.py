"""The register's hits in the header search: tag, serial, make and model, room, holder."""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import or_, select

from portal.extensions import db
from portal.models import User
from portal.models.equipment import Asset
from portal.services.search import Hit, Query
from portal.services.search.text import fold_sql


def assets(query: Query, user: Any) -> list[Hit]:
    """One query; retired assets included (they are still in the register)."""
    holder = User.__table__.alias("holder")
    columns = (Asset.asset_tag, Asset.serial, Asset.make, Asset.model, Asset.room, holder.c.name)
    stmt = (
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
        .where(or_(*(fold_sql(c).like(query.like, escape="\\") for c in columns)))
        .order_by(Asset.asset_tag, Asset.id)
        .limit(query.limit)
        .offset(query.offset)
    )
    return [
        Hit(
            f"{r.asset_tag} — {r.make} {r.model}",
            url_for("equipment.detail", asset_id=r.id),
            " · ".join(x for x in (r.floor, r.room, r.holder) if x),
        )
        for r in db.session.execute(stmt)
    ]

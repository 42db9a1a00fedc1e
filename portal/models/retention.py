"""LGPD retention: how long each kind of personal data is kept before it is anonymised.

One row per kind (``people_retention_policy``); a kind without a row uses its default
(``portal.services.people.retention.POLICIES``).  The talent-pool consent a candidate gives is
stored on the candidate (``portal.models.recruiting.Candidate.pool_consent_*``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.types import UTCDateTime


class RetentionPolicy(db.Model):
    """How many months one kind of personal data is kept once its clock has started."""

    __tablename__ = "people_retention_policy"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    months: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

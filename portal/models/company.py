"""The company's profile: who the portal speaks for on every outgoing document.

One row (``id == 1``).  Supplier orders (issue 16), candidate e-mails, invitations and the
booking page read it; the admin edits it under ``/company``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.types import UTCDateTime


class CompanyProfile(db.Model):
    __tablename__ = "company_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))  # razão social
    trade_name: Mapped[str | None] = mapped_column(String(200))  # nome fantasia
    cnpj: Mapped[str] = mapped_column(String(14))  # 14 digits, check digits verified
    address: Mapped[str | None] = mapped_column(String(500))  # several lines
    delivery_address: Mapped[str | None] = mapped_column(String(500))  # if not the address
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164
    email: Mapped[str | None] = mapped_column(String(254))
    # A PNG re-encoded by the service (metadata stripped), small enough to sit in the row.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_content_type: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    @property
    def display_name(self) -> str:
        """The name people know the company by (trade name, else legal name)."""
        return self.trade_name or self.legal_name

    @property
    def cnpj_formatted(self) -> str:
        """``12.345.678/0001-95``."""
        c = self.cnpj or ""
        if len(c) != 14:
            return c
        return f"{c[:2]}.{c[2:5]}.{c[5:8]}/{c[8:12]}-{c[12:]}"

"""People who sign in, their roles and departments, and login attempts."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.types import UTCDateTime
from portal.permissions import permissions_for_roles

# Permissions granted for a period rather than by role (e.g. ``purchase.approve`` while a
# delegation is active).  Areas append ``grant(user) -> permissions`` at import time.
PERMISSION_GRANTS: list[Callable[[User], Iterable[str]]] = []


# Werkzeug's default; the app's PASSWORD_HASH_METHOD wins (see portal/config.py).
DEFAULT_PASSWORD_METHOD = "scrypt"


def password_method() -> str:
    """The hash method for new passwords: PASSWORD_HASH_METHOD, or Werkzeug's default."""
    if has_app_context():
        return current_app.config.get("PASSWORD_HASH_METHOD") or DEFAULT_PASSWORD_METHOD
    return DEFAULT_PASSWORD_METHOD


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class Department(db.Model):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)

    def __str__(self) -> str:
        return self.name


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    password_hash: Mapped[str] = mapped_column(String(256))
    # Flask-Login "alternative token": rotating it ends every session and remember-me cookie.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str | None] = mapped_column(String(10))
    job_title: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(32))
    extension: Mapped[str | None] = mapped_column(String(12))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    department: Mapped[Department | None] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="UserRole.role"
    )

    # -- Flask-Login -------------------------------------------------------------------------
    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    # -- passwords and sessions --------------------------------------------------------------
    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_method())

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def revoke_sessions(self) -> None:
        """End every session and remember-me cookie of this user."""
        self.session_token = new_session_token()

    # -- roles and permissions ---------------------------------------------------------------
    @property
    def roles(self) -> list[str]:
        return [r.role for r in self.role_rows]

    @roles.setter
    def roles(self, names: list[str]) -> None:
        wanted = set(names)
        self.role_rows = [r for r in self.role_rows if r.role in wanted]
        have = {r.role for r in self.role_rows}
        for name in sorted(wanted - have):
            self.role_rows.append(UserRole(role=name))
        self.__dict__.pop("_permissions", None)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def permissions(self) -> frozenset[str]:
        cached = self.__dict__.get("_permissions")
        if cached is None:
            cached = permissions_for_roles(self.roles)
            for grant in PERMISSION_GRANTS:
                cached = cached | frozenset(grant(self))
            self.__dict__["_permissions"] = cached
        return cached

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def __str__(self) -> str:
        return self.name


class UserRole(db.Model):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32), index=True)


class LoginAttempt(db.Model):
    """One sign-in attempt; failures inside the window throttle the account and the address."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "at"),
        Index("ix_login_attempt_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

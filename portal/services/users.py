"""Accounts: sign-in with throttling, administration of users and roles, passwords, language."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from portal.errors import NotAllowed, ValidationError
from portal.extensions import db
from portal.models import Department, LoginAttempt, User
from portal.models.base import utcnow
from portal.security import ROLES
from portal.services import audit

log = logging.getLogger(__name__)

# A few passwords people actually use; ASVS asks to refuse the most common ones.
COMMON_PASSWORDS = frozenset(
    [
        "123456789012",
        "1234567890",
        "password123",
        "qwertyuiop",
        "senha12345",
        "senha123456",
        "administrator",
        "1q2w3e4r5t",
        "0987654321",
        "iloveyou123",
        "welcome123",
        "changeme123",
        "mudar12345",
        "brasil1234",
        "abc1234567",
        "password1234",
        "portal12345",
        "1234512345",
        "1111111111",
        "0000000000",
        "qwerty1234",
    ]
)


class LoginRefused(Exception):
    """Sign-in refused; the message is the same for an unknown user and a wrong password."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _recent_failures(column, value: str, since: datetime) -> int:
    return (
        db.session.scalar(
            select(func.count(LoginAttempt.id)).where(
                column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since
            )
        )
        or 0
    )


def authenticate(email: str, password: str, *, address: str) -> User:
    """Return the user for these credentials or raise ``LoginRefused``; commits the attempt."""
    email = normalise_email(email)
    cfg = current_app.config
    since = utcnow() - cfg["LOGIN_WINDOW"]
    throttled = (
        _recent_failures(LoginAttempt.email, email, since) >= cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
        or _recent_failures(LoginAttempt.address, address, since)
        >= cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    )
    user = db.session.scalar(select(User).where(User.email == email))
    ok = not throttled and user is not None and user.check_password(password) and user.active
    db.session.add(LoginAttempt(email=email[:254], address=address[:64], succeeded=ok))
    if not ok:
        audit.record(user, "auth.login_failed", user, {"email": email, "throttled": throttled})
        db.session.commit()
        if throttled:
            raise LoginRefused(
                _("Too many failed sign-ins. Wait 15 minutes and try again, or ask an admin.")
            )
        raise LoginRefused(_("Wrong e-mail or password."))
    assert user is not None
    user.last_login_at = utcnow()
    audit.record(user, "auth.login", user)
    db.session.commit()
    return user


def check_password_strength(password: str, *, email: str = "") -> None:
    """Raise ``ValidationError`` for a password that is too short or too common."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise ValidationError(_("Use at least %(n)d characters.", n=minimum), field="password")
    if len(password) > 256:
        raise ValidationError(_("Use at most 256 characters."), field="password")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or (email and lowered == normalise_email(email)):
        raise ValidationError(
            _("This password is too easy to guess. Choose another."), field="password"
        )


def _clean_roles(roles: Iterable[str]) -> list[str]:
    chosen = sorted(set(roles))
    unknown = [r for r in chosen if r not in ROLES]
    if unknown:
        raise ValidationError(_("Unknown role."), field="roles")
    if not chosen:
        raise ValidationError(_("Choose at least one role."), field="roles")
    return chosen


def _check_email_free(email: str, *, exclude_id: int | None = None) -> None:
    stmt = select(User.id).where(User.email == email)
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise ValidationError(_("Another user already has this e-mail."), field="email")


def create_user(
    *,
    actor: User | None,
    email: str,
    name: str,
    roles: Iterable[str],
    password: str,
    must_change_password: bool = True,
    locale: str | None = None,
    department: Department | None = None,
    job_title: str | None = None,
    phone: str | None = None,
    extension: str | None = None,
    check_strength: bool = True,
) -> User:
    """Create an account; by default the password is temporary and must be changed."""
    email = normalise_email(email)
    _check_email_free(email)
    if check_strength:
        check_password_strength(password, email=email)
    user = User(
        email=email,
        name=name.strip(),
        must_change_password=must_change_password,
        locale=locale,
        department=department,
        job_title=job_title,
        phone=phone,
        extension=extension,
    )
    user.set_password(password)
    user.roles = _clean_roles(roles)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", user, {"email": email, "roles": user.roles})
    return user


def update_user(
    user: User,
    *,
    actor: User,
    email: str,
    name: str,
    roles: Iterable[str],
    active: bool,
    department: Department | None = None,
    job_title: str | None = None,
    phone: str | None = None,
    extension: str | None = None,
) -> None:
    """Change a user's details, roles and status; disabling ends their sessions."""
    email = normalise_email(email)
    _check_email_free(email, exclude_id=user.id)
    new_roles = _clean_roles(roles)
    if user.id == actor.id and ("admin" not in new_roles or not active):
        raise NotAllowed(_("You cannot remove your own admin role or disable yourself."))
    changes = audit.diff(
        user,
        ["email", "name", "roles", "active", "job_title", "phone", "extension"],
        {
            "email": email,
            "name": name.strip(),
            "roles": new_roles,
            "active": active,
            "job_title": job_title,
            "phone": phone,
            "extension": extension,
        },
    )
    if user.department_id != (department.id if department else None):
        changes["department"] = [str(user.department or ""), str(department or "")]
    user.email = email
    user.name = name.strip()
    user.roles = new_roles
    user.job_title = job_title
    user.phone = phone
    user.extension = extension
    user.department = department
    if user.active and not active:
        user.revoke_sessions()
    user.active = active
    if changes:
        audit.record(actor, "user.update", user, changes)


def set_temporary_password(user: User, *, actor: User, password: str) -> None:
    """Give a user a temporary password they must change at their next sign-in."""
    check_password_strength(password, email=user.email)
    user.set_password(password)
    user.must_change_password = True
    user.revoke_sessions()
    audit.record(actor, "user.temporary_password", user)


def change_password(user: User, *, current: str, new: str) -> None:
    """Change one's own password; every other session of the user ends."""
    if not user.check_password(current):
        raise ValidationError(_("The current password is wrong."), field="current_password")
    if current == new:
        raise ValidationError(
            _("Choose a password different from the current one."), field="password"
        )
    check_password_strength(new, email=user.email)
    user.set_password(new)
    user.must_change_password = False
    user.revoke_sessions()
    audit.record(user, "user.password_changed", user)


def set_locale(user: User, locale: str | None) -> None:
    """Store the user's interface language (None: follow the browser)."""
    if locale is not None and locale not in current_app.config["LANGUAGES"]:
        raise ValidationError(_("Unknown language."), field="locale")
    user.locale = locale


def logout(user: User) -> None:
    """End every session of the user (this one included) and record it."""
    user.revoke_sessions()
    audit.record(user, "auth.logout", user)


def list_users(*, q: str = "", role: str = "", status: str = ""):
    """Return a select of users matching the filters, by name."""
    stmt = select(User).order_by(User.name, User.id)
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(User.name).like(like), User.email.like(like)))
    if role:
        from portal.models import UserRole

        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if status == "active":
        stmt = stmt.where(User.active.is_(True))
    elif status == "disabled":
        stmt = stmt.where(User.active.is_(False))
    return stmt


def list_departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.name)))


def get_user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def account_counts() -> dict[str, int]:
    """Active and disabled accounts, in one query."""
    rows = db.session.execute(select(User.active, func.count(User.id)).group_by(User.active))
    counts = {bool(active): n for active, n in rows}
    return {"active": counts.get(True, 0), "disabled": counts.get(False, 0)}


def failed_sign_ins_since(since: datetime) -> int:
    return (
        db.session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since
            )
        )
        or 0
    )

"""Accounts: sign-in with throttling, administration of users and roles, passwords, language."""

from __future__ import annotations

import functools
import logging
import math
import re
import secrets
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from portal.errors import NotAllowed, ValidationError
from portal.extensions import db
from portal.models import Department, LoginAttempt, User, UserRole
from portal.models.base import utcnow
from portal.models.users import password_method
from portal.permissions import ROLES
from portal.services import audit

log = logging.getLogger(__name__)

# What the attempts table and the audit log keep of a sign-in whose e-mail field does not hold an
# e-mail address: it may be the password, typed into the wrong field.
NOT_AN_EMAIL = "[not an e-mail address]"


class LoginRefused(Exception):
    """Sign-in refused; the message is the same for an unknown user and a wrong password."""

    def __init__(self, message: str, *, retry_after: int = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def attempt_key(typed: str) -> str:
    """What may be stored of what was typed into the e-mail field: the address, or a marker.

    A password typed into the e-mail field must never reach the attempts table or the audit
    log, so anything that is not a well-formed address becomes ``NOT_AN_EMAIL``.  The key does
    not depend on whether the account exists (the throttle must not tell).
    """
    email = normalise_email(typed)
    if not email or len(email) > 254:
        return NOT_AN_EMAIL
    try:
        # a dotted domain, as every real mailbox has: "S3cret!@home" is a password, not an address
        validate_email(email, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return NOT_AN_EMAIL
    return email


# --- signing in -------------------------------------------------------------------------------


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def _password_matches(user: User | None, password: str) -> bool:
    """Check the password; without an account, check a dummy hash so both take as long."""
    if user is None:
        check_password_hash(_dummy_hash(password_method()), password)
        return False
    return user.check_password(password)


def _needs_rehash(user: User) -> bool:
    """Whether the stored hash uses other parameters than PASSWORD_HASH_METHOD now gives."""
    current = _dummy_hash(password_method()).split("$", 1)[0]
    return user.password_hash.split("$", 1)[0] != current


@dataclass(frozen=True)
class _Failures:
    count: int
    last: datetime | None


def _failures(*conditions: Any) -> _Failures:
    count, last = db.session.execute(
        select(func.count(LoginAttempt.id), func.max(LoginAttempt.at)).where(
            LoginAttempt.succeeded.is_(False), *conditions
        )
    ).one()
    return _Failures(count or 0, last)


def _wait(failures: _Failures, free: int, now: datetime) -> int:
    """Seconds still to wait after ``failures``: none before ``free``, then doubling, capped."""
    if failures.count < free or failures.last is None:
        return 0
    cfg = current_app.config
    steps = min(failures.count - free, 30)
    delay = min(cfg["LOGIN_DELAY_BASE_SECONDS"] * 2**steps, cfg["LOGIN_DELAY_CAP_SECONDS"])
    left = delay - (now - failures.last).total_seconds()
    return math.ceil(left) if left > 0 else 0


def throttle_wait(key: str, address: str, now: datetime) -> int:
    """Seconds before this account may be tried again from this address (0: go ahead).

    Counted per (account, address), so nobody elsewhere is slowed down by someone else's
    guesses; a success clears the pair.  Past the wider per-address and per-account counters
    the same delays apply, except where this account has signed in from this address before.
    """
    cfg = current_app.config
    window_start = now - cfg["LOGIN_WINDOW"]
    pair = (LoginAttempt.email == key, LoginAttempt.address == address)
    last_success = db.session.scalar(
        select(func.max(LoginAttempt.at)).where(*pair, LoginAttempt.succeeded.is_(True))
    )
    since = max(window_start, last_success) if last_success else window_start
    wait = _wait(_failures(*pair, LoginAttempt.at > since), cfg["LOGIN_FREE_FAILURES"], now)
    if wait:
        return wait
    known = last_success is not None and last_success >= now - timedelta(
        days=cfg["LOGIN_KNOWN_ADDRESS_DAYS"]
    )
    if known:
        return 0
    from_address = _failures(LoginAttempt.address == address, LoginAttempt.at >= window_start)
    for_account = _failures(LoginAttempt.email == key, LoginAttempt.at >= window_start)
    return max(
        _wait(from_address, cfg["LOGIN_FREE_FAILURES_PER_ADDRESS"], now),
        _wait(for_account, cfg["LOGIN_FREE_FAILURES_PER_ACCOUNT"], now),
    )


def _throttled_message(seconds: int) -> str:
    if seconds > 90:
        minutes = math.ceil(seconds / 60)
        return ngettext(
            "Too many failed sign-ins. Try again in %(num)d minute.",
            "Too many failed sign-ins. Try again in %(num)d minutes.",
            minutes,
        )
    return ngettext(
        "Too many failed sign-ins. Try again in %(num)d second.",
        "Too many failed sign-ins. Try again in %(num)d seconds.",
        seconds,
    )


def authenticate(email: str, password: str, *, address: str) -> User:
    """Return the user for these credentials or raise ``LoginRefused``; commits the attempt.

    An unknown e-mail, a wrong password and a disabled account answer alike and take as long
    (a dummy hash is checked when there is no account).  A throttled attempt is refused before
    any password is checked and is not counted as a failure.
    """
    key = attempt_key(email)
    address = (address or "?")[:64]
    now = utcnow()
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    wait = throttle_wait(key, address, now)
    if wait:
        audit.record(
            user, "auth.login_failed", user, {"email": key, "throttled": True, "wait": wait}
        )
        db.session.commit()
        raise LoginRefused(_throttled_message(wait), retry_after=wait)
    ok = _password_matches(user, password) and user is not None and user.active
    db.session.add(LoginAttempt(email=key, address=address, succeeded=ok, at=now))
    if not ok:
        audit.record(user, "auth.login_failed", user, {"email": key, "throttled": False})
        db.session.commit()
        raise LoginRefused(_("Wrong e-mail or password."))
    assert user is not None
    if _needs_rehash(user):
        user.set_password(password)
    user.last_login_at = now
    audit.record(user, "auth.login", user)
    db.session.commit()
    return user


# --- passwords --------------------------------------------------------------------------------

# zxcvbn keeps the user's words in a module-level dictionary while it scores: one at a time.
_ZXCVBN_LOCK = threading.Lock()
# zxcvbn's cost grows fast with length; what the first 72 characters hold decides (as bcrypt).
_SCORED_LENGTH = 72
_MIN_PERSONAL_TOKEN = 3


def _score(password: str, inputs: list[str]) -> dict[str, Any]:
    with _ZXCVBN_LOCK:
        return zxcvbn(password[:_SCORED_LENGTH], user_inputs=inputs, max_length=_SCORED_LENGTH)


def personal_words(*, email: str = "", name: str = "") -> list[str]:
    """The words a guesser tries first for this person: e-mail, its parts, the name's parts."""
    words: list[str] = []
    email = normalise_email(email)
    if email:
        local, _at, domain = email.partition("@")
        words += [email, local, re.sub(r"[^\w]", "", local)]
        words += re.split(r"[\W_]+", local)
        words += [label for label in domain.split(".")[:-1]]
    name = (name or "").strip().lower()
    if name:
        parts = re.split(r"[\W_]+", name)
        words += [name, "".join(parts), *parts]
        words += [
            unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode() for w in parts
        ]
    return [w for w in dict.fromkeys(words) if len(w) >= _MIN_PERSONAL_TOKEN]


def _without_personal_words(password: str, words: list[str]) -> str:
    reduced = password
    for word in sorted(words, key=len, reverse=True):
        reduced = re.sub(re.escape(word), "", reduced, flags=re.IGNORECASE)
    return reduced


def _built_from_person(own: bool) -> str:
    if own:
        return _("It is built from your name or e-mail address.")
    return _("It is built from the person's name or e-mail address.")


def _weakness(result: dict[str, Any], *, own: bool) -> str:
    """Why zxcvbn found the password easy, in the user's language (its own text is English)."""
    sequence = result.get("sequence") or []
    if not sequence:
        return _("It is too short or too simple.")
    match = max(sequence, key=lambda m: len(m["token"]))
    pattern = match["pattern"]
    if pattern == "dictionary":
        dictionary = match.get("dictionary_name")
        if dictionary == "user_inputs":
            return _built_from_person(own)
        if dictionary == "passwords":
            return _("It is one of the most common passwords, or very close to one.")
        if dictionary in ("surnames", "male_names", "female_names"):
            return _("Names and surnames are easy to guess.")
        return _("Common words on their own are easy to guess.")
    if pattern == "spatial":
        return _("Keyboard patterns such as “qwerty” are easy to guess.")
    if pattern == "repeat":
        return _("Repeated characters or words are easy to guess.")
    if pattern == "sequence":
        return _("Sequences such as “abc” or “6543” are easy to guess.")
    if pattern in ("date", "regex"):
        return _("Dates and years are easy to guess.")
    return _("It is too short or too simple.")


def check_password_strength(
    password: str, *, email: str = "", name: str = "", own: bool = True
) -> None:
    """Raise ``ValidationError`` saying why a password is too short or too easy to guess.

    The estimate is zxcvbn's, with the person's name and e-mail as words a guesser knows: a
    password that is weak once those are taken out is refused as built from them.  ``own``:
    the person is choosing their own password (the message says "your"), not an admin.
    """
    cfg = current_app.config
    minimum = cfg["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise ValidationError(_("Use at least %(n)d characters.", n=minimum), field="password")
    if len(password) > 256:
        raise ValidationError(_("Use at most 256 characters."), field="password")
    words = personal_words(email=email, name=name)
    if own:
        advice = _("Add a word or two that have nothing to do with you; uncommon words are best.")
    else:
        advice = _(
            "Add a word or two that have nothing to do with the person; uncommon words are best."
        )
    result = _score(password, words)
    if result["score"] < cfg["PASSWORD_MIN_SCORE"]:
        raise ValidationError(f"{_weakness(result, own=own)} {advice}", field="password")
    reduced = _without_personal_words(password, words)
    if reduced != password and _score(reduced, [])["score"] < cfg["PASSWORD_MIN_SCORE"]:
        raise ValidationError(f"{_built_from_person(own)} {advice}", field="password")


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
        check_password_strength(password, email=email, name=name, own=False)
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
    check_password_strength(password, email=user.email, name=user.name, own=False)
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
    check_password_strength(new, email=user.email, name=user.name)
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

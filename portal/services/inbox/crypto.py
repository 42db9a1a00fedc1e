"""Mailbox passwords, encrypted with a key from the environment (Fernet: AES + HMAC).

``PORTAL_SECRET_BOX_KEY`` holds a Fernet key (``python -c "from cryptography.fernet import
Fernet; print(Fernet.generate_key().decode())"``).  In development, without it, a key is derived
from ``SECRET_KEY``; production refuses to store or read a password without the variable, so a
database dump alone never yields a mailbox password.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from flask_babel import gettext as _

from portal.errors import ValidationError


def _fernet() -> Fernet:
    cfg = current_app.config
    key = cfg.get("PORTAL_SECRET_BOX_KEY") or ""
    if not key:
        if cfg.get("PORTAL_ENV") == "production":
            raise ValidationError(
                _("Set PORTAL_SECRET_BOX_KEY before connecting a mailbox."), field="password"
            )
        digest = hashlib.sha256(b"portal-secret-box:" + str(cfg["SECRET_KEY"]).encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def encrypt(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode()


def decrypt(token: str) -> str:
    """The clear password; a ValueError when the key changed since it was stored."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("mailbox password cannot be decrypted with the current key") from exc

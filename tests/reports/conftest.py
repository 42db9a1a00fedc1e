"""Helpers for the reports tests: local times in São Paulo (UTC-3) and report query strings."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

SP = ZoneInfo("America/Sao_Paulo")
# November 2026, as a custom period; the previous period is the 30 days before it.
NOVEMBER = {"period": "custom", "from": "2026-11-01", "to": "2026-11-30"}


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A São Paulo wall-clock time, as the aware UTC instant the database stores."""
    return datetime(year, month, day, hour, minute, tzinfo=SP).astimezone(UTC)


@pytest.fixture
def people(make_user):
    """The cast: staff, back office, office manager, HR manager, admin."""
    return {
        "staff": make_user(roles=["staff"], name="Sofia Staff"),
        "back": make_user(roles=["back_office"], name="Bruno Back"),
        "manager": make_user(roles=["office_manager"], name="Olga Gerente"),
        "hr": make_user(roles=["hr_manager"], name="Helena RH"),
        "admin": make_user(roles=["admin"], name="Adão Admin"),
    }

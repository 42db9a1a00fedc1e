"""Form helpers shared by the areas' views (the unit of work itself is ``portal.web``)."""

from __future__ import annotations

from portal.web import attach_error, unit_of_work

__all__ = ["attach_error", "unit_of_work"]

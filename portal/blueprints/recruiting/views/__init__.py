"""Recruiting views: thin — parse, call one service, commit once, respond.

One module per sub-domain; importing this package attaches every route to ``bp``.
"""

from portal.blueprints.recruiting.views import (  # noqa: F401  (attach routes)
    applications,
    booking,
    employees,
    interviews,
    openings,
)

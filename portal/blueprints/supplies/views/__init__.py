"""Supplies views, one module per sub-domain: parse the form, call one service, respond.

Importing this package imports every module, which adds its routes to ``bp``; endpoint names
stay ``supplies.<view>``.
"""

from portal.blueprints.supplies.views import (
    approvals,
    budgets,
    counts,
    delegation,
    items,
    orders,
    requests,
    stock,
    suggestions,
    suppliers,
)

__all__ = [
    "approvals",
    "budgets",
    "counts",
    "delegation",
    "items",
    "orders",
    "requests",
    "stock",
    "suggestions",
    "suppliers",
]

"""Equipment views, one module per sub-domain: thin — parse, call one service, commit once.

Importing this package imports every module, which adds its routes to ``bp``.
"""

from portal.blueprints.equipment.views import faults, readings, register, upkeep

__all__ = ["faults", "readings", "register", "upkeep"]

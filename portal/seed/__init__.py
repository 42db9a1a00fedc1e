"""Demo data: a small, realistic company in Brazil.

``seed_demo`` creates the company (departments, people, one login per role), then runs every
other module in this package that defines ``seed(ctx)``, in the order of their ``ORDER``.  Areas
add their demo data by adding a module here.
"""

from __future__ import annotations

import importlib
import pkgutil
import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import User


class SeedRefused(Exception):
    pass


@dataclass
class SeedContext:
    password: str
    rng: random.Random
    users: dict[str, User] = field(default_factory=dict)  # demo logins by role
    people: list[User] = field(default_factory=list)  # everyone
    extra: dict[str, Any] = field(default_factory=dict)


def seed_demo(password: str, *, force: bool = False, seed: int = 2026) -> SeedContext:
    """Create the demo company; refuse when users exist unless ``force``."""
    count = db.session.scalar(select(func.count(User.id))) or 0
    if count and not force:
        raise SeedRefused("the database already holds users; use --force to add the demo anyway")
    ctx = SeedContext(password=password, rng=random.Random(seed))
    modules = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "seed"):
            modules.append(module)
    for module in sorted(modules, key=lambda m: getattr(m, "ORDER", 100)):
        module.seed(ctx)
        db.session.commit()
    return ctx

"""Every sub-package here with a ``bp`` is registered; areas need no edit elsewhere."""

from __future__ import annotations

import importlib
import pkgutil

from flask import Flask


def register_blueprints(app: Flask) -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not module.ispkg:
            continue
        package = importlib.import_module(f"{__name__}.{module.name}")
        importlib.import_module(f"{__name__}.{module.name}.views")
        app.register_blueprint(package.bp)

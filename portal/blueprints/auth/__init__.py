"""Sign-in, sign-out and password changes."""

from flask import Blueprint, Flask

bp = Blueprint("auth", __name__)


def register(app: Flask) -> None:
    from portal.blueprints.auth import views  # noqa: F401  (views import bp: attach routes)

    app.register_blueprint(bp)

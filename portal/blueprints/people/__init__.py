"""People: employee records, the colleague directory, onboarding, training, discipline,
termination and LGPD.

HR pages need ``hr.employees.view`` to read and ``hr.employees.manage`` to change (hr_manager);
admin keeps the read permission it had on the recruiting employee list (support), but salary,
discipline, exits and LGPD requests need ``hr.employees.manage``.  The directory
(``directory.view``, everyone) reads only its own columns.  Every answer under /people says
``Cache-Control: no-store`` and an HR template is never rendered for a caller who may not open
it (``privacy``).
"""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from portal import ui
from portal.blueprints.people import cards, filters, privacy
from portal.services import people

bp = Blueprint("people", __name__, url_prefix="/people")
privacy.protect(bp)
filters.install(bp)


def register(app: Flask) -> None:
    from portal.blueprints.people import views  # noqa: F401  (views import bp: attach routes)

    app.register_blueprint(bp)
    registry = ui.registry(app)
    registry.nav_item(_l("Directory"), "people.index", "directory.view", order=450)
    registry.nav_item(_l("People"), "people.employees", "hr.employees.view", order=440)
    registry.card("people-onboarding", cards.onboarding_card, "hr.employees.manage", order=450)
    registry.card("people-my-onboarding", cards.my_onboarding_card, None, order=455)
    registry.notification_kind("people.task", _l("Onboarding and offboarding steps assigned to me"))
    registry.notification_kind("people.warning", _l("Disciplinary warnings addressed to me"))
    registry.notification_kind("people.training", _l("My training about to expire"))
    registry.search_provider(
        "colleagues", _l("Colleagues"), "directory.view", people.colleagues_hits, order=150
    )
    registry.handover_provider(
        "people", _l("Onboarding and offboarding steps"), people.hand_over_steps, order=50
    )
    jobs = "worker.jobs.people"
    registry.periodic_job("people-close-accounts", f"{jobs}.close_due_accounts", interval=600)
    registry.periodic_job("people-task-reminders", f"{jobs}.remind_overdue_tasks", interval=3600)
    registry.periodic_job(
        "people-training-expiry", f"{jobs}.remind_expiring_training", interval=21600
    )
    registry.periodic_job(
        "people-retention", "worker.jobs.retention.anonymise_expired", interval=86400
    )

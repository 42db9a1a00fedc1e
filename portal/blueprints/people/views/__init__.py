"""People views, one module per sub-domain (each attaches its routes to ``bp``)."""

from portal.blueprints.people.views import (  # noqa: F401
    checklists,
    directory,
    discipline,
    employees,
    lgpd,
    offboarding,
    self_service,
    subject_requests,
    training,
)

"""Front-desk views, one module per sub-domain: thin — parse, call one service, commit once.

Importing this package imports every module, which adds its routes to the area's blueprints
(``desk_bp``, ``inbox_bp``, ``requests_bp``); endpoint names stay ``frontdesk.<bp>.<view>``.
"""

from portal.blueprints.frontdesk.views import calls, faxes, messages, requests, staff, visitors

__all__ = ["calls", "faxes", "messages", "requests", "staff", "visitors"]

"""Staff preview states of the error pages (see preview.registry)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.views import error_page
from preview.registry import State, register, register_page


def _error(status: int, label: str) -> State:
    return State("errors", str(status), label, lambda: error_page(str(status)))


register_page("errors", _("Error pages"), 90)
register(_error(400, _("400 Bad request")))
register(_error(403, _("403 Forbidden")))
register(_error(404, _("404 Not found")))
register(_error(500, _("500 Server error")))

"""What every page's shell shows: the location's name and the member's. Never a token."""

from __future__ import annotations

from django.http import HttpRequest

from portal import members


def shell(request: HttpRequest) -> dict[str, object]:
    return {
        "member": getattr(request, "member", None),
        "location": members.current_location(request) if hasattr(request, "session") else None,
        "preview": getattr(request, "preview", None),
    }

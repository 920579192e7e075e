"""What every page's shell shows: the location's name and the member's. Never a token."""

from __future__ import annotations

from django.http import HttpRequest


def shell(request: HttpRequest) -> dict[str, object]:
    return {
        "member": getattr(request, "member", None),
        "location": getattr(request, "location", None),
        "preview": getattr(request, "preview", None),
    }

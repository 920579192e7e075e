"""What every page's shell shows: the location's name and colour and the member's name.
Never a token."""

from __future__ import annotations

from django.http import HttpRequest

from nexudus import MemberClient
from web.branding import brand_for


def shell(request: HttpRequest) -> dict[str, object]:
    location = getattr(request, "location", None)
    business_id = getattr(location, "business_id", None)
    colors = MemberClient.known_brand(business_id)
    return {
        "member": getattr(request, "member", None),
        "location": location,
        "brand": brand_for(colors.primary) if colors else None,
        "preview": getattr(request, "preview", None),
    }

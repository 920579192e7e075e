"""`make run` on the sandbox: a demo staff account for /preview/ and /admin/, never elsewhere."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = "staff"
DEMO_EMAIL = "staff@example.com"
DEMO_PASSWORD = "demo-pass-1"  # noqa: S105 - a demo account that only exists beside the sandbox
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class Command(BaseCommand):
    help = "Create the demo staff account, only when the portal runs on the local sandbox."

    def handle(self, *args: Any, **options: Any) -> None:
        host = urlsplit(settings.NEXUDUS_BASE_URL).hostname or ""
        if host not in LOOPBACK:
            raise CommandError(
                "The demo staff account exists only beside the local sandbox; "
                f"NEXUDUS_BASE_URL points at {host!r}."
            )
        user, created = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME, defaults={"email": DEMO_EMAIL}
        )
        user.is_staff = True
        user.is_superuser = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        verb = "Created" if created else "Reset"
        self.stdout.write(f"{verb} demo staff account {DEMO_USERNAME} / {DEMO_PASSWORD}")

"""`make run` on the sandbox: a demo staff account for /preview/ and /admin/, never elsewhere.

It is a superuser, so with debug off (`DJANGO_DEBUG=0 make run`, the browser tests) /admin/
asks it for a TOTP code: it then gets an authenticator whose key is the RFC 6238 test key, as
public as its password. With debug on it has none, and signs in with its password alone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

DEMO_USERNAME = "staff"
DEMO_EMAIL = "staff@example.com"
DEMO_PASSWORD = "demo-pass-1"  # noqa: S105 - a demo account that only exists beside the sandbox
# Hex of "12345678901234567890", the key of RFC 6238's test vectors: any TOTP tool computes it.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"
DEMO_DEVICE_NAME = "demo"
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
        devices = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME)
        if not settings.SUPERUSER_OTP_REQUIRED:
            devices.delete()
            return
        device, _ = devices.update_or_create(
            user=user,
            name=DEMO_DEVICE_NAME,
            defaults={"key": DEMO_TOTP_KEY, "confirmed": True, "last_t": -1, "drift": 0},
        )
        self.stdout.write(f"Its authenticator code (debug is off) comes from: {device.config_url}")

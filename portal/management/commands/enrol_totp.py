"""`manage.py enrol_totp USERNAME`: give a staff account an authenticator (TOTP) device.

Superusers cannot sign in to /admin/ without a code when debug is off, so the first device has
to come from the shell, not from the admin. This prints the secret once, as an otpauth:// URI
(what a QR code would hold) and as the base32 key authenticator apps accept typed in.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Enrol a TOTP authenticator for a staff account and print its secret once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Remove the account's other TOTP devices (a lost phone).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        model = get_user_model()
        try:
            user = model.objects.get_by_natural_key(options["username"])
        except model.DoesNotExist as error:
            raise CommandError("No such user.") from error
        if not user.is_staff:
            raise CommandError("Only staff accounts sign in to /admin/.")
        if options["replace"]:
            TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        key = b32encode(device.bin_key).decode().rstrip("=")
        self.stdout.write(
            "Add this to the authenticator app (scan it as a QR code, or type the key):\n"
            f"  {device.config_url}\n"
            f"  key: {key}\n"
            "From now on /admin/ asks this account for the app's 6-digit code. "
            "The secret is not shown again."
        )

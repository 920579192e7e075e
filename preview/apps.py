from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class PreviewConfig(AppConfig):
    name = "preview"
    verbose_name = "Staff preview"

    def ready(self) -> None:
        # Each app's previews.py registers its states, the way admin.py registers models.
        autodiscover_modules("previews")

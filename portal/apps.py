from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Member portal"


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with `admin.site` being our StaffAdminSite (throttled, second factor).

    Named in INSTALLED_APPS in place of "django.contrib.admin"; never the portal's own config.
    """

    default = False
    default_site = "portal.staff.StaffAdminSite"

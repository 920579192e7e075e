"""Settings for the member portal: one file, driven by environment variables.

Every variable is listed in `.env.example` and README. The helpers below fail loudly on a
value they cannot read, so a typo in production stops the process instead of silently falling
back to a default.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    """A whole number of at least 1."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def env_seconds(name: str, default: float) -> float:
    """A duration in seconds, more than zero (fractions allowed)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ImproperlyConfigured(f"{name} must be a number of seconds above 0, not {raw!r}")
    return value


def env_url(name: str, default: str) -> str:
    """An http(s) URL without a path, query or trailing slash: the base of every API call."""
    value = env_str(name, default).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ImproperlyConfigured(
            f"{name} must be an http(s) URL like https://host, not {value!r}"
        )
    if parts.path or parts.query or parts.fragment:
        raise ImproperlyConfigured(f"{name} must be a bare origin without a path, not {value!r}")
    return value


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off.")
    # Debug only: a throwaway key, so `make run` works without any setup.
    SECRET_KEY = "django-insecure-local-development-only-" + "x" * 20

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

# --- Nexudus --------------------------------------------------------------------------------

NEXUDUS_BASE_URL = env_url("NEXUDUS_BASE_URL", "http://127.0.0.1:8001")
# Host patterns a PDF link may point at, when set; a link's scheme is always the base URL's.
# Unset (the default): the host of NEXUDUS_BASE_URL and the member's own locations, learned at
# sign-in. Never a tenant wildcard by default: a media JWT must not go to another space's host.
NEXUDUS_TRUSTED_HOSTS = env_list("NEXUDUS_TRUSTED_HOSTS", [])
# The transport's limits for every Nexudus call (seconds, bytes; see nexudus.http.Transport).
# Not environment variables: tuning them is a code change. Tests shorten them.
NEXUDUS_HTTP: dict[str, float | int] = {
    "connect_timeout": 3.05,
    "read_timeout": 5.0,
    "deadline": 8.0,
    "max_retries": 2,
    # Per Nexudus host, in each process: the circuit opens after 5 failures in a row and fails
    # calls fast for 15 s before a probe; requests of at most half of gunicorn's threads wait on
    # the host at once (a page's side-by-side calls count once), so a hung Nexudus leaves the
    # other half (and /healthz) free.
    "failure_threshold": 5,
    "cool_down": 15.0,
    "max_calls_per_host": max(1, env_int("GUNICORN_THREADS", 32) // 2),  # gunicorn's default
}
# One budget for all the Nexudus calls of one request, sign-in and guest pages included: each
# call's deadline is cut to what is left of it, so a page answers in about this long however
# many slow calls it makes (then with its "could not load" state).
NEXUDUS_REQUEST_BUDGET_SECONDS = env_seconds("NEXUDUS_REQUEST_BUDGET_SECONDS", 8.0)
# Where a member who must choose a new password is sent: the space's own password recovery page.
# The Nexudus docs describe that page but not its address (UNCERTAIN), so it can be set here.
NEXUDUS_PASSWORD_RESET_URL = env_str(
    "NEXUDUS_PASSWORD_RESET_URL", f"{NEXUDUS_BASE_URL}/password-recovery"
)

# Where Pay sends a member: the issuing location's own payment page for the invoice. Nexudus
# documents no public "pay this invoice" endpoint and no address for that page (UNCERTAIN, see
# README), so it is a template: {web_address}, {invoice_id}, {invoice_unique_id}. Empty (the
# default) means paying online is off and invoices show PAYMENT_INSTRUCTIONS instead.
NEXUDUS_PAY_URL = env_str("NEXUDUS_PAY_URL")
try:
    NEXUDUS_PAY_URL.format(web_address="h", invoice_id="1", invoice_unique_id="u")
except (KeyError, IndexError, ValueError) as error:
    raise ImproperlyConfigured(
        "NEXUDUS_PAY_URL may name only {web_address}, {invoice_id} and {invoice_unique_id}"
    ) from error
# How to pay when paying online is off (or the operator switched it off), in the space's words.
PAYMENT_INSTRUCTIONS = env_str("PAYMENT_INSTRUCTIONS")
# The secret of the Nexudus invoice webhooks that point at /webhooks/nexudus/. Set, each member's
# unpaid set is kept server-side until a signed webhook says it changed (or 10 minutes pass);
# empty (the default), webhooks are refused and every page asks Nexudus.
NEXUDUS_WEBHOOK_SECRET = env_str("NEXUDUS_WEBHOOK_SECRET")

# --- Django ---------------------------------------------------------------------------------

INSTALLED_APPS = [
    # Django's admin with our site: throttled sign-in and a second factor (portal.staff).
    "portal.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "web",
    "members",
    "invoices",
    "checkout",
    "preview",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses what every middleware below has finished writing (see web/compression.py).
    "web.compression.TextGZipMiddleware",
    # One line per request with its upstream summary (the calls themselves log at DEBUG).
    "web.requestlog.RequestLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "members.middleware.MemberMiddleware",
    "members.middleware.MemberLanguageMiddleware",
    "members.middleware.MemberRequiredMiddleware",
]
LOGIN_URL = "login"
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # LANGUAGES as settings has them: each language named in itself, untranslated.
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "members.context_processors.shell",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), conn_max_age=60
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    # Tokens live in the session, so the session must live on the server: never signed cookies.
    # Django's cache sessions, with keyed-digest keys and sealed contents (web.sessions).
    SESSION_ENGINE = "web.sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Database rows read through the process's cache, sealed in both (web.db_sessions).
    SESSION_ENGINE = "web.db_sessions"

# The languages of the Nexudus members portal. Each is named in its own language, as the footer's
# switcher shows it. A page speaks the switcher's choice (a cookie), else the browser's
# Accept-Language, else the member's location's LanguageCulture, else English (web.languages).
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("it", "Italiano"),
    ("pt", "Português"),
    ("es", "Español"),
]
# The .po files are the source; `make` compiles them (compilemessages, Debian's gettext).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Security -------------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# The __Host- prefix pins a cookie to this host, path / and HTTPS; browsers refuse it without
# Secure, so plain-HTTP debug runs use unprefixed names.
SESSION_COOKIE_NAME = "__Host-portal-session" if SESSION_COOKIE_SECURE else "portal-session"
CSRF_COOKIE_NAME = "__Host-portal-csrf" if CSRF_COOKIE_SECURE else "portal-csrf"
# The language chosen in the footer, kept a year (Django's set_language writes it).
LANGUAGE_COOKIE_NAME = "__Host-portal-language" if SESSION_COOKIE_SECURE else "portal-language"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# A browser that has signed in to an account is told apart from others by this cookie, so an
# attacker's wrong guesses never lock the member's own browser out (members.throttle).
SIGN_IN_DEVICE_COOKIE_NAME = "__Host-portal-device" if SESSION_COOKIE_SECURE else "portal-device"
SIGN_IN_DEVICE_COOKIE_AGE = 180 * 24 * 3600

# Staff sign-in at /admin/: superusers must give a TOTP code (django-otp) in production; with
# debug on it is asked only of those who enrolled a device (`manage.py enrol_totp`).
SUPERUSER_OTP_REQUIRED = not DEBUG
OTP_TOTP_ISSUER = "Member portal"

SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Only behind one reverse proxy that itself sets X-Forwarded-Proto and appends X-Forwarded-For
# (see README, production). Otherwise those headers are whatever the client chose to send.
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# --- Logging --------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # Query strings on our routes can carry gateway session ids: never write them down.
        "redact_query_strings": {"()": "web.logging.RedactQueryStrings"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_query_strings"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

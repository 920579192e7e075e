"""gunicorn settings for production: `gunicorn portal.wsgi` picks this file up by itself."""

from __future__ import annotations

import os


def _behind_proxy() -> bool:
    # The same reading as DJANGO_BEHIND_PROXY in portal/settings.py (which fails loudly on a
    # value it cannot read, when the workers load Django).
    return os.environ.get("DJANGO_BEHIND_PROXY", "").strip().lower() in {"1", "true", "yes", "on"}


bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
worker_class = "gthread"
# Without Redis the refresh lock, throttles and caches live in each process: one worker (with
# threads) is the safe default then; with REDIS_URL they are shared and two workers are fine.
workers = int(os.environ.get("GUNICORN_WORKERS", "2" if os.environ.get("REDIS_URL") else "1"))
# A page mostly waits on Nexudus, and half the threads may wait at once (the bulkhead, in
# portal/settings.py, which reads the same default). `make loadtest` at 300 ms per API call: 8
# threads served 20 views/s on two workers, with p50 7 s as requests queued; 32 served 65/s,
# p50 1 s, with 0 errors.
threads = int(os.environ.get("GUNICORN_THREADS", "32"))
# Upstream calls have an 8 s deadline; a worker must never be killed in the middle of one.
timeout = 30
accesslog = "-"
# %(U)s is the path without its query string: our query strings can carry gateway session ids.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
# Escapes control characters in every access log value, so a URL cannot forge or hide a line,
# and keeps query strings out of the error log too.
logger_class = "web.gunicorn_log.PortalLogger"
# gunicorn believes X-Forwarded-Proto (and so tells Django a request came over HTTPS) from
# 127.0.0.1 by default, whoever is behind that address. Without our own proxy in front nobody
# may say so. Behind it, gunicorn's own default applies: the proxy's addresses in
# FORWARDED_ALLOW_IPS, else 127.0.0.1 and ::1 (Django reads the header itself anyway, through
# SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = (
    os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1") if _behind_proxy() else ""
)

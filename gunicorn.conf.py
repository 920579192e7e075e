"""gunicorn settings for production: `gunicorn portal.wsgi` picks this file up by itself."""

from __future__ import annotations

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
worker_class = "gthread"
# Without Redis the refresh lock, throttles and caches live in each process: one worker (with
# threads) is the safe default then; with REDIS_URL they are shared and two workers are fine.
workers = int(os.environ.get("GUNICORN_WORKERS", "2" if os.environ.get("REDIS_URL") else "1"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Upstream calls have an 8 s deadline; a worker must never be killed in the middle of one.
timeout = 30
accesslog = "-"
# %(U)s is the path without its query string: our query strings can carry gateway session ids.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'

"""A pytest plugin loaded with `-p tests.environment`, before Django reads its settings.

The suite runs with production-like settings (debug off), which require a secret key; the key
below only ever signs test sessions.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-" + "k" * 40)
os.environ.setdefault("DJANGO_DEBUG", "0")
# Tests speak plain HTTP to the test client and live servers.
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

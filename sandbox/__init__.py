"""A stand-in for the Nexudus Public API, served on its own port.

Plain WSGI (werkzeug), importable without Django settings, so it can run in a thread inside the
Django test process, on its own for `make run` (`python -m sandbox`), or in benchmarks.
"""

from __future__ import annotations

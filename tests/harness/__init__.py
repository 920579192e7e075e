"""Real servers for tests and tools: Redis, PostgreSQL and the portal under gunicorn.

The multi-worker tests (`tests/deploy`) and `make loadtest` (`scripts/loadtest.py`) start the
same parts the same way, so the load figures describe what the tests check.
"""

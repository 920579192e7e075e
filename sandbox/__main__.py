"""`python -m sandbox --host 127.0.0.1 --port 8001`: serve the Nexudus stand-in.

Knobs come from the environment: SANDBOX_LATENCY_MS, SANDBOX_FAULT, SANDBOX_FAULT_PATH,
SANDBOX_FAULT_TIMES, SANDBOX_FAULT_RATE, SANDBOX_TRICKLE_INTERVAL_MS, SANDBOX_ACCESS_TOKEN_LIFETIME,
SANDBOX_INVOICES_VIEWABLE, SANDBOX_INVOICES_PRINTABLE, SANDBOX_PRIMARY_COLOR, SANDBOX_PORTAL_URL,
SANDBOX_WEBHOOK_URL, SANDBOX_WEBHOOK_SECRET. `--today 2026-07-20` seeds the demo data for that day
instead of the clock's (benchmarks use it to get a year of an exact size).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date

from sandbox.app import Knobs, SandboxApp
from sandbox.data import DEMO_PASSWORD, DEMO_TOTP
from sandbox.server import sandbox_url, serve_forever


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="seed the demo data for this day (YYYY-MM-DD) instead of today",
    )
    args = parser.parse_args(argv)
    try:
        knobs = Knobs.from_env(os.environ)
    except ValueError as exc:
        parser.error(str(exc))
    app = SandboxApp(knobs=knobs, today=args.today)
    banner = (
        f"Nexudus sandbox on {sandbox_url(args.host, args.port)} - sign in as ada@example.com / "
        f"{DEMO_PASSWORD} (also grace [2FA {DEMO_TOTP}], alan, empty, busy, suspended "
        "@example.com; README lists them)"
    )
    serve_forever(args.host, args.port, app=app, log_stream=sys.stderr, banner=banner)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make screenshots`: a PNG of every staff-preview state at 1280 px and 375 px, for review.

`SCREENSHOT_LANGUAGES=de,pt make screenshots` takes them in those languages too (named
`<page>--<state>--<width>--<language>.png`; English ones keep their plain names).

Runs the portal under gunicorn with a throwaway database and a throwaway staff account, pointed at
an address where nothing listens: previews must not need Nexudus, and this proves it. Pictures
land in `screenshots/` (ignored by git).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
WIDTHS = (1280, 375)
LANGUAGES = [
    code.strip() for code in os.environ.get("SCREENSHOT_LANGUAGES", "en").split(",") if code.strip()
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="portal-shots-"))
    port = free_port()
    password = secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        # Nothing listens on port 9: a preview that called Nexudus would show an error.
        "NEXUDUS_BASE_URL": "http://127.0.0.1:9",
        "PORT": str(port),
        "HOST": "127.0.0.1",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*manage, "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    create = (
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user('shots', password='{password}', is_staff=True)"
    )
    subprocess.run([*manage, "shell", "-c", create], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{base}/healthz")
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from preview.registry import STATES

        return _shoot(base, password, STATES)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait(url: str) -> None:
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the portal did not start at {url}")


def _shoot(base: str, password: str, states) -> int:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(exist_ok=True)
    count = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for language in LANGUAGES:
            for width in WIDTHS:
                # The browser asks for the language (Accept-Language), as a staff member's would.
                context = browser.new_context(
                    viewport={"width": width, "height": 900}, locale=language
                )
                page = context.new_page()
                page.goto(f"{base}/admin/login/?next=/preview/")
                page.fill("#id_username", "shots")
                page.fill("#id_password", password)
                page.click("input[type=submit]")
                page.wait_for_url(f"{base}/preview/")
                suffix = "" if language == "en" else f"--{language}"
                for state in states:
                    page.goto(f"{base}/preview/{state.page}/{state.key}/")
                    path = OUT / f"{state.page}--{state.key}--{width}{suffix}.png"
                    page.screenshot(path=str(path), full_page=True)
                    count += 1
                context.close()
        browser.close()
    print(f"{count} screenshots in {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Production installs `requirements.txt` only: the portal must start and serve without the
sandbox's or the tests' packages (no Werkzeug, no fpdf2), the staff preview included, and in
every language from catalogues it compiles itself (git holds only the .po sources)."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.harness.source import copy_source

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib.util, sys
for absent in ("werkzeug", "fpdf", "pytest", "sandbox"):
    spec = importlib.util.find_spec(absent)
    assert spec is None or absent == "sandbox", absent
import django
django.setup()
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from pathlib import Path
assert not list(Path("locale").glob("*/LC_MESSAGES/django.mo")), "a clone has no .mo"
# README's production steps.
call_command("migrate", verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)
call_command("compilemessages", ignore_patterns=[".venv"], verbosity=0)
visitor = Client()
assert visitor.get("/healthz").status_code == 200
login = visitor.get("/login/")
assert login.status_code == 200 and b'name="password"' in login.content
german = Client(HTTP_ACCEPT_LANGUAGE="de").get("/login/").content.decode()
assert '<html lang="de">' in german and "Passwort vergessen?" in german, german[:300]
staff = get_user_model().objects.create_user("pat", password="x", is_staff=True)
browser = Client()
browser.force_login(staff)
preview = browser.get("/preview/invoices/two-currencies/")
assert preview.status_code == 200 and b"Preview</strong>" in preview.content, preview.status_code
browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt"
portuguese = browser.get("/preview/invoices/two-currencies/").content.decode()
assert "As minhas faturas" in portuguese and "Pré-visualização</strong>" in portuguese
pdf = browser.get("/preview/sample/ada/30001.pdf")
assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
assert "sandbox" not in sys.modules and "werkzeug" not in sys.modules and "fpdf" not in sys.modules
print("production install ok")
"""


@pytest.mark.timeout(300)
def test_a_fresh_virtualenv_with_only_production_requirements_serves_the_portal(tmp_path) -> None:
    # A fresh clone's files: the .po catalogues, no compiled .mo.
    clone = tmp_path / "clone"
    clone.mkdir()
    copy_source(clone)
    env_dir = tmp_path / "venv"
    # No pip of its own: ours installs into it (`--python`), which saves seeding one; and no
    # bytecode compiled ahead (most of Django is never imported here). Neither changes what
    # the portal finds installed.
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "-r",
            str(ROOT / "requirements.txt"),
        ],
        check=True,
        capture_output=True,
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))},
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "production-install-test-" + "p" * 40,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        # Nothing answers here: a preview must not need Nexudus.
        "NEXUDUS_BASE_URL": "http://127.0.0.1:9",
        "PYTHONPATH": str(clone),
    }
    result = subprocess.run(
        [str(python), "-c", PROBE], cwd=clone, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "production install ok" in result.stdout

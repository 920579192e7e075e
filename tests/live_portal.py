"""The portal as production runs it, in a subprocess: gunicorn (gthread, 1 worker x 8 threads),
debug off, a throwaway secret key and SQLite file, on a free port of 127.0.0.1, over a sandbox.

For tests that need real processes, threads and sockets: the browser gate, and the portal's
behaviour under load when Nexudus hangs.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sandbox.server import RunningSandbox

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up in {timeout} s")
        time.sleep(0.2)


@dataclass
class PortalServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_portal(
    sandbox: RunningSandbox,
    workdir: Path,
    *,
    demo_staff: bool = False,
    env: Mapping[str, str] | None = None,
) -> Iterator[PortalServer]:
    """Migrate a fresh database in `workdir`, start gunicorn, and stop it when the block ends."""
    port = free_port()
    sandbox_host = sandbox.url.split("://", 1)[1]
    environment = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "live-portal-only-secret-key-" + "e" * 40,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "NEXUDUS_BASE_URL": sandbox.url,
        "NEXUDUS_TRUSTED_HOSTS": f"{sandbox_host},localhost:{sandbox.port}",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "8",
        **(env or {}),
    }
    manage = [sys.executable, "manage.py"]
    migrate = [*manage, "migrate", "--noinput", "--verbosity", "0"]
    subprocess.run(migrate, cwd=ROOT, env=environment, check=True)
    if demo_staff:
        subprocess.run(
            [*manage, "create_demo_staff"],
            cwd=ROOT,
            env=environment,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    log_path = workdir / "portal.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "portal.wsgi"],
            cwd=ROOT,
            env=environment,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = PortalServer(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    try:
        wait_for(f"{server.url}/healthz")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

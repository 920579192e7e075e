"""The portal as production runs it: gunicorn with gunicorn.conf.py, debug off.

Used by the multi-worker tests and by `make loadtest`. The caller chooses the database, the
cache (REDIS_URL or none), the upstream and the number of workers.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tests.harness.processes import (
    children_of,
    http_answers,
    spawn,
    stop,
    wait_until,
    with_free_port,
)

ROOT = Path(__file__).resolve().parents[2]
# The production format with the worker's pid in front (`<1234>`), so a test can tell which
# worker served a request. Only the harness adds it; nothing in production shows a pid.
PID_ACCESS_LOG_FORMAT = '%(p)s %(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
_ACCESS_LINE = re.compile(
    r'^<(?P<pid>\d+)> \S+ "(?P<method>\S+) (?P<path>.*) HTTP/[\d.]+" (?P<status>\d+) '
)


@dataclass(frozen=True)
class AccessLine:
    pid: int
    method: str
    path: str
    status: int


@dataclass
class PortalServer:
    url: str
    process: subprocess.Popen[bytes] = field(repr=False)
    log_path: Path
    workers: int

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_size(self) -> int:
        """A bookmark: pass it to `access_lines(since=...)` to see only what came after."""
        return self.log_path.stat().st_size

    def access_lines(self, since: int = 0) -> list[AccessLine]:
        """Access log lines (written with PID_ACCESS_LOG_FORMAT) after the `since` bookmark."""
        with self.log_path.open("rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
        lines = []
        for line in text.splitlines():
            match = _ACCESS_LINE.match(line)
            if match:
                lines.append(
                    AccessLine(
                        pid=int(match["pid"]),
                        method=match["method"],
                        path=match["path"],
                        status=int(match["status"]),
                    )
                )
        return lines

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid)

    def stop(self) -> None:
        # gunicorn's graceful stop; its workers exit with it.
        stop(self.process)


def portal_env(
    *,
    nexudus_url: str,
    database_url: str,
    redis_url: str | None,
    workers: int,
    threads: int = 8,
    **extra: str,
) -> dict[str, str]:
    """The environment of a production portal on 127.0.0.1, without TLS in front."""
    upstream_host = urlsplit(nexudus_url).netloc
    upstream_port = urlsplit(nexudus_url).port
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        # Plain HTTP on loopback: there is no TLS to redirect to.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
        "NEXUDUS_BASE_URL": nexudus_url,
        # The sandbox's second location answers as localhost:<port>.
        "NEXUDUS_TRUSTED_HOSTS": f"{upstream_host},localhost:{upstream_port}",
        "HOST": "127.0.0.1",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
        **extra,
    }
    env.pop("DJANGO_BEHIND_PROXY", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    return env


def manage(env: dict[str, str], *arguments: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def prepare(env: dict[str, str], *, collect_static: bool) -> None:
    """Create the tables (and the hashed static files production serves, when asked)."""
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    if collect_static:
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")


def start_portal(
    env: dict[str, str], log_path: Path, *, access_log_format: str | None = None
) -> PortalServer:
    """gunicorn on a free port, once /healthz answers and every worker has booted."""
    return with_free_port(lambda port: _start(env, log_path, port, access_log_format))


def _start(
    env: dict[str, str], log_path: Path, port: int, access_log_format: str | None
) -> PortalServer:
    command = [sys.executable, "-m", "gunicorn"]
    if access_log_format:
        command += ["--access-logformat", access_log_format]
    command.append("portal.wsgi")
    workers = int(env["GUNICORN_WORKERS"])
    # Appending: the workers share this file and must not overwrite each other's lines.
    with log_path.open("ab") as log:
        process = spawn(command, log=log, env={**env, "PORT": str(port)}, cwd=ROOT)
    server = PortalServer(
        url=f"http://127.0.0.1:{port}", process=process, log_path=log_path, workers=workers
    )
    healthz = http_answers(f"{server.url}/healthz")

    def ready() -> bool:
        booted = server.log().count("Booting worker with pid") >= workers
        return booted and len(server.worker_pids()) >= workers and healthz()

    try:
        # A worker accepts connections only once it has loaded Django.
        wait_until(ready, process=process, what="gunicorn", log_path=log_path, timeout=60)
    except BaseException:
        server.stop()
        raise
    return server

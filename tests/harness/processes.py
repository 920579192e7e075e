"""Starting and stopping the servers the harness owns: free ports, readiness, no orphans."""

from __future__ import annotations

import http.client
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")

# What postgres (which refuses to run as root) and friends run as when the harness is root.
UNPRIVILEGED_USER = "nobody"
SETPRIV = shutil.which("setpriv")


class ServerFailed(RuntimeError):
    """A server did not come up; the message carries the end of its log."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def with_free_port(start: Callable[[int], T], attempts: int = 3) -> T:
    """`start(port)` on a free port, again on another if someone took it in between."""
    for attempt in range(1, attempts + 1):
        try:
            return start(free_port())
        except ServerFailed:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def is_root() -> bool:
    return os.geteuid() == 0


def unprivileged_ids() -> tuple[int, int]:
    entry = pwd.getpwnam(UNPRIVILEGED_USER)
    return entry.pw_uid, entry.pw_gid


def wrapped(command: Sequence[str], *, unprivileged: bool = False) -> list[str]:
    """`command` run so it dies with us, and (as root, when asked) as an unprivileged user.

    Fixtures stop their servers; the parent-death signal covers a harness that is killed
    outright (SIGKILL, OOM), which would otherwise leave servers running on the machine.
    """
    if SETPRIV is None:
        if unprivileged and is_root():
            raise ServerFailed("setpriv (util-linux) is needed to run postgres as root")
        return list(command)
    prefix = [SETPRIV, "--pdeathsig", "KILL"]
    if unprivileged and is_root():
        uid, gid = unprivileged_ids()
        prefix += [f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]
    return [*prefix, "--", *command]


def spawn(
    command: Sequence[str],
    *,
    log: IO[bytes],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    unprivileged: bool = False,
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        wrapped(command, unprivileged=unprivileged),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
    )


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    """Ask politely with `sig`, then kill: a fixture's teardown must never hang or leak."""
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def wait_until(
    ready: Callable[[], bool],
    *,
    process: subprocess.Popen[bytes],
    what: str,
    log_path: Path,
    timeout: float = 60,
) -> None:
    """Poll `ready()` until it says yes; fail early (with its log) if the process died."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            state = "exited" if process.poll() is not None else f"not ready in {timeout:.0f} s"
            raise ServerFailed(f"{what} {state}:\n{tail(log_path)}")
        time.sleep(0.1)


def http_answers(url: str) -> Callable[[], bool]:
    """A probe: does `url` answer without a server error? Redirects count as answers (with
    DJANGO_SECURE_SSL_REDIRECT on, every page of a plain-HTTP portal is one)."""
    parts = urlsplit(url)

    def probe() -> bool:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
        try:
            connection.request("GET", parts.path or "/")
            return connection.getresponse().status < 500
        except OSError:
            return False
        finally:
            connection.close()

    return probe


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    """Wait for a server we did not start ourselves (no process to watch)."""
    deadline = time.monotonic() + timeout
    probe = http_answers(url)
    while not probe():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up in {timeout} s")
        time.sleep(0.2)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def children_of(pid: int) -> list[int]:
    """Processes whose parent is `pid` (gunicorn's workers, for their pids and memory)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name may contain spaces and parentheses: split after the last ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used so far, or None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int | None:
    """Resident memory of a process in KiB, or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None

"""Redis and PostgreSQL as throwaway servers: free ports, data in a temporary folder.

Both are Debian's (`make test` installs `redis-server` and `postgresql` when missing). Nothing
is shared with a system instance: each start gets its own directory, port and data, and
`stop()` removes them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

from tests.harness.processes import (
    ServerFailed,
    is_root,
    spawn,
    stop,
    unprivileged_ids,
    wait_until,
    with_free_port,
    wrapped,
)

INSTALL_HINT = "`make test` installs Debian's redis-server and postgresql when they are missing"
DATABASE = "portal"
DATABASE_USER = "portal"


@dataclass
class RedisServer:
    url: str
    process: subprocess.Popen[bytes] = field(repr=False)
    workdir: Path

    def stop(self) -> None:
        stop(self.process)
        shutil.rmtree(self.workdir, ignore_errors=True)


@dataclass
class PostgresServer:
    url: str
    process: subprocess.Popen[bytes] = field(repr=False)
    workdir: Path

    def stop(self) -> None:
        # SIGINT is postgres's "fast" shutdown: it does not wait for clients to hang up.
        stop(self.process, signal.SIGINT)
        shutil.rmtree(self.workdir, ignore_errors=True)


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found is None:
        raise ServerFailed(f"redis-server not found: {INSTALL_HINT}")
    return found


def postgres_bindir() -> Path:
    """The newest installed server's binaries (Debian keeps them off the PATH)."""
    candidates = [
        path.parent for path in Path("/usr/lib/postgresql").glob("*/bin/postgres") if path.is_file()
    ]
    if not candidates:
        raise ServerFailed(f"no postgres under /usr/lib/postgresql/*/bin: {INSTALL_HINT}")
    return max(candidates, key=lambda bindir: int(bindir.parent.name.split(".")[0]))


def _private_dir(prefix: str, *, unprivileged: bool) -> Path:
    # Under /tmp itself: pytest's own temporary folders are root-only, so an unprivileged
    # postgres could not even reach them.
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    if unprivileged and is_root():
        uid, gid = unprivileged_ids()
        os.chown(workdir, uid, gid)
    return workdir


def start_redis() -> RedisServer:
    binary = redis_binary()
    return with_free_port(lambda port: _start_redis(binary, port))


def _start_redis(binary: str, port: int) -> RedisServer:
    workdir = _private_dir("portal-redis-", unprivileged=False)
    log_path = workdir / "redis.log"
    command = [
        binary,
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--dir", str(workdir),
        # A cache and session store for one test run: nothing needs to survive it.
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = spawn(command, log=log, cwd=workdir)
    server = RedisServer(url=f"redis://127.0.0.1:{port}/0", process=process, workdir=workdir)
    try:
        wait_until(
            lambda: _redis_answers(server.url), process=process, what="redis", log_path=log_path
        )
    except ServerFailed:
        server.stop()
        raise
    return server


def _redis_answers(url: str) -> bool:
    try:
        with contextlib.closing(redis.Redis.from_url(url, socket_timeout=1)) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


def start_postgres() -> PostgresServer:
    bindir = postgres_bindir()
    workdir = _private_dir("portal-postgres-", unprivileged=True)
    try:
        _initdb(bindir, workdir)
        return with_free_port(lambda port: _start_postgres(bindir, workdir, port))
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def _initdb(bindir: Path, workdir: Path) -> None:
    command = [
        str(bindir / "initdb"),
        "--pgdata", str(workdir / "data"),
        "--username", DATABASE_USER,
        # Only ever reachable on 127.0.0.1, for the length of a test run.
        "--auth", "trust",
        "--encoding", "UTF8",
        "--no-locale",
        "--no-sync",
        "--no-instructions",
    ]  # fmt: skip
    result = subprocess.run(
        wrapped(command, unprivileged=True),
        cwd=workdir,
        env=_postgres_env(workdir),
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).decode(errors="replace")
        raise ServerFailed(f"initdb failed:\n{output}")


def _start_postgres(bindir: Path, workdir: Path, port: int) -> PostgresServer:
    log_path = workdir / f"postgres-{port}.log"
    command = [
        str(bindir / "postgres"),
        "-D", str(workdir / "data"),
        "-p", str(port),
        "-k", str(workdir),
        "-c", "listen_addresses=127.0.0.1",
        # Throwaway data: durability only costs time on a shared 2-core machine.
        "-c", "fsync=off",
        "-c", "synchronous_commit=off",
        "-c", "full_page_writes=off",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = spawn(
            command, log=log, cwd=workdir, env=_postgres_env(workdir), unprivileged=True
        )
    url = f"postgres://{DATABASE_USER}@127.0.0.1:{port}/{DATABASE}"
    server = PostgresServer(url=url, process=process, workdir=workdir)
    try:
        wait_until(
            lambda: _postgres_answers(port), process=process, what="postgres", log_path=log_path
        )
        _create_database(port)
    except BaseException:
        stop(process, signal.SIGINT)
        raise
    return server


def _postgres_env(workdir: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir), "LC_ALL": "C"}


@contextlib.contextmanager
def _admin_connection(port: int) -> Iterator[psycopg.Connection]:
    with psycopg.connect(
        host="127.0.0.1",
        port=port,
        user=DATABASE_USER,
        dbname="postgres",
        connect_timeout=2,
        autocommit=True,
    ) as connection:
        yield connection


def _postgres_answers(port: int) -> bool:
    try:
        with _admin_connection(port) as connection:
            connection.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


def _create_database(port: int) -> None:
    with _admin_connection(port) as connection:
        connection.execute(f"CREATE DATABASE {DATABASE}")

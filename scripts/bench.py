"""`make bench`: the portal's speed figures side by side, each with its spread over repeats.

Starts the sandbox (at a set latency) and the portal under gunicorn as production runs it
(DJANGO_DEBUG=0, gthread, a throwaway SQLite database and secret key, collectstatic) on free
ports of 127.0.0.1, signs demo members in through the real sign-in form, then measures, per
repeat: upstream calls per view (the sandbox's request log), latency of one client against a
direct upstream call, views/s under concurrent keep-alive clients, CPU per view from the
gunicorn worker's own CPU time, and bytes on the wire; after the repeats, the worker's RSS once
it has served 10k requests. It prints one table, then stops every process it started.

    scripts/bench.py                 # about 5 minutes (3 repeats)
    scripts/bench.py --quick         # about 1 minute, for development
    scripts/bench.py zip             # the zip export (issue 13): a stub until the route exists

The load generator is threads with http.client keep-alive connections in this process; the
CPU figures come from /proc/<worker>/stat, so the generator's own CPU never counts in them.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime
import http.client
import itertools
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from http.cookies import SimpleCookie
from pathlib import Path
from types import FrameType
from urllib.parse import quote_plus

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE_BYTES = os.sysconf("SC_PAGE_SIZE")
# What a direct upstream call asks for: one page of paid invoices, the size My Invoices uses.
DIRECT_PATH = "/api/public/billing/invoices/my?paid=true&page=1&size=20"
# The targets (issue 15): CPU per view as a multiple of CPU per /healthz request.
CPU_TARGETS = {"invoices": 4.0, "dashboard": 3.0}


class BenchError(Exception):
    """Something that makes the figures meaningless: say what and stop."""


# -- plan --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """How much to measure. The defaults take about 5 minutes on 2 cores; --quick about 1."""

    repeats: int = 3
    latency_ms: float = 50.0
    workers: int = 1
    threads: int = 8
    clients: int = 32
    samples: int = 30  # sequential requests per page per repeat, for p50/p95
    calls_views: int = 3  # views per page per repeat whose upstream calls are counted
    warmup_s: float = 2.0  # concurrent load before a throughput window opens
    duration_s: float = 8.0  # the throughput window
    cpu_requests: int = 600  # per page per repeat, for CPU per view
    healthz_cpu_requests: int = 2000  # /healthz is cheap: more requests for the same precision
    rss_requests: int = 10_000  # the worker's RSS is read once it has served this many
    mixed_requests: int = 1000  # at least this many mixed-page requests before reading RSS


QUICK = Plan(
    repeats=2,
    samples=10,
    calls_views=2,
    warmup_s=1.0,
    duration_s=2.5,
    cpu_requests=200,
    healthz_cpu_requests=600,
    rss_requests=3000,
    mixed_requests=300,
)


def parse_plan(argv: Sequence[str] | None) -> tuple[str, Plan]:
    parser = argparse.ArgumentParser(
        prog="scripts/bench.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "what", nargs="?", choices=("pages", "zip"), default="pages", help="default: pages"
    )
    parser.add_argument("--quick", action="store_true", help="about 1 minute instead of 5")
    defaults = Plan()
    for name, kind, text in (
        ("repeats", int, "runs whose spread is shown"),
        ("latency_ms", float, "sandbox latency per API call, ms"),
        ("workers", int, "gunicorn worker processes"),
        ("threads", int, "gunicorn threads per worker"),
        ("clients", int, "concurrent keep-alive clients"),
        ("samples", int, "sequential requests per page per repeat (latency)"),
        ("duration_s", float, "seconds of each throughput window"),
        ("warmup_s", float, "seconds of load before a throughput window opens"),
        ("cpu_requests", int, "requests per page per repeat for CPU per view"),
        ("healthz_cpu_requests", int, "/healthz requests per repeat for CPU per request"),
        ("rss_requests", int, "requests the worker serves before its RSS is read"),
    ):
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, type=kind, help=f"{text} (default {getattr(defaults, name)})")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else defaults
    chosen = {
        name: value
        for name, value in vars(args).items()
        if name not in {"what", "quick"} and value is not None
    }
    plan = replace(plan, **chosen)
    if plan.repeats < 1 or plan.workers < 1 or plan.threads < 1 or plan.clients < 1:
        parser.error("repeats, workers, threads and clients must be at least 1")
    return args.what, plan


# -- HTTP client: one keep-alive connection, cookies kept per session ---------------------------

# A browser's cookies for the portal: name -> value. Shared by the threads that act for one
# signed-in member, the way tabs share a browser's cookies.
Session = dict[str, str]


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float


class Connection:
    """One keep-alive HTTP/1.1 connection, reopened when the server has closed an idle one."""

    def __init__(self, port: int, timeout: float = 30.0, source: str | None = None) -> None:
        self.port = port
        address = (source, 0) if source else None
        self._http = http.client.HTTPConnection(HOST, port, timeout=timeout, source_address=address)

    def connect(self) -> None:
        self._http.connect()

    def close(self) -> None:
        self._http.close()

    def get(
        self, path: str, session: Session | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        return self.request("GET", path, session, headers)

    def post_form(self, path: str, fields: dict[str, str], session: Session) -> Reply:
        body = "&".join(f"{key}={quote_plus(value)}" for key, value in fields.items())
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, session, headers, body.encode())

    def request(
        self,
        method: str,
        path: str,
        session: Session | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if session:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in session.items())
        # gunicorn closes keep-alive connections idle for 2 s: a failure on a reused connection
        # is retried once on a fresh one (only what is safe to resend: our GETs and sign-in).
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self._http.request(method, path, body=body, headers=sent)
                response = self._http.getresponse()
                data = response.read()
            except (ConnectionError, http.client.HTTPException):
                self._http.close()
                if attempt == 2:
                    raise
                continue
            seconds = time.perf_counter() - started
            if session is not None:
                _keep_cookies(session, response.headers)
            if response.will_close:
                self._http.close()
            return Reply(response.status, response.headers, data, seconds)
        raise AssertionError("unreachable")


def _keep_cookies(session: Session, headers: http.client.HTTPMessage) -> None:
    for header in headers.get_all("Set-Cookie") or ():
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            if morsel["max-age"] == "0" or not morsel.value:
                session.pop(name, None)
            else:
                session[name] = morsel.value


def wire_bytes(
    port: int, path: str, session: Session, headers: dict[str, str], source: str | None = None
) -> int:
    """Bytes the server sends for one request (status line, headers and body), as read off the
    socket: what a first load costs on the wire, before TCP/IP framing."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
    if session:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in session.items()))
    lines += [f"{name}: {value}" for name, value in headers.items()]
    total = 0
    address = (source, 0) if source else None
    with socket.create_connection((HOST, port), timeout=30, source_address=address) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while chunk := sock.recv(65536):
            total += len(chunk)
    return total


# -- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    # Runs in the child before exec: if this script dies without cleaning up (SIGKILL, a crash),
    # Linux sends the child SIGTERM, so no server outlives the benchmark.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log_file:
        # A session of its own: Ctrl-C reaches only this script, which then stops the servers
        # in order (and can still read their logs), instead of racing them to shut down.
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # Safe here (preexec_fn and threads do not mix): servers start before load threads.
            preexec_fn=_die_with_parent,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group (gunicorn's master and its workers), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def wait_until_up(port: int, path: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{log.name} exited early:\n{_tail(log)}")
        probe = Connection(port, timeout=2)
        with contextlib.suppress(OSError, http.client.HTTPException):
            if probe.get(path).status == 200:
                return
        probe.close()
        time.sleep(0.2)
    raise BenchError(f"nothing answered {path} on port {port} within 60 s:\n{_tail(log)}")


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# gunicorn.conf.py's access log: `host "GET /path HTTP/1.1" 200 1234 5ms`.
ACCESS_LINE = re.compile(rb'" \d{3} ')


@dataclass
class Servers:
    plan: Plan
    workdir: Path
    sandbox_port: int
    sandbox: subprocess.Popen[bytes]
    portal_port: int
    portal: subprocess.Popen[bytes]

    @property
    def access_log(self) -> Path:
        return self.workdir / "gunicorn.log"

    def workers(self) -> list[int]:
        pids = child_pids(self.portal.pid)
        if len(pids) != self.plan.workers:
            raise BenchError(f"expected {self.plan.workers} gunicorn workers, found {pids}")
        return pids

    def served(self) -> int:
        """Requests the portal has answered: one access-log line each."""
        return len(ACCESS_LINE.findall(self.access_log.read_bytes()))


@contextlib.contextmanager
def running_servers(plan: Plan) -> Iterator[Servers]:
    """The sandbox and the portal, stopped on the way out whatever happens."""
    started: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        workdir = Path(tmp)
        try:
            sandbox_port = free_port()
            sandbox = spawn(
                [sys.executable, "-m", "sandbox", "--host", HOST, "--port", str(sandbox_port)],
                {**os.environ, "SANDBOX_LATENCY_MS": str(plan.latency_ms)},
                workdir / "sandbox.log",
            )
            started.append(sandbox)
            portal_port = free_port()
            env = portal_env(plan, workdir, sandbox_port, portal_port)
            # Independent steps, and collectstatic (it compresses every file) is the slowest
            # part of the start: run them side by side.
            preparing = {}
            for command in PREPARE:
                preparing[command] = prepare(command, env, workdir)
                started.append(preparing[command])
            for command, process in preparing.items():
                if process.wait() != 0:
                    log = workdir / f"{command}.log"
                    raise BenchError(f"manage.py {command} failed:\n{_tail(log)}")
            portal = spawn(
                [sys.executable, "-m", "gunicorn", "portal.wsgi"], env, workdir / "gunicorn.log"
            )
            started.append(portal)
            wait_until_up(sandbox_port, "/_sandbox/health", sandbox, workdir / "sandbox.log")
            wait_until_up(portal_port, "/healthz", portal, workdir / "gunicorn.log")
            yield Servers(plan, workdir, sandbox_port, sandbox, portal_port, portal)
        finally:
            for process in reversed(started):
                stop(process)


PREPARE = ("migrate", "collectstatic")


def prepare(command: str, env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "manage.py", command, "--noinput", "--verbosity", "0"]
    return spawn(argv, env, workdir / f"{command}.log")


def portal_env(plan: Plan, workdir: Path, sandbox_port: int, portal_port: int) -> dict[str, str]:
    """Production settings on plain HTTP, as tests/e2e/conftest.py runs the portal."""
    return {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "NEXUDUS_BASE_URL": f"http://{HOST}:{sandbox_port}",
        "NEXUDUS_TRUSTED_HOSTS": f"{HOST}:{sandbox_port},localhost:{sandbox_port}",
        "HOST": HOST,
        "PORT": str(portal_port),
        "GUNICORN_WORKERS": str(plan.workers),
        "GUNICORN_THREADS": str(plan.threads),
    }


# -- /proc: the worker's own CPU time and memory ------------------------------------------------


def _stat_fields(pid: int) -> list[str]:
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()


def child_pids(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError):
                if int(_stat_fields(int(entry.name))[1]) == parent:
                    children.append(int(entry.name))
    return sorted(children)


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU of these processes, every thread included (utime and stime)."""
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU time all cores spent busy (or stolen by the hypervisor), every process counted."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


@dataclass
class OtherLoad:
    """How many cores other processes kept busy while the bench measured: the noise to expect.

    The machine's busy time minus this script's, the sandbox's and gunicorn's, per second."""

    servers: Servers
    machine: float = 0.0
    ours: float = 0.0
    at: float = 0.0

    def __post_init__(self) -> None:
        self.machine, self.ours, self.at = self._now()

    def _now(self) -> tuple[float, float, float]:
        servers = self.servers
        pids = [os.getpid(), servers.sandbox.pid, servers.portal.pid, *servers.workers()]
        return machine_busy_seconds(), cpu_seconds(pids), time.monotonic()

    def cores(self) -> float:
        machine, ours, at = self._now()
        return ((machine - self.machine) - (ours - self.ours)) / (at - self.at)


def rss_bytes(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE_BYTES


# -- signing in --------------------------------------------------------------------------------

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def sign_in(port: int, email: str, password: str) -> Session:
    """Through the real form: GET /login/ for the CSRF cookie and token, then POST it."""
    session: Session = {}
    connection = Connection(port)
    try:
        form = connection.get("/login/", session)
        token = CSRF_INPUT.search(form.body)
        if form.status != 200 or token is None:
            raise BenchError(f"/login/ answered {form.status} without a CSRF token")
        fields = {"csrfmiddlewaretoken": token.group(1).decode(), "email": email}
        fields |= {"password": password, "next": "/"}
        reply = connection.post_form("/login/", fields, session)
    finally:
        connection.close()
    # 303 See Other: sign-in is Post/Redirect/Get.
    if reply.status not in (302, 303) or reply.headers.get("Location") != "/":
        raise BenchError(f"signing in {email} answered {reply.status}, not a redirect to /")
    return session


def sign_in_many(port: int, email: str, password: str, count: int) -> list[Session]:
    sessions: list[Session | None] = [None] * count

    def one(index: int) -> None:
        sessions[index] = sign_in(port, email, password)

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if any(session is None for session in sessions):
        raise BenchError(f"signing in {email} failed (see above)")
    return [session for session in sessions if session is not None]


def upstream_token(sandbox_port: int, email: str, password: str) -> str:
    """A bearer token straight from the sandbox, for the direct upstream call."""
    connection = Connection(sandbox_port)
    body = f"grant_type=password&username={quote_plus(email)}&password={quote_plus(password)}"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "client_id": "bench-direct"}
    reply = connection.request("POST", "/api/token", None, headers, body.encode())
    connection.close()
    if reply.status != 200:
        raise BenchError(f"the sandbox refused a token for {email}: {reply.status}")
    return str(json.loads(reply.body)["access_token"])


# -- what is measured --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One page (or the direct upstream call) as the benchmark asks for it."""

    key: str
    label: str
    path: str
    who: str  # "ada", "busy", "guest" (no session), "upstream" (the sandbox, bearer token)
    headers: tuple[tuple[str, str], ...] = ()
    expect: int = 200
    # A guest lands once, from a payment redirect: each view is a fresh connection from a
    # loopback address of its own (the checkout page throttles 30 views a minute per address).
    lands_as_guest: bool = False


@dataclass
class Members:
    ada: list[Session]
    busy: list[Session]
    bearer: str

    def session_for(self, who: str, index: int) -> Session:
        if who == "ada":
            return self.ada[index % len(self.ada)]
        if who == "busy":
            return self.busy[index % len(self.busy)]
        return {}


HX_PAGE_TURN = (("HX-Request", "true"), ("HX-Target", "paid-group"))
HEALTHZ = Target("healthz", "/healthz", "/healthz", "guest")


def page_targets(servers: Servers, members: Members) -> tuple[list[Target], str | None]:
    """The pages, with a real invoice id of Ada's; and the detail page's absence, if absent."""
    from sandbox.data import GUEST_CHECKOUTS

    connection = Connection(servers.portal_port)
    listing = connection.get("/invoices/", members.ada[0])
    found = re.search(rb'href="/invoices/(\d+)/pdf/"', listing.body)
    if listing.status != 200 or found is None:
        raise BenchError(f"My Invoices answered {listing.status} without a PDF link")
    invoice_id = int(found.group(1))
    detail_status = connection.get(f"/invoices/{invoice_id}/", members.ada[0]).status
    connection.close()
    stripe = GUEST_CHECKOUTS["stripe"]
    checkout = f"/checkout/complete/{stripe.invoice_id}/?stripe_session_id={stripe.session_id}"
    detail = Target("detail", f"invoice detail (/invoices/{invoice_id}/)", "", "ada")
    targets = [
        Target("dashboard", "dashboard (/)", "/", "ada"),
        Target("invoices", "My Invoices (/invoices/)", "/invoices/", "ada"),
        Target("invoices_busy", "My Invoices, 2,000 invoices (busy)", "/invoices/", "busy"),
        Target(
            "page_turn",
            "page turn (?paid_page=2, htmx, busy)",
            "/invoices/?paid_page=2",
            "busy",
            headers=HX_PAGE_TURN,
        ),
        Target(
            "pdf",
            f"PDF click (/invoices/{invoice_id}/pdf/)",
            f"/invoices/{invoice_id}/pdf/",
            "ada",
            expect=302,
        ),
        Target(
            "checkout",
            f"checkout complete (/checkout/complete/{stripe.invoice_id}/)",
            checkout,
            "guest",
            lands_as_guest=True,
        ),
    ]
    # The detail page is being built: measured once the route answers, "n/a" while it is 404.
    if detail_status == 200:
        targets.insert(4, replace(detail, path=f"/invoices/{invoice_id}/"))
        return targets, None
    if detail_status == 404:
        return targets, detail.label
    raise BenchError(f"/invoices/{invoice_id}/ answered {detail_status}")


# 64 addresses of 127.0.0.0/8 (all loopback on Linux) at 30 views a minute each: up to 32 guest
# views a second before the checkout throttle answers 429, and only 64 throttle keys in the
# portal's local-memory cache (300 entries), so the bench does not evict what it caches.
GUEST_ADDRESSES = tuple(f"127.0.1.{n}" for n in range(1, 65))
_guest_turns = itertools.count()


def guest_address() -> str:
    return GUEST_ADDRESSES[next(_guest_turns) % len(GUEST_ADDRESSES)]


def visit(connection: Connection, target: Target, session: Session) -> Reply:
    """One view of `target`: on `connection`, or as a guest landing from its own address."""
    if not target.lands_as_guest:
        return connection.get(target.path, session, dict(target.headers))
    guest = Connection(connection.port, source=guest_address())
    try:
        return guest.get(target.path, {}, dict(target.headers))
    finally:
        guest.close()


def check(reply: Reply, target: Target) -> None:
    if reply.status != target.expect:
        raise BenchError(f"{target.label} answered {reply.status}, expected {target.expect}")


# -- phases ------------------------------------------------------------------------------------

Samples = dict[str, list[float]]


def reset_sandbox_log(sandbox: Connection) -> None:
    sandbox.request("POST", "/_sandbox/reset-log")


def count_calls(servers: Servers, members: Members, targets: list[Target], views: int) -> Samples:
    """Upstream API calls per view, one view at a time, from the sandbox's request log."""
    portal, sandbox = Connection(servers.portal_port), Connection(servers.sandbox_port)
    counts: Samples = {}
    for target in targets:
        for _ in range(views):
            reset_sandbox_log(sandbox)
            check(visit(portal, target, members.session_for(target.who, 0)), target)
            log = json.loads(sandbox.get("/_sandbox/log").body)
            calls = [entry for entry in log if entry["path"].startswith("/api/")]
            counts.setdefault(target.key, []).append(float(len(calls)))
    portal.close()
    sandbox.close()
    return counts


def measure_latency(
    servers: Servers, members: Members, targets: list[Target], samples: int
) -> Samples:
    """Seconds per request, one client, one request at a time. Targets take turns, so a burst
    of noise from the machine lands on all of them rather than on one."""
    portal, sandbox = Connection(servers.portal_port), Connection(servers.sandbox_port)
    bearer = {"Authorization": f"Bearer {members.bearer}"}
    seconds: Samples = {}
    for _ in range(samples):
        for target in targets:
            if target.who == "upstream":
                reply = sandbox.get(target.path, None, bearer)
            else:
                reply = visit(portal, target, members.session_for(target.who, 0))
            check(reply, target)
            seconds.setdefault(target.key, []).append(reply.seconds)
    portal.close()
    sandbox.close()
    return seconds


@dataclass
class Load:
    """What one burst of concurrent load did: counted inside its measured window only."""

    requests: int
    seconds: float
    worker_cpu: float
    sandbox_cpu: float
    client_cpu: float
    failures: list[str] = field(default_factory=list)


@dataclass
class _Snapshot:
    done: int
    at: float
    worker_cpu: float
    sandbox_cpu: float
    client_cpu: float


def run_load(
    servers: Servers,
    members: Members,
    mix: list[Target],
    *,
    total: int | None = None,
    warmup_s: float = 0.0,
    seconds: float | None = None,
) -> Load:
    """`clients` keep-alive clients, each cycling through `mix` from its own starting point.

    With `total`, measure exactly that many requests; with `seconds`, run `warmup_s` first and
    measure the `seconds` window after it (requests finished inside it).
    """
    clients = servers.plan.clients
    done = [0] * clients
    failures: list[str] = []
    tickets = itertools.count()
    halt = threading.Event()
    start = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        connection = Connection(servers.portal_port)
        with contextlib.suppress(OSError):
            connection.connect()
        start.wait()
        for turn in itertools.count(index):
            if halt.is_set() or (total is not None and next(tickets) >= total):
                break
            target = mix[turn % len(mix)]
            try:
                reply = visit(connection, target, members.session_for(target.who, index))
                if reply.status != target.expect:
                    failures.append(f"{target.label}: {reply.status}")
            except (OSError, http.client.HTTPException) as error:
                failures.append(f"{target.label}: {error!r}")
            done[index] += 1
        connection.close()

    workers = servers.workers()

    def snapshot() -> _Snapshot:
        return _Snapshot(
            sum(done),
            time.perf_counter(),
            cpu_seconds(workers),
            cpu_seconds([servers.sandbox.pid]),
            time.process_time(),
        )

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    try:
        if total is not None:
            before = snapshot()
            start.wait()
            for thread in threads:
                thread.join()
            after = snapshot()
        else:
            start.wait()
            time.sleep(warmup_s)
            before = snapshot()
            time.sleep(seconds or 0.0)
            after = snapshot()
    finally:
        halt.set()
        for thread in threads:
            thread.join()
    sandbox = Connection(servers.sandbox_port)
    reset_sandbox_log(sandbox)  # the sandbox logs every call: keep its memory flat
    sandbox.close()
    return Load(
        requests=after.done - before.done,
        seconds=after.at - before.at,
        worker_cpu=after.worker_cpu - before.worker_cpu,
        sandbox_cpu=after.sandbox_cpu - before.sandbox_cpu,
        client_cpu=after.client_cpu - before.client_cpu,
        failures=failures,
    )


def measure_bytes(servers: Servers, members: Members, targets: list[Target]) -> Samples:
    """Bytes on the wire for each page, with and without `Accept-Encoding: gzip`, and for the
    static files a first load of the dashboard pulls in."""
    sizes: Samples = {}
    for target in targets:
        session = dict(members.session_for(target.who, 0))
        for encoding in ("gzip", "plain"):
            headers = dict(target.headers)
            if encoding == "gzip":
                headers["Accept-Encoding"] = "gzip"
            source = guest_address() if target.lands_as_guest else None
            size = wire_bytes(servers.portal_port, target.path, session, headers, source)
            sizes.setdefault(f"{target.key}:{encoding}", []).append(float(size))
    connection = Connection(servers.portal_port)
    dashboard = connection.get("/", members.ada[0])
    connection.close()
    assets = sorted(set(re.findall(rb'(?:href|src)="(/static/[^"]+)"', dashboard.body)))
    for encoding in ("gzip", "plain"):
        headers = {"Accept-Encoding": "gzip"} if encoding == "gzip" else {}
        total = sum(wire_bytes(servers.portal_port, a.decode(), {}, headers) for a in assets)
        sizes.setdefault(f"assets:{encoding}", []).append(float(total))
    sizes["assets:count"] = [float(len(assets))]
    return sizes


# -- one repeat --------------------------------------------------------------------------------


@dataclass
class Results:
    """Every sample, by figure key; each repeat appends its own."""

    samples: Samples = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def add(self, key: str, *values: float) -> None:
        self.samples.setdefault(key, []).extend(values)

    def merge(self, prefix: str, samples: Samples) -> None:
        for key, values in samples.items():
            self.add(f"{prefix}:{key}", *values)


def one_repeat(
    servers: Servers, members: Members, targets: list[Target], results: Results, index: int
) -> None:
    plan = servers.plan
    progress(f"repeat {index}/{plan.repeats}: upstream calls, latency")
    results.merge("calls", count_calls(servers, members, targets, plan.calls_views))
    direct = Target("direct", "direct upstream call", DIRECT_PATH, "upstream")
    latency = measure_latency(servers, members, [direct, HEALTHZ, *targets], plan.samples)
    direct_p50 = percentile(latency["direct"], 50)
    for key, seconds in latency.items():
        results.add(f"p50:{key}", percentile(seconds, 50) * 1000)
        results.add(f"p95:{key}", percentile(seconds, 95) * 1000)
        results.add(f"ratio:{key}", percentile(seconds, 50) / direct_p50)

    progress(f"repeat {index}/{plan.repeats}: views/s with {plan.clients} clients")
    invoices = next(t for t in targets if t.key == "invoices")
    rates = {}
    for target in (invoices, HEALTHZ):
        load = run_load(servers, members, [target], warmup_s=plan.warmup_s, seconds=plan.duration_s)
        results.failures += load.failures
        rates[target.key] = load.requests / load.seconds
        results.add(f"rps:{target.key}", rates[target.key])
        results.add(f"busy:{target.key}", 100 * load.worker_cpu / load.seconds)
        results.add(f"client_cpu:{target.key}", 1000 * load.client_cpu / load.requests)
        if target is invoices:
            results.add("sandbox_cpu", 1000 * load.sandbox_cpu / load.requests)
    results.add("rps_ratio", rates["invoices"] / rates["healthz"])

    progress(f"repeat {index}/{plan.repeats}: CPU per view")
    dashboard = next(t for t in targets if t.key == "dashboard")
    cpu = {}
    for target, count in (
        (HEALTHZ, plan.healthz_cpu_requests),
        (invoices, plan.cpu_requests),
        (dashboard, plan.cpu_requests),
    ):
        load = run_load(servers, members, [target], total=count)
        results.failures += load.failures
        cpu[target.key] = 1000 * load.worker_cpu / load.requests
        results.add(f"cpu:{target.key}", cpu[target.key])
    for key in CPU_TARGETS:
        results.add(f"cpu_ratio:{key}", cpu[key] / cpu["healthz"])

    results.merge("bytes", measure_bytes(servers, members, targets))


def measure_rss(
    servers: Servers, members: Members, targets: list[Target], results: Results
) -> None:
    """The worker's RSS once it has served `rss_requests` (every phase counts; a mixed-page
    burst makes up the rest, and always runs, so the last requests are a mix)."""
    plan = servers.plan
    mix = [HEALTHZ, *targets]
    missing = max(plan.mixed_requests, plan.rss_requests - servers.served())
    progress(f"RSS: {missing} mixed-page requests")
    load = run_load(servers, members, mix, total=missing)
    results.failures += load.failures
    results.add("rss:served", float(servers.served()))
    results.add("rss:after", *(rss_bytes(pid) / 2**20 for pid in servers.workers()))


STARTED = time.monotonic()


def progress(message: str) -> None:
    print(f"  {time.monotonic() - STARTED:5.0f} s  {message}", file=sys.stderr, flush=True)


# -- statistics and the table ------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: with 30 samples, p95 is the second largest."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Row:
    label: str
    values: Sequence[float] | None  # None: a figure that does not apply (n/a)
    digits: int = 0
    unit: str = ""
    note: str = ""
    spread: str | None = None  # instead of min-max, for a figure that is not a sample


def render_table(rows: list[Row | str]) -> str:
    """One table: figure, median, min-max over repeats, and a note (a target, a caveat)."""
    cells: list[tuple[str, ...]] = [("figure", "median", "min-max", "note")]
    for row in rows:
        if isinstance(row, str):
            cells.append((row,))
            continue
        if not row.values:
            cells.append((f"  {row.label}", "n/a", "", row.note))
            continue
        median = statistics.median(row.values)
        spread = f"{_number(min(row.values), row.digits)}-{_number(max(row.values), row.digits)}"
        if len(row.values) == 1:
            spread = "(one sample)"
        if row.spread is not None:
            spread = row.spread
        cells.append((f"  {row.label}", _number(median, row.digits) + row.unit, spread, row.note))
    widths = [max(len(c[i]) for c in cells if len(c) > 1) for i in range(4)]
    lines = []
    for index, cell in enumerate(cells):
        if len(cell) == 1:
            lines.append(cell[0])
            continue
        label, median, spread, note = cell
        lines.append(
            f"{label:<{widths[0]}}  {median:>{widths[1]}}  {spread:>{widths[2]}}  {note}".rstrip()
        )
        if index == 0:
            lines.append("-" * (sum(widths) + 6 + 4))
    return "\n".join(lines)


def _number(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


def table_rows(
    plan: Plan, results: Results, targets: list[Target], absent: str | None
) -> list[Row | str]:
    s = results.samples
    rows: list[Row | str] = ["upstream calls per view (sandbox request log; every view counted)"]
    for target in targets:
        rows.append(Row(target.label, s[f"calls:{target.key}"], note=_calls_note(s, target)))
    if absent:
        rows.append(Row(absent, None, note="route answers 404"))

    rows.append("latency, one client, one request at a time (ms; vs direct = p50 / direct p50)")
    rows.append(Row("direct upstream call  p50", s["p50:direct"], 1, note=DIRECT_PATH))
    rows.append(Row("direct upstream call  p95", s["p95:direct"], 1))
    rows.append(Row("/healthz  p50", s["p50:healthz"], 1))
    rows.append(Row("/healthz  p95", s["p95:healthz"], 1))
    for target in targets:
        rows.append(Row(f"{target.label}  p50", s[f"p50:{target.key}"], 1))
        rows.append(Row(f"{target.label}  p95", s[f"p95:{target.key}"], 1))
        rows.append(Row(f"{target.label}  p50 vs direct", s[f"ratio:{target.key}"], 2, "x"))

    window = f"{plan.clients} keep-alive clients, {plan.duration_s:g} s after {plan.warmup_s:g} s"
    rows.append(f"throughput, {window}")
    rows.append(Row("My Invoices  views/s", s["rps:invoices"], 1))
    rows.append(Row("/healthz  requests/s", s["rps:healthz"], 1))
    rows.append(Row("My Invoices / healthz", s["rps_ratio"], 3, "x"))
    rows.append(Row("worker CPU during My Invoices", s["busy:invoices"], 0, "%", "of one core"))
    rows.append(Row("worker CPU during /healthz", s["busy:healthz"], 0, "%", "of one core"))

    sizes = f"{plan.cpu_requests} views, /healthz {plan.healthz_cpu_requests}"
    rows.append(f"CPU per view: the worker's utime+stime ({sizes}; {plan.clients} clients)")
    rows.append(Row("/healthz", s["cpu:healthz"], 2, " ms"))
    rows.append(Row("My Invoices", s["cpu:invoices"], 2, " ms"))
    rows.append(Row("dashboard", s["cpu:dashboard"], 2, " ms"))
    for key, label in (("invoices", "My Invoices"), ("dashboard", "dashboard")):
        target = f"target <= {CPU_TARGETS[key]:g}x"
        rows.append(Row(f"{label} / healthz", s[f"cpu_ratio:{key}"], 2, "x", target))

    rows.append("bytes on the wire, first load, with Accept-Encoding: gzip (headers + body)")
    for target in targets:
        gzip = s[f"bytes:{target.key}:gzip"]
        rows.append(Row(target.label, gzip, note=_plain_note(gzip, s[f"bytes:{target.key}:plain"])))
    count = int(s["bytes:assets:count"][0])
    gzip = s["bytes:assets:gzip"]
    note = _plain_note(gzip, s["bytes:assets:plain"])
    rows.append(Row(f"static files a dashboard loads ({count})", gzip, note=note))

    served = int(s["rss:served"][0])
    rows.append("memory")
    rows.append(Row("RSS per worker after warm-up", s["rss:warm"], 1, " MiB"))
    rows.append(
        Row(f"RSS per worker after {served:,} requests", s["rss:after"], 1, " MiB", "mixed pages")
    )

    rows.append("the bench itself (is it the bottleneck?)")
    rows.append(
        Row("load generator CPU per request", s["client_cpu:healthz"], 2, " ms", "/healthz")
    )
    rows.append(Row("sandbox CPU per My Invoices view", s["sandbox_cpu"], 2, " ms"))
    failures = len(results.failures)
    note = _first(results.failures)
    rows.append(Row("failed requests, all phases", [float(failures)], note=note, spread="total"))
    return rows


def _calls_note(samples: Samples, target: Target) -> str:
    cold = samples[f"calls_cold:{target.key}"][0]
    note = f"first view after start: {cold:g}" if cold not in samples[f"calls:{target.key}"] else ""
    if target.key == "pdf":
        note = f"302, not followed; media token cached 40 s; {note}".rstrip("; ")
    return note


def _plain_note(gzip: Sequence[float], plain: Sequence[float]) -> str:
    without = statistics.median(plain)
    same = " (not compressed)" if statistics.median(gzip) == without else ""
    return f"without gzip {without:,.0f}{same}"


def _first(failures: list[str]) -> str:
    return f"first: {failures[0]}" if failures else ""


# -- the header: what was measured, on what --------------------------------------------------


def describe(plan: Plan, load_at_start: tuple[float, float, float], other_cores: float) -> str:
    git_path = shutil.which("git")

    def git(*args: str) -> str:
        if git_path is None:
            return "?"
        done = subprocess.run(
            [git_path, *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    dirty = " + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    commit = f"{git('rev-parse', '--short', 'HEAD')} on {git('branch', '--show-current')}{dirty}"
    now = os.getloadavg()
    return "\n".join(
        [
            f"make bench  {datetime.datetime.now().isoformat(timespec='seconds')}",
            f"commit   {commit}: {_shorten(git('log', '-1', '--format=%s'), 60)}",
            f"machine  {os.cpu_count()} cores ({_cpu_model()}), Python {platform.python_version()}",
            f"load     average {_load(load_at_start)} at start, {_load(now)} at end (1, 5, 15 min)",
            f"others   other processes kept {other_cores:.1f} of {os.cpu_count()} cores busy "
            "while the bench measured",
            f"portal   gunicorn {plan.workers} worker(s) x {plan.threads} threads (gthread), "
            f"DJANGO_DEBUG=0, SQLite, {'Redis' if os.environ.get('REDIS_URL') else 'locmem'} cache",
            f"sandbox  {plan.latency_ms:g} ms per API call",
            f"spread   {plan.repeats} repeat(s): median and min-max of the per-repeat figures",
            f"took     {time.monotonic() - STARTED:.0f} s",
        ]
    )


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _load(values: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in values)


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.machine()


# -- entry points --------------------------------------------------------------------------------


def bench_pages(plan: Plan) -> int:
    from sandbox.data import DEMO_PASSWORD

    load_at_start = os.getloadavg()
    with running_servers(plan) as servers:
        others = OtherLoad(servers)
        progress("signing in")
        members = Members(
            ada=sign_in_many(servers.portal_port, "ada@example.com", DEMO_PASSWORD, plan.clients),
            busy=sign_in_many(servers.portal_port, "busy@example.com", DEMO_PASSWORD, 4),
            bearer=upstream_token(servers.sandbox_port, "ada@example.com", DEMO_PASSWORD),
        )
        targets, absent = page_targets(servers, members)
        results = Results()
        # Before any warm-up: what a view costs upstream while the portal's caches are empty.
        results.merge("calls_cold", count_calls(servers, members, targets, views=1))
        progress("warming up")
        results.failures += run_load(servers, members, [HEALTHZ, *targets], total=500).failures
        results.add("rss:warm", *(rss_bytes(pid) / 2**20 for pid in servers.workers()))
        for index in range(1, plan.repeats + 1):
            one_repeat(servers, members, targets, results, index)
        measure_rss(servers, members, targets, results)
        other_cores = others.cores()
    print()
    print(describe(plan, load_at_start, other_cores))
    print()
    print(render_table(table_rows(plan, results, targets, absent)))
    return 0


def bench_zip(plan: Plan) -> int:
    """The zip export (issue 13): not available until /invoices/export.zip stops answering 404."""
    from sandbox.data import DEMO_PASSWORD

    with running_servers(plan) as servers:
        busy = sign_in(servers.portal_port, "busy@example.com", DEMO_PASSWORD)
        year = datetime.date.today().year
        path = f"/invoices/export.zip?year={year}"
        probe = Connection(servers.portal_port).get(path, busy)
        if probe.status == 404:
            print(f"zip export benchmark: not available yet ({path} answers 404)")
            return 0
        return measure_zip_export(servers, busy, path)


def measure_zip_export(servers: Servers, session: Session, path: str) -> int:
    """TO FILL IN with issue 13: the zip export's peak memory and time.

    The plan: for busy@example.com (2,000 invoices, so 2,000 PDFs upstream), per repeat,
    - reset the worker's peak RSS (`echo 5 > /proc/<worker>/clear_refs` resets VmHWM), download
      `path` once, then read VmHWM from /proc/<worker>/status: peak memory of one export;
    - time the whole download (first byte and last byte) at the plan's sandbox latency, and
      count its upstream calls in the sandbox's request log;
    - do the same with several exports at once, to see the peak grow (or not) with them.
    Print one table with `render_table`, as `bench_pages` does.
    """
    print(f"zip export benchmark: {path} answers, but its measurement is not written yet")
    print("  (fill in measure_zip_export in scripts/bench.py)")
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM and SIGHUP unwind like Ctrl-C, so every `finally` stops its servers. SIGINT is
    # set too: a shell without job control starts background jobs with it ignored.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    what, plan = parse_plan(argv)
    sys.path.insert(0, str(ROOT))  # the seeded demo data comes from sandbox.data
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    run: Callable[[Plan], int] = bench_zip if what == "zip" else bench_pages
    try:
        return run(plan)
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped", file=sys.stderr)
        return 130
    except BenchError as error:
        print(f"\nbench failed: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

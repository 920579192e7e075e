"""`make loadtest`: the portal as production runs it, under members' load, then a soak.

Production's shape, on this machine: gunicorn with gunicorn.conf.py (two gthread workers),
sessions and cache in Redis, the database in PostgreSQL (both Debian's, started here on free
ports, as the tests start them: tests/harness), debug off. Upstream is the sandbox in a process
of its own, made slow and flaky (300 ms per API call, 5 % of API calls answer 500). locust
(scripts/locustfile.py) plays USERS members who sign in, then browse.

Phases: a ramp-up while the members sign in, DURATION seconds of load (the figures), then SOAK
seconds more of the same load, watching each worker's memory (sampled every 30 s). Printed:
views/s, p50/p95/p99, portal 5xx, pages with full data, upstream calls per view (from the
sandbox's request log) and RSS per worker. Everything, raw samples included, is kept under
.local/loadtest/<time>/.

    python -m scripts.loadtest --users 200 --duration 60 --soak 600
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.harness.portal import ROOT, PortalServer, portal_env, prepare, start_portal
from tests.harness.processes import (
    cpu_seconds,
    http_answers,
    rss_kib,
    spawn,
    stop,
    wait_until,
    with_free_port,
)
from tests.harness.services import start_postgres, start_redis

PAGES = ("dashboard", "my invoices", "page turn", "pdf click")
SAMPLE_EVERY = 30.0
# Time for the members to sign in after the last one has started, before the figures count.
RAMP_MARGIN = 10.0


@dataclass(frozen=True)
class Options:
    users: int
    duration: int
    soak: int
    spawn_rate: float
    latency_ms: int
    fault_rate: float
    # gunicorn.conf.py's default unless GUNICORN_THREADS says otherwise, as in production.
    threads: int
    # NEXUDUS_WEBHOOK_SECRET set and the sandbox's webhooks pointed at the portal, as production
    # runs once the webhooks are registered: unpaid sets are kept until a webhook says otherwise.
    webhooks: bool = False

    @property
    def ramp(self) -> float:
        return math.ceil(self.users / self.spawn_rate) + RAMP_MARGIN


@dataclass
class Snapshot:
    """What the workers (and the processes around them) looked like at one moment."""

    at: float  # seconds since locust started
    phase: str
    rss_kib: dict[int, int]  # worker pid -> resident memory
    cpu_seconds: dict[int, float]  # worker pid -> CPU time used so far
    load_average: float
    # CPU time used so far by the other processes on the machine's two cores: the sandbox,
    # locust, Redis (PostgreSQL barely works: sessions are in Redis).
    helper_cpu_seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Run:
    options: Options
    started: float  # epoch seconds when locust started
    snapshots: list[Snapshot] = field(default_factory=list)
    samples: list[list[Any]] = field(default_factory=list)  # see scripts/locustfile.py
    upstream: list[dict[str, Any]] = field(default_factory=list)  # the sandbox's request log


@dataclass
class Window:
    name: str
    start: float  # epoch seconds
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


# --- the servers ----------------------------------------------------------------------------


@dataclass
class Sandbox:
    url: str
    process: subprocess.Popen[bytes]


def start_sandbox(workdir: Path, options: Options) -> Sandbox:
    """The sandbox in a process of its own: its CPU is not the portal's, nor locust's."""
    env = {
        **os.environ,
        "SANDBOX_LATENCY_MS": str(options.latency_ms),
        "SANDBOX_FAULT": "500",
        "SANDBOX_FAULT_RATE": str(options.fault_rate),
    }
    log_path = workdir / "sandbox.log"

    def start(port: int) -> Sandbox:
        command = [sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port", str(port)]
        with log_path.open("ab") as log:
            process = spawn(command, log=log, env=env, cwd=ROOT)
        url = f"http://127.0.0.1:{port}"
        try:
            healthy = http_answers(f"{url}/_sandbox/health")
            wait_until(healthy, process=process, what="sandbox", log_path=log_path)
        except BaseException:
            stop(process)
            raise
        return Sandbox(url=url, process=process)

    return with_free_port(start)


def upstream_log(sandbox: Sandbox) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{sandbox.url}/_sandbox/log", timeout=60) as response:
        return json.load(response)


# --- driving --------------------------------------------------------------------------------


def drive(portal: PortalServer, options: Options, workdir: Path, helpers: dict[str, int]) -> Run:
    """locust for the ramp, the load and the soak, taking snapshots of the workers meanwhile.

    `helpers` names the pids of the other processes whose CPU time is worth knowing.
    """
    samples_path = workdir / "samples.json"
    total = options.ramp + options.duration + options.soak
    command = [
        sys.executable, "-m", "locust",
        "-f", str(ROOT / "scripts" / "locustfile.py"),
        "--headless",
        "--host", portal.url,
        "--users", str(options.users),
        "--spawn-rate", str(options.spawn_rate),
        "--run-time", f"{math.ceil(total)}s",
        "--stop-timeout", "10",
        "--csv", str(workdir / "locust"),
        "--only-summary",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LOADTEST_SAMPLES": str(samples_path)}
    run = Run(options=options, started=time.time())
    run.snapshots.append(_snapshot(portal, 0.0, "boot", helpers))
    boundaries = {
        options.ramp: "load starts",
        options.ramp + options.duration: "soak starts",
        total: "end",
    }
    schedule = sorted({*boundaries, *_every(SAMPLE_EVERY, total)})
    with (workdir / "locust.log").open("wb") as log:
        locust = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        run.started = time.time()
        helpers = {**helpers, "locust": locust.pid}
        try:
            for offset in schedule:
                _sleep_until(run.started + offset, locust)
                if locust.poll() is not None:
                    break
                phase = boundaries.get(offset) or _phase(offset, options)
                snapshot = _snapshot(portal, offset, phase, helpers)
                run.snapshots.append(snapshot)
                print(f"  {offset:5.0f} s  {phase:<11} {_snapshot_line(snapshot)}", flush=True)
            locust.wait(timeout=120)
        finally:
            stop(locust)
    if not samples_path.exists():
        raise RuntimeError(f"locust wrote no samples; see {workdir / 'locust.log'}")
    run.samples = json.loads(samples_path.read_text())
    return run


def _every(step: float, until: float) -> list[float]:
    return [step * n for n in range(1, int(until // step) + 1)]


def _sleep_until(when: float, process: subprocess.Popen[bytes]) -> None:
    while time.time() < when and process.poll() is None:
        time.sleep(min(1.0, max(0.0, when - time.time())))


def _phase(offset: float, options: Options) -> str:
    if offset < options.ramp:
        return "ramp-up"
    return "load" if offset < options.ramp + options.duration else "soak"


def _snapshot(portal: PortalServer, offset: float, phase: str, helpers: dict[str, int]) -> Snapshot:
    pids = portal.worker_pids()
    return Snapshot(
        at=offset,
        phase=phase,
        rss_kib={pid: kib for pid in pids if (kib := rss_kib(pid)) is not None},
        cpu_seconds={pid: cpu for pid in pids if (cpu := cpu_seconds(pid)) is not None},
        load_average=os.getloadavg()[0],
        helper_cpu_seconds={
            name: cpu for name, pid in helpers.items() if (cpu := cpu_seconds(pid)) is not None
        },
    )


def _snapshot_line(sample: Snapshot) -> str:
    workers = "  ".join(f"{kib / 1024:6.1f} MiB" for _, kib in sorted(sample.rss_kib.items()))
    return f"RSS {workers}   load {sample.load_average:.1f}"


# --- figures --------------------------------------------------------------------------------


def windows(run: Run) -> list[Window]:
    load_start = run.started + run.options.ramp
    soak_start = load_start + run.options.duration
    found = [Window(f"load {run.options.duration} s", load_start, soak_start)]
    if run.options.soak:
        soak_end = soak_start + run.options.soak
        found.append(Window(f"soak {run.options.soak} s", soak_start, soak_end))
    return found


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of `values`; nan for none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _edges(run: Run, window: Window) -> tuple[Snapshot, Snapshot]:
    """The samples taken at the start and the end of `window`."""
    start = min(run.snapshots, key=lambda m: abs(run.started + m.at - window.start))
    end = min(run.snapshots, key=lambda m: abs(run.started + m.at - window.end))
    return start, end


def _worker_cpu(run: Run, window: Window) -> float:
    """CPU seconds both workers spent in `window`."""
    start, end = _edges(run, window)
    return sum(cpu - start.cpu_seconds.get(pid, 0.0) for pid, cpu in end.cpu_seconds.items())


def _cores(run: Run, window: Window) -> str:
    """How many cores each process used on average in `window`: where the machine went."""
    start, end = _edges(run, window)
    used = {"workers": _worker_cpu(run, window)}
    for name, cpu in end.helper_cpu_seconds.items():
        if name in start.helper_cpu_seconds:
            used[name] = cpu - start.helper_cpu_seconds[name]
    return " ".join(f"{name} {seconds / window.seconds:.2f}" for name, seconds in used.items())


def figures(run: Run, window: Window) -> dict[str, Any]:
    inside = [s for s in run.samples if window.start <= (s[0] or 0) < window.end]
    views = [s for s in inside if s[1] in PAGES]
    times = [s[2] for s in views]
    errors = Counter(f"{s[1]} {s[3]}" for s in inside if s[3] >= 500 or s[3] == 0)
    full = [s for s in views if (s[3] == 200 and not s[4]) or (s[1] == "pdf click" and s[3] == 302)]
    calls = [
        entry
        for entry in run.upstream
        if window.start <= datetime.fromisoformat(entry["time"]).timestamp() < window.end
    ]
    injected = sum(1 for entry in calls if entry.get("fault"))
    return {
        "views": len(views),
        "views_per_second": len(views) / window.seconds,
        "p50_ms": percentile(times, 0.50),
        "p95_ms": percentile(times, 0.95),
        "p99_ms": percentile(times, 0.99),
        "portal_5xx": sum(n for key, n in errors.items() if not key.endswith(" 0")),
        "no_answer": sum(n for key, n in errors.items() if key.endswith(" 0")),
        "errors_by_page": dict(errors),
        "full_data_share": len(full) / len(views) if views else math.nan,
        "sign_ins": sum(1 for s in inside if s[1] == "sign in"),
        "upstream_calls": len(calls),
        "upstream_calls_per_view": len(calls) / len(views) if views else math.nan,
        "upstream_500s_injected": injected,
        "upstream_calls_by_path": dict(Counter(_path_group(e["path"]) for e in calls)),
        "worker_cpu_ms_per_request": _worker_cpu(run, window) * 1000 / len(inside)
        if inside
        else math.nan,
        "cores_used": _cores(run, window),
        "views_by_page": dict(Counter(s[1] for s in views)),
    }


def _path_group(path: str) -> str:
    # Invoice ids vary; the endpoint is what matters.
    return "/".join("<id>" if part.isdigit() else part for part in path.split("/"))


def memory_table(run: Run) -> list[str]:
    before = next((m for m in run.snapshots if m.phase == "soak starts"), None)
    boot, last = run.snapshots[0], run.snapshots[-1]
    lines = ["RSS per worker (MiB)   pid       boot   soak start   end      soak growth"]
    for pid in sorted(last.rss_kib):
        start = before.rss_kib.get(pid) if before else None
        growth = f"{(last.rss_kib[pid] / start - 1) * 100:+.1f} %" if start else "-"
        lines.append(
            f"  worker               {pid:<8} {_mib(boot.rss_kib.get(pid))}  "
            f"{_mib(start)}      {_mib(last.rss_kib[pid])}  {growth}"
        )
    if set(boot.rss_kib) != set(last.rss_kib):
        lines.append(f"  (workers changed: {sorted(boot.rss_kib)} -> {sorted(last.rss_kib)})")
    return lines


def _mib(kib: int | None) -> str:
    return f"{kib / 1024:6.1f}" if kib is not None else "     -"


def _percentiles(result: dict[str, Any]) -> str:
    return f"{result['p50_ms']:.0f} / {result['p95_ms']:.0f} / {result['p99_ms']:.0f}"


def report(run: Run) -> str:
    options = run.options
    cut = windows(run)
    results = [figures(run, window) for window in cut]
    rows = [
        ("page views", lambda f: f"{f['views']:,}"),
        ("views/s", lambda f: f"{f['views_per_second']:.1f}"),
        ("p50 / p95 / p99 ms", _percentiles),
        ("portal 5xx (goal 0)", lambda f: f"{f['portal_5xx']:,}"),
        ("no answer at all", lambda f: f"{f['no_answer']:,}"),
        ("pages with full data", lambda f: f"{f['full_data_share'] * 100:.2f} %"),
        ("upstream calls", lambda f: f"{f['upstream_calls']:,}"),
        ("upstream calls/view (goal <= 1.15)", lambda f: f"{f['upstream_calls_per_view']:.2f}"),
        ("upstream 500s injected", lambda f: f"{f['upstream_500s_injected']:,}"),
        ("sign-ins", lambda f: f"{f['sign_ins']:,}"),
        ("worker CPU ms per request", lambda f: f"{f['worker_cpu_ms_per_request']:.1f}"),
    ]
    width, cell_width = 36, 22
    lines = [
        f"make loadtest: {options.users} members, {options.ramp:.0f} s ramp-up, "
        f"{options.duration} s load, {options.soak} s soak",
        f"portal: gunicorn 2 workers x {options.threads} threads, Redis, PostgreSQL; "
        "upstream: sandbox, "
        f"{options.latency_ms} ms per API call, {options.fault_rate * 100:g} % of API calls 500; "
        f"webhooks {'on' if options.webhooks else 'off'}",
        "",
        f"{'':<{width}}" + "".join(f"{window.name:>{cell_width}}" for window in cut),
    ]
    for label, cell in rows:
        lines.append(f"{label:<{width}}" + "".join(f"{cell(f):>{cell_width}}" for f in results))
    for window, result in zip(cut, results, strict=True):
        lines.append(f"{window.name}: 5xx/no answer by page: {result['errors_by_page'] or 'none'}")
        lines.append(f"{window.name}: views by page: {result['views_by_page']}")
        lines.append(f"{window.name}: upstream calls by path: {result['upstream_calls_by_path']}")
        lines.append(f"{window.name}: cores used: {result['cores_used']}")
    lines += ["", *memory_table(run), "", "RSS every 30 s (MiB per worker; 1-minute load average):"]
    lines += [f"  {m.at:5.0f} s  {m.phase:<11} {_snapshot_line(m)}" for m in run.snapshots]
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="make loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load measured")
    parser.add_argument("--soak", type=int, default=120, help="seconds more, watching memory")
    parser.add_argument("--spawn-rate", type=float, default=20.0, help="members started per s")
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument(
        "--webhooks",
        action="store_true",
        help="the portal with NEXUDUS_WEBHOOK_SECRET, the sandbox sending it signed webhooks",
    )
    args = parser.parse_args(argv)
    if args.users < 1 or args.duration < 1 or args.soak < 0 or args.spawn_rate <= 0:
        parser.error("users, duration and spawn rate must be positive, soak at least 0")
    return Options(
        users=args.users,
        duration=args.duration,
        soak=args.soak,
        spawn_rate=args.spawn_rate,
        latency_ms=args.latency_ms,
        fault_rate=args.fault_rate,
        threads=int(os.environ.get("GUNICORN_THREADS", "32")),
        webhooks=args.webhooks,
    )


def send_webhooks(sandbox_url: str, webhook_url: str, secret: str) -> None:
    """Point the sandbox's signed webhooks at the portal (its knobs, as `make run` does)."""
    body = json.dumps({"webhook_url": webhook_url, "webhook_secret": secret}).encode()
    request = urllib.request.Request(
        f"{sandbox_url}/_sandbox/knobs",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    workdir = ROOT / ".local" / "loadtest" / datetime.now().strftime("%Y%m%d-%H%M%S")
    workdir.mkdir(parents=True)
    print(f"Starting Redis, PostgreSQL, the sandbox and gunicorn (logs in {workdir})", flush=True)
    with ExitStack() as servers:
        redis = start_redis()
        servers.callback(redis.stop)
        postgres = start_postgres()
        servers.callback(postgres.stop)
        sandbox = start_sandbox(workdir, options)
        servers.callback(stop, sandbox.process)
        secret = secrets.token_urlsafe(24) if options.webhooks else ""
        env = portal_env(
            nexudus_url=sandbox.url,
            database_url=postgres.url,
            redis_url=redis.url,
            workers=2,
            threads=options.threads,
            NEXUDUS_WEBHOOK_SECRET=secret,
        )
        prepare(env, collect_static=True)
        portal = start_portal(env, workdir / "gunicorn.log")
        servers.callback(portal.stop)
        if secret:
            send_webhooks(sandbox.url, f"{portal.url}/webhooks/nexudus/", secret)
        print(f"Driving {portal.url} with locust; memory every {SAMPLE_EVERY:.0f} s:", flush=True)
        helpers = {"sandbox": sandbox.process.pid, "redis": redis.process.pid}
        run = drive(portal, options, workdir, helpers)
        run.upstream = upstream_log(sandbox)
    text = report(run)
    (workdir / "report.txt").write_text(text + "\n")
    snapshots = [asdict(snapshot) for snapshot in run.snapshots]
    (workdir / "snapshots.json").write_text(json.dumps(snapshots, indent=1))
    print("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

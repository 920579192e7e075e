"""A pytest plugin loaded with `-p tests.parallel`: the suite on several pytest-xdist workers.

`make test` runs on one worker per core (at most MAX_WORKERS), because much of the suite's time
is spent waiting: on browsers, on servers starting, on a sandbox told to be slow. What the
parallel run must keep:

- the order: with `--dist loadfile --no-loadscope-reorder` (pyproject.toml) each worker runs
  whole files, in the order of the collection, where pytest-django puts the tests that use the
  database first. The browser tests must come after those in their worker: while Playwright's
  browser is open, its sync API marks an asyncio loop as running in the worker's main thread,
  and Django then refuses the database (SynchronousOnlyOperation).
- session set-up that writes files the whole run shares (the collected static files, the
  compiled catalogues) happens once: `once_per_run` does it in the first worker that asks, the
  others wait for it.
- tests marked `alone`, which measure time or load (/healthz under a storm, a request budget, a
  bulkhead's patience): beside another worker's Chromium they would measure the machine, not
  the code. While one runs, no other test does: the other workers wait at the door. A file's
  tests stay on one worker, so a file of them keeps the door shut from its first to its last
  (and its module fixtures start once).

Without xdist (`-n 0`) the order is the same and the rest does nothing.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

# More workers would each start their own Chromium, HTML checker and servers, and leave the
# tests marked `alone` more to wait for, for little gain.
MAX_WORKERS = 4
ALONE = "alone"


def worker_id() -> str | None:
    """This xdist worker's name ("gw0"), or None when the run has no workers."""
    return os.environ.get("PYTEST_XDIST_WORKER")


def run_dir(basetemp: Path) -> Path:
    """The folder every worker of this run shares: each worker's basetemp is a folder in it."""
    return basetemp.parent if worker_id() else basetemp


@contextmanager
def locked(path: Path, mode: int) -> Iterator[IO[str]]:
    """Hold an flock (LOCK_EX or LOCK_SH) on `path` for the block; the kernel drops it if the
    worker dies, so no run waits on a dead one."""
    with path.open("a") as handle:
        fcntl.flock(handle, mode)
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def once_per_run(
    tmp_path_factory: pytest.TempPathFactory, name: str, work: Callable[[], None]
) -> None:
    """`work()` once in this run, however many workers ask; the others wait until it is done.

    If it fails, the next worker tries again (and most likely fails the same way)."""
    shared = run_dir(tmp_path_factory.getbasetemp())
    done = shared / f"{name}.done"
    with locked(shared / f"{name}.lock", fcntl.LOCK_EX):
        if not done.exists():
            work()
            done.touch()


# --- Tests that run alone ----------------------------------------------------------------------


class Door:
    """Who may run a test now: any number of ordinary tests, or the `alone` tests of one worker.

    The room is a lock ordinary tests share and an `alone` test holds exclusively. The turnstile
    is passed one at a time on the way in, and a worker waiting for the room waits inside it:
    so once an `alone` test is waiting, no new ordinary test slips in ahead of it (flock alone
    would let a busy worker take its shared lock again and again)."""

    def __init__(self, folder: Path) -> None:
        self._room_path = folder / "room.lock"
        self._turnstile_path = folder / "turnstile.lock"
        self._alone: IO[str] | None = None  # the room, held across consecutive `alone` tests

    def enter(self, alone: bool) -> IO[str] | None:
        """Wait for our turn; returns the room's handle for an ordinary test (to `leave`)."""
        if alone and self._alone is not None:
            return None
        room = self._room_path.open("a")
        with locked(self._turnstile_path, fcntl.LOCK_EX):
            fcntl.flock(room, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        if alone:
            self._alone = room
            return None
        return room

    def leave(self, room: IO[str] | None, next_alone: bool) -> None:
        """After a test: an ordinary test's room goes back; the `alone` tests keep theirs until
        the last of them in a row is done."""
        if room is not None:
            room.close()  # closing the handle drops its lock
        if self._alone is not None and not next_alone:
            self._alone.close()
            self._alone = None


def _is_alone(item: pytest.Item | None) -> bool:
    return item is not None and item.get_closest_marker(ALONE) is not None


_DOOR = pytest.StashKey[Door]()


def pytest_configure(config: pytest.Config) -> None:
    if worker_id() and config.option.basetemp:
        config.stash[_DOOR] = Door(run_dir(Path(config.option.basetemp)))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker per core this process may use, at most MAX_WORKERS."""
    return max(1, min(len(os.sched_getaffinity(0)), MAX_WORKERS))


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> Generator[None, None, None]:
    # Files with a test marked `alone` first, so that the other workers wait while running
    # short tests, not in the middle of a browser journey or a fresh install. Before the other
    # plugins: pytest-django's stable sort then still runs the tests that use the database
    # first, as Django does (and the browser's, which must come after them, last).
    has_alone = {item.path for item in items if _is_alone(item)}
    items.sort(key=lambda item: item.path not in has_alone)
    return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    # Around set-up, call and teardown (and outside pytest-timeout's clock): session fixtures
    # that start a browser or a server are set up inside the first test that needs them, and
    # must not do so beside an `alone` test either.
    door = item.config.stash.get(_DOOR, None)
    if door is None:
        return (yield)
    room = door.enter(_is_alone(item))
    try:
        return (yield)
    finally:
        door.leave(room, next_alone=_is_alone(nextitem))

"""Fixtures shared by the whole suite: a real sandbox over HTTP, and the people in it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client

import nexudus
from sandbox.server import RunningSandbox, start_in_thread
from tests.harness.services import PostgresServer, RedisServer, start_postgres, start_redis
from tests.parallel import once_per_run

DEMO_PASSWORD = "demo-pass-1"
DEMO_TOTP = "123456"


@dataclass(frozen=True)
class Person:
    email: str
    password: str = DEMO_PASSWORD
    full_name: str = ""


@pytest.fixture(scope="session", autouse=True)
def collected_static(django_db_blocker, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Pages render with the hashed, compressed static files production serves.

    Once per run: the workers share staticfiles/, and another worker's gunicorn may be reading
    it while a second collectstatic would rewrite it."""
    from django.core.management import call_command

    def collect() -> None:
        with django_db_blocker.unblock():
            call_command("collectstatic", interactive=False, verbosity=0)

    once_per_run(tmp_path_factory, "collectstatic", collect)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Pages speak every language from the compiled catalogues, as `make` builds them at
    install (compilemessages skips a .mo newer than its .po). Once per run, as above: two
    workers must not write the same .mo at once."""
    from django.core.management import call_command

    ignored = [".venv", "node_modules", "staticfiles", "sandbox", "tests", "scripts"]
    once_per_run(
        tmp_path_factory,
        "compilemessages",
        lambda: call_command("compilemessages", ignore_patterns=ignored, verbosity=0),
    )


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real Redis of our own (Debian's redis-server) on a free port, for this test run."""
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL of our own (Debian's) on a free port, its data in a temporary folder."""
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture
def sandbox(settings) -> Iterator[RunningSandbox]:
    """A fresh sandbox on a free port, with the portal pointed at it (over real HTTP)."""
    running = start_in_thread()
    host = running.url.split("://", 1)[1]
    settings.NEXUDUS_BASE_URL = running.url
    settings.NEXUDUS_TRUSTED_HOSTS = [host, f"localhost:{running.port}"]
    settings.NEXUDUS_PASSWORD_RESET_URL = f"{running.url}/password-recovery"
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def quick_upstream(settings) -> dict[str, float | int]:
    """Short timeouts and no sleeping between retries, so failure tests stay fast; and circuit
    breakers that remember no other test's failures."""
    settings.NEXUDUS_HTTP = {
        "connect_timeout": 1.0,
        "read_timeout": 2.0,
        "deadline": 3.0,
        "max_retries": 2,
        "backoff_factor": 0.0,
    }
    nexudus.default_api().transport.forget_hosts()
    return settings.NEXUDUS_HTTP


@pytest.fixture(autouse=True)
def quick_password_hashing(settings) -> None:
    """Production's hasher is slow on purpose (most of a second per password, and the staff
    fixtures make a user per test); no test here is about the hasher. The servers the e2e and
    deploy tests start keep production's."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def clean_cache() -> Iterator[None]:
    # Throttle counters and refresh locks live in the cache: no test may inherit another's.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def member() -> Person:
    return Person("ada@example.com", full_name="Ada Lovelace")


@pytest.fixture
def two_factor_member() -> Person:
    return Person("grace@example.com", full_name="Grace Hopper")


@pytest.fixture
def must_reset_member() -> Person:
    return Person("alan@example.com", full_name="Alan Turing")


@pytest.fixture
def suspended_member() -> Person:
    return Person("suspended@example.com")


@pytest.fixture
def empty_member() -> Person:
    return Person("empty@example.com", full_name="Edsger Dijkstra")


@pytest.fixture
def busy_member() -> Person:
    return Person("busy@example.com", full_name="Barbara Liskov")


def sign_in(browser: Client, person: Person, next_url: str = "") -> None:
    """Sign `person` in through the real sign-in form; fails the test if it does not work."""
    data = {"email": person.email, "password": person.password}
    if next_url:
        data["next"] = next_url
    response = browser.post("/login/", data)
    assert response.status_code == 303, response.content.decode()[:2000]


@pytest.fixture
def signed_in_member(client: Client, sandbox: RunningSandbox, member: Person) -> Client:
    sign_in(client, member)
    return client

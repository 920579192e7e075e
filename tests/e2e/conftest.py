"""The browser quality gate: real servers, Debian's Chromium, axe-core and the Nu HTML Checker.

The portal runs as production would (gunicorn, debug off, its own SQLite file) in a subprocess;
the sandbox runs in a thread of this process so tests can turn its knobs. Every page a journey
reaches goes through `gate.check(page)`: axe at WCAG 2.2 A/AA and vnu must find nothing, and no
console error or CSP violation may happen during the test.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    expect,
    sync_playwright,
)

from sandbox.server import RunningSandbox, start_in_thread
from tests.conftest import DEMO_PASSWORD
from tests.harness.processes import free_port, wait_for_http

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# The checker lives for one test run: the JIT's first tier and one GC thread cost it less than
# half the CPU of the defaults (which optimise for a long-lived server), on cores the browser
# needs.
QUICK_JVM = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = pytest.mark.e2e


# The secret the e2e portal and the sandbox share when a journey turns webhooks on.
E2E_WEBHOOK_SECRET = "e2e-webhook-secret-" + "w" * 20


def wire_sandbox_to(sandbox: RunningSandbox, portal: PortalServer) -> None:
    """Point the sandbox's payment page and its signed webhooks at the e2e portal."""
    sandbox.app.knobs.update(
        portal_url=portal.url,
        webhook_url=f"{portal.url}/webhooks/nexudus/",
        webhook_secret=E2E_WEBHOOK_SECRET,
    )


@pytest.fixture(scope="session")
def e2e_sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread()
    yield running
    running.stop()


@dataclass
class PortalServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def portal_server(
    e2e_sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PortalServer]:
    workdir = tmp_path_factory.mktemp("portal")
    port = free_port()
    sandbox_host = e2e_sandbox.url.split("://", 1)[1]
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "e2e-only-secret-key-" + "e" * 40,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "NEXUDUS_BASE_URL": e2e_sandbox.url,
        "NEXUDUS_TRUSTED_HOSTS": f"{sandbox_host},localhost:{e2e_sandbox.port}",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "8",
        # Pay hands members to the sandbox's stand-in payment page (tests/e2e/test_pay_journeys).
        "NEXUDUS_PAY_URL": "http://{web_address}/invoices/{invoice_unique_id}/pay",
        "NEXUDUS_WEBHOOK_SECRET": E2E_WEBHOOK_SECRET,
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    subprocess.run(
        [sys.executable, "manage.py", "create_demo_staff"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    log_path = workdir / "portal.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "portal.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = PortalServer(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    try:
        wait_for_http(f"{server.url}/healthz")
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@dataclass
class Validator:
    """The Nu HTML Checker as a local HTTP service: one JVM for the whole session."""

    url: str

    def errors(self, html: str) -> list[str]:
        request = urllib.request.Request(
            f"{self.url}/?out=json",
            data=html.encode(),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            messages = json.load(response)["messages"]
        return [
            f"line {m.get('lastLine')}: {m.get('message')}"
            for m in messages
            if m.get("type") == "error" or m.get("subType") == "fatal"
        ]


@pytest.fixture(scope="session")
def validator() -> Iterator[Validator]:
    java = shutil.which("java")
    if java is None or not VNU_JAR.exists():
        pytest.fail("vnu needs java and node_modules/vnu-jar: `make test` installs them")
    port = free_port()
    process = subprocess.Popen(
        [java, "-Xss16m", *QUICK_JVM, "-cp", str(VNU_JAR), "nu.validator.servlet.Main", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the Nu HTML Checker did not start") from None
                time.sleep(0.25)
        validator = Validator(url=f"http://127.0.0.1:{port}")
        # The JVM's first check is slow (class loading, JIT): pay it here, not in a journey.
        validator.errors("<!DOCTYPE html><html lang=en><title>warm</title><p>up</p></html>")
        yield validator
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class Gate:
    """Collects what a journey's pages did wrong; the test fails if anything is collected."""

    validator: Validator
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    _documents: dict[int, Response] = field(default_factory=dict)
    _error_documents: set[str] = field(default_factory=set)

    def watch(self, page: Page) -> Page:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

        def remember_document(response: Response) -> None:
            # The HTML as served (not the DOM after parsing) is what vnu must see.
            request = response.request
            is_document = request.is_navigation_request() and request.frame == page.main_frame
            if is_document and not 300 <= response.status < 400:
                self._documents[id(page)] = response
            if is_document and response.status >= 400:
                self._error_documents.add(response.url)

        page.on("response", remember_document)
        return page

    def _on_console(self, message: ConsoleMessage) -> None:
        # CSP violations and failed loads show up as console errors in Chromium.
        if message.type in {"error", "warning"} and "Content-Security-Policy" in message.text:
            self.problems.append(f"CSP: {message.text}")
        elif message.type == "error" and not self._is_error_page_notice(message):
            self.problems.append(f"console error: {message.text}")

    def _is_error_page_notice(self, message: ConsoleMessage) -> bool:
        # Chromium logs "Failed to load resource" for every page served with a 4xx/5xx status,
        # even a well-formed error page we meant to show; only subresources count as broken.
        return (
            message.text.startswith("Failed to load resource")
            and message.location.get("url") in self._error_documents
        )

    def check(self, page: Page, source: str | None = None) -> None:
        """Audit the page the browser shows now: accessibility (if JS is on) and HTML validity."""
        label = page.url
        self.checked.append(label)
        document = self._documents.get(id(page))
        if source is not None:
            html = source
        elif document is not None and document.url == page.url:
            html = document.text()
        else:
            html = page.content()
        for error in self.validator.errors(html):
            self.problems.append(f"vnu {label}: {error}")
        if page.context_js_enabled:  # type: ignore[attr-defined]
            self._axe(page, label)
            self._fits_the_width(page, label)

    def _fits_the_width(self, page: Page, label: str) -> None:
        # A page that scrolls sideways on a phone is broken, whatever its tests say.
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            self.problems.append(f"layout {label}: {overflow}px wider than the window")

    def _axe(self, page: Page, label: str) -> None:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(AXE_JS.read_text())
        # Only the violations are read: axe still runs every rule on every node, but details
        # of what passed (hundreds of nodes on a long page) are neither kept nor sent back.
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
            " resultTypes: ['violations']})",
            WCAG_TAGS,
        )
        for violation in result["violations"]:
            targets = [node["target"] for node in violation["nodes"]][:3]
            self.problems.append(f"axe {label}: {violation['id']} {violation['help']} {targets}")

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def _new_context(browser: Browser, *, js: bool, dark: bool, width: int) -> BrowserContext:
    context = browser.new_context(
        java_script_enabled=js,
        color_scheme="dark" if dark else "light",
        viewport={"width": width, "height": 900},
    )
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def gate(validator: Validator) -> Iterator[Gate]:
    audit = Gate(validator=validator)
    yield audit
    audit.assert_clean()


def sign_in_as(page: Page, portal: PortalServer, email: str) -> None:
    """Sign a demo member in through the form, as a person would, and wait for the dashboard."""
    page.goto(f"{portal.url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello,", exact=False)).to_be_visible()


def js_on(page: Page) -> bool:
    """Whether the page's browser context runs JavaScript (set by `open_page`)."""
    return bool(page.context_js_enabled)  # type: ignore[attr-defined]


def open_page(browser: Browser, gate: Gate, *, js: bool, dark: bool = False, width: int = 1280):
    context = _new_context(browser, js=js, dark=dark, width=width)
    page = gate.watch(context.new_page())
    page.context_js_enabled = js  # type: ignore[attr-defined]
    return context, page


@pytest.fixture(params=["js", "no-js"])
def visitor(request: pytest.FixtureRequest, browser: Browser, gate: Gate) -> Iterator[Page]:
    """A fresh browser window, once with JavaScript on and once with it off."""
    context, page = open_page(browser, gate, js=request.param == "js")
    yield page
    context.close()

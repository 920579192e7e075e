"""The sandbox WSGI application: a stand-in for the Nexudus Public API.

Readings chosen where the reference (`nexudus-public-api.md`) says UNCERTAIN:

- `/api/token` is served on the same host as everything else (no separate
  `spaces.nexudus.com`).
- `must_reset_password` carries a human message in `error_description`, not a reset token.
- Invoices carry the bill-to block, per-line `Quantity`/`TaxRate` and `TaxAmount`. Line
  `SubTotal` is net of tax, after discount.
- The list endpoint honours `page` (1-based, default 1) and `size` (default 25, capped at 100);
  a value that is not a positive integer falls back to the default. `paid` and `creditNotes`
  accept true/false in any case; anything else counts as omitted. `TotalPages` is 0 when
  there is nothing to list.
- Another member's invoice and an unknown invoice both answer 404 (never 401), so ids cannot
  be probed.
- `pdfByToken` accepts both the gateway session id and the Token from `registerByToken`.
- `Currency.Format` is numeral.js style ("£0,0.00", "0,0.00 €"); `TotalFormated` comes from
  Babel for the location's culture.
- `_shape` paths are relative to the response root (see `sandbox.shape`).
- `WebAddress`/`BusinessWebAddress` are host[:port] strings that lead back to this sandbox
  (see `SandboxApp.web_address`), so the portal's PDF links work locally.
"""

from __future__ import annotations

import hmac
import json
import math
import os
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox import tokens
from sandbox.clock import Clock
from sandbox.data import (
    DemoData,
    GuestCheckout,
    Invoice,
    InvoiceLine,
    Location,
    Person,
    demo_data,
    format_money,
)
from sandbox.pdf import render_invoice_pdf, render_statement_pdf
from sandbox.shape import apply_shape, parse_shape

StartResponse = Callable[..., Any]

JSON_TYPE = "application/json; charset=utf-8"
BAD_CREDENTIALS = "The user name or password is incorrect."
BAD_REFRESH = "The refresh token is invalid or has expired."
REFRESH_TOKEN_LIFETIME = timedelta(days=15)
MEDIA_TOKEN_SECONDS = 60
PAGE_SIZE_DEFAULT = 25
PAGE_SIZE_MAX = 100

RECOVERY_PAGE_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Password recovery (sandbox)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto">
<h1>Password recovery</h1>
<p>This is the Nexudus sandbox. On a real space, this is the members portal's
<em>Forgot password?</em> page: the member enters their e-mail address and gets a reset link.</p>
<p>Demo members keep the password <code>demo-pass-1</code>; Alan Turing's account always asks for a
new password, to show that message.</p>
</body></html>
"""

FAULTS = frozenset(
    {
        "500",
        "502",
        "503",
        "504",
        "429",
        "malformed",
        "html",
        "wrong_types",
        "reset",
        "trickle",
        "huge",
    }
)


# --------------------------------------------------------------------------------------------
# Knobs and the request log


@dataclass
class Knobs:
    """Behaviour switches for tests and benchmarks (change with `update`, thread-safely).

    - `latency`: seconds slept before answering each API request under `fault_path_prefix`
      (with the default prefix, every API request).
    - `fault`: None or one of FAULTS; applies to paths starting with `fault_path_prefix`.
    - `fault_times`: None = fault forever; N = fault the next N matching requests, then the
      fault switches itself off ("fail once, then succeed").
    - `trickle_interval`: seconds between bytes for the "trickle" fault.
    - `huge_bytes`: body size of the "huge" fault.
    - `access_token_lifetime`: seconds an access token lives (`expires_in`).
    """

    latency: float = 0.0
    fault: str | None = None
    fault_path_prefix: str = "/api/"
    fault_times: int | None = None
    trickle_interval: float = 1.0
    huge_bytes: int = 50 * 1024 * 1024
    access_token_lifetime: int = 86400
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def update(self, **values: Any) -> None:
        """Set knobs by name, checking names and values (raises ValueError on a bad one)."""
        known = {f.name: f for f in fields(self) if not f.name.startswith("_")}
        clean: dict[str, Any] = {}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown knob {name!r}")
            clean[name] = _coerce_knob(name, value)
        with self._lock:
            for name, value in clean.items():
                setattr(self, name, value)

    def reset(self) -> None:
        """Back to defaults."""
        defaults = Knobs()
        self.update(**defaults.as_dict())

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}

    def take_fault(self, path: str) -> str | None:
        """The fault to inject for this request, counting down `fault_times`."""
        with self._lock:
            if not self.fault or not path.startswith(self.fault_path_prefix):
                return None
            fault = self.fault
            if self.fault_times is not None:
                self.fault_times -= 1
                if self.fault_times <= 0:
                    self.fault, self.fault_times = None, None
            return fault

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Knobs:
        """Knobs from SANDBOX_LATENCY_MS, SANDBOX_FAULT, SANDBOX_FAULT_PATH, SANDBOX_FAULT_TIMES,
        SANDBOX_TRICKLE_INTERVAL and SANDBOX_ACCESS_TOKEN_LIFETIME (blank = default)."""
        knobs = cls()
        names = {
            "SANDBOX_FAULT": "fault",
            "SANDBOX_FAULT_PATH": "fault_path_prefix",
            "SANDBOX_FAULT_TIMES": "fault_times",
            "SANDBOX_TRICKLE_INTERVAL": "trickle_interval",
            "SANDBOX_ACCESS_TOKEN_LIFETIME": "access_token_lifetime",
        }
        values: dict[str, Any] = {
            knob: environ[var] for var, knob in names.items() if environ.get(var, "").strip()
        }
        if environ.get("SANDBOX_LATENCY_MS", "").strip():
            values["latency"] = float(environ["SANDBOX_LATENCY_MS"]) / 1000
        knobs.update(**values)
        return knobs


def _coerce_knob(name: str, value: Any) -> Any:
    if name == "fault":
        if value in (None, "", "none", "None"):
            return None
        value = str(value)
        if value not in FAULTS:
            raise ValueError(f"unknown fault {value!r}; one of {sorted(FAULTS)}")
        return value
    if name == "fault_times":
        if value in (None, ""):
            return None
        if int(value) < 1:
            raise ValueError("fault_times must be at least 1 (or null for forever)")
        return int(value)
    if name == "fault_path_prefix":
        return str(value)
    if name in ("latency", "trickle_interval"):
        if float(value) < 0:
            raise ValueError(f"{name} cannot be negative")
        return float(value)
    if int(value) < 1:
        raise ValueError(f"{name} must be positive")
    return int(value)


@dataclass(frozen=True)
class LogEntry:
    """One API request as the sandbox saw it. Query values are never kept (they carry tokens)."""

    method: str
    path: str
    query: dict[str, int]  # parameter name -> how many times it was given
    status: int  # 0 when the connection was reset on purpose
    time: datetime
    duration_ms: float
    fault: str | None = None

    @property
    def is_write(self) -> bool:
        """A request that changes data. Signing in (token, exchange) does not count."""
        signing_in = self.path in {"/api/token", "/api/sys/users/exchange"}
        return self.method in {"POST", "PUT", "PATCH", "DELETE"} and not signing_in

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["time"] = self.time.isoformat()
        out["is_write"] = self.is_write
        return out


# --------------------------------------------------------------------------------------------
# State


@dataclass
class _AccessToken:
    person_id: int
    client_id: str
    expires_at: datetime


@dataclass
class _RefreshToken:
    person_id: int
    client_id: str
    expires_at: datetime


@dataclass
class SandboxState:
    """Everything a sandbox instance remembers. Guard mutations with `lock`."""

    clock: Clock
    knobs: Knobs
    data: DemoData
    secret: bytes
    access_tokens: dict[str, _AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, _RefreshToken] = field(default_factory=dict)
    # One live refresh token per (person id, client_id).
    refresh_by_client: dict[tuple[int, str], str] = field(default_factory=dict)
    # One-time JWTs already swapped for a session by /api/sys/users/exchange.
    exchanged: set[str] = field(default_factory=set)
    log: list[LogEntry] = field(default_factory=list)
    pdf_cache: dict[int, bytes] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)


class _Halt(Exception):
    """Stop handling and answer with this response (e.g. 401 from the bearer check)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def local_today(clock: Clock, time_zone: str = "Europe/London") -> date:
    """The clock's date in the demo locations' time zone (UTC if tzdata is missing)."""
    try:
        return clock.now().astimezone(ZoneInfo(time_zone)).date()
    except ZoneInfoNotFoundError:
        return clock.now().date()


# --------------------------------------------------------------------------------------------
# The application


class SandboxApp:
    """WSGI callable. `app.clock`, `app.knobs`, `app.data`, `app.log`, `app.calls()`."""

    def __init__(
        self,
        clock: Clock | None = None,
        knobs: Knobs | None = None,
        today: date | None = None,
        secret: bytes | None = None,
    ) -> None:
        clock = clock or Clock()
        self.state = SandboxState(
            clock=clock,
            knobs=knobs or Knobs(),
            data=demo_data(today or local_today(clock)),
            secret=secret or secrets.token_bytes(32),
        )
        self.url_map = Map(
            [
                Rule("/api/token", endpoint="token", methods=["POST"]),
                Rule("/api/public/coworkers/profiles", endpoint="profiles", methods=["GET"]),
                Rule("/api/public/businesses/current", endpoint="business", methods=["GET"]),
                Rule("/api/auth/media/customer", endpoint="media_token", methods=["GET"]),
                Rule("/api/public/billing/invoices/my", endpoint="invoices", methods=["GET"]),
                Rule(
                    "/api/public/billing/invoices/statements/pdf",
                    endpoint="statement_pdf",
                    methods=["GET"],
                ),
                Rule(
                    "/api/public/billing/invoices/<int:invoice_id>",
                    endpoint="invoice",
                    methods=["GET"],
                ),
                Rule(
                    "/api/public/billing/invoices/<int:invoice_id>/pdf",
                    endpoint="invoice_pdf",
                    methods=["GET"],
                ),
                Rule(
                    "/api/public/billing/invoices/<int:invoice_id>/pdfByToken",
                    endpoint="invoice_pdf_by_token",
                    methods=["GET"],
                ),
                Rule(
                    "/api/public/billing/invoices/<int:invoice_id>/registerByToken",
                    endpoint="register_by_token",
                    methods=["POST"],
                ),
                Rule("/api/sys/users/exchange", endpoint="exchange", methods=["POST"]),
                Rule("/password-recovery", endpoint="password_recovery", methods=["GET"]),
                Rule("/_sandbox/health", endpoint="control_health", methods=["GET"]),
                Rule("/_sandbox/log", endpoint="control_log", methods=["GET"]),
                Rule("/_sandbox/knobs", endpoint="control_knobs", methods=["GET", "POST"]),
                Rule("/_sandbox/reset-log", endpoint="control_reset_log", methods=["POST"]),
                Rule("/_sandbox/clock/advance", endpoint="control_clock_advance", methods=["POST"]),
            ],
            merge_slashes=False,
            strict_slashes=False,
            redirect_defaults=False,
        )

    # -- conveniences for tests ----------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        return self.state.clock

    @property
    def knobs(self) -> Knobs:
        return self.state.knobs

    @property
    def data(self) -> DemoData:
        return self.state.data

    @property
    def log(self) -> list[LogEntry]:
        """A snapshot of the request log, oldest first."""
        with self.state.lock:
            return list(self.state.log)

    def calls(self, path_prefix: str | None = None, method: str | None = None) -> list[LogEntry]:
        """Logged requests whose path starts with `path_prefix` and whose method matches."""
        return [
            entry
            for entry in self.log
            if (path_prefix is None or entry.path.startswith(path_prefix))
            and (method is None or entry.method == method.upper())
        ]

    def writes(self) -> list[LogEntry]:
        """Logged requests that change data (see `LogEntry.is_write`)."""
        return [entry for entry in self.log if entry.is_write]

    def clear_log(self) -> None:
        with self.state.lock:
            self.state.log.clear()

    def issue_tokens(self, email: str, client_id: str | None = None) -> dict[str, Any]:
        """Sign a person in without HTTP (test set-up); returns the token response body."""
        person = self.data.person_by_email(email)
        if person is None:
            raise KeyError(email)
        return self._issue_tokens(person, client_id or person.email)

    def media_token(self, person_id: int) -> str:
        """A fresh media JWT for a person, as `/api/auth/media/customer` would issue."""
        now = int(self.clock.timestamp())
        payload = {
            "sub": str(person_id),
            "scope": "media",
            "iat": now,
            "exp": now + MEDIA_TOKEN_SECONDS,
            "jti": secrets.token_hex(8),
        }
        return tokens.sign(payload, self.state.secret)

    def web_address(self, location_id: int, request_host: str, home_location_id: int) -> str:
        """Host[:port] for a location, as seen from a request that came in on `request_host`.

        The member's home location is the host the request used; the other location is the
        other loopback name on the same port (127.0.0.1 <-> localhost). Both lead back to this
        sandbox, yet links to the two locations differ, as they would on Nexudus.
        """
        if location_id == home_location_id:
            return request_host
        name, port = _split_host(request_host)
        other = "localhost" if name == "127.0.0.1" else "127.0.0.1"
        return f"{other}:{port}" if port else other

    # -- WSGI ----------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith("/_sandbox/"):
            # Control endpoints: never delayed, faulted or logged.
            return self._dispatch(request)(environ, start_response)
        started = time.perf_counter()
        fault = self.knobs.take_fault(request.path)
        latency = self.knobs.latency
        if latency and request.path.startswith(self.knobs.fault_path_prefix):
            time.sleep(latency)
        if fault == "reset":
            self._record(request, 0, started, fault)
            _reset_connection(environ)
        response = self._fault_response(fault, request) if fault else self._dispatch(request)
        self._record(request, response.status_code, started, fault)
        return response(environ, start_response)

    def _record(self, request: Request, status: int, started: float, fault: str | None) -> None:
        entry = LogEntry(
            method=request.method,
            path=request.path,
            query={name: len(request.args.getlist(name)) for name in request.args},
            status=status,
            time=self.clock.now(),
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            fault=fault,
        )
        with self.state.lock:
            self.state.log.append(entry)

    def _dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
            handler = getattr(self, f"_on_{endpoint}")
            return handler(request, **args)
        except _Halt as halt:
            return halt.response
        except MethodNotAllowed as exc:
            message = f"The requested resource does not support http method '{request.method}'."
            response = _json({"Message": message}, 405)
            response.headers["Allow"] = ", ".join(sorted(exc.valid_methods or ()))
            return response
        except NotFound:
            return _json({"Message": "Not found"}, 404)
        except HTTPException as exc:
            return _json({"Message": exc.description or exc.name}, exc.code or 500)

    # -- the portal's own pages ----------------------------------------------------------------

    def _on_password_recovery(self, request: Request) -> Response:
        # On Nexudus this is the members portal's "Forgot password?" page; the sandbox only
        # says where a member would be, so the demo's reset link never leads to a dead end.
        return Response(RECOVERY_PAGE_HTML, content_type="text/html; charset=utf-8")

    # -- auth ----------------------------------------------------------------------------------

    def _on_token(self, request: Request) -> Response:
        # Nexudus only reads form-encoded bodies here; JSON fails like a missing grant_type.
        if request.mimetype != "application/x-www-form-urlencoded":
            return _oauth_error(
                "unsupported_grant_type",
                "The body must be application/x-www-form-urlencoded.",
            )
        grant_type = request.form.get("grant_type", "")
        if grant_type == "password":
            return self._password_grant(request)
        if grant_type == "refresh_token":
            return self._refresh_grant(request)
        return _oauth_error("unsupported_grant_type", "The grant type is not supported.")

    def _password_grant(self, request: Request) -> Response:
        form = request.form
        person = self.data.person_by_email(form.get("username", ""))
        password = form.get("password", "")
        # Unknown e-mail, suspended account and wrong password look identical on purpose.
        if (
            person is None
            or person.suspended
            or person.password is None
            or not hmac.compare_digest(person.password.encode(), password.encode())
        ):
            return _oauth_error("invalid_grant", BAD_CREDENTIALS)
        if person.must_reset_password:
            return _oauth_error(
                "must_reset_password", "You must reset your password before signing in."
            )
        if person.totp:
            code = form.get("totp", "").strip()
            if not code:
                return _oauth_error(
                    "two_factor_auth_check", "A two-factor authentication code is required."
                )
            if not hmac.compare_digest(code.encode(), person.totp.encode()):
                return _oauth_error(
                    "two_factor_auth_check", "The two-factor authentication code is incorrect."
                )
        client_id = request.headers.get("client_id", "").strip() or person.email
        return _token_response(self._issue_tokens(person, client_id))

    def _refresh_grant(self, request: Request) -> Response:
        token = request.form.get("refresh_token", "")
        client_id = request.headers.get("client_id", "").strip()
        now = self.clock.now()
        with self.state.lock:
            record = self.state.refresh_tokens.get(token)
            if (
                record is None
                or record.expires_at <= now
                or not client_id
                or not hmac.compare_digest(record.client_id.encode(), client_id.encode())
            ):
                return _oauth_error("invalid_grant", BAD_REFRESH)
            person = self.data.people.get(record.person_id)
            if person is None or person.suspended:
                return _oauth_error("invalid_grant", BAD_REFRESH)
            return _token_response(self._issue_tokens(person, record.client_id))

    def _issue_tokens(self, person: Person, client_id: str) -> dict[str, Any]:
        now = self.clock.now()
        lifetime = self.knobs.access_token_lifetime
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        state = self.state
        with state.lock:
            # A new refresh token for this client_id kills the previous one; access tokens
            # already issued stay valid until they expire.
            previous = state.refresh_by_client.pop((person.id, client_id), None)
            if previous:
                state.refresh_tokens.pop(previous, None)
            self._forget_expired(now)
            state.access_tokens[access] = _AccessToken(
                person.id, client_id, now + timedelta(seconds=lifetime)
            )
            state.refresh_tokens[refresh] = _RefreshToken(
                person.id, client_id, now + REFRESH_TOKEN_LIFETIME
            )
            state.refresh_by_client[(person.id, client_id)] = refresh
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": lifetime,
            "refresh_token": refresh,
        }

    def _forget_expired(self, now: datetime) -> None:
        # Benchmarks sign in thousands of times; keep the token tables from growing forever.
        state = self.state
        if len(state.access_tokens) > 10_000:
            for key in [k for k, v in state.access_tokens.items() if v.expires_at <= now]:
                del state.access_tokens[key]

    def _bearer(self, request: Request) -> Person:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _Halt(_unauthorized())
        with self.state.lock:
            record = self.state.access_tokens.get(token.strip())
        if record is None or record.expires_at <= self.clock.now():
            raise _Halt(_unauthorized())
        person = self.data.people.get(record.person_id)
        if person is None or person.suspended:
            raise _Halt(_unauthorized())
        return person

    def _media_subject(self, request: Request) -> int:
        payload = tokens.verify(request.args.get("t"), self.state.secret, self.clock.timestamp())
        if payload is None or payload.get("scope") != "media":
            raise _Halt(_unauthorized())
        try:
            return int(payload["sub"])
        except (KeyError, TypeError, ValueError):
            raise _Halt(_unauthorized()) from None

    # -- people and locations ------------------------------------------------------------------

    def _on_profiles(self, request: Request) -> Response:
        person = self._bearer(request)
        home = self.data.locations[person.home_location_id]
        body = {
            "User": {
                "Id": person.user_id,
                "FullName": person.full_name,
                "Email": person.email,
                "Active": not person.suspended,
                "IsAdmin": person.is_admin,
                "AccessToken": "",
            },
            "DefaultBusiness": {
                "Id": home.id,
                "Name": home.name,
                "WebAddress": self.web_address(home.id, request.host, home.id),
            },
            "Profiles": [
                {
                    "Id": person.id,
                    "FullName": person.full_name,
                    "CompanyName": person.company_name,
                    "Active": not person.suspended,
                    "IsDefaultProfile": True,
                    "CoworkerType": person.coworker_type,
                    "HasVirtualOffice": False,
                    "VirtualOfficePaused": None,
                    "VirtualOfficeContractId": None,
                }
            ],
        }
        return _json(body, shape=request.args.get("_shape"))

    def _on_business(self, request: Request) -> Response:
        person = self._bearer(request)
        home = self.data.locations[person.home_location_id]
        body = {
            "Id": home.id,
            "UniqueId": home.unique_id,
            "Name": home.name,
            "WebAddress": self.web_address(home.id, request.host, home.id),
            "Currency": _currency_json(home),
            "LanguageCulture": home.culture,
            "TimeZone": home.time_zone,
            "Address": home.address,
            "TownCity": home.town_city,
            "PostalCode": home.postal_code,
            "Country": {
                "Id": home.country_id,
                "Name": home.country_name,
                "TwoDigitsCode": home.country_code,
            },
            "NativeHomeUrl": "/",
            "NativeHomeUrlWithLanguage": home.language_path,
        }
        return _json(body, shape=request.args.get("_shape"))

    def _on_media_token(self, request: Request) -> Response:
        person = self._bearer(request)
        return _json({"jwt": self.media_token(person.id)})

    # -- invoices ------------------------------------------------------------------------------

    def _on_invoices(self, request: Request) -> Response:
        person = self._bearer(request)
        args = request.args
        paid = _parse_bool(args.get("paid"))
        credit_notes = _parse_bool(args.get("creditNotes")) or False
        page = _positive_int(args.get("page"), 1)
        size = min(_positive_int(args.get("size"), PAGE_SIZE_DEFAULT), PAGE_SIZE_MAX)
        rows = [
            inv
            for inv in self.data.invoices_of(person.id)
            if (credit_notes or not inv.credit_note) and (paid is None or inv.paid == paid)
        ]
        total = len(rows)
        total_pages = math.ceil(total / size)
        chunk = rows[(page - 1) * size : page * size]
        first = (page - 1) * size + 1 if chunk else 0
        body = {
            "Records": [self._invoice_json(inv, request, person) for inv in chunk],
            "CurrentPageSize": size,
            "CurrentPage": page,
            "CurrentOrderField": "CreatedOn",
            "CurrentSortDirection": "DESC",
            "FirstItem": first,
            "HasNextPage": page < total_pages,
            "HasPreviousPage": page > 1,
            "LastItem": first + len(chunk) - 1 if chunk else 0,
            "PageNumber": page,
            "PageSize": size,
            "TotalItems": total,
            "TotalPages": total_pages,
        }
        return _json(body, shape=args.get("_shape"))

    def _on_invoice(self, request: Request, invoice_id: int) -> Response:
        person = self._bearer(request)
        invoice = self._own_invoice(invoice_id, person.id)
        return _json(self._invoice_json(invoice, request, person), shape=request.args.get("_shape"))

    def _on_invoice_pdf(self, request: Request, invoice_id: int) -> Response:
        # No bearer here: the media JWT in `t` is the credential.
        person_id = self._media_subject(request)
        return self._pdf(self._own_invoice(invoice_id, person_id))

    def _on_statement_pdf(self, request: Request) -> Response:
        person = self.data.people.get(self._media_subject(request))
        if person is None:
            raise _Halt(_unauthorized())
        body = render_statement_pdf(
            person,
            self.data.invoices_of(person.id),
            self.data.locations,
            as_of=local_today(self.clock),
        )
        return _pdf_response(body, "statement.pdf")

    def _on_invoice_pdf_by_token(self, request: Request, invoice_id: int) -> Response:
        checkout = self._checkout(request.args.get("token"), allow_register_token=True)
        if checkout.invoice_id != invoice_id:
            raise _Halt(_not_found())
        return self._pdf(self.data.invoices[checkout.invoice_id])

    def _on_register_by_token(self, request: Request, invoice_id: int) -> Response:
        checkout = self._checkout(request.args.get("token"), allow_register_token=False)
        if checkout.invoice_id != invoice_id:
            raise _Halt(_not_found())
        with self.state.lock:
            # Idempotent: the first call turns the guest into a customer (same e-mail, no
            # password until they set one); later calls return the same Token.
            if checkout.register_token is None:
                person = self.data.people[checkout.person_id]
                person.registered = True
                person.registered_on = self.clock.now()
                payload = {
                    "sub": str(person.id),
                    "scope": "invoice",
                    "invoice": invoice_id,
                    "iat": int(self.clock.timestamp()),
                    "jti": secrets.token_hex(8),
                }
                checkout.register_token = tokens.sign(payload, self.state.secret)
            token = checkout.register_token
        return _json({"Token": token})

    def _on_exchange(self, request: Request) -> Response:
        """Swap a one-time JWT for a session (reference §1e). The sandbox issues such JWTs only
        from registerByToken, so a guest who just created an account is signed in by it.

        Reading chosen (UNCERTAIN upstream): the Token that registerByToken returns is such a
        one-time JWT; the session's client_id is the customer's e-mail, the documented default.
        """
        token = request.args.get("token")
        if not token:
            return _json({"Message": "The token is required."}, 400)
        claims = tokens.verify(token, self.state.secret, self.clock.timestamp())
        if claims is None or claims.get("scope") != "invoice":
            raise _Halt(_unauthorized())
        with self.state.lock:
            if token in self.state.exchanged:
                raise _Halt(_unauthorized())
            self.state.exchanged.add(token)
        person = self.data.people.get(int(claims.get("sub", 0)))
        if person is None or not person.registered:
            raise _Halt(_unauthorized())
        issued = self._issue_tokens(person, person.email)
        return _json(
            {
                "token": issued["access_token"],
                "token_type": issued["token_type"],
                "expires_in": issued["expires_in"],
                "refresh_token": issued["refresh_token"],
            }
        )

    def _checkout(self, token: str | None, allow_register_token: bool) -> GuestCheckout:
        if token:
            checkout = self.data.checkouts.get(token)
            if checkout is not None:
                return checkout
            if allow_register_token:
                with self.state.lock:
                    for candidate in self.data.checkouts.values():
                        if candidate.register_token and hmac.compare_digest(
                            candidate.register_token.encode(), token.encode()
                        ):
                            return candidate
        raise _Halt(_unauthorized())

    def _own_invoice(self, invoice_id: int, person_id: int) -> Invoice:
        invoice = self.data.invoices.get(invoice_id)
        # Someone else's invoice answers exactly like a missing one.
        if invoice is None or invoice.person_id != person_id:
            raise _Halt(_not_found())
        return invoice

    def _pdf(self, invoice: Invoice) -> Response:
        # Invoices never change, so a rendered PDF can be served again as is.
        with self.state.lock:
            body = self.state.pdf_cache.get(invoice.id)
        if body is None:
            body = render_invoice_pdf(
                invoice,
                self.data.locations[invoice.location_id],
                self.data.people[invoice.person_id],
            )
            with self.state.lock:
                if len(self.state.pdf_cache) >= 256:
                    self.state.pdf_cache.clear()
                self.state.pdf_cache[invoice.id] = body
        return _pdf_response(body, f"{invoice.number}.pdf")

    def _invoice_json(self, invoice: Invoice, request: Request, viewer: Person) -> dict[str, Any]:
        location = self.data.locations[invoice.location_id]
        owner = self.data.people[invoice.person_id]
        return {
            "Id": invoice.id,
            "UniqueId": invoice.unique_id,
            "InvoiceNumber": invoice.number,
            "Draft": invoice.draft,
            "Paid": invoice.paid,
            "PaidOn": _nexudus_datetime(invoice.paid_on),
            "CreatedOn": _nexudus_datetime(invoice.created_on),
            "DueDate": _nexudus_datetime(invoice.due_date),
            "CreditNote": invoice.credit_note,
            "TotalAmount": invoice.total_amount,
            "TaxAmount": invoice.tax_amount,
            "DueAmount": invoice.due_amount,
            "TotalFormated": format_money(
                invoice.total_amount, location.currency_code, location.culture
            ),
            "Currency": _currency_json(location),
            "BusinessId": location.id,
            "BusinessName": location.name,
            "BusinessWebAddress": self.web_address(
                location.id, request.host, viewer.home_location_id
            ),
            "CoworkerId": owner.id,
            "CoworkerFullName": owner.full_name,
            "BillToName": invoice.bill_to_name,
            "BillToAddress": invoice.bill_to_address,
            "BillToCity": invoice.bill_to_city,
            "BillToPostCode": invoice.bill_to_post_code,
            "BillToCountryName": invoice.bill_to_country_name,
            "BillToTaxIDNumber": invoice.bill_to_tax_id,
            "Lines": [_line_json(line) for line in invoice.lines],
        }

    # -- faults --------------------------------------------------------------------------------

    def _fault_response(self, fault: str, request: Request) -> Response:
        if fault == "500":
            return _json({"Message": "An error has occurred."}, 500)
        if fault in ("502", "503", "504"):
            # Gateways and load balancers answer these, in HTML, not the API.
            titles = {"502": "Bad Gateway", "503": "Service Unavailable", "504": "Gateway Timeout"}
            title = f"{fault} {titles[fault]}"
            html = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
            return Response(html, status=int(fault), content_type="text/html; charset=utf-8")
        if fault == "429":
            response = _json({"Message": "Too many requests. Try again later."}, 429)
            response.headers["Retry-After"] = "3600"
            return response
        if fault == "malformed":
            return Response('{"Records": [', status=200, content_type=JSON_TYPE)
        if fault == "html":
            return Response(_LOGIN_PAGE, status=200, content_type="text/html; charset=utf-8")
        if fault == "wrong_types":
            return _json(_wrong_types_body(request.path))
        if fault == "trickle":
            body = b'{"Records": [], "TotalItems": 0, "HasNextPage": false}'
            return _stream(_trickle(body, self.knobs.trickle_interval), len(body))
        if fault == "huge":
            size = self.knobs.huge_bytes
            return _stream(_huge_json(size), _huge_json_length(size))
        raise ValueError(f"unknown fault {fault!r}")

    # -- control endpoints (out-of-process tests and benchmarks) --------------------------------

    def _on_control_health(self, request: Request) -> Response:
        return _json({"Status": "ok"})

    def _on_control_log(self, request: Request) -> Response:
        return _json([entry.as_json() for entry in self.log])

    def _on_control_knobs(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                values = json.loads(request.get_data(as_text=True) or "{}")
                if not isinstance(values, dict):
                    raise ValueError("send a JSON object of knob names to values")
                self.knobs.update(**values)
            except (ValueError, TypeError) as exc:
                return _json({"Message": str(exc)}, 400)
        return _json(self.knobs.as_dict())

    def _on_control_reset_log(self, request: Request) -> Response:
        self.clear_log()
        return Response(status=204)

    def _on_control_clock_advance(self, request: Request) -> Response:
        try:
            seconds = float(request.args.get("seconds", ""))
        except ValueError:
            return _json({"Message": "seconds must be a number"}, 400)
        self.clock.advance(seconds)
        return _json({"Now": self.clock.now().isoformat()})


# --------------------------------------------------------------------------------------------
# Helpers


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # JSON numbers, as Nexudus sends them; whole quantities and rates stay integers.
        return int(value) if value.as_tuple().exponent == 0 else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _json(body: Any, status: int = 200, shape: str | None = None) -> Response:
    if shape:
        body = apply_shape(body, parse_shape(shape))
    text = json.dumps(body, ensure_ascii=False, default=_json_default)
    return Response(text, status=status, content_type=JSON_TYPE)


def _unauthorized() -> Response:
    # Nexudus answers an empty 401; clients must not depend on a body.
    return Response(b"", status=401, headers={"WWW-Authenticate": "Bearer"})


def _not_found() -> Response:
    return _json({"Message": "The requested resource was not found."}, 404)


def _oauth_error(error: str, description: str) -> Response:
    response = _json({"error": error, "error_description": description}, 400)
    response.headers["Cache-Control"] = "no-store"
    return response


def _token_response(body: dict[str, Any]) -> Response:
    response = _json(body)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _pdf_response(body: bytes, filename: str) -> Response:
    response = Response(body, status=200, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _currency_json(location: Location) -> dict[str, str]:
    return {
        "Code": location.currency_code,
        "Name": location.currency_name,
        "Format": location.currency_format,
    }


def _line_json(line: InvoiceLine) -> dict[str, Any]:
    return {
        "Description": line.description,
        "Quantity": line.quantity,
        "UnitPrice": line.unit_price,
        "SubTotal": line.sub_total,
        "TaxAmount": line.tax_amount,
        "TaxRate": line.tax_rate,
        "DiscountAmount": line.discount_amount,
        "CoworkerContractUniqueId": line.contract_unique_id,
        "BookingUniqueId": line.booking_unique_id,
    }


def _nexudus_datetime(value: datetime | None) -> str | None:
    # Location wall-clock time with a literal "Z", as Nexudus serialises it (not real UTC).
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _parse_bool(value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.strip().lower()
    return True if lowered == "true" else False if lowered == "false" else None


def _positive_int(value: str | None, default: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return number if number >= 1 else default


def _split_host(host: str) -> tuple[str, str]:
    if host.startswith("["):  # [::1]:8001
        name, _, rest = host[1:].partition("]")
        return name, rest.removeprefix(":")
    name, _, port = host.partition(":")
    return name, port


def _reset_connection(environ: dict[str, Any]) -> None:
    """Drop the client's connection with a TCP reset, then abort the request.

    SO_LINGER 0 makes the close send RST instead of FIN. The server still holds the socket
    object (and file objects over it), so `close()` would not release the descriptor; instead a
    dead socketpair end is duplicated over the descriptor. That closes the TCP socket at once
    and leaves the server reading EOF and failing writes with EPIPE, which it treats as a
    client that went away. Without a real socket (the werkzeug test client, other servers) the
    ConnectionResetError simply propagates to the caller.
    """
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket) and sock.fileno() >= 0:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        dead, peer = socket.socketpair()
        peer.close()
        try:
            os.dup2(dead.fileno(), sock.fileno())
        finally:
            dead.close()
    raise ConnectionResetError("sandbox fault: connection reset")


def _stream(chunks: Iterator[bytes], length: int) -> Response:
    response = Response(chunks, status=200, content_type=JSON_TYPE, direct_passthrough=True)
    response.headers["Content-Length"] = str(length)
    return response


def _trickle(body: bytes, interval: float) -> Iterator[bytes]:
    for index in range(len(body)):
        if index:
            time.sleep(interval)
        yield body[index : index + 1]


_HUGE_PREFIX = b'{"Records":['
_HUGE_SUFFIX = b'],"TotalItems":0,"HasNextPage":false}'
_HUGE_RECORD = b'{"Id":1,"InvoiceNumber":"HUGE","Padding":"' + b"x" * 1000 + b'"}'


def _huge_record_count(size: int) -> int:
    return max(1, (size - len(_HUGE_PREFIX) - len(_HUGE_SUFFIX)) // (len(_HUGE_RECORD) + 1))


def _huge_json_length(size: int) -> int:
    count = _huge_record_count(size)
    return len(_HUGE_PREFIX) + count * len(_HUGE_RECORD) + (count - 1) + len(_HUGE_SUFFIX)


def _huge_json(size: int) -> Iterator[bytes]:
    # Valid JSON, streamed in ~64 KB chunks so the sandbox never holds the whole body.
    count = _huge_record_count(size)
    yield _HUGE_PREFIX
    batch = 64
    for start in range(0, count, batch):
        n = min(batch, count - start)
        chunk = b",".join([_HUGE_RECORD] * n)
        yield (b"," + chunk) if start else chunk
    yield _HUGE_SUFFIX


def _wrong_types_body(path: str) -> Any:
    """A 200 body with the right keys' wrong types, nulls and missing keys, per endpoint."""
    invoice = {
        "Id": "30001",
        "InvoiceNumber": 42,
        "Draft": None,
        "Paid": "false",
        "CreatedOn": "yesterday",
        "DueDate": None,
        "TotalAmount": "510.00",
        "DueAmount": None,
        "Currency": "GBP",
        "BusinessWebAddress": 7,
        "Lines": None,
    }
    if path == "/api/token":
        return {"access_token": 12345, "token_type": None, "expires_in": "a day"}
    if path == "/api/auth/media/customer":
        return {"jwt": None}
    if path.endswith("/invoices/my"):
        return {"Records": [invoice, None], "TotalItems": "2000", "HasNextPage": "no"}
    if path.endswith("/coworkers/profiles"):
        return {"User": {"Id": "abc", "FullName": None, "Email": 42}, "Profiles": "none"}
    if path.endswith("/businesses/current"):
        return {"Id": "x", "Name": None, "Currency": "GBP", "LanguageCulture": 12}
    return invoice


_LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><h1>Sign in</h1>
<form method="post" action="/login"><label>Email <input name="email"></label>
<label>Password <input name="password" type="password"></label>
<button>Sign in</button></form></body></html>
"""

__all__ = [
    "FAULTS",
    "Knobs",
    "LogEntry",
    "SandboxApp",
    "SandboxState",
    "local_today",
]

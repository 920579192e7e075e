"""One function per Nexudus endpoint the portal uses, returning typed records.

Views import this module as a namespace and catch its errors by name:

    from portal.nexudus import client
    try:
        page = client.list_invoices(tokens.access_token, paid=False)
    except client.Unavailable:
        ...

Every function raises only `client.NexudusError` subclasses (besides TypeError/ValueError for
arguments no caller should pass). The base URL is read from settings at call time, so tests and
`make run` can point it elsewhere without reimporting anything.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from portal.nexudus import records
from portal.nexudus.errors import (
    BadResponse,
    InvalidCredentials,
    MustResetPassword,
    NexudusError,
    NotFound,
    SignInRefused,
    TwoFactorRequired,
    Unauthorized,
    Unavailable,
)
from portal.nexudus.records import (
    Business,
    Currency,
    Invoice,
    InvoiceLine,
    InvoicePage,
    Me,
    MediaToken,
    Profile,
    Registration,
    Tokens,
)
from portal.nexudus.session import MiB, NexudusSession

__all__ = [
    "BadResponse",
    "Business",
    "Currency",
    "InvalidCredentials",
    "Invoice",
    "InvoiceLine",
    "InvoicePage",
    "Me",
    "MediaToken",
    "MustResetPassword",
    "NexudusError",
    "NotFound",
    "Profile",
    "Registration",
    "SignInRefused",
    "Tokens",
    "TwoFactorRequired",
    "Unauthorized",
    "Unavailable",
    "get_business",
    "get_invoice",
    "get_invoice_pdf",
    "get_invoice_pdf_by_token",
    "get_me",
    "get_media_token",
    "get_session",
    "get_statement_pdf",
    "list_invoices",
    "refresh",
    "register_by_token",
    "sign_in",
    "use_session",
]

T = TypeVar("T")

# A statement over years of invoices is far bigger than any JSON answer.
PDF_MAX_BYTES = 20 * MiB
# Envelope fields kept whenever `_shape` trims the invoice list (reference §6b).
PAGE_FIELDS = (
    "CurrentPage",
    "PageSize",
    "TotalItems",
    "TotalPages",
    "HasNextPage",
    "HasPreviousPage",
)
# `_shape` is a comma-separated list of dotted names: anything else could smuggle in more paths.
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*")
_SIGN_IN_REFUSALS: Mapping[str, type[SignInRefused]] = {
    "invalid_grant": InvalidCredentials,
    "two_factor_auth_check": TwoFactorRequired,
    "must_reset_password": MustResetPassword,
}
# On refresh these mean "this session is over, sign in again".
_REFRESH_REFUSALS = frozenset({"invalid_grant", "must_reset_password"})


# --- The session --------------------------------------------------------------------------------

_session: NexudusSession | None = None
_override: NexudusSession | None = None
_session_lock = threading.Lock()


def get_session() -> NexudusSession:
    """The process-wide session (one connection pool per worker process)."""
    global _session
    if _override is not None:
        return _override
    if _session is None:
        with _session_lock:
            if _session is None:
                _session = NexudusSession()
    return _session


# Staff preview renders the real views on sample data: for the duration of a `stand_in(...)`
# block, and only in that thread (a ContextVar), every endpoint function answers from the
# stand-in instead of Nexudus. Nothing else in the process notices.
_stand_in: ContextVar[Any] = ContextVar("nexudus_stand_in", default=None)


@contextmanager
def stand_in(backend: Any) -> Iterator[None]:
    token = _stand_in.set(backend)
    try:
        yield
    finally:
        _stand_in.reset(token)


def current_stand_in() -> Any:
    """The stand-in answering for Nexudus in this thread, or None (the normal case)."""
    return _stand_in.get()


def answered_by_stand_in(function: Callable[..., T]) -> Callable[..., T]:
    # Goes under @sensitive_variables(), so this frame's arguments are hidden in error reports.
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        backend = _stand_in.get()
        if backend is not None:
            return getattr(backend, function.__name__)(*args, **kwargs)
        return function(*args, **kwargs)

    return wrapper


@contextmanager
def use_session(session: NexudusSession) -> Iterator[NexudusSession]:
    """Route every call through `session` for the duration (tests: fake clocks, short timeouts)."""
    global _override
    previous, _override = _override, session
    try:
        yield session
    finally:
        _override = previous


# --- Sign-in ------------------------------------------------------------------------------------


@sensitive_variables()
@answered_by_stand_in
def sign_in(email: str, password: str, *, client_id: str, totp: str | None = None) -> Tokens:
    """Password grant (reference §1a). Raises a SignInRefused subclass when Nexudus says no."""
    form = {"grant_type": "password", "username": email, "password": password}
    if totp:
        form["totp"] = totp
    return _token_grant(form, client_id=client_id, refusals=_sign_in_refusal)


@sensitive_variables()
@answered_by_stand_in
def refresh(refresh_token: str, *, client_id: str) -> Tokens:
    """Refresh grant (reference §1b). Unauthorized means the member must sign in again.

    Nexudus rotates the refresh token on every use: store the returned pair, drop the old one.
    """
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _token_grant(form, client_id=client_id, refusals=_refresh_refusal)


def _token_grant(
    form: dict[str, str], *, client_id: str, refusals: Callable[[str | None], NexudusError]
) -> Tokens:
    # Form-encoded, never JSON (a JSON body gets unsupported_grant_type). The same client_id
    # must be sent on login and on every refresh. POST: the session never retries it.
    response = get_session().post(
        _url("/api/token"), data=form, headers={"client_id": client_id}, accept_status=(400,)
    )
    if response.status_code == 400:
        raise refusals(_oauth_error(response)).locate("POST", "/api/token", 400)
    return _parse(response, Tokens.from_json)


def _oauth_error(response: requests.Response) -> str | None:
    try:
        body = records.loads(response.content)
    except BadResponse:
        return None
    error = body.get("error") if isinstance(body, Mapping) else None
    return error if isinstance(error, str) else None


def _sign_in_refusal(error: str | None) -> NexudusError:
    # Only our own constants reach the message, never error_description (upstream text).
    refusal = _SIGN_IN_REFUSALS.get(error or "")
    return refusal(error or "") if refusal else BadResponse("400")


def _refresh_refusal(error: str | None) -> NexudusError:
    return Unauthorized(error or "") if error in _REFRESH_REFUSALS else BadResponse("400")


# --- The member ---------------------------------------------------------------------------------


@sensitive_variables()
@answered_by_stand_in
def get_me(access_token: str) -> Me:
    """The signed-in user, their customer profiles and default location (reference §1g)."""
    return _parse(_get("/api/public/coworkers/profiles", access_token), Me.from_json)


@sensitive_variables()
@answered_by_stand_in
def get_business(access_token: str) -> Business:
    """The location of the session: name, currency, culture, time zone (reference §7b)."""
    return _parse(_get("/api/public/businesses/current", access_token), Business.from_json)


@sensitive_variables()
@answered_by_stand_in
def get_media_token(access_token: str) -> MediaToken:
    """A ~60 s JWT for PDF downloads (reference §2a): fetch it right before use, never store it."""
    return _parse(_get("/api/auth/media/customer", access_token), MediaToken.from_json)


# --- Invoices -----------------------------------------------------------------------------------


@sensitive_variables()
@answered_by_stand_in
def list_invoices(
    access_token: str,
    *,
    paid: bool | None = None,
    credit_notes: bool = False,
    page: int = 1,
    size: int = 25,
    fields: Sequence[str] | None = None,
) -> InvoicePage:
    """One page of the member's invoices (reference §5, §6b). `paid=None` means both.

    `fields` trims each record to those fields (plus Id) via `_shape`, whose paths are read
    from the response root: hence `Records.<field>` and the envelope fields alongside.
    """
    _check_positive(page=page, size=size)
    params: dict[str, str | int] = {}
    if paid is not None:
        params["paid"] = _flag(paid)
    params["creditNotes"] = _flag(credit_notes)
    params["page"] = page
    params["size"] = size
    if fields is not None:
        record_fields = [f"Records.{name}" for name in _fields(fields)]
        params["_shape"] = ",".join([*record_fields, *PAGE_FIELDS])
    response = _get("/api/public/billing/invoices/my", access_token, params=params)
    return _parse(response, lambda data: InvoicePage.from_json(data, page=page, size=size))


@sensitive_variables()
@answered_by_stand_in
def get_invoice(
    access_token: str, invoice_id: int, *, fields: Sequence[str] | None = None
) -> Invoice:
    """One invoice with its lines (reference §3). NotFound/Unauthorized if it isn't theirs."""
    path = f"/api/public/billing/invoices/{_id(invoice_id)}"
    params = {"_shape": ",".join(_fields(fields))} if fields is not None else None
    return _parse(_get(path, access_token, params=params), Invoice.from_json)


@sensitive_variables()
@answered_by_stand_in
def get_invoice_pdf(invoice_id: int, *, media_token: str) -> bytes:
    """The invoice PDF, authorised by a fresh media JWT (reference §2a, §3b)."""
    return _pdf(f"/api/public/billing/invoices/{_id(invoice_id)}/pdf", {"t": media_token})


@sensitive_variables()
@answered_by_stand_in
def get_invoice_pdf_by_token(invoice_id: int, *, token: str) -> bytes:
    """A guest's invoice PDF, authorised by the checkout token (reference §4e, §4f)."""
    path = f"/api/public/billing/invoices/{_id(invoice_id)}/pdfByToken"
    return _pdf(path, {"token": token})


@sensitive_variables()
@answered_by_stand_in
def get_statement_pdf(*, media_token: str) -> bytes:
    """One PDF statement over all the member's invoices (reference §3b)."""
    return _pdf("/api/public/billing/invoices/statements/pdf", {"t": media_token})


@sensitive_variables()
@answered_by_stand_in
def register_by_token(invoice_id: int, *, token: str) -> Registration:
    """Turn a paid guest checkout into a customer (reference §4f). Never retried: it creates."""
    path = f"/api/public/billing/invoices/{_id(invoice_id)}/registerByToken"
    response = get_session().post(_url(path), params={"token": token})
    return _parse(response, Registration.from_json)


@sensitive_variables()
@answered_by_stand_in
def exchange_token(token: str, *, valid_for_minutes: int = 1440) -> Tokens:
    """Swap a one-time JWT (e.g. the Token registerByToken returns) for a session (§1e).

    Never retried: the JWT works once. Unauthorized means it cannot sign anyone in.
    """
    params = {"token": token, "validForInMinutes": valid_for_minutes}
    response = get_session().post(_url("/api/sys/users/exchange"), params=params)
    return _parse(response, Tokens.from_json)


# --- Helpers ------------------------------------------------------------------------------------


def _url(path: str) -> str:
    return f"{settings.NEXUDUS_BASE_URL.rstrip('/')}{path}"


def _get(
    path: str, access_token: str, *, params: Mapping[str, str | int] | None = None
) -> requests.Response:
    headers = {"Authorization": f"Bearer {access_token}"}
    return get_session().get(_url(path), params=params, headers=headers)


def _pdf(path: str, params: Mapping[str, str]) -> bytes:
    response = get_session().get(
        _url(path),
        params=params,
        headers={"Accept": "application/pdf"},
        max_body_bytes=PDF_MAX_BYTES,
    )
    body = response.content
    if not body.startswith(b"%PDF"):
        # e.g. the SPA's HTML shell, or a JSON error with a 200 status
        raise BadResponse("not a PDF").locate("GET", path, response.status_code)
    return body


def _parse(response: requests.Response, parse: Callable[[Any], T]) -> T:
    method = response.request.method or "GET"
    path = urlsplit(response.request.url or "").path
    try:
        content_type = response.headers.get("Content-Type", "").lower()
        if "html" in content_type:
            # A custom portal domain answers /api/... with the SPA shell (reference §0).
            raise BadResponse("HTML where JSON was expected")
        return parse(records.loads(response.content))
    except BadResponse as e:
        e.locate(method, path, response.status_code)
        raise


def _id(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("Nexudus ids are ints")
    if value < 1:
        raise NotFound("no such id")  # no record has one; don't ask
    return quote(str(value), safe="")


def _fields(fields: Sequence[str]) -> list[str]:
    if isinstance(fields, str):
        raise TypeError("fields is a sequence of names, not one comma-separated string")
    names = ["Id"]
    for name in fields:
        if not isinstance(name, str) or not _FIELD.fullmatch(name):
            raise ValueError("fields must be dotted names like 'Currency.Code'")
        if name not in names:
            names.append(name)
    return names


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _check_positive(**numbers: int) -> None:
    for name, number in numbers.items():
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ValueError(f"{name} must be a positive int")

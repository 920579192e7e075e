"""One method per Nexudus endpoint the portal uses, returning typed records.

`Api` knows URLs, parameters and shapes; it holds no member state. Calls made on a member's
behalf take the access token as their first argument; `nexudus.client.MemberClient` supplies it
(and renews it), so views never see it.

Every method raises only `NexudusError` subclasses (besides TypeError/ValueError for arguments
no caller should pass). The base URL is read from settings at call time unless one is given, so
tests and `make run` can point it elsewhere without rebuilding anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from nexudus import links, records
from nexudus.errors import (
    BadResponse,
    InvalidCredentials,
    MustResetPassword,
    NexudusError,
    NotFound,
    SignInRefused,
    TwoFactorRequired,
    Unauthorized,
)
from nexudus.http import MiB, Transport
from nexudus.records import (
    BrandColors,
    Business,
    Configuration,
    Invoice,
    InvoicePage,
    Me,
    MediaToken,
    Registration,
    Tokens,
)

T = TypeVar("T")

# A PDF is far bigger than any JSON answer.
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
# The order the answer says it used (reference §6b), kept whenever we ask for one.
ORDER_FIELDS = ("CurrentOrderField", "CurrentSortDirection")
# `_shape` is a comma-separated list of dotted names: anything else could smuggle in more paths.
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*")
_SIGN_IN_REFUSALS: Mapping[str, type[SignInRefused]] = {
    "invalid_grant": InvalidCredentials,
    "two_factor_auth_check": TwoFactorRequired,
    "must_reset_password": MustResetPassword,
}
# On refresh these mean "this session is over, sign in again".
_REFRESH_REFUSALS = frozenset({"invalid_grant", "must_reset_password"})


@dataclass(frozen=True, slots=True)
class InvoiceQuery:
    """Which page of the member's invoices to ask for (reference §5, §6b).

    `paid=None` means both. `fields` trims each record to those fields (plus Id) via `_shape`.
    `order_by` asks for an order with the admin REST convention (`orderBy`, `dir` 1 or -1):
    whether the public list honours it is UNCERTAIN (§6b), so callers check the
    `InvoicePage.order_*` echo and the records themselves before trusting it.
    """

    paid: bool | None = None
    credit_notes: bool = False
    page: int = 1
    size: int = 25
    fields: tuple[str, ...] | None = None
    order_by: str | None = None
    ascending: bool = False


# The first page of everything, credit notes left out.
FIRST_PAGE = InvoiceQuery()


class Api:
    """The Nexudus Public API, over one transport.

    `deadline_at` (on the transport's clock), when set, ends every call by then whatever its own
    deadline: it is the budget of the one request this Api serves (see `until`).
    """

    def __init__(
        self,
        transport: Transport,
        base_url: str | None = None,
        *,
        deadline_at: float | None = None,
        request: Api | None = None,
    ) -> None:
        self.transport = transport
        self._base_url = base_url
        self.deadline_at = deadline_at
        # The request this Api serves, for the bulkhead: one place per request, however many
        # budgets its steps get (a streamed export renews its budget per PDF).
        self._request = request

    def until(self, deadline_at: float) -> Api:
        """This API with every call ending by `deadline_at`: one request's calls, one budget.
        Called on an Api that already serves a request, it serves that same request."""
        request = self._request or (self if self.deadline_at is not None else None)
        return Api(self.transport, self._base_url, deadline_at=deadline_at, request=request)

    def time_left(self) -> float | None:
        """Seconds until `deadline_at`, or None without one."""
        if self.deadline_at is None:
            return None
        return self.deadline_at - self.transport.clock()

    @property
    def base_url(self) -> str:
        return (self._base_url or settings.NEXUDUS_BASE_URL).rstrip("/")

    # --- Sign-in ----------------------------------------------------------------------------

    @sensitive_variables()
    def sign_in(
        self, email: str, password: str, *, client_id: str, totp: str | None = None
    ) -> Tokens:
        """Password grant (reference §1a). Raises a SignInRefused subclass when Nexudus says no."""
        form = {"grant_type": "password", "username": email, "password": password}
        if totp:
            form["totp"] = totp
        return self._token_grant(form, client_id=client_id, refusals=_sign_in_refusal)

    @sensitive_variables()
    def refresh(self, refresh_token: str, *, client_id: str) -> Tokens:
        """Refresh grant (reference §1b). Unauthorized means the member must sign in again.

        Nexudus rotates the refresh token on every use: store the returned pair, drop the old one.
        """
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._token_grant(form, client_id=client_id, refusals=_refresh_refusal)

    @sensitive_variables()
    def exchange_token(self, token: str, *, valid_for_minutes: int = 1440) -> Tokens:
        """Swap a one-time JWT (e.g. the Token registerByToken returns) for a session (§1e).

        Never retried: the JWT works once. Unauthorized means it cannot sign anyone in.
        """
        params = {"token": token, "validForInMinutes": valid_for_minutes}
        response = self._send("POST", "/api/sys/users/exchange", params=params)
        return _parse(response, Tokens.from_json)

    def _token_grant(
        self,
        form: dict[str, str],
        *,
        client_id: str,
        refusals: Callable[[str | None], NexudusError],
    ) -> Tokens:
        # Form-encoded, never JSON (a JSON body gets unsupported_grant_type). The same client_id
        # must be sent on login and on every refresh. POST: the transport never retries it.
        response = self._send(
            "POST",
            "/api/token",
            data=form,
            headers={"client_id": client_id},
            accept_status=(400,),
        )
        if response.status_code == 400:
            raise refusals(_oauth_error(response)).locate("POST", "/api/token", 400)
        return _parse(response, Tokens.from_json)

    # --- The member -------------------------------------------------------------------------

    @sensitive_variables()
    def get_me(self, access_token: str) -> Me:
        """The signed-in user and their customer profiles (reference §1g)."""
        return _parse(self._get("/api/public/coworkers/profiles", access_token), Me.from_json)

    @sensitive_variables()
    def get_business(self, access_token: str) -> Business:
        """The location of the session: name, currency, culture, time zone (reference §7b)."""
        response = self._get("/api/public/businesses/current", access_token)
        return _parse(response, Business.from_json)

    def get_public_business(self) -> Business:
        """The location as anyone may see it, without a member's token (reference §7b: public
        data is served anonymously), for pages guests see."""
        response = self._send("GET", "/api/public/businesses/current")
        return _parse(response, Business.from_json)

    @sensitive_variables()
    def get_configuration(self, access_token: str) -> Configuration:
        """The operator's settings: feature switches, payment provider (reference §7b)."""
        response = self._get("/api/public/configuration", access_token)
        return _parse(response, Configuration.from_json)

    @sensitive_variables()
    def get_brand_colors(self, access_token: str, business_id: int) -> BrandColors:
        """The location's colours (reference §7b)."""
        path = f"/api/sys/businesses/{_id(business_id)}/colors"
        return _parse(self._get(path, access_token), BrandColors.from_json)

    @sensitive_variables()
    def get_media_token(self, access_token: str) -> MediaToken:
        """A ~60 s JWT for PDF downloads (reference §2a): fetch it right before use."""
        return _parse(self._get("/api/auth/media/customer", access_token), MediaToken.from_json)

    # --- Invoices ---------------------------------------------------------------------------

    @sensitive_variables()
    def list_invoices(self, access_token: str, query: InvoiceQuery = FIRST_PAGE) -> InvoicePage:
        """One page of the member's invoices (reference §5, §6b).

        `_shape` paths are read from the response root: hence `Records.<field>` and the
        envelope fields alongside.
        """
        _check_positive(page=query.page, size=query.size)
        params: dict[str, str | int] = {}
        if query.paid is not None:
            params["paid"] = _flag(query.paid)
        params["creditNotes"] = _flag(query.credit_notes)
        params["page"] = query.page
        params["size"] = query.size
        envelope = PAGE_FIELDS
        if query.order_by is not None:
            params["orderBy"] = _order_field(query.order_by)
            params["dir"] = "1" if query.ascending else "-1"
            envelope = (*PAGE_FIELDS, *ORDER_FIELDS)
        if query.fields is not None:
            record_fields = [f"Records.{name}" for name in _fields(query.fields)]
            params["_shape"] = ",".join([*record_fields, *envelope])
        response = self._get("/api/public/billing/invoices/my", access_token, params=params)
        return _parse(
            response, lambda data: InvoicePage.from_json(data, page=query.page, size=query.size)
        )

    @sensitive_variables()
    def get_invoice(
        self, access_token: str, invoice_id: int, *, fields: Sequence[str] | None = None
    ) -> Invoice:
        """One invoice (reference §3). NotFound/Unauthorized if it isn't theirs."""
        path = f"/api/public/billing/invoices/{_id(invoice_id)}"
        params = {"_shape": ",".join(_fields(fields))} if fields is not None else None
        return _parse(self._get(path, access_token, params=params), Invoice.from_json)

    @sensitive_variables()
    def get_invoice_pdf(
        self,
        media_token: str,
        invoice_id: int,
        web_address: str | None,
        member_hosts: Sequence[str] = (),
    ) -> bytes:
        """A member's invoice PDF, fetched here rather than in the browser (for an export).

        The media JWT rides in the query string (reference §2a) to the issuing location's host
        when it is one of the member's own (`links.trusted_host`), never anywhere else. The
        transport logs the path only. Unauthorized means the media JWT has expired.
        """
        url = links.invoice_pdf_url(_int_id(invoice_id), media_token, web_address, member_hosts)
        # Within the budget and the bulkhead place of whoever asked, like every other call.
        request = self._served_request()
        response = self.transport.request(
            "GET",
            url,
            headers={"Accept": "application/pdf"},
            max_body_bytes=PDF_MAX_BYTES,
            deadline_at=self.deadline_at,
            on_behalf_of=request,
        )
        body = response.content
        if not body.startswith(b"%PDF"):
            path = urlsplit(url).path
            raise BadResponse("not a PDF").locate("GET", path, response.status_code)
        return body

    # --- Guests -----------------------------------------------------------------------------

    @sensitive_variables()
    def get_invoice_pdf_by_token(self, invoice_id: int, *, token: str) -> bytes:
        """A guest's invoice PDF, authorised by the checkout token (reference §4e, §4f)."""
        path = f"/api/public/billing/invoices/{_id(invoice_id)}/pdfByToken"
        response = self._send(
            "GET",
            path,
            params={"token": token},
            headers={"Accept": "application/pdf"},
            max_body_bytes=PDF_MAX_BYTES,
        )
        body = response.content
        if not body.startswith(b"%PDF"):
            # e.g. the SPA's HTML shell, or a JSON error with a 200 status
            raise BadResponse("not a PDF").locate("GET", path, response.status_code)
        return body

    @sensitive_variables()
    def register_by_token(self, invoice_id: int, *, token: str) -> Registration:
        """Turn a paid guest checkout into a customer (reference §4f). Never retried."""
        path = f"/api/public/billing/invoices/{_id(invoice_id)}/registerByToken"
        response = self._send("POST", path, params={"token": token})
        return _parse(response, Registration.from_json)

    # --- Helpers ----------------------------------------------------------------------------

    def _served_request(self) -> Api | None:
        """Who holds the bulkhead place for this call: the request it serves, if any."""
        if self.deadline_at is None:
            return None
        return self._request or self

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = f"{self.base_url}{path}"
        # An Api with a deadline serves one request: its calls share one place in the bulkhead.
        request = self._served_request()
        return self.transport.request(
            method, url, deadline_at=self.deadline_at, on_behalf_of=request, **kwargs
        )

    def _get(
        self, path: str, access_token: str, *, params: Mapping[str, str | int] | None = None
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {access_token}"}
        return self._send("GET", path, params=params, headers=headers)


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


def _order_field(name: str) -> str:
    if not isinstance(name, str) or not _FIELD.fullmatch(name) or "." in name:
        raise ValueError("order_by must be one field name like 'CreatedOn'")
    return name


def _int_id(value: object) -> int:
    _id(value)
    return value  # type: ignore[return-value]


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

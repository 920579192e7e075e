"""Typed, immutable views of what Nexudus sends, parsed once at the boundary.

Parsing is tolerant where the API is loose and strict where guessing would be wrong:
- a missing or null optional field becomes None (`_shape` may leave any field out), and so does
  an empty string, which .NET serialisers send for "no value";
- numbers may arrive as JSON numbers or as strings; money is always `Decimal` (bodies are decoded
  with `parse_float=Decimal`, so no amount ever passes through a float);
- a value of the wrong kind ("abc" for a total, a list for a name) or a missing required field
  raises `BadResponse`: a page that shows wrong money is worse than one that says "try later".

Datetimes: Nexudus serialises the location's *wall-clock* time, often with a literal trailing `Z`
that does not mean UTC (reference §0). Reading that `Z` as UTC would move every invoice date by
the location's offset, so every datetime is parsed to a NAIVE `datetime` holding the wall-clock
time the location sees; any offset present is dropped, not applied.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from nexudus.errors import BadResponse, cause

T = TypeVar("T")

_MISSING = object()
# Upstream numbers are ids, counts and money. Anything bigger is an attack on int()/Decimal
# arithmetic (1E+999999999 is a valid JSON number), not data.
_MAX_DIGITS = 18
# No coworking invoice reaches a trillion; Babel cannot format amounts from 1E+26 on.
_MAX_MAGNITUDE = 15


class _Malformed(Exception):
    """A value of the wrong kind; becomes BadResponse naming the field, never the value."""


# --- Decoding -----------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise _Malformed(name)  # NaN and Infinity are not money


def loads(body: bytes) -> Any:
    """Decode a JSON body with every non-integer number as Decimal."""
    try:
        return json.loads(body, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, ArithmeticError, _Malformed, RecursionError) as e:
        # The decoder's message can quote the body, which may be hostile.
        raise BadResponse("invalid JSON") from cause(e, keep_message=False)


# --- Field readers ------------------------------------------------------------------------------


def _as_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)  # e.g. an invoice number sent as a number
    raise _Malformed


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _Malformed
    if isinstance(value, int) and len(str(abs(value))) <= _MAX_DIGITS:
        return value
    if (
        isinstance(value, Decimal)
        and value.is_finite()
        and value.adjusted() < _MAX_DIGITS
        and value == value.to_integral_value()
    ):
        return int(value)
    digits = value.strip() if isinstance(value, str) else ""
    if digits.lstrip("-").isdigit() and len(digits) <= _MAX_DIGITS:
        return int(digits)
    raise _Malformed


def _as_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise _Malformed
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # only reachable if a caller decoded without loads()
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise _Malformed from None
    else:
        raise _Malformed
    if not number.is_finite() or abs(number.adjusted()) > _MAX_MAGNITUDE:
        raise _Malformed
    return number


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"  # settings-style "True"/"False"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise _Malformed


def _as_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise _Malformed
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _Malformed from None
    # Location wall-clock time even when it says Z (see the module docstring).
    return parsed.replace(tzinfo=None)


def _as_date(value: Any) -> date:
    return _as_datetime(value).date()


def _as_mapping(value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    raise _Malformed


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    raise _Malformed


def _read(obj: Mapping[str, Any], keys: tuple[str, ...], convert: Callable[[Any], T]) -> T | None:
    for key in keys:
        value = obj.get(key, _MISSING)
        if value is _MISSING:
            continue
        if value is None or value == "":
            return None
        try:
            return convert(value)
        except _Malformed:
            raise BadResponse(f"field {key} has the wrong type") from None
    return None


def opt(obj: Mapping[str, Any], *keys: str, as_: Callable[[Any], T]) -> T | None:
    """An optional field, looked up under each spelling in turn."""
    return _read(obj, keys, as_)


def req(obj: Mapping[str, Any], *keys: str, as_: Callable[[Any], T]) -> T:
    """A field the record cannot do without."""
    value = _read(obj, keys, as_)
    if value is None:
        raise BadResponse(f"field {keys[0]} is missing")
    return value


def root(data: Any, what: str) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    raise BadResponse(f"{what} is not a JSON object")


def _objects(obj: Mapping[str, Any], *keys: str) -> list[Mapping[str, Any]]:
    items = opt(obj, *keys, as_=_as_list) or []
    if not all(isinstance(item, Mapping) for item in items):
        raise BadResponse(f"field {keys[0]} holds something other than objects")
    return items


_MASK = "'***'"


# --- Records ------------------------------------------------------------------------------------


# Reference: nexudus-public-api.md §1a, §1b
@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    token_type: str

    def __repr__(self) -> str:
        # Reprs land in logs, tracebacks and error reports: never show the tokens.
        return (
            f"Tokens(access_token={_MASK}, refresh_token={_MASK}, "
            f"expires_in={self.expires_in!r}, token_type={self.token_type!r})"
        )

    @classmethod
    def from_json(cls, data: Any) -> Tokens:
        obj = root(data, "token response")
        return cls(
            # /api/token says access_token; /api/sys/users/exchange calls the same thing token.
            access_token=req(obj, "access_token", "token", as_=_as_str),
            refresh_token=req(obj, "refresh_token", as_=_as_str),
            # Lifetimes differ between tenants and docs: always read it, never assume.
            expires_in=req(obj, "expires_in", as_=_as_int),
            token_type=opt(obj, "token_type", as_=_as_str) or "bearer",
        )


# Reference: nexudus-public-api.md §6c
def _as_currency_code(value: Any) -> str:
    """`Currency` is an object `{Code, Name, Format}`; legacy views send the bare code."""
    if isinstance(value, str):
        return value
    code = opt(_as_mapping(value), "Code", as_=_as_str)
    if code is None:
        raise _Malformed
    return code


def _currency_code(obj: Mapping[str, Any]) -> str | None:
    value = obj.get("Currency")
    if isinstance(value, Mapping) and not value.get("Code"):
        return None  # legacy views send an all-empty currency for "none set"
    return opt(obj, "Currency", as_=_as_currency_code)


# Reference: nexudus-public-api.md §7b
@dataclass(frozen=True, slots=True)
class Business:
    name: str | None
    currency_code: str | None
    language_culture: str | None
    time_zone: str | None
    id: int | None = None  # what the colours call needs (§7b)
    # The location's own host (or its subdomain alone): PDF links may point there.
    web_address: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Business:
        obj = root(data, "business")
        return cls(
            id=opt(obj, "Id", as_=_as_int),
            name=opt(obj, "Name", as_=_as_str),
            currency_code=_currency_code(obj),
            language_culture=opt(obj, "LanguageCulture", as_=_as_str),
            time_zone=opt(obj, "TimeZone", as_=_as_str),
            web_address=opt(obj, "WebAddress", as_=_as_str),
        )


# Reference: nexudus-public-api.md §1g
@dataclass(frozen=True, slots=True)
class Profile:
    id: int
    full_name: str | None
    is_default: bool

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Profile:
        return cls(
            id=req(obj, "Id", as_=_as_int),
            full_name=opt(obj, "FullName", as_=_as_str),
            is_default=bool(opt(obj, "IsDefaultProfile", as_=_as_bool)),
        )


# Reference: nexudus-public-api.md §1g
@dataclass(frozen=True, slots=True)
class Me:
    full_name: str | None
    email: str | None
    profiles: tuple[Profile, ...]
    # The member's home location's host (or subdomain): PDF links may point there.
    default_business_web_address: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Me:
        obj = root(data, "profiles response")
        user = req(obj, "User", as_=_as_mapping)
        req(user, "Id", as_=_as_int)  # a user without an id is not a user
        home = opt(obj, "DefaultBusiness", as_=_as_mapping) or {}
        return cls(
            full_name=opt(user, "FullName", as_=_as_str),
            email=opt(user, "Email", as_=_as_str),
            profiles=tuple(Profile.from_json(p) for p in _objects(obj, "Profiles")),
            default_business_web_address=opt(home, "WebAddress", as_=_as_str),
        )


# Reference: nexudus-public-api.md §7b (BusinessSetting name/value pairs)
@dataclass(frozen=True, slots=True)
class Configuration:
    """The operator's settings. Names are compared case-insensitively; booleans are strings."""

    values: Mapping[str, str]

    def flag(self, name: str) -> bool | None:
        """A "True"/"False" setting, or None when it is absent or says something else."""
        value = self.values.get(name.lower(), "").strip().lower()
        return {"true": True, "false": False}.get(value)

    @classmethod
    def from_json(cls, data: Any) -> Configuration:
        if not isinstance(data, list):
            raise BadResponse("configuration is not a list")
        values: dict[str, str] = {}
        for item in data:
            setting = _as_setting(item)
            if setting is not None:
                values[setting[0].lower()] = setting[1]
        return cls(values)


def _as_setting(item: Any) -> tuple[str, str] | None:
    if not isinstance(item, Mapping):
        raise BadResponse("configuration holds something other than objects")
    name = opt(item, "Name", as_=_as_str)
    value = opt(item, "Value", as_=_as_str)
    return (name, value or "") if name else None


# Reference: nexudus-public-api.md §7b
@dataclass(frozen=True, slots=True)
class BrandColors:
    primary: str | None

    @classmethod
    def from_json(cls, data: Any) -> BrandColors:
        obj = root(data, "colours")
        return cls(primary=opt(obj, "primaryColor", "PrimaryColor", as_=_as_str))


# Reference: nexudus-public-api.md §2a
@dataclass(frozen=True, slots=True)
class MediaToken:
    jwt: str = field(repr=False)  # never in a repr: reprs land in logs and error reports

    @classmethod
    def from_json(cls, data: Any) -> MediaToken:
        return cls(jwt=req(root(data, "media token"), "jwt", "Jwt", as_=_as_str))


# Reference: nexudus-public-api.md §3 (line names UNCERTAIN: read defensively)
@dataclass(frozen=True, slots=True)
class InvoiceLine:
    description: str | None
    quantity: Decimal | None
    unit_price: Decimal | None
    sub_total: Decimal | None  # net of tax, after any discount
    tax_amount: Decimal | None
    tax_rate: Decimal | None  # a percentage: 20 means 20 %
    discount_amount: Decimal | None

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> InvoiceLine:
        return cls(
            description=opt(obj, "Description", "DisplayAs", as_=_as_str),
            quantity=opt(obj, "Quantity", as_=_as_decimal),
            unit_price=opt(obj, "UnitPrice", as_=_as_decimal),
            sub_total=opt(obj, "SubTotal", as_=_as_decimal),
            tax_amount=opt(obj, "TaxAmount", as_=_as_decimal),
            tax_rate=opt(obj, "TaxRate", as_=_as_decimal),
            discount_amount=opt(obj, "DiscountAmount", as_=_as_decimal),
        )


# Reference: nexudus-public-api.md §3, §5, §6c
@dataclass(frozen=True, slots=True)
class Invoice:
    id: int
    unique_id: str | None = None
    number: str | None = None
    created_on: datetime | None = None
    due_date: date | None = None
    paid: bool | None = None
    paid_on: datetime | None = None
    draft: bool | None = None
    credit_note: bool | None = None
    total_amount: Decimal | None = None
    tax_amount: Decimal | None = None
    due_amount: Decimal | None = None
    paid_amount: Decimal | None = None
    currency_code: str | None = None
    business_web_address: str | None = None
    business_name: str | None = None
    lines: tuple[InvoiceLine, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> Invoice:
        obj = root(data, "invoice")
        return cls(
            id=req(obj, "Id", as_=_as_int),
            unique_id=opt(obj, "UniqueId", as_=_as_str),
            number=opt(obj, "InvoiceNumber", as_=_as_str),
            created_on=opt(obj, "CreatedOn", as_=_as_datetime),
            due_date=opt(obj, "DueDate", as_=_as_date),
            paid=opt(obj, "Paid", as_=_as_bool),
            paid_on=opt(obj, "PaidOn", as_=_as_datetime),
            draft=opt(obj, "Draft", as_=_as_bool),
            credit_note=opt(obj, "CreditNote", as_=_as_bool),
            total_amount=opt(obj, "TotalAmount", as_=_as_decimal),
            tax_amount=opt(obj, "TaxAmount", as_=_as_decimal),
            due_amount=opt(obj, "DueAmount", as_=_as_decimal),
            paid_amount=opt(obj, "PaidAmount", as_=_as_decimal),
            currency_code=_currency_code(obj),
            business_web_address=opt(obj, "BusinessWebAddress", as_=_as_str),
            business_name=opt(obj, "BusinessName", as_=_as_str),
            # The details doc says Lines, a captured preview said LinesRaw (UNCERTAIN, §3).
            lines=tuple(InvoiceLine.from_json(line) for line in _objects(obj, "Lines", "LinesRaw")),
        )


# Reference: nexudus-public-api.md §6b
@dataclass(frozen=True, slots=True)
class InvoicePage:
    invoices: tuple[Invoice, ...]
    page: int
    size: int
    total_items: int | None
    total_pages: int | None
    has_next: bool
    has_previous: bool
    # The order the answer says it used ("CreatedOn", "DESC"), when it says (§6b).
    order_field: str | None = None
    order_direction: str | None = None

    @classmethod
    def from_json(cls, data: Any, *, page: int, size: int) -> InvoicePage:
        """`page` and `size` are what we asked for: used when the envelope does not say.

        Whether /invoices/my honours page/size is UNCERTAIN (§6b), and `_shape` can drop any
        envelope field, so each is derived from what is present. When nothing says there is a
        next page we assume there is none: a "next" link must never lead to an empty page.
        """
        if isinstance(data, list):
            data = {"Records": data}  # a bare list: everything, no envelope
        obj = root(data, "invoice list")
        if "Records" not in obj:
            raise BadResponse("field Records is missing")
        invoices = tuple(Invoice.from_json(record) for record in _records(obj))
        page = opt(obj, "CurrentPage", "PageNumber", as_=_as_int) or page
        size = opt(obj, "PageSize", "CurrentPageSize", as_=_as_int) or size
        total_items = opt(obj, "TotalItems", as_=_as_int)
        total_pages = opt(obj, "TotalPages", as_=_as_int)
        if total_pages is None and total_items is not None and size > 0:
            total_pages = max(1, -(-total_items // size))
        has_next = opt(obj, "HasNextPage", as_=_as_bool)
        if has_next is None:
            has_next = total_pages is not None and page < total_pages
        has_previous = opt(obj, "HasPreviousPage", as_=_as_bool)
        if has_previous is None:
            has_previous = page > 1
        if total_items is None and not has_next:
            total_items = (page - 1) * size + len(invoices)  # this is the last page
            total_pages = total_pages or page
        return cls(
            invoices,
            page,
            size,
            total_items,
            total_pages,
            has_next,
            has_previous,
            order_field=opt(obj, "CurrentOrderField", as_=_as_str),
            order_direction=opt(obj, "CurrentSortDirection", as_=_as_str),
        )


def _records(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    records = obj.get("Records")
    if not isinstance(records, list):
        raise BadResponse("field Records is not a list")
    if not all(isinstance(record, Mapping) for record in records):
        raise BadResponse("field Records holds something other than objects")
    return records


# Reference: nexudus-public-api.md §4f
@dataclass(frozen=True, slots=True)
class Registration:
    token: str = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Registration:
        return cls(token=req(root(data, "registration"), "Token", "token", as_=_as_str))

"""Steering and watching the sandbox: the knobs and the request log.

Tests change knobs in-process (`app.knobs.update(...)`); other processes (`make run`,
benchmarks) use the environment or POST /_sandbox/knobs (`sandbox.control`).
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

# What the `fault` knob accepts; `sandbox.faults` says what each one answers.
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

# Environment variable -> knob. Durations are in the variable's unit, so no value is converted.
ENV_KNOBS = {
    "SANDBOX_LATENCY_MS": "latency_ms",
    "SANDBOX_FAULT": "fault",
    "SANDBOX_FAULT_PATH": "fault_path_prefix",
    "SANDBOX_FAULT_TIMES": "fault_times",
    "SANDBOX_FAULT_RATE": "fault_rate",
    "SANDBOX_TRICKLE_INTERVAL_MS": "trickle_interval_ms",
    "SANDBOX_ACCESS_TOKEN_LIFETIME": "access_token_lifetime",
    "SANDBOX_INVOICES_VIEWABLE": "invoices_viewable",
    "SANDBOX_INVOICES_PRINTABLE": "invoices_printable",
    "SANDBOX_PRIMARY_COLOR": "primary_color",
    "SANDBOX_PORTAL_URL": "portal_url",
    "SANDBOX_WEBHOOK_URL": "webhook_url",
    "SANDBOX_WEBHOOK_SECRET": "webhook_secret",
    "SANDBOX_PDF_MIN_KIB": "pdf_min_kib",
}

# Names that took seconds before the durations moved to milliseconds. Using one fails loudly
# with the new name, rather than a value a thousand times off or silently ignored.
RENAMED_KNOBS = {"latency": "latency_ms", "trickle_interval": "trickle_interval_ms"}
RENAMED_ENV = {"SANDBOX_TRICKLE_INTERVAL": "SANDBOX_TRICKLE_INTERVAL_MS"}

SECRET_MASK = "[set]"  # noqa: S105 - shown in place of the secret, never the secret


@dataclass
class Knobs:
    """Behaviour switches for tests and benchmarks (change with `update`, thread-safely).

    - `latency_ms`: milliseconds slept before answering each API request under
      `fault_path_prefix` (with the default prefix, every API request).
    - `fault`: None or one of FAULTS; applies to paths starting with `fault_path_prefix`.
    - `fault_times`: None = fault forever; N = fault the next N matching requests, then the
      fault switches itself off ("fail once, then succeed").
    - `fault_rate`: the share of matching requests that fault, each drawn at random (1.0, the
      default, = every one). A load test's "5 % of calls fail" is 0.05: unlike `fault_times`,
      the failures land independently, not in a run. `fault_times` counts only those that do.
    - `trickle_interval_ms`: milliseconds between bytes for the "trickle" fault.
    - `huge_bytes`: body size of the "huge" fault.
    - `access_token_lifetime`: seconds an access token lives (`expires_in`).
    - `invoices_viewable`, `invoices_printable`: the operator's My-account switches, as
      /api/public/configuration reports them (`Members.ViewInvoices`, which covers viewing and
      paying, and `Members.PrintInvoices`).
    - `primary_color`: `primaryColor` of /api/sys/businesses/{id}/colors ("#rrggbb").
    - `portal_url`: where the payment page sends the member back to (no trailing slash).
    - `webhook_url`: None = send no webhooks; otherwise where they are POSTed (`{action}` in
      it becomes the action, see `sandbox.webhooks`).
    - `webhook_secret`: None = unsigned; otherwise the shared secret that signs them. Never
      shown by `public_dict` (GET /_sandbox/knobs).
    - `pdf_min_kib`: 0 = invoice PDFs as rendered (a few KiB); N = padded to at least N KiB
      (still valid PDFs), the size of a real invoice with a logo, for export benchmarks.
    """

    latency_ms: float = 0.0
    fault: str | None = None
    fault_path_prefix: str = "/api/"
    fault_times: int | None = None
    fault_rate: float = 1.0
    trickle_interval_ms: float = 1000.0
    huge_bytes: int = 50 * 1024 * 1024
    access_token_lifetime: int = 86400
    invoices_viewable: bool = True
    invoices_printable: bool = True
    # White text on it passes WCAG AA (6.8:1).
    primary_color: str = "#1f5f8b"
    portal_url: str = "http://127.0.0.1:8000"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    pdf_min_kib: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _random: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def update(self, **values: Any) -> None:
        """Set knobs by name, checking names and values (raises ValueError on a bad one)."""
        known = {f.name for f in fields(self) if not f.name.startswith("_")}
        clean: dict[str, Any] = {}
        for name, value in values.items():
            if name not in known:
                raise ValueError(_unknown_knob(name))
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

    def public_dict(self) -> dict[str, Any]:
        """`as_dict` with the webhook secret masked: what a control endpoint may show."""
        values = self.as_dict()
        if values["webhook_secret"] is not None:
            values["webhook_secret"] = SECRET_MASK
        return values

    def take_fault(self, path: str) -> str | None:
        """The fault to inject for this request, counting down `fault_times`."""
        with self._lock:
            if not self.fault or not path.startswith(self.fault_path_prefix):
                return None
            if self.fault_rate < 1 and self._random.random() >= self.fault_rate:
                return None
            fault = self.fault
            if self.fault_times is not None:
                self.fault_times -= 1
                if self.fault_times <= 0:
                    self.fault, self.fault_times = None, None
            return fault

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Knobs:
        """Knobs from the variables in ENV_KNOBS (blank = default)."""
        for old, new in RENAMED_ENV.items():
            if environ.get(old, "").strip():
                raise ValueError(f"{old} is now {new}, in milliseconds")
        values = {
            knob: environ[var] for var, knob in ENV_KNOBS.items() if environ.get(var, "").strip()
        }
        knobs = cls()
        knobs.update(**values)
        return knobs


def _unknown_knob(name: str) -> str:
    renamed = RENAMED_KNOBS.get(name)
    hint = f" (now {renamed!r}, in milliseconds)" if renamed else ""
    return f"unknown knob {name!r}{hint}"


def _coerce_knob(name: str, value: Any) -> Any:
    return _COERCE.get(name, _positive_int)(name, value)


def _fault(name: str, value: Any) -> str | None:
    if value in (None, "", "none", "None"):
        return None
    value = str(value)
    if value not in FAULTS:
        raise ValueError(f"unknown fault {value!r}; one of {sorted(FAULTS)}")
    return value


def _fault_times(name: str, value: Any) -> int | None:
    if value in (None, ""):
        return None
    if int(value) < 1:
        raise ValueError("fault_times must be at least 1 (or null for forever)")
    return int(value)


def _text(name: str, value: Any) -> str:
    return str(value)


def _share(name: str, value: Any) -> float:
    rate = float(value)
    if not 0 <= rate <= 1:
        raise ValueError(f"{name} is a share of requests, from 0 to 1")
    return rate


def _milliseconds(name: str, value: Any) -> float:
    if float(value) < 0:
        raise ValueError(f"{name} cannot be negative")
    return float(value)


def _positive_int(name: str, value: Any) -> int:
    if int(value) < 1:
        raise ValueError(f"{name} must be positive")
    return int(value)


def _kibibytes(name: str, value: Any) -> int:
    if int(value) < 0 or int(value) > 20 * 1024:
        raise ValueError(f"{name} is a size from 0 to 20480 KiB")
    return int(value)


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"{name} must be true or false")


_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _colour(name: str, value: Any) -> str:
    text = str(value).strip()
    if not _COLOUR.fullmatch(text):
        raise ValueError(f"{name} must be a colour like #1f5f8b")
    return text


def _url(name: str, value: Any) -> str:
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"{name} must be an http:// or https:// URL")
    return text


def _base_url(name: str, value: Any) -> str:
    # Paths are appended to it, so no trailing slash.
    return _url(name, value).rstrip("/")


def _optional_url(name: str, value: Any) -> str | None:
    return None if value in (None, "") else _url(name, value)


def _optional_text(name: str, value: Any) -> str | None:
    return None if value in (None, "") else str(value)


_COERCE: dict[str, Callable[[str, Any], Any]] = {
    "fault": _fault,
    "fault_times": _fault_times,
    "fault_path_prefix": _text,
    "fault_rate": _share,
    "latency_ms": _milliseconds,
    "trickle_interval_ms": _milliseconds,
    "invoices_viewable": _boolean,
    "invoices_printable": _boolean,
    "primary_color": _colour,
    "portal_url": _base_url,
    "webhook_url": _optional_url,
    "webhook_secret": _optional_text,
    "pdf_min_kib": _kibibytes,
}


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


# -- /_sandbox/* (for out-of-process tests and benchmarks) --------------------------------------

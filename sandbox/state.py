"""What one sandbox instance remembers between requests.

Handlers are plain functions over this state; `SandboxApp` owns one and passes it to each.
The threaded server runs handlers concurrently, so the token tables, the log and the PDF cache
change only under `lock`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from sandbox.clock import Clock
from sandbox.data import DemoData
from sandbox.knobs import Knobs, LogEntry
from sandbox.webhooks import WebhookSender


@dataclass
class IssuedToken:
    """Whose an access or refresh token is, the client it was issued to, and until when."""

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
    webhooks: WebhookSender
    access_tokens: dict[str, IssuedToken] = field(default_factory=dict)
    refresh_tokens: dict[str, IssuedToken] = field(default_factory=dict)
    # One live refresh token per (person id, client_id).
    refresh_by_client: dict[tuple[int, str], str] = field(default_factory=dict)
    # One-time JWTs already swapped for a session by /api/sys/users/exchange.
    exchanged: set[str] = field(default_factory=set)
    log: list[LogEntry] = field(default_factory=list)
    pdf_cache: dict[int, bytes] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def record(self, entry: LogEntry) -> None:
        with self.lock:
            self.log.append(entry)

    def log_snapshot(self) -> list[LogEntry]:
        """The request log, oldest first, as a copy that later requests do not change."""
        with self.lock:
            return list(self.log)

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()

    def forget_pdf(self, invoice_id: int) -> None:
        """Drop a cached PDF: the invoice changed (paid), so it must be rendered again."""
        with self.lock:
            self.pdf_cache.pop(invoice_id, None)

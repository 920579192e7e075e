"""Issue 15: one INFO line per request, with its upstream summary; per-call detail at DEBUG."""

from __future__ import annotations

import logging
import re

import pytest

pytestmark = pytest.mark.django_db


def _lines(caplog, name: str, level: int = logging.INFO) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == name and r.levelno == level]


def test_my_invoices_logs_one_line_that_sums_up_its_nexudus_calls(signed_in_member, caplog) -> None:
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert signed_in_member.get("/invoices/?credit_notes=1").status_code == 200
    lines = _lines(caplog, "portal.requests")
    assert len(lines) == 1
    assert lines[0].startswith("GET /invoices/ 200 in ")
    # Every call the page made is counted once, and all of them answered 200.
    summary = re.search(r"nexudus (\d+) calls in \d+ ms \(200 x(\d+)\)$", lines[0])
    assert summary and summary.group(1) == summary.group(2) and int(summary.group(1)) >= 2
    assert "credit_notes" not in lines[0]  # never a query string
    # The calls themselves said nothing at INFO: their detail is at DEBUG.
    assert _lines(caplog, "nexudus") == []


def test_call_detail_is_there_at_debug(signed_in_member, caplog) -> None:
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        signed_in_member.get("/invoices/")
    detail = _lines(caplog, "nexudus", logging.DEBUG)
    assert any("GET /api/public/billing/invoices/my -> 200" in line for line in detail)


def test_a_failed_call_still_warns_at_once(signed_in_member, sandbox, caplog) -> None:
    sandbox.app.knobs.update(fault="500", fault_path_prefix="/api/public/billing")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        signed_in_member.get("/invoices/")
    assert _lines(caplog, "nexudus", logging.WARNING)
    assert "500 x" in _lines(caplog, "portal.requests")[0]


def test_a_path_cannot_forge_a_log_line(client, caplog) -> None:
    with caplog.at_level(logging.INFO):
        client.get("/nothing%0d%0aINFO%20fake%20line/")
    (line,) = _lines(caplog, "portal.requests")
    assert "\n" not in line and "\r" not in line
    assert "\\x0d\\x0a" in line


def test_liveness_probes_stay_out_of_the_info_log(client, caplog) -> None:
    with caplog.at_level(logging.INFO):
        client.get("/healthz")
    assert _lines(caplog, "portal.requests") == []

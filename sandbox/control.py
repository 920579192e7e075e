"""The /_sandbox/* control endpoints: health, the request log, the knobs, the clock, and a
webhook on demand.

They are never delayed, faulted or logged, so tests and benchmarks can always reach them. What
they answer never includes a request body or the webhook secret.
"""

from __future__ import annotations

import json
from dataclasses import replace

from werkzeug.wrappers import Request, Response

from sandbox.clock import local_now
from sandbox.responses import Halt, json_response, not_found
from sandbox.state import SandboxState
from sandbox.webhooks import INVOICE_ACTIONS, invoice_dto


def no_favicon(state: SandboxState, request: Request) -> Response:
    return Response(status=204)


def show_health(state: SandboxState, request: Request) -> Response:
    return json_response({"Status": "ok"})


def show_log(state: SandboxState, request: Request) -> Response:
    return json_response([entry.as_json() for entry in state.log_snapshot()])


def knobs_endpoint(state: SandboxState, request: Request) -> Response:
    """GET shows the knobs; POST changes those named in a JSON object, then shows them."""
    if request.method == "POST":
        try:
            values = json.loads(request.get_data(as_text=True) or "{}")
            if not isinstance(values, dict):
                raise ValueError("send a JSON object of knob names to values")
            state.knobs.update(**values)
        except (ValueError, TypeError) as exc:
            return json_response({"Message": str(exc)}, 400)
    return json_response(state.knobs.public_dict())


def reset_log(state: SandboxState, request: Request) -> Response:
    state.clear_log()
    return Response(status=204)


def advance_clock(state: SandboxState, request: Request) -> Response:
    try:
        seconds = float(request.args.get("seconds", ""))
    except ValueError:
        return json_response({"Message": "seconds must be a number"}, 400)
    state.clock.advance(seconds)
    return json_response({"Now": state.clock.now().isoformat()})


def touch_invoice(state: SandboxState, request: Request, invoice_id: int) -> Response:
    """POST /_sandbox/invoices/{id}/touch?action=CoworkerInvoiceUpdate: mark the invoice
    updated now and send one webhook with that action (one of INVOICE_ACTIONS; default
    CoworkerInvoiceUpdate). 202 with whether it was queued (not when `webhook_url` is unset)."""
    action = request.args.get("action") or "CoworkerInvoiceUpdate"
    if action not in INVOICE_ACTIONS:
        return json_response({"Message": f"action must be one of {sorted(INVOICE_ACTIONS)}"}, 400)
    with state.lock:
        invoice = state.data.invoices.get(invoice_id)
        if invoice is None:
            raise Halt(not_found())
        location = state.data.locations[invoice.location_id]
        invoice = replace(invoice, updated_on=local_now(state.clock, location.time_zone))
        state.data.invoices[invoice_id] = invoice
    queued = state.webhooks.send(action, invoice_id, invoice_dto(state.data, invoice))
    return json_response({"Action": action, "InvoiceId": invoice_id, "Queued": queued}, 202)

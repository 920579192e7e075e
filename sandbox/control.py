"""The /_sandbox/* control endpoints: health, the request log, the knobs and the clock.

They are never delayed, faulted or logged, so tests and benchmarks can always reach them.
"""

from __future__ import annotations

import json

from werkzeug.wrappers import Request, Response

from sandbox.responses import json_response
from sandbox.state import SandboxState


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
    return json_response(state.knobs.as_dict())


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

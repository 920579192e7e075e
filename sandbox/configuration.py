"""What the operator configured: the portal settings (/api/public/configuration) and the
location's colours (/api/sys/businesses/{businessId}/colors)."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from sandbox.auth import bearer
from sandbox.responses import Halt, json_response, not_found
from sandbox.state import SandboxState

# The colours other than the primary one (the knob), as in the docs' example.
SECONDARY_COLOR = "#001279"
BACKGROUND_COLOR = "#F9FAFB"
TEXT_COLOR = "#111827"


def configuration(state: SandboxState, request: Request) -> Response:
    """BusinessSetting name/value pairs of the member's location; booleans are "True"/"False".

    The My-account invoice switches use the names the BusinessSettings reference documents:
    `Members.ViewInvoices` ("Users can view and pay invoices", one switch for both) and
    `Members.PrintInvoices` ("Users can print invoices"). Reading chosen (UNCERTAIN upstream):
    they only change what this endpoint says; the invoice endpoints keep answering.
    """
    bearer(state, request)
    knobs = state.knobs
    settings = {
        "PaymentProvider": "Stripe",
        "PublicWebSite.MyAccount": True,
        "Members.ViewInvoices": knobs.invoices_viewable,
        "Members.PrintInvoices": knobs.invoices_printable,
        "Members.CanSignup": True,
        "Billing.DisplayTaxOnWebsite": True,
        "Footer.SayingText": "Work somewhere you like.",
        "Footer.SayingAuthor": "Harbour Works",
    }
    body = [{"Name": name, "Value": _setting_value(value)} for name, value in settings.items()]
    return json_response(body)


def colors(state: SandboxState, request: Request, business_id: int) -> Response:
    """The location's colour tokens; 404 for a business the sandbox does not know."""
    bearer(state, request)
    if business_id not in state.data.locations:
        raise Halt(not_found())
    return json_response(
        {
            "primaryColor": state.knobs.primary_color,
            "secondaryColor": SECONDARY_COLOR,
            "backgroundColor": BACKGROUND_COLOR,
            "textColor": TEXT_COLOR,
        }
    )


def _setting_value(value: bool | str) -> str:
    # .NET's bool.ToString(): "True"/"False".
    if isinstance(value, bool):
        return "True" if value else "False"
    return value

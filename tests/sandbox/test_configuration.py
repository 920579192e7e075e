"""GET /api/public/configuration and /api/sys/businesses/{businessId}/colors."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from sandbox.app import Knobs, SandboxApp
from sandbox.data import LISBOA_ID, LONDON_ID

from .conftest import SignedIn

CONFIGURATION = "/api/public/configuration"


def settings(client: Client, who: SignedIn) -> dict[str, str]:
    response = client.get(CONFIGURATION, headers=who.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert isinstance(body, list)
    assert all(set(item) == {"Name", "Value"} for item in body)
    assert all(isinstance(item["Value"], str) for item in body)
    return {item["Name"]: item["Value"] for item in body}


def colors_url(business_id: int) -> str:
    return f"/api/sys/businesses/{business_id}/colors"


def test_it_reports_the_my_account_invoice_switches_on_by_default(
    client: Client, member: SignedIn
) -> None:
    values = settings(client, member)
    assert values["Members.ViewInvoices"] == "True"
    assert values["Members.PrintInvoices"] == "True"
    assert values["PublicWebSite.MyAccount"] == "True"
    assert values["PaymentProvider"] == "Stripe"
    assert len(values) >= 6


@pytest.mark.parametrize(
    ("knob", "setting"),
    [
        ("invoices_viewable", "Members.ViewInvoices"),
        ("invoices_printable", "Members.PrintInvoices"),
    ],
)
def test_it_turns_an_invoice_switch_off_with_its_knob(
    client: Client, app: SandboxApp, member: SignedIn, knob: str, setting: str
) -> None:
    app.knobs.update(**{knob: False})
    assert settings(client, member)[setting] == "False"
    assert client.post("/_sandbox/knobs", json={knob: True}).status_code == 200
    assert settings(client, member)[setting] == "True"
    assert client.post("/_sandbox/knobs", json={knob: "false"}).get_json()[knob] is False
    assert settings(client, member)[setting] == "False"


def test_it_reads_the_invoice_switches_from_the_environment() -> None:
    knobs = Knobs.from_env(
        {"SANDBOX_INVOICES_VIEWABLE": "False", "SANDBOX_INVOICES_PRINTABLE": "0"}
    )
    assert knobs.invoices_viewable is False
    assert knobs.invoices_printable is False
    assert Knobs.from_env({"SANDBOX_INVOICES_VIEWABLE": "true"}).invoices_viewable is True
    with pytest.raises(ValueError):
        Knobs.from_env({"SANDBOX_INVOICES_PRINTABLE": "sometimes"})


def test_it_wants_a_bearer_for_the_configuration(client: Client) -> None:
    response = client.get(CONFIGURATION)
    assert response.status_code == 401
    assert response.data == b""
    assert client.get(CONFIGURATION, headers={"Authorization": "Bearer x"}).status_code == 401


def contrast_with_white(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


def test_it_serves_the_colours_of_the_members_business(client: Client, member: SignedIn) -> None:
    business = client.get("/api/public/businesses/current", headers=member.headers).get_json()
    assert business["Id"] == LONDON_ID
    assert business["WebAddress"]
    response = client.get(colors_url(business["Id"]), headers=member.headers)
    assert response.status_code == 200
    colours = response.get_json()
    assert set(colours) == {"primaryColor", "secondaryColor", "backgroundColor", "textColor"}
    assert colours["primaryColor"] == "#1f5f8b"
    assert all(value.startswith("#") and len(value) == 7 for value in colours.values())
    # White text on the default primary colour passes WCAG AA.
    assert contrast_with_white(colours["primaryColor"]) >= 4.5
    lisboa = client.get(colors_url(LISBOA_ID), headers=member.headers)
    assert lisboa.status_code == 200


def test_it_takes_a_low_contrast_primary_colour_from_a_knob(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    app.knobs.update(primary_color="#ffff66")
    colours = client.get(colors_url(LONDON_ID), headers=member.headers).get_json()
    assert colours["primaryColor"] == "#ffff66"
    assert contrast_with_white(colours["primaryColor"]) < 4.5
    assert Knobs.from_env({"SANDBOX_PRIMARY_COLOR": "#123456"}).primary_color == "#123456"


@pytest.mark.parametrize("colour", ["red", "#12345", "#1234567", "1f5f8b", "#ggg000", ""])
def test_it_refuses_a_primary_colour_that_is_not_hex(colour: str) -> None:
    with pytest.raises(ValueError):
        Knobs().update(primary_color=colour)


def test_it_answers_404_for_the_colours_of_an_unknown_business(
    client: Client, member: SignedIn
) -> None:
    response = client.get(colors_url(1), headers=member.headers)
    assert response.status_code == 404
    assert response.get_json()["Message"]


def test_it_wants_a_bearer_for_the_colours(client: Client) -> None:
    response = client.get(colors_url(LONDON_ID))
    assert response.status_code == 401
    assert response.data == b""

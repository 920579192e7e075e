"""Who is signed in, and where: /coworkers/profiles and /businesses/current, and the web
address each location answers with."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from sandbox.auth import bearer
from sandbox.data import LONDON_ID, Location
from sandbox.responses import json_response
from sandbox.state import SandboxState


def profiles(state: SandboxState, request: Request) -> Response:
    person = bearer(state, request)
    home = state.data.locations[person.home_location_id]
    body = {
        "User": {
            "Id": person.user_id,
            "FullName": person.full_name,
            "Email": person.email,
            "Active": not person.suspended,
            "IsAdmin": person.is_admin,
            "AccessToken": "",
        },
        "DefaultBusiness": {
            "Id": home.id,
            "Name": home.name,
            "WebAddress": web_address(home.id, request.host, home.id),
        },
        "Profiles": [
            {
                "Id": person.id,
                "FullName": person.full_name,
                "CompanyName": person.company_name,
                "Active": not person.suspended,
                "IsDefaultProfile": True,
                "CoworkerType": person.coworker_type,
                "HasVirtualOffice": False,
                "VirtualOfficePaused": None,
                "VirtualOfficeContractId": None,
            }
        ],
    }
    return json_response(body, shape=request.args.get("_shape"))


def business(state: SandboxState, request: Request) -> Response:
    """Reading chosen (reference §7b says "bearer, or public data anonymously depending on
    settings"): without an Authorization header the location of the host answers, which for
    the sandbox is London; with one, it must be valid and the member's home location answers.
    """
    if "Authorization" in request.headers:
        home = state.data.locations[bearer(state, request).home_location_id]
    else:
        home = state.data.locations[LONDON_ID]
    body = {
        "Id": home.id,
        "UniqueId": home.unique_id,
        "Name": home.name,
        "WebAddress": web_address(home.id, request.host, home.id),
        "Currency": currency_json(home),
        "LanguageCulture": home.culture,
        "TimeZone": home.time_zone,
        "Address": home.address,
        "TownCity": home.town_city,
        "PostalCode": home.postal_code,
        "Country": {
            "Id": home.country_id,
            "Name": home.country_name,
            "TwoDigitsCode": home.country_code,
        },
        "NativeHomeUrl": "/",
        "NativeHomeUrlWithLanguage": home.language_path,
    }
    return json_response(body, shape=request.args.get("_shape"))


def currency_json(location: Location) -> dict[str, str]:
    """Reading chosen (UNCERTAIN upstream): `Format` is numeral.js style ("£0,0.00",
    "0,0.00 €")."""
    return {
        "Code": location.currency_code,
        "Name": location.currency_name,
        "Format": location.currency_format,
    }


def web_address(location_id: int, request_host: str, home_location_id: int) -> str:
    """Host[:port] for a location, as seen from a request that came in on `request_host`.

    Reading chosen (UNCERTAIN upstream): `WebAddress`/`BusinessWebAddress` are host[:port]
    strings that lead back to this sandbox, so the portal's PDF links work locally.

    The member's home location is the host the request used; the other location is the
    other loopback name on the same port (127.0.0.1 <-> localhost). Both lead back to this
    sandbox, yet links to the two locations differ, as they would on Nexudus.
    """
    if location_id == home_location_id:
        return request_host
    name, port = _split_host(request_host)
    other = "localhost" if name == "127.0.0.1" else "127.0.0.1"
    return f"{other}:{port}" if port else other


def _split_host(host: str) -> tuple[str, str]:
    if host.startswith("["):  # [::1]:8001
        name, _, rest = host[1:].partition("]")
        return name, rest.removeprefix(":")
    name, _, port = host.partition(":")
    return name, port

"""GET /api/public/coworkers/profiles and /api/public/businesses/current."""

from __future__ import annotations

from werkzeug.test import Client

from sandbox.app import SandboxApp
from sandbox.data import ADA_ID, LONDON_ID

from .conftest import SignedIn, signed_in


def test_it_describes_the_signed_in_member(client: Client, member: SignedIn) -> None:
    response = client.get("/api/public/coworkers/profiles", headers=member.headers)
    body = response.get_json()
    assert body["User"]["FullName"] == "Ada Lovelace"
    assert body["User"]["Email"] == "ada@example.com"
    assert body["User"]["AccessToken"] == ""
    assert body["User"]["IsAdmin"] is False
    assert body["DefaultBusiness"] == {
        "Id": LONDON_ID,
        "Name": "Harbour Works London",
        "WebAddress": "localhost",
    }
    [profile] = body["Profiles"]
    assert profile["Id"] == ADA_ID
    assert profile["IsDefaultProfile"] is True
    assert profile["CompanyName"] == "Analytical Engines Ltd"


def test_it_describes_the_members_home_location(client: Client, member: SignedIn) -> None:
    response = client.get(
        "/api/public/businesses/current",
        headers={**member.headers, "Host": "127.0.0.1:8001"},
    )
    body = response.get_json()
    assert body["Name"] == "Harbour Works London"
    assert body["WebAddress"] == "127.0.0.1:8001"
    assert body["Currency"] == {"Code": "GBP", "Name": "British Pound", "Format": "£0,0.00"}
    assert body["LanguageCulture"] == "en-GB"
    assert body["TimeZone"] == "Europe/London"
    assert body["Country"]["TwoDigitsCode"] == "GB"
    assert body["NativeHomeUrlWithLanguage"] == "/en"


def test_it_shows_lisboa_to_a_lisboa_member(client: Client, app: SandboxApp) -> None:
    app.data.people[app.data.person_by_email("alan@example.com").id].must_reset_password = False
    alan = signed_in(client, app, "alan@example.com")
    body = client.get("/api/public/businesses/current", headers=alan.headers).get_json()
    assert body["Currency"]["Code"] == "EUR"
    assert body["LanguageCulture"] == "pt-PT"


def test_it_shapes_the_profiles_response(client: Client, member: SignedIn) -> None:
    response = client.get(
        "/api/public/coworkers/profiles?_shape=User.FullName,Profiles.Id", headers=member.headers
    )
    assert response.get_json() == {
        "User": {"FullName": "Ada Lovelace"},
        "Profiles": [{"Id": ADA_ID}],
    }


def test_it_describes_the_location_publicly_without_a_token(client: Client) -> None:
    response = client.get("/api/public/businesses/current")
    assert response.status_code == 200
    body = response.get_json()
    assert body["Name"] == "Harbour Works London"
    assert body["LanguageCulture"] == "en-GB"

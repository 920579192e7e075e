"""Signing in and proving who you are.

POST /api/token (password and refresh grants), the bearer check every member endpoint starts
with, media JWTs (/api/auth/media/customer) and the one-time JWTs that
/api/sys/users/exchange swaps for a session, and the password-recovery page that the portal's
"must reset" message links to.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox import tokens
from sandbox.data import Person
from sandbox.responses import Halt, html_page, json_response, unauthorized
from sandbox.state import IssuedToken, SandboxState

BAD_CREDENTIALS = "The user name or password is incorrect."
BAD_REFRESH = "The refresh token is invalid or has expired."
REFRESH_TOKEN_LIFETIME = timedelta(days=15)
MEDIA_TOKEN_SECONDS = 60
MEDIA_SCOPE = "media"
ONE_TIME_SCOPE = "invoice"  # registerByToken's Token, for one invoice's guest

RECOVERY_PAGE_BODY = """<h1>Password recovery</h1>
<p>This is the Nexudus sandbox. On a real space, this is the members portal's
<em>Forgot password?</em> page: the member enters their e-mail address and gets a reset link.</p>
<p>Demo members keep the password <code>demo-pass-1</code>; Alan Turing's account always asks for a
new password, to show that message.</p>"""


# -- POST /api/token ----------------------------------------------------------------------------


def token(state: SandboxState, request: Request) -> Response:
    # Nexudus only reads form-encoded bodies here; JSON fails like a missing grant_type.
    if request.mimetype != "application/x-www-form-urlencoded":
        return _oauth_error(
            "unsupported_grant_type",
            "The body must be application/x-www-form-urlencoded.",
        )
    grant_type = request.form.get("grant_type", "")
    if grant_type == "password":
        return _password_grant(state, request)
    if grant_type == "refresh_token":
        return _refresh_grant(state, request)
    return _oauth_error("unsupported_grant_type", "The grant type is not supported.")


def _password_grant(state: SandboxState, request: Request) -> Response:
    """Reading chosen (UNCERTAIN upstream): `must_reset_password` carries a human message in
    `error_description`, not a reset token."""
    form = request.form
    person = state.data.person_by_email(form.get("username", ""))
    password = form.get("password", "")
    # Unknown e-mail, suspended account and wrong password look identical on purpose.
    if (
        person is None
        or person.suspended
        or person.password is None
        or not hmac.compare_digest(person.password.encode(), password.encode())
    ):
        return _oauth_error("invalid_grant", BAD_CREDENTIALS)
    if person.must_reset_password:
        return _oauth_error(
            "must_reset_password", "You must reset your password before signing in."
        )
    if person.totp:
        code = form.get("totp", "").strip()
        if not code:
            return _oauth_error(
                "two_factor_auth_check", "A two-factor authentication code is required."
            )
        if not hmac.compare_digest(code.encode(), person.totp.encode()):
            return _oauth_error(
                "two_factor_auth_check", "The two-factor authentication code is incorrect."
            )
    client_id = request.headers.get("client_id", "").strip() or person.email
    return _token_response(issue_tokens(state, person, client_id))


def _refresh_grant(state: SandboxState, request: Request) -> Response:
    refresh = request.form.get("refresh_token", "")
    client_id = request.headers.get("client_id", "").strip()
    now = state.clock.now()
    with state.lock:
        record = state.refresh_tokens.get(refresh)
        if (
            record is None
            or record.expires_at <= now
            or not client_id
            or not hmac.compare_digest(record.client_id.encode(), client_id.encode())
        ):
            return _oauth_error("invalid_grant", BAD_REFRESH)
        person = state.data.people.get(record.person_id)
        if person is None or person.suspended:
            return _oauth_error("invalid_grant", BAD_REFRESH)
        return _token_response(issue_tokens(state, person, record.client_id))


def issue_tokens(state: SandboxState, person: Person, client_id: str) -> dict[str, Any]:
    """A new access and refresh token for `person` on `client_id`: the token response body."""
    now = state.clock.now()
    lifetime = state.knobs.access_token_lifetime
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with state.lock:
        # A new refresh token for this client_id kills the previous one; access tokens
        # already issued stay valid until they expire.
        previous = state.refresh_by_client.pop((person.id, client_id), None)
        if previous:
            state.refresh_tokens.pop(previous, None)
        _forget_expired(state, now)
        state.access_tokens[access] = IssuedToken(
            person.id, client_id, now + timedelta(seconds=lifetime)
        )
        state.refresh_tokens[refresh] = IssuedToken(
            person.id, client_id, now + REFRESH_TOKEN_LIFETIME
        )
        state.refresh_by_client[(person.id, client_id)] = refresh
    return {
        "access_token": access,
        "token_type": "bearer",
        "expires_in": lifetime,
        "refresh_token": refresh,
    }


def _forget_expired(state: SandboxState, now: datetime) -> None:
    # Benchmarks sign in thousands of times; keep the token tables from growing forever.
    if len(state.access_tokens) > 10_000:
        for key in [k for k, v in state.access_tokens.items() if v.expires_at <= now]:
            del state.access_tokens[key]


def _oauth_error(error: str, description: str) -> Response:
    response = json_response({"error": error, "error_description": description}, 400)
    response.headers["Cache-Control"] = "no-store"
    return response


def _token_response(body: dict[str, Any]) -> Response:
    response = json_response(body)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


# -- checks the other endpoints start with --------------------------------------------------------


def bearer(state: SandboxState, request: Request) -> Person:
    """The person whose live access token is in `Authorization`; otherwise halt with 401."""
    scheme, _, access = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not access.strip():
        raise Halt(unauthorized())
    with state.lock:
        record = state.access_tokens.get(access.strip())
    if record is None or record.expires_at <= state.clock.now():
        raise Halt(unauthorized())
    person = state.data.people.get(record.person_id)
    if person is None or person.suspended:
        raise Halt(unauthorized())
    return person


def media_subject(state: SandboxState, request: Request) -> int:
    """The person id in the media JWT `t`; otherwise halt with 401."""
    payload = tokens.verify(request.args.get("t"), state.secret, state.clock.timestamp())
    if payload is None or payload.get("scope") != MEDIA_SCOPE:
        raise Halt(unauthorized())
    try:
        return int(payload["sub"])
    except (KeyError, TypeError, ValueError):
        raise Halt(unauthorized()) from None


# -- JWTs: media tokens and one-time tokens ---------------------------------------------------


def media_token(state: SandboxState, person_id: int) -> str:
    """A fresh media JWT for a person: it opens their PDFs for MEDIA_TOKEN_SECONDS."""
    return _jwt(state, person_id, MEDIA_SCOPE, lifetime=MEDIA_TOKEN_SECONDS)


def one_time_token(state: SandboxState, person_id: int, invoice_id: int) -> str:
    """A JWT that /api/sys/users/exchange swaps, once, for a session of `person_id`."""
    return _jwt(state, person_id, ONE_TIME_SCOPE, invoice=invoice_id)


def _jwt(
    state: SandboxState, person_id: int, scope: str, lifetime: int | None = None, **claims: Any
) -> str:
    now = int(state.clock.timestamp())
    payload = {"sub": str(person_id), "scope": scope, "iat": now, "jti": secrets.token_hex(8)}
    if lifetime is not None:
        payload["exp"] = now + lifetime
    return tokens.sign({**payload, **claims}, state.secret)


def customer_media_token(state: SandboxState, request: Request) -> Response:
    person = bearer(state, request)
    return json_response({"jwt": media_token(state, person.id)})


def exchange(state: SandboxState, request: Request) -> Response:
    """Swap a one-time JWT for a session (reference §1e). The sandbox issues such JWTs only
    from registerByToken, so a guest who just created an account is signed in by it.

    Reading chosen (UNCERTAIN upstream): the Token that registerByToken returns is such a
    one-time JWT; the session's client_id is the customer's e-mail, the documented default.
    """
    one_time = request.args.get("token")
    if not one_time:
        return json_response({"Message": "The token is required."}, 400)
    claims = tokens.verify(one_time, state.secret, state.clock.timestamp())
    if claims is None or claims.get("scope") != ONE_TIME_SCOPE:
        raise Halt(unauthorized())
    with state.lock:
        if one_time in state.exchanged:
            raise Halt(unauthorized())
        state.exchanged.add(one_time)
    person = state.data.people.get(int(claims.get("sub", 0)))
    if person is None or not person.registered:
        raise Halt(unauthorized())
    issued = issue_tokens(state, person, person.email)
    return json_response(
        {
            "token": issued["access_token"],
            "token_type": issued["token_type"],
            "expires_in": issued["expires_in"],
            "refresh_token": issued["refresh_token"],
        }
    )


# -- the portal's own page ----------------------------------------------------------------------


def password_recovery(state: SandboxState, request: Request) -> Response:
    # On Nexudus this is the members portal's "Forgot password?" page; the sandbox only
    # says where a member would be, so the demo's reset link never leads to a dead end.
    return html_page("Password recovery", RECOVERY_PAGE_BODY)

"""A member's browser, in Python: cookies kept, the sign-in form filled in like a person would.

Production cookies are Secure with `__Host-` names. Browsers send them to http://127.0.0.1 (a
loopback origin counts as secure); Python's clients do not. LoopbackSession (requests) and
LoopbackCookies (a cookie jar's policy, for locust's FastHttpUser) do what the browser does,
for loopback only.
"""

from __future__ import annotations

import html
import re
from http.cookiejar import Cookie, DefaultCookiePolicy
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_LOOPBACK = {"127.0.0.1", "localhost", "localhost.local", "::1"}


def _loopback(host: str) -> bool:
    """Is `host` (a cookie's domain or a URL's host name) this machine?"""
    return host in _LOOPBACK


class LoopbackCookies(DefaultCookiePolicy):
    def return_ok_secure(self, cookie: Cookie, request: Any) -> bool:
        host = urlsplit(request.get_full_url()).hostname or ""
        return _loopback(host) or super().return_ok_secure(cookie, request)


class LoopbackSession(requests.Session):
    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        # requests copies the jar into one with the default policy for every request, so a
        # policy of our own would be ignored: the cookies themselves must say "not Secure".
        for cookie in self.cookies:
            if _loopback(cookie.domain):
                cookie.secure = False
        return super().prepare_request(request)


class FormClient(Protocol):
    """What requests.Session and locust's clients have in common."""

    def get(self, url: str, **options: Any) -> Any: ...

    def post(self, url: str, **options: Any) -> Any: ...


def csrf_token(page: str) -> str:
    match = _CSRF_FIELD.search(page)
    if match is None:
        raise AssertionError("no CSRF field on the page")
    return html.unescape(match.group(1))


def sign_in(
    client: FormClient,
    base_url: str,
    email: str,
    password: str,
    totp: str | None = None,
    **options: Any,
) -> Any:
    """Sign in through the form (and the code step when asked); the last answer, unfollowed.

    A 303 away from the sign-in page means signed in. `options` go to every request (locust's
    `name=`, headers).
    """
    form = client.get(f"{base_url}/login/", **options)
    token = csrf_token(form.text)
    data = {"csrfmiddlewaretoken": token, "email": email, "password": password}
    answer = client.post(f"{base_url}/login/", data=data, allow_redirects=False, **options)
    if totp is not None and _asks_for_code(answer):
        # Post/Redirect/Get: the code step is the sign-in page's GET while a sign-in is pending.
        step = client.get(f"{base_url}{answer.headers['Location']}", **options)
        data = {"csrfmiddlewaretoken": csrf_token(step.text), "totp": totp}
        answer = client.post(f"{base_url}/login/", data=data, allow_redirects=False, **options)
    return answer


def signed_in(answer: Any) -> bool:
    """Whether the sign-in form's last answer let the member in (a 303 away from /login/)."""
    return answer.status_code == 303 and not _location(answer).startswith("/login/")


def _asks_for_code(answer: Any) -> bool:
    return answer.status_code == 303 and _location(answer).startswith("/login/")


def _location(answer: Any) -> str:
    return (answer.headers.get("Location") if answer.headers else None) or ""

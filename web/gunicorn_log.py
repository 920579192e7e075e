"""gunicorn's logs, safe to read: nothing in a request can forge a line or leak a secret.

- Access log: gunicorn writes the path (`%(U)s`) after percent-decoding, so `/a%0d%0afake`
  would put a line break, and whatever follows it, into the log as if it were a line of its
  own; escape sequences could rewrite a terminal and Unicode controls reorder or split what a
  reader sees. Every value the access log format uses goes through `escape_for_log`.
- Error log: gunicorn quotes the whole request line, query string included, when it refuses a
  request or an exception escapes Django; our query strings carry secrets, so they are
  redacted there as everywhere else (`web.logging`).

gunicorn.conf.py installs `PortalLogger`.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.config import Config
from gunicorn.glogging import Logger, SafeAtoms

from web.logging import RedactQueryStrings

# Escaped: C0 controls, DEL, C1 controls, and the Unicode format characters that break, hide or
# reorder text on screen (line/paragraph separators, bidi overrides, zero-width characters).
# The backslash and the double quote are escaped too, so an escape in the log is always ours
# and a value cannot close the quotes around the request line. Lone surrogates stand for bytes
# that were not UTF-8.
_UNSAFE = re.compile(
    "["
    "\x00-\x1f\x7f-\x9f"  # C0, DEL, C1
    '\\\\"'  # backslash, double quote
    "\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
    "\udc80-\udcff"  # bytes that were not UTF-8
    "]"
)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in '\\"':
        return "\\" + char
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (see _as_utf8)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_for_log(value: str) -> str:
    """`value` on one line, printable, with every escape made visible as `\\xNN` / `\\uNNNN`."""
    if not value.isascii():
        value = _as_utf8(value)
    return _UNSAFE.sub(_escape, value)


def _as_utf8(value: str) -> str:
    # WSGI hands over paths and headers as latin-1 decodings of the raw bytes; read them as the
    # UTF-8 they nearly always are, so `café` stays readable and a UTF-8 encoded control (U+0085,
    # U+2028) is recognised as one. Bytes that are not UTF-8 are kept as surrogates, which
    # _escape writes as `\xNN`.
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:
        return value
    return raw.decode("utf-8", errors="surrogateescape")


class _EscapedAtoms(SafeAtoms):
    """gunicorn's atoms, escaped when the format reads them (only a handful of the ~40)."""

    def __init__(self, atoms: dict[str, Any]) -> None:
        dict.__init__(self, atoms)

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        return escape_for_log(value) if isinstance(value, str) else value


class PortalLogger(Logger):
    atoms_wrapper_class = _EscapedAtoms

    def setup(self, cfg: Config) -> None:
        super().setup(cfg)
        # The error log's messages are gunicorn's own and repr() the request line, so they stay
        # on one line; their query strings are the problem. (setup runs again on every SIGHUP.)
        if not any(isinstance(f, RedactQueryStrings) for f in self.error_log.filters):
            self.error_log.addFilter(RedactQueryStrings())

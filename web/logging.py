"""Keep secrets out of log lines: one redaction, one logging filter.

Query strings carry secrets: a guest's gateway session id on our checkout-complete page, media
JWTs and checkout tokens on Nexudus URLs. Request logs written by runserver, Django, urllib3 or
the sandbox would copy them verbatim, and library error messages quote full URLs. Everything
that writes such text goes through `redact_query_strings`. No Django here: the sandbox uses it.
"""

from __future__ import annotations

import logging
import re

_QUERY_STRING = re.compile(r"\?[^\s\"'<>)]*")
REDACTED = "?[redacted]"


def redact_query_strings(text: str) -> str:
    """Drop every query string from `text`: `/path?t=secret` becomes `/path?[redacted]`."""
    return _QUERY_STRING.sub(REDACTED, text)


class RedactQueryStrings(logging.Filter):
    """Rewrites every record on its way through, whoever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_query_strings(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True

"""Logging filters that keep secrets out of log lines.

Our own URLs can carry secrets in their query strings (a guest's gateway session id on the
checkout-complete page), and request logs written by runserver or by Django itself would copy
them verbatim. The filter rewrites every record on its way to a handler, whoever logged it.
"""

from __future__ import annotations

import logging
import re

# A path followed by a query string, as it appears in request lines and messages.
_QUERY_STRING = re.compile(r"(?P<path>/[^\s?\"']*)\?[^\s\"']*")
REDACTED = "?[redacted]"


def redact_query_strings(text: str) -> str:
    return _QUERY_STRING.sub(lambda match: match.group("path") + REDACTED, text)


class RedactQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_query_strings(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True

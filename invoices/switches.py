"""The operator's My-account switches for invoices, as the portal honours them.

Nexudus's portal configuration (reference §7b) has `Members.ViewInvoices` ("users can view and
pay their invoices") and `Members.PrintInvoices` ("users can print their invoices"); there is no
separate switch for paying, so paying follows viewing (a reading: see README). Names are
compared case-insensitively.

When the configuration cannot be read, the member keeps seeing their own invoices (fail open
for reading) but is not sent to pay (fail closed for paying).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

VIEW = "Members.ViewInvoices"
PRINT = "Members.PrintInvoices"


@dataclass(frozen=True, slots=True)
class InvoiceSwitches:
    view: bool
    pay: bool
    print: bool
    # A pay page is set (NEXUDUS_PAY_URL): without one, paying online is off.
    pay_page: bool = True

    @property
    def pay_online(self) -> bool:
        """Pay buttons lead somewhere: the operator allows paying and a pay page is set."""
        return self.pay and self.pay_page


ALL_ON = InvoiceSwitches(view=True, pay=True, print=True)


def invoice_switches(nexudus: Any) -> InvoiceSwitches:
    pay_page = bool(settings.NEXUDUS_PAY_URL)
    configuration = nexudus.configuration()
    if configuration is None:
        return InvoiceSwitches(view=True, pay=False, print=True, pay_page=pay_page)
    view = configuration.flag(VIEW) is not False
    printable = configuration.flag(PRINT) is not False
    return InvoiceSwitches(view=view, pay=view, print=printable, pay_page=pay_page)

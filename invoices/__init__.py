"""My Invoices, the unpaid-invoices panel and the PDF link route."""

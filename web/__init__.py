"""What every app uses: money and date formatting (with template tags), page rendering, the
secret-page headers, the dashboard's panel registry and log redaction. Imports no app."""

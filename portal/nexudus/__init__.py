"""The only code that speaks HTTP to the Nexudus Public API (see DESIGN.md)."""

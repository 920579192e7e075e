"""Staff preview: every page in every state, on sample data, read-only.

Apps declare their states in `previews.py` modules; see `preview.registry`."""

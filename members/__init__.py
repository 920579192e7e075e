"""Members: sign-in (with the two-step code and must-reset), sign-out, the dashboard, the
session's Nexudus tokens, sign-in throttling, and the middleware that attaches
`request.member` and `request.nexudus`."""

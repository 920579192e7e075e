#!/usr/bin/env bash
# `make run`: the portal at http://127.0.0.1:$PORT, over the sandbox at :$SANDBOX_PORT unless
# NEXUDUS_BASE_URL points at a real Nexudus API. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${VENV:-.venv}/bin"
PORT="${PORT:-8000}"
SANDBOX_PORT="${SANDBOX_PORT:-8001}"

# Local runs default to debug on; DJANGO_DEBUG=0 runs the production settings on plain HTTP.
export DJANGO_DEBUG="${DJANGO_DEBUG:-1}"
mkdir -p .local
if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
  [ -s .local/secret-key ] || "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(50))' > .local/secret-key
  DJANGO_SECRET_KEY="$(cat .local/secret-key)"
  export DJANGO_SECRET_KEY
fi
# There is no TLS on a laptop: do not redirect to https.
export DJANGO_SECURE_SSL_REDIRECT="${DJANGO_SECURE_SSL_REDIRECT:-0}"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

if [ -z "${NEXUDUS_BASE_URL:-}" ]; then
  export NEXUDUS_BASE_URL="http://127.0.0.1:${SANDBOX_PORT}"
  # The sandbox's second location answers as localhost:<port>; trust it so its PDF links use it.
  export NEXUDUS_TRUSTED_HOSTS="${NEXUDUS_TRUSTED_HOSTS:-127.0.0.1:${SANDBOX_PORT},localhost:${SANDBOX_PORT}}"
  # Pay hands members to the sandbox's stand-in payment page, which sends them back here.
  sandbox_pay_page='http://{web_address}/invoices/{invoice_unique_id}/pay'
  export NEXUDUS_PAY_URL="${NEXUDUS_PAY_URL:-$sandbox_pay_page}"
  export SANDBOX_PORTAL_URL="${SANDBOX_PORTAL_URL:-http://127.0.0.1:${PORT}}"
  # The sandbox sends signed invoice webhooks here when its data changes (a payment, a touch),
  # so the dashboard stays fresh without asking: one demo secret, shared by both.
  if [ -z "${NEXUDUS_WEBHOOK_SECRET:-}" ]; then
    [ -s .local/webhook-secret ] || "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))' > .local/webhook-secret
    NEXUDUS_WEBHOOK_SECRET="$(cat .local/webhook-secret)"
    export NEXUDUS_WEBHOOK_SECRET
  fi
  export SANDBOX_WEBHOOK_SECRET="${SANDBOX_WEBHOOK_SECRET:-$NEXUDUS_WEBHOOK_SECRET}"
  export SANDBOX_WEBHOOK_URL="${SANDBOX_WEBHOOK_URL:-http://127.0.0.1:${PORT}/webhooks/nexudus/}"
  "$BIN/python" -m sandbox --host 127.0.0.1 --port "$SANDBOX_PORT" &
  pids+=("$!")
  echo "Sandbox (Nexudus stand-in): $NEXUDUS_BASE_URL"
else
  echo "Nexudus API: $NEXUDUS_BASE_URL"
fi

"$BIN/python" manage.py migrate --noinput --verbosity 0
"$BIN/python" manage.py collectstatic --noinput --verbosity 0
if [ "${#pids[@]}" -gt 0 ]; then
  # Sandbox mode only: a demo staff account for /preview/ (the command refuses anything else).
  "$BIN/python" manage.py create_demo_staff
fi
echo "Portal: http://127.0.0.1:${PORT}"
"$BIN/python" manage.py runserver "127.0.0.1:${PORT}" &
pids+=("$!")
wait -n "${pids[@]}"

#!/usr/bin/env bash
# Install Debian packages for `make test` (CI runs as root), waiting for apt's locks instead of
# failing when another apt-get or dpkg holds them: several jobs may share one machine.
#   scripts/apt-install.sh PACKAGE...
set -euo pipefail
[ "$#" -gt 0 ] || exit 0
export DEBIAN_FRONTEND=noninteractive
WAIT_SECONDS=120

# DPkg::Lock::Timeout only covers dpkg's lock: `apt-get update` gives up at once when the lists
# lock is held (exit 100, "Could not get lock"). Retry that case, and only that case.
waited=0
until err="$(apt-get update -qq 2>&1 >/dev/null)"; do
  if ! grep -qi 'lock' <<<"$err" || [ "$waited" -ge "$WAIT_SECONDS" ]; then
    printf '%s\n' "$err" >&2
    exit 1
  fi
  echo "apt-install: apt's package lists are locked by another process; waiting" >&2
  sleep 2
  waited=$((waited + 2))
done
apt-get install -y -qq -o "DPkg::Lock::Timeout=$WAIT_SECONDS" "$@"

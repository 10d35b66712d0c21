#!/usr/bin/env bash
# Chat with golive in the Microsoft 365 Agents Playground (a local Teams client and Bot
# Connector), on this machine only. Not part of CI: it fetches the Playground from npm.
#
#   scripts/playground.sh            # golive on 127.0.0.1:3978, Playground UI on :56150
#   GOLIVE_PORT=4000 PLAYGROUND_PORT=56200 scripts/playground.sh
#
# golive runs with an empty MICROSOFT_APP_ID (local mode: the Playground sends no token)
# and its own SQLite file, so nothing touches your real database.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
golive_port="${GOLIVE_PORT:-3978}"
playground_port="${PLAYGROUND_PORT:-56150}"
workdir="${PLAYGROUND_DIR:-$(mktemp -d -t golive-playground.XXXXXX)}"
mkdir -p "$workdir"
golive_bin="${GOLIVE_BIN:-$root/.venv/bin/golive}"

if [[ ! -x "$golive_bin" ]]; then
  echo "playground: $golive_bin not found; run 'make run' once, or set GOLIVE_BIN" >&2
  exit 1
fi
if ! command -v npx >/dev/null; then
  echo "playground: npx (Node.js 18 or later) is needed" >&2
  exit 1
fi

echo "playground: golive data in $workdir"
MICROSOFT_APP_ID="" \
MICROSOFT_APP_PASSWORD="" \
DATABASE_URL="sqlite:///$workdir/golive.db" \
GOLIVE_HOST=127.0.0.1 \
GOLIVE_PORT="$golive_port" \
GOLIVE_LOG_FORMAT=text \
  "$golive_bin" serve >"$workdir/golive.log" 2>&1 &
golive_pid=$!
trap 'kill "$golive_pid" 2>/dev/null || true; wait "$golive_pid" 2>/dev/null || true' EXIT

for _ in $(seq 1 50); do
  if curl -fsS "http://127.0.0.1:$golive_port/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$golive_pid" 2>/dev/null; then
    echo "playground: golive did not start; see $workdir/golive.log" >&2
    exit 1
  fi
  sleep 0.2
done
echo "playground: golive is up on http://127.0.0.1:$golive_port/api/messages"
echo "playground: open http://127.0.0.1:$playground_port in your browser"

# The Playground binds every interface; the preloaded shim keeps it on loopback.
cd "$workdir"  # the Playground writes its devTools/ log folder where it runs
# PLAYGROUND_BIN: an installed agentsplayground (e.g. to run with no network at all).
if [[ -n "${PLAYGROUND_BIN:-}" ]]; then
  playground=("$PLAYGROUND_BIN")
else
  playground=(npx --yes --package @microsoft/m365agentsplayground agentsplayground)
fi
TEAMSAPPTESTER_BROWSER=none \
NODE_OPTIONS="--require $here/loopback-only.cjs ${NODE_OPTIONS:-}" \
  "${playground[@]}" \
    -e "http://127.0.0.1:$golive_port/api/messages" -c msteams -p "$playground_port"

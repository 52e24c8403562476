#!/usr/bin/env bash
# Measures contacts-sim serving Waply list pages of 100 contacts over 8 keep-alive
# connections (wrk, 2 threads), rate limits off. Prints wrk's summary and one result line.
#
#   bench/emulator-throughput.sh [seconds]      (needs: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 69; }

swift build -c release --product contacts-sim >&2
out="$(mktemp)"
.build/release/contacts-sim --dialect waply --port 0 --seed 10000 --rate unlimited >"$out" 2>/dev/null &
sim=$!
trap 'kill $sim 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
port="$(head -n1 "$out")"

# A short warm-up fills the emulator's per-contact render cache, as a long run would.
PAGES=100 wrk -t2 -c8 -d2s -s bench/list-page.lua "http://127.0.0.1:$port" >/dev/null
PAGES=100 wrk -t2 -c8 -d"${seconds}s" --latency -s bench/list-page.lua "http://127.0.0.1:$port"

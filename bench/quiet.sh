#!/usr/bin/env bash
# Measures quiet Waply cycles against the wire: the emulator (limits off) holds N contacts,
# `syncd --once` pulls them into an empty CRM, then three quiet cycles run; beside them, two
# HTTP floors — the same list pages fetched over keep-alive, as many at once as syncd's
# `remote.concurrency` (8), by curl and by URLSession (bench/fetch-pages.swift, the client
# syncd itself is bound to), each best of three after a warm-up.
# Prints one line a run: N, phase, wall seconds, requests, peak RSS in MB, and the ratios to
# the curl floor and to the URLSession floor.
#
#   bench/quiet.sh [N...]       default: 100000   (needs python3, curl, GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-100000}")
swift build -c release --product syncd >&2
swift build -c release --product contacts-sim >&2
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
swiftc -O bench/fetch-pages.swift -o "$work/fetch-pages" >&2

printf "%8s %-16s %8s %9s %8s %7s %7s\n" contacts phase seconds requests peak_MB curl× URLSes×
for n in ${sizes[@]}; do
  dir="$work/$n"; mkdir -p "$dir"
  python3 bench/make-crm.py "$dir/crm.sqlite" 0
  .build/release/contacts-sim --dialect waply --port 0 --rate unlimited --seed "$n" >"$dir/port" 2>/dev/null &
  sim=$!
  for _ in $(seq 600); do [ -s "$dir/port" ] && break; sleep 0.1; done
  port="$(head -n1 "$dir/port")"
  base="http://127.0.0.1:$port/v1"
  cat >"$dir/config.json" <<JSON
{"local": {"database": "crm.sqlite", "table": "customers", "key": "id", "default_country": "KE",
           "columns": {"phone": "mobile", "name": "full_name", "email": "email", "country": "country", "tags": "tags",
                       "attributes": "extra", "opt_in": "whatsapp_opt_in", "updated_at": "updated_at"}},
 "remote": {"provider": "waply", "base_url": "$base", "token_env": "SYNCD_TOKEN", "concurrency": 8, "requests_per_minute": 100000000},
 "sync": {"state": "state.sqlite"}}
JSON
  pages=$(((n + 99) / 100))
  # The floor: every page once, 8 connections kept alive, bodies read and dropped.
  floor() {
    local start end
    start=$(date +%s.%N)
    curl -s --fail --parallel --parallel-max 8 -H "Authorization: Bearer sim-token" \
      "$base/contacts?page=[1-$pages]&limit=100" -o /dev/null 2>/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
  }
  sessionFloor() { "$work/fetch-pages" "$base" "$pages" 100 8; }
  best() {
    local best="" t
    "$@" >/dev/null  # warm-up
    for _ in 1 2 3; do
      t=$("$@")
      if [ -z "$best" ] || (($(echo "$t < $best" | bc -l))); then best=$t; fi
    done
    echo "$best"
  }
  curlBest=$(best floor)
  sessionBest=$(best sessionFloor)
  printf "%8s %-16s %8.2f %9s %8s %7.2f %7.2f\n" "$n" "http-floor-curl" "$curlBest" "$pages" "-" 1 \
    "$(echo "$curlBest / $sessionBest" | bc -l)"
  printf "%8s %-16s %8.2f %9s %8s %7.2f %7.2f\n" "$n" "http-floor-urlses" "$sessionBest" "$pages" "-" \
    "$(echo "$sessionBest / $curlBest" | bc -l)" 1
  for phase in pull quiet-1st quiet-2nd quiet-3rd; do
    SYNCD_TOKEN=sim-token /usr/bin/time -f "%e %M" -o "$dir/$phase.time" \
      .build/release/syncd --once --config "$dir/config.json" >"$dir/$phase.out" 2>"$dir/$phase.err" \
      || { cat "$dir/$phase.err" >&2; exit 1; }
    read -r seconds kb <"$dir/$phase.time"
    requests="$(grep -o 'requests [0-9]*' "$dir/$phase.out" | awk '{print $2}')"
    printf "%8s %-16s %8.2f %9s %8s %7.2f %7.2f\n" "$n" "$phase" "$seconds" "$requests" "$((kb / 1024))" \
      "$(echo "$seconds / $curlBest" | bc -l)" "$(echo "$seconds / $sessionBest" | bc -l)"
  done
  kill "$sim"; wait "$sim" 2>/dev/null || true
done

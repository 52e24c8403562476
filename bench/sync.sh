#!/usr/bin/env bash
# Measures syncd against the emulator (rate limits off): a first push of a CRM of N
# contacts to an empty vendor, a quiet cycle and another, then a cycle after 1% of the
# contacts were edited on the vendor's side, for each N and vendor given.
# Prints one line a run: vendor, N, phase, wall seconds, requests, peak RSS in MB.
#
#   bench/sync.sh [N...]            default: 10000 100000   (needs python3, GNU time)
#   VENDORS="waply superwaba" bench/sync.sh 10000
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-10000 100000}")
vendors="${VENDORS:-waply sendystack superwaba qlara}"
swift build -c release --product syncd >&2
swift build -c release --product contacts-sim >&2
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

printf "%-11s %8s %-10s %8s %9s %8s\n" vendor contacts phase seconds requests peak_MB
for vendor in $vendors; do
  for n in ${sizes[@]}; do
    dir="$work/$vendor-$n"; mkdir -p "$dir"
    python3 bench/make-crm.py "$dir/crm.sqlite" "$n"
    .build/release/contacts-sim --dialect "$vendor" --port 0 --rate unlimited >"$dir/port" 2>/dev/null &
    sim=$!
    for _ in $(seq 50); do [ -s "$dir/port" ] && break; sleep 0.1; done
    port="$(head -n1 "$dir/port")"
    base="http://127.0.0.1:$port"; [ "$vendor" = waply ] && base="$base/v1"
    [ "$vendor" = qlara ] && base="$base/api/partner-gateway/v1"
    extra=""; [ "$vendor" = superwaba ] && extra=', "org_id": "org-00000000-0000-4000-8000-000000000001"'
    cat >"$dir/config.json" <<JSON
{"local": {"database": "crm.sqlite", "table": "customers", "key": "id", "default_country": "KE",
           "columns": {"phone": "mobile", "name": "full_name", "email": "email", "country": "country", "tags": "tags",
                       "attributes": "extra", "opt_in": "whatsapp_opt_in", "updated_at": "updated_at"}},
 "remote": {"provider": "$vendor", "base_url": "$base", "token_env": "SYNCD_TOKEN", "concurrency": 8, "requests_per_minute": 100000000$extra},
 "sync": {"state": "state.sqlite"}}
JSON
    for phase in first-push quiet quiet-again edits-1%; do
      out="$dir/$phase.out"
      [ "$phase" = edits-1% ] && python3 bench/edit-remote.py "$port" 0.01 >/dev/null
      SYNCD_TOKEN=sim-token /usr/bin/time -f "%e %M" -o "$dir/$phase.time" .build/release/syncd --once --config "$dir/config.json" >"$out" 2>"$dir/$phase.err" || { cat "$dir/$phase.err" >&2; exit 1; }
      read -r seconds kb <"$dir/$phase.time"
      requests="$(grep -o 'requests [0-9]*' "$out" | awk '{print $2}')"
      printf "%-11s %8s %-10s %8s %9s %8s\n" "$vendor" "$n" "$phase" "$seconds" "$requests" "$((kb / 1024))"
    done
    kill "$sim"; wait "$sim" 2>/dev/null || true
  done
done

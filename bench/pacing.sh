#!/usr/bin/env bash
# Measures `syncd run` on a Waply book that needs minutes of request budget: how long its
# full cycle takes against what the budget allows, and how soon a CRM row typed in during
# that listing reaches the vendor. The book is pulled first with the budget out of the way;
# then the daemon starts (`requests_per_minute` R, `sync.interval_seconds` 3600, so idling
# to the interval would show) and a row is inserted into the CRM 20 s later.
#
#   bench/pacing.sh [CONTACTS] [R]     default: 30000 60   (needs python3, curl)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-30000}"
rpm="${2:-60}"
swift build -c release --product syncd >&2
swift build -c release --product contacts-sim >&2
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

python3 bench/make-crm.py "$work/crm.sqlite" 0
.build/release/contacts-sim --dialect waply --port 0 --rate unlimited --seed "$n" >"$work/port" 2>/dev/null &
for _ in $(seq 600); do [ -s "$work/port" ] && break; sleep 0.1; done
base="http://127.0.0.1:$(head -n1 "$work/port")/v1"
config() {
  cat >"$work/config.json" <<JSON
{"local": {"database": "crm.sqlite", "table": "customers", "key": "id", "default_country": "KE",
           "columns": {"phone": "mobile", "name": "full_name", "email": "email", "tags": "tags",
                       "attributes": "extra", "updated_at": "updated_at"}},
 "remote": {"provider": "waply", "base_url": "$base", "token_env": "SYNCD_TOKEN", "requests_per_minute": $1},
 "sync": {"state": "state.sqlite", "interval_seconds": 3600}}
JSON
}
now() { date +%s.%N; }

config 100000000
SYNCD_TOKEN=sim-token .build/release/syncd --once --config "$work/config.json" >/dev/null
# The pull's requests do not count against the budget measured here.
python3 -c "import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute(\"DELETE FROM meta WHERE name LIKE 'budget:%'\"); d.commit()" "$work/state.sqlite"

config "$rpm"
start=$(now)
SYNCD_TOKEN=sim-token .build/release/syncd run --config "$work/config.json" 2>"$work/log" &
sleep 20
python3 -c "import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute(\"INSERT INTO customers (full_name, mobile, updated_at) VALUES ('Typed in meanwhile', '+254799000001', '2026-11-30T12:00:00Z')\"); d.commit()" "$work/crm.sqlite"
typed=$(now)
until curl -s -H "Authorization: Bearer sim-token" "$base/contacts?search=%2B254799000001" | grep -q 254799000001; do
  sleep 0.05
done
seen=$(now)
until grep -q "^.*synced with waply" <(grep -v "push:" "$work/log"); do sleep 0.2; done
done_at=$(now)
listing_done=$(grep -c "synced with waply" "$work/log" || true)

pages=$(((n + 99) / 100))
echo "contacts $n, $pages list pages, requests_per_minute $rpm"
echo "  the budget's least time (first $rpm at once, then $rpm a minute): $((((pages - 1) / rpm) * 60)) s"
echo "  pages ÷ rate: $(echo "$pages * 60 / $rpm" | bc -l | xargs printf '%.0f') s"
echo "  full cycle took: $(echo "$done_at - $start" | bc -l | xargs printf '%.1f') s ($(echo "($done_at - $start) / ($pages * 60 / $rpm)" | bc -l | xargs printf '%.2f')× pages ÷ rate)"
echo "  CRM row typed in during the listing reached the vendor in: $(echo "$seen - $typed" | bc -l | xargs printf '%.2f') s"
echo "  cycles logged: $listing_done; push lines: $(grep -c 'push:' "$work/log" || true)"

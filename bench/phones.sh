#!/usr/bin/env bash
# Measures how much CPU reading 100,000 CRM phones costs (the first scan of a large CRM):
# builds syncd in release, then a small program against its ContactModel module.
#
#   bench/phones.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product syncd >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
swiftc -O -I .build/release/Modules bench/read-phones.swift \
    .build/release/ContactModel.build/*.swift.o .build/release/JSON.build/*.swift.o -o "$work/read-phones"
"$work/read-phones"

#!/usr/bin/env bash
# The pictures of the shipped traces, tuned.json against the default policy:
#   bash policies/traces/plots.sh MEMHOOK [DIR]   (`make plots`; DIR defaults to policies/traces)
# writes DIR/leak.svg and DIR/cache-reader.svg with `memhook plot --svg`. The committed ones are
# what the binary draws now: tests/bats/plot.bats makes them again and compares.
set -euo pipefail
MEMHOOK="${1:?usage: plots.sh MEMHOOK [DIR]}"
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="$(cd "${2:-$HERE}" && pwd)"
case "$MEMHOOK" in */*) MEMHOOK="$(cd "$(dirname "$MEMHOOK")" && pwd)/$(basename "$MEMHOOK")" ;; esac
cd "$HERE"
for trace in leak.jsonl cache-reader.csv; do
	"$MEMHOOK" plot --policy tuned.json --compare ../default.json --trace "$trace" \
		--svg "$DIR/${trace%.*}.svg"
done

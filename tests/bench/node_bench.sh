#!/usr/bin/env bash
# memhook node with hundreds of containers (make bench-node, part of make bench):
#   bash tests/bench/node_bench.sh path/to/memhook [OUT_MD]
# 1. on this machine's memory cgroup (v1 here): 250 pods of 2 containers, every phase of
#    tests/bench/node_bench.py (start, idle, level change, churn);
# 2. in the cgroup v2 VM (tests/vm/run.sh ... script): NODE_VM_PODS (100) pods, the start, idle and
#    level phases (NODE_VM_PHASES).
# Writes both summaries to OUT_MD (default build/bench/node.md) and prints them at the end.
# Environment: node_bench.py's NODE_* (tests/bench/README.md); NODE_HOST (1; 0 = the VM only),
# NODE_VM (1; 0 = host only), NODE_VM_PODS (100), NODE_VM_PHASES ("start,idle,level"),
# NODE_VM_IDLE_SECONDS (NODE_IDLE_SECONDS), NODE_VM_TIMEOUT (900 s).
# The hog comes from build/bench (the Makefile builds it). Needs root. Fails only when something
# cannot be measured; goals are reported, not asserted.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MEMHOOK="${1:?usage: node_bench.sh MEMHOOK [OUT_MD]}"
OUT="${2:-build/bench/node.md}"
MEMHOOK="$(cd "$(dirname "$MEMHOOK")" && pwd)/$(basename "$MEMHOOK")"
HOG="$(dirname "$MEMHOOK")/bench/hog_rate"
[ -x "$MEMHOOK" ] || { echo "node-bench: $MEMHOOK is not an executable" >&2; exit 1; }
[ -x "$HOG" ] || { echo "node-bench: $HOG is missing: run make bench-node" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "node-bench: needs root (it makes memory cgroups)" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/memhook-node-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# What was measured: the commit (and whether the tree differed from it) and the binary's hash.
commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[ -z "$(git -C "$ROOT" status --porcelain -- lib cmd 2>/dev/null)" ] || commit="$commit+changes"
WHAT="memhook $commit (binary sha256 $(sha256sum "$MEMHOOK" | cut -c1-12))"
: >"$OUT"

if [ "${NODE_HOST:-1}" != 0 ]; then
	python3 "$HERE/node_bench.py" "$MEMHOOK" "$HOG" "$WORK/host.md"
	{ cat "$WORK/host.md"; echo; echo "Measured: $WHAT on the host, $(nproc) CPUs."; echo; } >>"$OUT"
fi

if [ "${NODE_VM:-1}" != 0 ]; then
	cat >"$WORK/guest.sh" <<-EOF2
		#!/bin/bash
		export NODE_PODS=${NODE_VM_PODS:-100} NODE_PHASES=${NODE_VM_PHASES:-start,idle,level}
		export NODE_IDLE_SECONDS=${NODE_VM_IDLE_SECONDS:-${NODE_IDLE_SECONDS:-60}} NODE_TRIALS=${NODE_TRIALS:-10}
		export NODE_LAYOUT=${NODE_LAYOUT:-systemd} NODE_HOG_RATE=${NODE_HOG_RATE:-50} NODE_LIMIT_MIB=${NODE_LIMIT_MIB:-128}
		/usr/bin/python3 "$HERE/node_bench.py" "\$MEMHOOK_WORK/bin/memhook" "$HOG" /tmp/node.md >/dev/null || exit 1
		echo "=== node-bench summary begin ==="
		cat /tmp/node.md
		echo "=== node-bench summary end ==="
	EOF2
	rc=0
	MEMHOOK_VM_SWAP_MB=0 MEMHOOK_VM_TIMEOUT="${NODE_VM_TIMEOUT:-900}" \
		bash "$ROOT/tests/vm/run.sh" "$MEMHOOK" script "$WORK/guest.sh" | tee "$WORK/vm.log" >&2 || rc=$?
	sed -n '/^=== node-bench summary begin ===$/,/^=== node-bench summary end ===$/p' "$WORK/vm.log" |
		sed '1d;$d' >"$WORK/vm.md"
	[ -s "$WORK/vm.md" ] || { echo "node-bench: the VM run gave no summary (exit $rc)" >&2; exit 1; }
	{ cat "$WORK/vm.md"; echo; echo "Measured: $WHAT in the cgroup v2 VM (tests/vm/run.sh)."; echo; } >>"$OUT"
fi
cat "$OUT"

#!/bin/sh
# disable_unit.sh UNIT: disables a unit a Debian package enabled on install (make bench-deps:
# earlyoom, which the benchmarks run by hand, never as a service), and stops it only when systemd
# runs: without it (a container, a chroot, a build VM), `systemctl disable` edits the unit's links
# offline, but `disable --now` needs the bus and fails ("Failed to connect to bus: Host is down").
# Nothing to do when there is no systemctl or the unit is not enabled.
# "systemd runs" is sd_booted(3)'s test: /run/systemd/system is a directory. SYSTEMCTL and
# SYSTEMD_BOOTED_DIR replace the command and that directory (the tests point them elsewhere).
set -eu
unit=${1:?usage: disable_unit.sh UNIT}
systemctl=${SYSTEMCTL:-systemctl}
booted=${SYSTEMD_BOOTED_DIR:-/run/systemd/system}

command -v "$systemctl" >/dev/null 2>&1 || exit 0
"$systemctl" -q is-enabled "$unit" 2>/dev/null || exit 0
if [ -d "$booted" ]; then
	exec "$systemctl" disable --now "$unit"
fi
exec "$systemctl" disable "$unit"

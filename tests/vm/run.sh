#!/bin/bash
# make test-vm: boots Debian's own kernel under qemu (software emulation) with a real cgroup v2
# memory controller, PSI and zram swap, and runs the bats suite of tests/vm/ inside the guest
# against the given memhook binary. The guest sees the host's / read-only over 9p (so the host's
# bash, bats, python3 and the binary's shared libraries are used unchanged) and a throwaway work
# directory read-write.
#
# Usage: tests/vm/run.sh BINARY [suite|latency|smoke|script FILE]
#   suite    the bats suite (default; exit status = bats's)
#   latency  tests/vm/latency.sh: how much sooner an `events` condition fires than plain polling
#   smoke    the harness alone: cgroup v2 memory, PSI, zram swap, loopback listener, the hog
#   script   a bash script of yours, run in the guest like latency.sh (helpers.bash is beside it)
# Environment:
#   MEMHOOK_VM_CACHE    kernel, modules and initramfs cache (default /var/cache/memhook-vm)
#   MEMHOOK_VM_TIMEOUT  seconds before the VM is killed and the run fails (default 240)
#   MEMHOOK_VM_MEM      guest memory in MiB (default 1024); MEMHOOK_VM_SMP vCPUs (default 2)
#   MEMHOOK_VM_SWAP_MB  zram swap in the guest in MiB (default 256; 0 = none)
#   MEMHOOK_VM_FILTER   only run the bats tests whose name matches this regex
#   MEMHOOK_VM_JOBS     tests of one .bats file run at the same time (default 3)
#   CI=true             a host where the VM cannot run is a failure (exit 1), not a skip (exit 77)
# Needs root (apt-get, 9p export of /). Uses TCG (-accel tcg -cpu max) unless the host has a
# genuine kvm_intel/kvm_amd: a paravirtual /dev/kvm (kvm_pvm) cannot boot a stock kernel.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-}
MODE=${2:-suite}
CACHE=${MEMHOOK_VM_CACHE:-/var/cache/memhook-vm}
TIMEOUT_S=${MEMHOOK_VM_TIMEOUT:-240}
MEM_MB=${MEMHOOK_VM_MEM:-1024}
SMP=${MEMHOOK_VM_SMP:-2}
SWAP_MB=${MEMHOOK_VM_SWAP_MB:-256}
FILTER=${MEMHOOK_VM_FILTER:-}
JOBS=${MEMHOOK_VM_JOBS:-3}
T0=$(date +%s.%N)

say() { echo "test-vm: $*" >&2; }
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# The VM cannot run here: say so loudly; a failure under CI, a skip (77) otherwise.
cannot_run() {
	{
		echo "######################################################################"
		echo "## test-vm: CANNOT RUN: $*"
		echo "## The cgroup v2 VM suite did NOT run.$([ "${CI:-}" = true ] && echo ' CI=true: this is a failure.')"
		echo "######################################################################"
	} >&2
	[ "${CI:-}" = true ] && exit 1
	exit 77
}

case $MODE in
suite | latency | smoke) ;;
script) [ -f "${3:-}" ] || { say "script mode: no such file '${3:-}'"; exit 2; } ;;
*) say "unknown mode '$MODE' (suite, latency, smoke or script FILE)"; exit 2 ;;
esac
if [ -z "$BIN" ]; then
	say "usage: $0 BINARY [suite|latency|smoke]"
	exit 2
fi
if [ ! -x "$BIN" ]; then
	if [ "$MODE" = smoke ]; then BIN=; else say "$BIN: no such executable (run make first)"; exit 2; fi
fi
[ "$(id -u)" = 0 ] || cannot_run "needs root (apt-get, the kernel cache, a 9p export of /)"

# ---- 1. host tools ------------------------------------------------------------------------------
have_static_busybox() { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
have_static_busybox || need+=(busybox-static)
command -v cpio >/dev/null || need+=(cpio)
command -v xz >/dev/null || need+=(xz-utils)
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v bats >/dev/null || need+=(bats)
command -v jq >/dev/null || need+=(jq)
[ -x /usr/bin/python3 ] || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
	if command -v apt-get >/dev/null; then
		say "installing ${need[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 || true
			  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 || true; }
	fi
	command -v qemu-system-x86_64 >/dev/null || cannot_run "qemu-system-x86_64 is missing and could not be installed"
	have_static_busybox || cannot_run "a static /bin/busybox is missing (apt-get install busybox-static failed)"
	for t in cpio xz gcc bats jq /usr/bin/python3; do
		command -v "$t" >/dev/null || cannot_run "$t is missing and could not be installed"
	done
fi

# ---- 2. the kernel: Debian's linux-image-amd64 dependency, unpacked, never installed -------------
kernel_pkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }'; }
KPKG=$(kernel_pkg)
if [ -z "$KPKG" ]; then
	apt-get update -qq >/dev/null 2>&1 || true
	KPKG=$(kernel_pkg)
fi
if [ -z "$KPKG" ]; then
	# No package lists: use a cached kernel if there is one.
	KPKG=$(ls -d "$CACHE"/linux-image-* 2>/dev/null | tail -1 | xargs -r basename)
	[ -n "$KPKG" ] || cannot_run "apt-cache does not know linux-image-amd64 and no kernel is cached in $CACHE"
fi
KVER=${KPKG#linux-image-}
K=$CACHE/$KPKG
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9 # one run prepares the cache at a time

# Modules the guest needs, in load order (netfs/fscache: 9p's dependencies; zsmalloc: zram's).
MODS=(drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev
	drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci fs/netfs/netfs fs/fscache/fscache
	net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p mm/zsmalloc drivers/block/zram/zram)

if [ ! -f "$K/kernel" ]; then
	say "fetching $KPKG into $K"
	tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download "$KPKG" >/dev/null 2>&1) ||
		{ apt-get update -qq >/dev/null 2>&1 || true; (cd "$tmp" && apt-get download "$KPKG" >/dev/null); } ||
		cannot_run "apt-get download $KPKG failed"
	dpkg -x "$tmp"/*.deb "$tmp/root"
	vmlinuz=$tmp/root/boot/vmlinuz-$KVER
	# The uncompressed ELF vmlinux boots through PVH and skips the xz decompressor, which takes
	# ~2 s under TCG. Fall back to the bzImage when the payload is not xz.
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -1 | cut -d: -f1 || true)
	# xz complains about the bytes after its stream: judge by the result, not the status.
	[ -z "$off" ] || tail -c +$((off + 1)) "$vmlinuz" | xz -dc >"$tmp/vmlinux" 2>/dev/null || true
	if [ "$(head -c4 "$tmp/vmlinux" 2>/dev/null)" = $'\x7fELF' ]; then
		mv "$tmp/vmlinux" "$tmp/kernel"
	else
		say "no xz payload in $vmlinuz: booting the compressed image"
		cp "$vmlinuz" "$tmp/kernel"
	fi
	mkdir -p "$tmp/mods"
	for m in "${MODS[@]}"; do
		f=$tmp/root/lib/modules/$KVER/kernel/$m.ko
		[ -f "$f" ] || f=$f.xz
		[ -f "$f" ] || { say "module $m missing from $KPKG"; exit 1; }
		case $f in *.xz) xz -dc "$f" >"$tmp/mods/$(basename "$m").ko" ;; *) cp "$f" "$tmp/mods/" ;; esac
	done
	rm -rf "$tmp/root" "$tmp"/*.deb "$K"
	mv "$tmp" "$K"
	trap - EXIT
fi

# ---- 3. the initramfs: static busybox, our /init, the modules; rebuilt when init.sh changes ------
INITRD=$K/initramfs-$(cat "$HERE/init.sh" /bin/busybox | cksum | cut -d' ' -f1).cpio.gz
if [ ! -f "$INITRD" ]; then
	r=$(mktemp -d)
	mkdir -p "$r"/{bin,dev,proc,sys,tmp,host,lib/modules}
	cp /bin/busybox "$r/bin/busybox"
	install -m 755 "$HERE/init.sh" "$r/init"
	for m in "${MODS[@]}"; do cp "$K/mods/$(basename "$m").ko" "$r/lib/modules/"; done
	(cd "$r" && find . | cpio -o -H newc --quiet | gzip -1) >"$INITRD.tmp"
	mv "$INITRD.tmp" "$INITRD"
	rm -rf "$r"
	find "$K" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -path "$INITRD" -delete
fi
flock -u 9

# ---- 4. the work directory: a temp dir with the binary, the hog and the tests --------------------
WORK=$(mktemp -d /tmp/memhook-vm.XXXXXX)
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK/bin" "$WORK/vm"
[ -z "$BIN" ] || cp "$BIN" "$WORK/bin/memhook"
# static: an exec of a dynamic binary costs 50-300 ms in the guest, a static one a few ms
gcc -std=gnu11 -O2 -Wall -Wextra -static -o "$WORK/bin/hog" "$HERE/hog.c" 2>/dev/null ||
	gcc -std=gnu11 -O2 -Wall -Wextra -o "$WORK/bin/hog" "$HERE/hog.c"
cp "$HERE"/*.bats "$HERE"/helpers.bash "$HERE"/guest.sh "$HERE"/latency.sh "$HERE"/listener.py "$WORK/vm/"
printf '%s\n' "$FILTER" >"$WORK/vm/filter"
printf '%s\n' "$JOBS" >"$WORK/vm/jobs"
[ "$MODE" != script ] || cp "$3" "$WORK/vm/script.sh"
# A file for the page-cache test (cgroup-v2.bats, "usage"): sparse (no disk used), outside /tmp
# (the guest mounts a tmpfs there, whose pages are shmem, not page cache) and outside the work
# directory (mounted without a cache). The guest reads it through its 9p root, mounted
# cache=loose: its pages become the guest's page cache, inactive_file of the reader's cgroup.
mkdir -p /var/tmp
DATA=$(mktemp -d /var/tmp/memhook-vm-data.XXXXXX)
cleanup() { rm -rf "$WORK" "$DATA"; }
truncate -s 200M "$DATA/cache.dat"
printf '%s\n' "$DATA/cache.dat" >"$WORK/vm/cache_file"

# ---- 5. boot ------------------------------------------------------------------------------------
ACC=(-accel tcg -cpu "${MEMHOOK_VM_CPU:-max}")
accel=tcg
if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
	ACC=(-enable-kvm -cpu host)
	accel=kvm
fi
say "booting $KPKG ($accel, ${MEM_MB}M, $SMP vCPUs, zram swap ${SWAP_MB}M), mode $MODE, timeout ${TIMEOUT_S}s"
rc=0
timeout --kill-after=5 "$TIMEOUT_S" qemu-system-x86_64 "${ACC[@]}" -m "$MEM_MB" -smp "$SMP" \
	-kernel "$K/kernel" -initrd "$INITRD" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off init_on_alloc=0 MEMHOOK_WORK=$WORK MEMHOOK_MODE=$MODE MEMHOOK_SWAP_MB=$SWAP_MB" \
	-display none -nodefaults -no-reboot -serial stdio \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$WORK",mount_tag=work,security_model=none,multidevs=remap \
	</dev/null | tr -d '\r' || rc=${PIPESTATUS[0]}

if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	say "FAILED: the VM did not finish within ${TIMEOUT_S}s (MEMHOOK_VM_TIMEOUT) and was killed; wall $(elapsed)s"
	exit 1
fi
if [ "$rc" != 0 ]; then
	say "FAILED: qemu exited with status $rc; wall $(elapsed)s"
	exit 1
fi
if [ ! -s "$WORK/.vm-rc" ]; then
	say "FAILED: the guest produced no exit status (crashed or never reached its script); wall $(elapsed)s"
	exit 1
fi
grc=$(cat "$WORK/.vm-rc")
say "mode $MODE: guest exit status $grc; wall $(elapsed)s"
exit "$grc"

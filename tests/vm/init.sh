#!/bin/busybox sh
# /init of the test VM (busybox, in the initramfs built by run.sh). Mounts cgroup2 with the memory
# controller enabled, turns on zram swap, mounts the host's / read-only and the work directory
# read-write over 9p, then runs vm/guest.sh with the host's userland (chroot) and records its exit
# status in the work directory. Kernel command line (passed to us as environment):
#   MEMHOOK_WORK=DIR  MEMHOOK_MODE=suite|latency|smoke  MEMHOOK_SWAP_MB=N
/bin/busybox --install -s /bin
export PATH=/bin
fail() { echo "vm-init: $*"; poweroff -f; }

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/shm /dev/pts
mount -t tmpfs shm /dev/shm
mount -t devpts devpts /dev/pts
ln -sf /proc/self/fd /dev/fd # bash process substitution
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || fail "cannot mount cgroup2"
echo +memory >/sys/fs/cgroup/cgroup.subtree_control || fail "cannot enable the memory controller"
hostname memhook-vm
ip link set lo up

for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
	netfs fscache 9pnet 9pnet_virtio 9p zsmalloc zram; do
	insmod /lib/modules/$m.ko || echo "vm-init: insmod $m failed"
done
if [ "${MEMHOOK_SWAP_MB:-0}" -gt 0 ]; then
	echo "${MEMHOOK_SWAP_MB}M" >/sys/block/zram0/disksize &&
		mkswap /dev/zram0 >/dev/null && swapon /dev/zram0 || echo "vm-init: zram swap failed"
fi

O=trans=virtio,version=9p2000.L,msize=524288
mount -t 9p -o $O,ro,cache=loose hostroot /host || fail "9p mount of the host's / failed"
mount -t tmpfs -o mode=1777 tmp /host/tmp # a writable /tmp, in guest memory
mkdir -p "/host$MEMHOOK_WORK"
mount -t 9p -o $O work "/host$MEMHOOK_WORK" || fail "9p mount of the work directory failed"
for d in proc sys dev; do mount --rbind /$d /host/$d; done # rbind keeps /sys/fs/cgroup
echo "vm-init: kernel $(uname -r) up after $(cut -d' ' -f1 /proc/uptime)s"

chroot /host /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8 TERM=dumb MEMHOOK_WORK="$MEMHOOK_WORK" \
	/bin/bash "$MEMHOOK_WORK/vm/guest.sh" "$MEMHOOK_MODE"
rc=$?
echo "$rc" >"/host$MEMHOOK_WORK/.vm-rc"
sync
poweroff -f

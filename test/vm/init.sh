#!/bin/busybox sh
# /init of the LVM test VM (busybox in an initramfs). It loads the modules,
# builds the guest root as an overlay of the host root (9p, read-only) under a
# RAM layer, mounts the job folder (9p, writable), runs /run/vm-job/job.sh as
# root in a chroot with an empty environment, stores its exit status in the
# job folder and powers off. Lines starting "vm-init:" are read by the harness.
/bin/busybox --install -s /bin
export PATH=/bin

fail() {
  echo "vm-init: FAILED: $*"
  echo b > /proc/sysrq-trigger
  exit 1
}

mount -t proc proc /proc || fail "mount /proc"
mount -t sysfs sysfs /sys || fail "mount /sys"
mount -t devtmpfs devtmpfs /dev || fail "mount /dev"

while read -r module; do
  insmod "/lib/modules/$module" || fail "insmod $module"
done < /lib/modules/load-order

R=/newroot
mkdir -p /mnt/host /mnt/rw "$R"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /mnt/host || fail "mount the host root (9p)"
mount -t tmpfs -o mode=0755 tmpfs /mnt/rw || fail "mount the overlay's RAM layer"
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay -o lowerdir=/mnt/host,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work overlay "$R" || fail "mount the overlay root"

mount -t proc proc "$R/proc" || fail "mount proc in the guest root"
mount -t sysfs sysfs "$R/sys" || fail "mount sys in the guest root"
mount -t devtmpfs devtmpfs "$R/dev" || fail "mount dev in the guest root"
mkdir -p "$R/dev/pts" "$R/dev/shm"
mount -t devpts devpts "$R/dev/pts"
mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm"
# Fresh /run and /tmp: the host's own would show through the lower layer.
mount -t tmpfs -o mode=0755 tmpfs "$R/run" || fail "mount /run"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp" || fail "mount /tmp"
mkdir -p "$R/run/lock" "$R/run/vm-job" "$R/run/vm-host"
# The host root stays reachable (read-only) under /run/vm-host, so a checkout
# that lives under the host's /tmp or /run can still be shown to the job.
mount -o bind /mnt/host "$R/run/vm-host" || fail "bind the host root to /run/vm-host"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 job "$R/run/vm-job" || fail "mount the job folder (9p)"

rm -f "$R/etc/mtab"
ln -s /proc/self/mounts "$R/etc/mtab"
# No udev in the guest: without udev_rules = 0 lvcreate fails "device not cleared".
mkdir -p "$R/etc/lvm"
cat > "$R/etc/lvm/lvmlocal.conf" <<'LVM'
activation {
  udev_rules = 0
  udev_sync = 0
  monitoring = 0
}
global {
  use_lvmpolld = 0
}
LVM

# A task as ps shows it: its command line, or [name] for a kernel thread.
task_name() {
  cmd=$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | cut -c1-160 | sed 's/ *$//')
  if [ -n "$cmd" ]; then echo "$cmd"; else echo "[$(cat "/proc/$1/comm" 2>/dev/null)]"; fi
}

# The kernel stack of each process in `states` (S, D or both), each line
# prefixed with $1. Kernel threads (pid 2 and its children) only when in D: a
# worker waiting on I/O that never completes says where a hang is.
stacks() {
  prefix=$1
  states=$2
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    set -- $(sed -n 's/.*) \(.\) \([0-9]*\) .*/\1 \2/p' "$dir/stat" 2>/dev/null)
    state=${1:-}
    case " $states " in
      *" $state "*) ;;
      *) continue ;;
    esac
    if [ "$pid" = 2 ] || [ "${2:-}" = 2 ]; then
      [ "$state" = D ] || continue
    fi
    echo "$prefix stack of $pid ($state): $(task_name "$pid")"
    sed "s/^/$prefix   /" "$dir/stack" 2>/dev/null
  done
}

# Watchdog (snapctl.watchdog=SECONDS, set by the harness a minute before it
# gives up): if the job still runs then, list every process with its state and
# the kernel function it waits in, and the kernel stack of each one that
# sleeps, so that a hang in CI says where it is.
watchdog=$(sed -n 's/.*snapctl\.watchdog=\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
if [ -n "$watchdog" ]; then
  (
    sleep "$watchdog"
    echo "vm-init: watchdog: the job still runs after ${watchdog}s"
    # Every process but the kernel threads (pid 2 and its children).
    chroot "$R" /bin/ps --ppid 2 -p 2 --deselect -o pid,ppid,stat,etimes,wchan:32,args --forest 2>&1 | sed 's/^/vm-init: watchdog: /'
    stacks "vm-init: watchdog:" "S D"
  ) > /dev/console 2>&1 &
fi

# Hang watch (snapctl.hung=SECONDS, default 300): a task that sleeps
# uninterruptibly (state D) and has not run once for that long waits for
# something that will not come (a lost I/O, a kernel deadlock), and the job
# cannot end. Say so at once, with every D task's stack and the state of the
# device-mapper devices, then reset: the harness reports a kernel hang instead
# of waiting for its timeout. The report's lines start "vm-init: kernel hang".
# The kernel's own hung task check leaves out killable sleeps, such as a read
# waiting for a page of a block device, so the watch counts context switches
# itself: every 5 s, for each task in D, how many it had and since when.
hung=$(sed -n 's/.*snapctl\.hung=\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
(
  limit=${hung:-300}
  seen=""
  while sleep 5; do
    now=$(cut -d. -f1 /proc/uptime)
    next=""
    for pid in $(sed -n 's/^\([0-9][0-9]*\) (.*) D .*/\1/p' /proc/[0-9]*/stat 2>/dev/null); do
      set -- $(sed -n 's/^.*ctxt_switches:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null)
      switches=$(( ${1:-0} + ${2:-0} ))
      since=$now
      set -- $(echo "$seen" | grep "^$pid ")
      [ "${3:-}" = "$switches" ] && since=$2
      next="$next$pid $since $switches
"
      [ $((now - since)) -ge "$limit" ] || continue
      echo "vm-init: kernel hang: task $pid ($(task_name "$pid")) has slept in D, in $(cat "/proc/$pid/wchan" 2>/dev/null), without running for $((now - since))s"
      stacks "vm-init: kernel hang:" "D"
      echo "vm-init: kernel hang: device-mapper devices:"
      timeout 10 chroot "$R" /sbin/dmsetup info -c 2>&1 | sed 's/^/vm-init: kernel hang:   /'
      echo "vm-init: kernel hang: end of report"
      # Let the serial line drain before the reset.
      sleep 2
      echo b > /proc/sysrq-trigger
    done
    seen=$next
  done
) > /dev/console 2>&1 &

echo "vm-init: job start"
chroot "$R" /usr/bin/env -i HOME=/root /bin/sh /run/vm-job/job.sh < /dev/null
status=$?
echo "$status" > "$R/run/vm-job/status"
sync
umount "$R/run/vm-job"
echo "vm-init: job end, status $status"
echo b > /proc/sysrq-trigger

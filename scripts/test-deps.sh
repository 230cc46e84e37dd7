#!/usr/bin/env bash
# Installs the Debian packages the test suites drive for real (tar, the
# compressors, btrfs on loop devices, qemu + LVM for the VM suite, logrotate
# for the shipped rotation config) when any is missing. Needs root (the tests mount file systems, so they need it too).
set -euo pipefail
packages=(tar zstd gzip pigz xz-utils acl attr btrfs-progs util-linux e2fsprogs xfsprogs
          lvm2 thin-provisioning-tools busybox-static qemu-system-x86 cpio kmod logrotate)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "test-deps: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi
echo "test-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}"

// The LVM suite's guard against a hung guest kernel, on a real VM (part of
// `npm run test:lvm`): a task that sleeps uninterruptibly for good makes the
// guest report it, with its kernel stack, and reset at once, and the harness
// throws VmKernelHang instead of waiting for its timeout. The task here reads
// a device-mapper device that is suspended and never resumed: its I/O waits
// in the kernel as a lost one would. The read goes through the page cache, as
// blkid's does: a direct read's wait wakes up every half hung-task timeout
// (blk_io_schedule), so the kernel never reports it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInVm, VmKernelHang } from '../harness.js';

test('a task stuck in the guest kernel ends the VM with a kernel hang report that names it, its stack and the suspended device', async () => {
  const command = [
    // No udev in the guest: dmsetup makes the device node itself.
    "dmsetup create --noudevsync --noudevrules snapctl_hang --table '0 2048 linear /dev/vda 0' || exit 3",
    'dmsetup mknodes snapctl_hang && [ -b /dev/mapper/snapctl_hang ] || exit 3',
    'dmsetup suspend --noudevsync snapctl_hang || exit 3',
    'dd if=/dev/mapper/snapctl_hang of=/dev/null bs=4096 count=1 &',
    'sleep 900',
  ].join('\n');
  await assert.rejects(
    runInVm({ command, diskSizeBytes: 64 * 1024 ** 2, timeoutMs: 300_000, hungTaskS: 5 }),
    (e: unknown) => {
      assert.ok(e instanceof VmKernelHang, `expected a kernel hang, got: ${String(e)}`);
      assert.match(e.message, /^the guest kernel hung \(accel \w+; the VM reset itself \d+s after start\): task \d+ \(dd if=\/dev\/mapper\/snapctl_hang [^)]*\) has slept in D, in \w+, without running for \d+s$/m);
      assert.match(e.message, /^vm-init: kernel hang: stack of \d+ \(D\): dd if=\/dev\/mapper\/snapctl_hang /m);
      assert.match(e.message, /^vm-init: kernel hang: {3}\[<0>\] \w+/m, 'the stuck task\'s kernel stack is in the report');
      assert.match(e.message, /^vm-init: kernel hang: {3}snapctl_hang +\d+ +\d+ +L-s/m, 'dmsetup shows the device suspended');
      assert.match(e.message, /^vm-init: kernel hang: end of report$/m);
      return true;
    },
  );
});

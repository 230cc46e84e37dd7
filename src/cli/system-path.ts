// PATH as snapctl's commands see it.

/**
 * The system directories appended to PATH when it lacks them. cron runs a
 * crontab line with PATH=/usr/bin:/bin, which holds neither lvcreate nor lvs
 * (they live in /usr/sbin, /sbin): apply would fail every LVM volume with
 * "not found" on a host that has lvm2. The directories already on PATH keep
 * their order and come first.
 */
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function withSystemDirs(path: string | undefined): string {
  const dirs = (path ?? '').split(':').filter((d) => d !== '');
  return [...dirs, ...SYSTEM_DIRS.filter((d) => !dirs.includes(d))].join(':');
}

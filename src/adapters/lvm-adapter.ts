// The real LvmCommands: runs lvm2's tools with JSON reports and maps their
// failures (see fixtures/lvm/ for the outputs this was written against).
import type { LvmState } from '../core/model.js';
import type { CreateSnapshotRequest, LvmCommands, SnapshotState } from './lvm-commands.js';
import { LvmError } from './lvm-commands.js';
import { SnapctlError } from '../core/errors.js';
import { classifyLvmError, LvmReportError, LVS_FIELDS, parseLvsReport, parseSnapshotState } from './lvm-parse.js';
import type { RunToolOptions, ToolResult } from './run-tool.js';
import { commandLine, runTool, sleep, udevSettle } from './run-tool.js';
import { recordStuckReport, STUCK_REPORTS_DIR, stuckReport } from './stuck-reports.js';

// A child that inherits extra descriptors makes LVM print "File descriptor
// leaked" warnings on stderr, which would pollute error messages.
const LVM_ENV = { LVM_SUPPRESS_FD_WARNINGS: '1' };

/**
 * How long a report (lvs) may take before it is given up on. A report
 * scans every block device: one whose I/O never returns (a multipath device
 * queueing with no path left, a suspended device-mapper table) or an LVM
 * lock held by a stuck command makes it wait forever, and plan and apply
 * with it. Five minutes is far beyond what a report takes on a working
 * host, even one with thousands of LVs on a slow SAN.
 */
export const LVM_REPORT_TIMEOUT_MS = 300_000;

/** Where an operator sets another timeout for reports, in seconds (a host whose reports are known to be slow). */
export const REPORT_TIMEOUT_VARIABLE = 'SNAPCTL_LVM_REPORT_TIMEOUT';

/** The report timeout in force: SNAPCTL_LVM_REPORT_TIMEOUT seconds when set, else LVM_REPORT_TIMEOUT_MS. */
export function reportTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[REPORT_TIMEOUT_VARIABLE];
  if (text === undefined || text === '') return LVM_REPORT_TIMEOUT_MS;
  const seconds = Number(text);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text) || !(seconds > 0)) {
    throw new SnapctlError('input', `${REPORT_TIMEOUT_VARIABLE} must be a number of seconds above 0, not "${text}"`, `the seconds an LVM report (lvs) may take before snapctl gives up on it; without it, ${LVM_REPORT_TIMEOUT_MS / 1000}`);
  }
  return seconds * 1000;
}

export interface LvmAdapterOptions {
  /** Waits between lvremove attempts while the LV is in use (attempts = length + 1). */
  readonly removeRetryDelaysMs?: readonly number[];
  /** Stops a running report when aborted (never a command that changes anything). */
  readonly signal?: AbortSignal;
  /** Gives up on a report (lvs) after this long; default reportTimeoutMs(). Commands that change something are always waited for. */
  readonly reportTimeoutMs?: number;
  /** Where reports given up on are recorded (default STUCK_REPORTS_DIR): none is started while an earlier one is still stuck. */
  readonly stuckDir?: string;
}

async function lvm(tool: string, args: readonly string[], options: RunToolOptions = {}): Promise<ToolResult & { command: string }> {
  const r = await runTool(tool, args, LVM_ENV, options);
  return { ...r, command: commandLine(tool, args) };
}

function fail(summary: string, r: ToolResult & { command: string }): LvmError {
  return new LvmError(summary, r.missing ? { kind: 'other', message: `${r.command.split(' ')[0]} not found (is lvm2 installed?)` } : classifyLvmError(r.stderr), r.command);
}

export function createLvmAdapter(options: LvmAdapterOptions = {}): LvmCommands {
  const delays = options.removeRetryDelaysMs ?? [500, 1000, 2000, 4000];
  const timeoutMs = options.reportTimeoutMs ?? reportTimeoutMs();
  const stuckDir = options.stuckDir ?? STUCK_REPORTS_DIR;
  /** A read-only report, given up on after timeoutMs; not started while an earlier one of the same tool is stuck. */
  const report = async (tool: string, args: readonly string[], signal?: AbortSignal): Promise<ToolResult & { command: string }> => {
    // Checked and started without an await in between: observeLvm's report is running when it returns its promise.
    const earlier = stuckReport(stuckDir, tool);
    if (earlier !== undefined) {
      const stderr = `${tool} not run: an earlier ${tool} (pid ${earlier.pid}) has given no answer since ${earlier.since}; a device or a lock it waits on may be stuck`;
      return { exitCode: 124, stdout: '', stderr, missing: false, timedOut: true, command: commandLine(tool, args) };
    }
    const r = await lvm(tool, args, { timeoutMs, ...(signal !== undefined ? { signal } : {}) });
    if (r.timedOut === true && r.pid !== undefined) await recordStuckReport(stuckDir, tool, r.pid);
    return r;
  };
  return {
    async lvs() {
      const r = await report('lvs', ['--reportformat', 'json', '-o', LVS_FIELDS, '--units', 'b', '--nosuffix'], options.signal);
      if (r.exitCode !== 0) throw fail('listing logical volumes failed', r);
      return parseLvsReport(r.stdout);
    },

    async createSnapshot(req: CreateSnapshotRequest) {
      // -qq: silences "Logical volume ... created." (-q alone does not); errors still reach stderr.
      const args = ['-qq', '--snapshot', '--name', req.name];
      if (req.thin) args.push('--setactivationskip', 'n');
      else {
        if (req.sizeBytes === undefined) throw new LvmError(`snapshot ${req.vg}/${req.name} has no size`, { kind: 'size-required', message: 'a classic snapshot needs a size' }, 'lvcreate');
        args.push('--size', `${req.sizeBytes}b`);
      }
      for (const tag of req.tags) args.push('--addtag', tag);
      args.push(`${req.vg}/${req.origin}`);
      const r = await lvm('lvcreate', args);
      if (r.exitCode !== 0) throw fail(`creating snapshot ${req.vg}/${req.name} of ${req.vg}/${req.origin} failed`, r);
    },

    async activate(vg, lv) {
      const r = await lvm('lvchange', ['-ay', '-K', `${vg}/${lv}`]);
      if (r.exitCode !== 0) throw fail(`activating ${vg}/${lv} failed`, r);
    },

    async remove(vg, lv) {
      for (let attempt = 0; ; attempt += 1) {
        const r = await lvm('lvremove', ['-f', `${vg}/${lv}`]);
        if (r.exitCode === 0) return 'removed';
        const failure = classifyLvmError(r.stderr);
        if (failure.kind === 'lv-not-found' || failure.kind === 'vg-not-found') return 'absent';
        const delay = delays[attempt];
        if (failure.kind !== 'in-use' || delay === undefined) throw fail(`removing ${vg}/${lv} failed${attempt > 0 ? ` after ${attempt + 1} attempts` : ''}`, r);
        // Whoever held the device (udev's blkid probe, a lazy unmount finishing) usually lets go within seconds.
        await udevSettle();
        await sleep(delay);
      }
    },

    async snapshotState(vg, lv): Promise<SnapshotState> {
      const r = await report('lvs', ['--reportformat', 'json', '-o', 'lv_name,lv_attr,snap_percent,data_percent,lv_snapshot_invalid', '--units', 'b', '--nosuffix', `${vg}/${lv}`]);
      if (r.exitCode !== 0) throw fail(`reading the state of ${vg}/${lv} failed`, r);
      const state = parseSnapshotState(r.stdout);
      if (!state) throw new LvmError(`reading the state of ${vg}/${lv} failed`, { kind: 'lv-not-found', lv: `${vg}/${lv}`, message: 'not listed by lvs' }, r.command);
      return state;
    },
  };
}

export interface ObserveLvmOptions {
  /** Defaults to the process's uid being 0. */
  readonly isRoot?: boolean;
  readonly commands?: LvmCommands;
  /** Stops the report when aborted (its answer is no longer wanted). */
  readonly signal?: AbortSignal;
}

/**
 * What plan needs from LVM; `available: false` with a reason when LVM cannot
 * be read (plan still works). One lvs report: its VGs are those holding an LV.
 */
export async function observeLvm(options: ObserveLvmOptions = {}): Promise<LvmState> {
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  if (!isRoot) return { available: false, reason: 'not running as root' };
  const commands = options.commands ?? createLvmAdapter(options.signal !== undefined ? { signal: options.signal } : {});
  try {
    const { vgs, lvs } = await commands.lvs();
    return { available: true, vgs, lvs };
  } catch (e) {
    if (e instanceof LvmError) return { available: false, reason: e.failure.message.split('\n')[0] || e.summary };
    if (e instanceof LvmReportError) return { available: false, reason: e.message };
    throw e;
  }
}

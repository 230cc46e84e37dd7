// What plan and apply share: load the policy, pick the host, fix the clock.
import { hostname } from 'node:os';
import type { HostPolicy, PolicySource } from '../core/model.js';
import { SnapctlError } from '../core/errors.js';
import { parseNow } from './clock.js';

export interface PolicyContext {
  readonly policy: HostPolicy;
  /** Without git information: only plan needs it, and asks for it with `git()`. */
  readonly source: PolicySource;
  readonly now: number;
  /** The policy's git commit and dirtiness (spawns git; start it alongside other work). */
  readonly git: () => Promise<PolicySource['git']>;
}

export interface PolicyRequest {
  readonly policy: string | undefined;
  readonly host: string | undefined;
  readonly backupDir: string | undefined;
  readonly now: string | undefined;
}

export async function loadContext(req: PolicyRequest): Promise<PolicyContext> {
  if (req.policy === undefined) {
    throw new SnapctlError('input', '--policy FILE|DIR is required', 'the YAML policy file, or a directory of them (see policies/example.yaml)');
  }
  const { loadPolicy } = await import('../policy/load.js');
  const { resolveHost } = await import('../policy/resolve.js');
  const loaded = await loadPolicy(req.policy, { git: false });
  const policy = resolveHost(loaded, req.host ?? hostname(), req.backupDir !== undefined ? { backupDir: req.backupDir } : {});
  // A --now without a zone is wall-clock time in the policy's timezone.
  const now = parseNow(req.now, policy.timezone);
  const git = async (): Promise<PolicySource['git']> => (await import('../adapters/git.js')).gitInfo(loaded.source.files);
  return { policy, source: loaded.source, now, git };
}
